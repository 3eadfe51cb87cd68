#!/usr/bin/env bash
# From a fresh Debian 12 machine to a finished job: install dependencies, build, then count the
# primes below 10^9 with one local worker per core. Extra arguments go to `zfan master primes`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
# Only the zfan binary: the tests are scripts/test.sh's, which builds them in its own fresh build.
cmake --build build --target zfan -j"$(nproc)"
echo
exec ./build/cli/zfan master primes --to 1e9 --local-workers "$(nproc)" "$@"
