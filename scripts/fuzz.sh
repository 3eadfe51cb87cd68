#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang in build-fuzz and runs each for
# FUZZ_SECONDS on a scratch copy of its seed corpus, so the committed corpus never changes.
# Prints "fuzz <target>: <execs> execs, <crashes> crashes" per target; exits 1 on any crash, with
# the crashing input kept under build-fuzz/fuzz-artifacts/.
# Usage: scripts/fuzz.sh [TARGET...]   (FUZZ_SECONDS=60, JOBS=2 for the build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
JOBS=${JOBS:-2}
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(proto_decode_fuzz journal_line_fuzz imgur_json_fuzz link_list_fuzz safe_name_fuzz)
fi

CXX=${CXX:-clang++} cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZFAN_FUZZ=ON -DZFAN_WERROR=ON
cmake --build "$BUILD_DIR" -j"$JOBS" --target "${TARGETS[@]}"

ARTIFACTS=$ROOT/$BUILD_DIR/fuzz-artifacts
mkdir -p "$ARTIFACTS"
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

failed=0
summary=()
for target in "${TARGETS[@]}"; do
  corpus=$SCRATCH/$target
  mkdir -p "$corpus"
  cp -r "tests/fuzz/corpus/$target/." "$corpus/"
  log=$SCRATCH/$target.log
  echo "== $target: ${FUZZ_SECONDS}s on $(find "$corpus" -type f | wc -l) seed(s)"
  status=0
  "$BUILD_DIR/tests/fuzz/$target" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=30 \
    -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$target-" "$corpus" >"$log" 2>&1 ||
    status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ -z "$execs" ]; then  # killed before the final stats: the last progress line "#N ..."
    execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
  fi
  crashes=0
  if [ "$status" -ne 0 ]; then
    crashes=1
    failed=1
    tail -n 60 "$log"
    echo "!! $target crashed (exit $status); input kept as: $(find "$ARTIFACTS" -name "$target-*" | tr '\n' ' ')"
    echo "!! reproduce: $BUILD_DIR/tests/fuzz/$target $ARTIFACTS/$target-<file>"
  else
    grep -E '^(INFO: seed corpus|Done )' "$log" || true
  fi
  summary+=("fuzz $target: ${execs:-0} execs, $crashes crashes")
done
printf '%s\n' "${summary[@]}"
exit "$failed"
