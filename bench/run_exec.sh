#!/usr/bin/env bash
# The exec job against GNU parallel: 10,000 runs of `true` with 2 workers (zfan: 2 local workers
# of 1 slot each; parallel -j2), the cost of one task when they run one at a time, and the floor
# (/bin/sh -c true alone). Raw results: bench/results/exec_*.json; the figures: bench/README.md.
# usage: bench/run_exec.sh [--quick]      env: ZFAN (default build/cli/zfan), PORT (default 25757), N
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
ZFAN="${ZFAN:-$ROOT/build/cli/zfan}"
PY="${PYTHON:-/usr/bin/python3}"  # record_env prints its version
PORT="${PORT:-25757}"
N="${N:-10000}"
OUT="$BENCH/results"
RUNS=3 WARM=1 PARALLEL_RUNS=2 SERIAL_N=2000
if [[ "${1:-}" == "--quick" ]]; then RUNS=1 WARM=0 PARALLEL_RUNS=1 N=1000 SERIAL_N=200; fi

for tool in hyperfine parallel; do
  command -v "$tool" >/dev/null || { echo "run_exec.sh: $tool not found (apt-get install -y hyperfine parallel)" >&2; exit 2; }
done
[[ -x "$ZFAN" ]] || { echo "run_exec.sh: $ZFAN missing; build it: cmake --build build --target zfan -j2" >&2; exit 2; }
mkdir -p "$OUT"
# Time a private copy: a rebuild of build/cli/zfan during the run must not change (or break) it.
SNAP="$(mktemp -d /tmp/zfan-bench-exec.XXXXXX)"
trap 'rm -rf "$SNAP"' EXIT
cp "$ZFAN" "$SNAP/zfan" && ZFAN="$SNAP/zfan"
seq "$N" > "$SNAP/inputs"
seq "$SERIAL_N" > "$SNAP/serial"
source "$BENCH/lib.sh"
record_env "$OUT/env_exec.txt"
echo "parallel: $(parallel --version | head -1)" >> "$OUT/env_exec.txt"

next_port() { PORT=$((PORT + 3)); }
# zfan's own clock (first dispatch to last result) and tasks/s, next to hyperfine's wall time.
zfan_json() {
  local workers=$1 inputs=$2 json=$3
  next_port
  "$ZFAN" master exec -q --json --port "$PORT" --local-workers "$workers" --inputs "$inputs" \
    -- true > "$json" 2>/dev/null
}

section exec_true
next_port
hyperfine --style basic --warmup "$WARM" --runs "$RUNS" --export-json "$OUT/exec_true_zfan.json" \
  -n "zfan exec, 2 local workers" \
  "$ZFAN master exec -q --json --port $PORT --local-workers 2 --inputs $SNAP/inputs -- true"
hyperfine --style basic --runs "$PARALLEL_RUNS" --export-json "$OUT/exec_true_parallel.json" \
  -n "parallel -j2" "parallel -j2 true ::: \$(seq $N)"
zfan_json 2 "$SNAP/inputs" "$OUT/exec_true_summary.json"

section exec_per_task
# One task at a time: wall time / tasks is what each task costs end to end (spawn, sh, result).
next_port
hyperfine --style basic --warmup "$WARM" --runs "$RUNS" --export-json "$OUT/exec_serial_zfan.json" \
  -n "zfan exec, 1 local worker, $SERIAL_N tasks" \
  "$ZFAN master exec -q --json --port $PORT --local-workers 1 --inputs $SNAP/serial -- true"
hyperfine --style basic --runs "$PARALLEL_RUNS" --export-json "$OUT/exec_serial_parallel.json" \
  -n "parallel -j1, $SERIAL_N tasks" "parallel -j1 true :::: $SNAP/serial"
# The floor: one /bin/sh -c true, spawned by hyperfine itself; and a one-task job (start-up).
hyperfine --style basic -N --warmup 20 --runs 300 --export-json "$OUT/exec_sh_floor.json" \
  -n "/bin/sh -c true" "/bin/sh -c true"
echo 1 > "$SNAP/one"
next_port
hyperfine --style basic --warmup "$WARM" --runs 10 --export-json "$OUT/exec_one_task.json" \
  -n "zfan exec, 1 task, 1 local worker" \
  "$ZFAN master exec -q --json --port $PORT --local-workers 1 --inputs $SNAP/one -- true"
hyperfine --style basic --warmup "$WARM" --runs 10 --export-json "$OUT/exec_one_task_parallel.json" \
  -n "parallel -j1, 1 task" "parallel -j1 true ::: 1"

"$PY" - "$OUT" "$N" "$SERIAL_N" <<'PY'
import json, sys
out, n, serial_n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def mean(name):
    r = json.load(open(f"{out}/{name}.json"))["results"][0]
    return r["mean"], r["stddev"] or 0.0
z, zs = mean("exec_true_zfan"); p, ps = mean("exec_true_parallel")
own = json.load(open(f"{out}/exec_true_summary.json"))
sz, _ = mean("exec_serial_zfan"); sp, _ = mean("exec_serial_parallel")
floor, _ = mean("exec_sh_floor"); one, ones = mean("exec_one_task")
pone, pones = mean("exec_one_task_parallel")
print(f"| {n} x `true`, 2 workers | zfan {z:.2f} ± {zs:.2f} s ({n / z:.0f} tasks/s; "
      f"{own['tasks_per_s']:.0f}/s on zfan's job clock) | parallel -j2 {p:.1f} ± {ps:.1f} s "
      f"({n / p:.0f} tasks/s) | {p / z:.1f}x |")
# Per task: the serial run's time less a 1-task run's (start-up and shut-down), per extra task.
print(f"| per task, one at a time | zfan {1e3 * (sz - one) / (serial_n - 1):.2f} ms | parallel -j1 "
      f"{1e3 * (sp - pone) / (serial_n - 1):.2f} ms | floor: `/bin/sh -c true` {1e3 * floor:.2f} ms |")
print(f"| a 1-task job (start-up) | zfan {1e3 * one:.0f} ± {1e3 * ones:.0f} ms | parallel "
      f"{1e3 * pone:.0f} ± {1e3 * pones:.0f} ms | |")
PY
