#!/usr/bin/env bash
# The whole test suite, as CI runs it: a fresh build and every ctest test (unit, integration with
# real zfan processes, fault tests, deploy checks), then the same suite under AddressSanitizer and
# UBSan, then a bounded libFuzzer run of every decoder (FUZZ_SECONDS each, default 60).
# ZFAN_QUICK=1 stops after the first stage.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZFAN_WERROR=ON
cmake --build build -j"$(nproc)"
(cd build && ctest --output-on-failure -j2 --timeout 900)
if [ "${ZFAN_QUICK:-0}" != "1" ]; then
  bash scripts/sanitize.sh
  FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash scripts/fuzz.sh
fi
