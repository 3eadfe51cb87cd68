#!/usr/bin/env bash
# Unequal machines (issue #15): how close a job comes to the speed-weighted ideal when workers
# differ in speed. The ideal is computed from the workers' own figures: worker i finished
# tasks_i in busy_i seconds, so together they run sum(tasks_i / busy_i) tasks per second, and
# the job could not end before total / that rate.
#   a. the issue's setup: two workers, one with a core to itself, one sharing its core with a
#      busy loop (taskset), spin --tasks 64 --iterations 2e8;
#   b. four workers of three speeds (ZFAN_SLOW_FACTOR 1, 1, 2, 4), sleep --tasks 200 --ms 20.
# Usage: bench/run_unequal.sh [ZFAN_BINARY]   → bench/results/unequal.md
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ZFAN=${1:-$ROOT/build/cli/zfan}
OUT=$ROOT/bench/results
PORT=${PORT:-6310}
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null' EXIT

worker() {  # id cpu slow-factor
  ZFAN_SLOW_FACTOR=$3 taskset -c "$2" "$ZFAN" worker "tcp://127.0.0.1:$PORT" --slots 1 \
    --id "$1" -q 2>/dev/null &
  PIDS+=($!)
}

report() {  # label < master JSON
  python3 -c '
import json, sys
d = json.load(sys.stdin)
rate = sum(w["tasks"] / w["busy_s"] for w in d["workers"] if w["busy_s"] > 0)
ideal = d["tasks"]["done"] / rate
split = ", ".join("%s %d tasks (%.2f s busy, %.0f%% util)" % (w["id"], w["tasks"], w["busy_s"],
                  100 * w["utilisation"]) for w in d["workers"])
print("| %s | %.2f s | %.2f s | %.2fx | %s |" % (sys.argv[1], d["elapsed_s"], ideal,
      d["elapsed_s"] / ideal, split))' "$1"
}

stop_workers() {
  kill "${PIDS[@]}" 2>/dev/null || true
  wait "${PIDS[@]}" 2>/dev/null || true
  PIDS=()
}

{
  echo "| setup | job time | speed-weighted ideal | ratio | per worker |"
  echo "|---|---|---|---|---|"
  for run in 1 2 3; do
    taskset -c 1 bash -c 'while :; do :; done' &
    PIDS+=($!)
    worker fast 0 1
    worker slow 1 1
    "$ZFAN" master spin --tasks 64 --iterations 2e8 --expect-workers 2 --port "$PORT" --json -q \
      2>/dev/null | report "a. 2 workers, one sharing its core (run $run)"
    stop_workers
  done
  for run in 1 2 3; do
    worker w1 0 1
    worker w2 1 1
    worker w3 0 2
    worker w4 1 4
    "$ZFAN" master sleep --tasks 200 --ms 20 --expect-workers 4 --port "$PORT" --json -q \
      2>/dev/null | report "b. 4 workers, speeds 1, 1, 1/2, 1/4 (run $run)"
    stop_workers
  done
} | tee "$OUT/unequal.md"
