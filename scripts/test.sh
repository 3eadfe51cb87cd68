#!/usr/bin/env bash
# The whole test suite, as CI runs it: a fresh gcc build and every ctest test (unit, integration
# with real zfan processes, fault tests, deploy checks); a clang Release build and the quick tests
# there; the same suite under AddressSanitizer and UBSan; then a bounded libFuzzer run of every
# decoder (FUZZ_SECONDS each, default 60). Every build treats warnings as errors.
# ZFAN_QUICK=1 stops after the first stage.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZFAN_WERROR=ON
cmake --build build -j"$(nproc)"
(cd build && ctest --output-on-failure -j2 --timeout 900)
if [ "${ZFAN_QUICK:-0}" != "1" ]; then
  # A second compiler at -O3 finds other warnings and other undefined behaviour than gcc at -O2.
  # The slow tests (faults with kill -9 and SIGSTOP, downloads, scaling runs, the deploy tools,
  # network namespaces) test zfan's behaviour rather than its compiler and ran above; the rest
  # takes a few minutes here.
  SLOW_TESTS='^(chaos_test|download_test|scale_test|deploy_.*|netns_two_hosts)$'
  rm -rf build-clang
  CXX=clang++ cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release -DZFAN_WERROR=ON
  cmake --build build-clang -j"$(nproc)"
  (cd build-clang && ctest --output-on-failure -j2 --timeout 900 -E "$SLOW_TESTS")
  bash scripts/sanitize.sh
  FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash scripts/fuzz.sh
fi
