#!/usr/bin/env bash
# Builds zfan with -fsanitize=address,undefined in build-asan and runs the whole ctest suite there.
# Any sanitizer report fails the test that triggered it (the integration tests' zfan processes too).
# Usage: scripts/sanitize.sh            (JOBS=N to change the build parallelism, default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-asan}
JOBS=${JOBS:-2}

# detect_leaks stays on; halt_on_error makes the first report fatal, so a test cannot pass over it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZFAN_SANITIZE=ON -DZFAN_WERROR=ON
cmake --build "$BUILD_DIR" -j"$JOBS"
cd "$BUILD_DIR"
ctest --output-on-failure -j2 --timeout 900
