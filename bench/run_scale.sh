#!/usr/bin/env bash
# The issue's two scaling studies with `zfan scale` (bench/README.md, "Scaling with zfan scale"):
# sleep (64 × 50 ms at 1, 2, 4 workers) and primes below 2e9 (1, 2 workers) → results/scale_*.
# usage: bash bench/run_scale.sh   (ZFAN=, PORT=, QUIET_LOAD=, QUIET_WAIT_S= as in lib.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS="$ROOT/bench/results"
# section() logs the load it waited for into $OUT/load.txt: a scratch file, since each study's
# JSON records the machine's load itself.
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
source "$ROOT/bench/lib.sh"
# A private copy: a rebuild during the run changes nothing.
cp "${ZFAN:-$ROOT/build/cli/zfan}" "$OUT/zfan"
PORT=${PORT:-25757}

study() {
  local name=$1
  shift
  section "scale $name"
  "$OUT/zfan" scale "$@" --port "$PORT" --export-json "$RESULTS/scale_$name.json" \
    --export-csv "$RESULTS/scale_$name.csv" --export-markdown "$RESULTS/scale_$name.md" \
    --plot "$RESULTS/scale_$name.svg" | tee "$RESULTS/scale_$name.txt"
}

study sleep sleep --tasks 64 --ms 50 --workers 1,2,4 --runs 2
study primes primes --to 2e9 --workers 1,2 --runs 3
