#!/usr/bin/env bash
# What this machine allows, zfan aside: how much faster two processes of pure computation finish
# than one (the ceiling of any 2-worker speedup here), and what a system call and a task switch
# cost (the floor of a task's overhead: a zfan worker's threads switch ~5 times per task).
# usage: bench/machine_ceiling.sh
# env:   RUNS (5: best of), LOOPS (30000000: iterations of the Python loop, ~1.5 s here)
# Results: bench/results/machine_ceiling.md (the switch costs need perf: linux-perf).
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
OUT="$BENCH/results"
RUNS="${RUNS:-5}" LOOPS="${LOOPS:-30000000}"
mkdir -p "$OUT"
source "$BENCH/lib.sh"

# Seconds of wall time for `count` copies of the loop started together, best of RUNS.
best_wall() {
  local count=$1 best="" t
  for _ in $(seq 1 "$RUNS"); do
    t=$("$PY" - "$count" "$LOOPS" <<'EOF'
import subprocess, sys, time
count, loops = int(sys.argv[1]), int(sys.argv[2])
code = f"x = 0\nfor i in range({loops}): x += i"
start = time.monotonic()
for p in [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]:
    p.wait()
print(f"{time.monotonic() - start:.3f}")
EOF
)
    if [[ -z "$best" ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
  done
  echo "$best"
}

# usecs/op of a perf bench, or "n/a" without perf.
perf_usecs() {
  command -v perf >/dev/null || { echo "n/a"; return; }
  "$@" 2>/dev/null | awk '/usecs\/op/ { print $1; exit }'
}

section "machine ceiling"
one=$(best_wall 1)
two=$(best_wall 2)
ratio=$(awk -v a="$one" -v b="$two" 'BEGIN { printf "%.2f", 2 * a / b }')
syscall=$(perf_usecs perf bench syscall basic)
pipe_any=$(perf_usecs perf bench sched pipe -l 20000)
pipe_one=$(perf_usecs taskset -c 0 perf bench sched pipe -l 20000)

{
  echo "# Machine ceiling ($(date -Is), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at start)"
  echo
  echo "| measure | value |"
  echo "|---|---|"
  echo "| one Python loop of $LOOPS, best of $RUNS | $one s |"
  echo "| two at once, best of $RUNS | $two s |"
  echo "| speedup of two processes of pure computation | **${ratio}×** |"
  echo "| system call (\`perf bench syscall basic\`) | $syscall µs |"
  echo "| pipe round trip between two processes, any core (2 switches) | $pipe_any µs |"
  echo "| the same on one core | $pipe_one µs |"
} | tee "$OUT/machine_ceiling.md"
