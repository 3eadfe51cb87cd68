#!/usr/bin/env bash
# One master, many external workers on this machine: starts WORKERS (500) `zfan worker --slots 1`
# processes, then runs `zfan master sleep --tasks 10000 --ms 50 --expect-workers WORKERS --json`
# RUNS times against them (they stay connected between jobs), and reports per run the efficiency
# (ideal = tasks x ms / workers, over the job's elapsed_s and over the master's whole wall time),
# the master's CPU time and peak RSS (/usr/bin/time), and how evenly tasks spread. Every worker
# is stopped at the end, also on error or Ctrl-C (SIGTERM, then SIGKILL after 15 s).
# usage: bench/run_many_workers.sh
# env:   ZFAN (default build/cli/zfan), WORKERS (500), TASKS (10000), MS (50), RUNS (3),
#        PORT (default 25757), SETTLE_S (10: pause after starting the workers),
#        TRACE (a path prefix: each run also writes a --trace of every task to TRACE.<run>.json)
# Results: bench/results/many_workers_<run>.json (the master's --json), many_workers.md.
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
ZFAN="${ZFAN:-$ROOT/build/cli/zfan}"
WORKERS="${WORKERS:-500}" TASKS="${TASKS:-10000}" MS="${MS:-50}" RUNS="${RUNS:-3}"
PORT="${PORT:-25757}"
OUT="$BENCH/results"
PY=/usr/bin/python3

[[ -x "$ZFAN" ]] || { echo "run_many_workers.sh: $ZFAN missing; build it: cmake --build build --target zfan -j2" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "run_many_workers.sh: /usr/bin/time missing (apt-get install -y time)" >&2; exit 2; }
# Three connections per worker on the master, plus the workers' own: check before starting 500.
need=$((3 * WORKERS + 64))
if (($(ulimit -Hn) < need)); then
  echo "run_many_workers.sh: the hard open-files limit ($(ulimit -Hn)) is below $need; raise it (limits.conf)" >&2
  exit 2
fi
mkdir -p "$OUT"
SNAP="$(mktemp -d /tmp/zfan-bench-many.XXXXXX)"
cp "$ZFAN" "$SNAP/zfan" && ZFAN="$SNAP/zfan"
source "$BENCH/lib.sh"

PIDS=()
stop_workers() {
  if ((${#PIDS[@]})); then
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    local waited=0
    while ((waited < 150)) && kill -0 "${PIDS[@]}" 2>/dev/null; do  # any still alive: 15 s at most
      sleep 0.1; waited=$((waited + 1))
    done
    kill -KILL "${PIDS[@]}" 2>/dev/null || true
    wait "${PIDS[@]}" 2>/dev/null || true
    PIDS=()
  fi
  rm -rf "$SNAP"
}
trap stop_workers EXIT
trap 'exit 130' INT TERM

section "many workers: $WORKERS workers, sleep --tasks $TASKS --ms $MS"
echo "starting $WORKERS workers ..." >&2
for i in $(seq 1 "$WORKERS"); do
  # --master-timeout: a worker whose master never comes exits by itself.
  "$ZFAN" worker "tcp://127.0.0.1:$PORT" --slots 1 --id "w$i" --master-timeout 600 -q \
    2>>"$SNAP/workers.log" &
  PIDS+=($!)
done
# Starting 500 processes loads both cores for several seconds: let that pass before the first
# run (the master itself waits for every worker's HELLO).
sleep "${SETTLE_S:-10}"

ideal=$(awk -v t="$TASKS" -v ms="$MS" -v w="$WORKERS" 'BEGIN { printf "%.3f", t * ms / 1000 / w }')
rows=()
for run in $(seq 1 "$RUNS"); do
  json="$OUT/many_workers_$run.json"
  /usr/bin/time -f "%e %U %S %M" -o "$SNAP/time_$run" \
    "$ZFAN" master -q --port "$PORT" --json --wait-timeout 300 --expect-workers "$WORKERS" \
    ${TRACE:+--trace "$TRACE.$run.json"} \
    sleep --tasks "$TASKS" --ms "$MS" > "$json" 2>>"$SNAP/master.log" ||
    { echo "run $run: the master failed (exit $?); its log:" >&2; tail -20 "$SNAP/master.log" >&2; exit 1; }
  read -r wall user sys rss_kb < "$SNAP/time_$run"
  rows+=("$("$PY" - "$json" "$ideal" "$wall" "$user" "$sys" "$rss_kb" "$WORKERS" "$TASKS" <<'EOF'
import json, sys
path, ideal, wall, user, sys_s, rss_kb, workers, tasks = sys.argv[1:]
j = json.load(open(path))
ideal, wall = float(ideal), float(wall)
per = [w["tasks"] for w in j["workers"]]
ok = j["tasks"]["done"] == int(tasks) and j["tasks"]["failed"] == 0
print(f'| {j["elapsed_s"]:.3f} | {ideal / j["elapsed_s"] * 100:.1f} % | {wall:.2f} | '
      f'{float(user) + float(sys_s):.2f} ({user} user + {sys_s} sys) | {int(rss_kb) / 1024:.1f} | '
      f'{len(per)} | {min(per)}–{max(per)} | {j["tasks"]["done"]}{"" if ok else " (INCOMPLETE)"} |')
EOF
)")
  echo "run $run: ${rows[-1]}" >&2
done

{
  echo "### $WORKERS external workers, \`sleep --tasks $TASKS --ms $MS\` (ideal $ideal s)"
  echo
  echo "$(date -Is), $(nproc) cores, load at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| elapsed_s (job clock) | efficiency (ideal / elapsed_s) | master wall s (incl. waiting for workers, exit) | master CPU s | master peak RSS MiB | workers | tasks per worker | tasks done |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT/many_workers.md"
