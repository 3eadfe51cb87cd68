#!/usr/bin/env bash
# CPU benchmarks of zfan: primes (vs primesieve), per-task overhead (echo), sum data throughput,
# the Python seeds, and worker scaling (spin). Raw results go to bench/results/*.json, the tables
# to bench/results/cpu.md (bench/report_cpu.py), the plot to bench/results/scaling.svg.
# usage: bench/run_cpu.sh [--quick] [SECTION...]   SECTION: a b c d e (default: all)
#        --quick: fewer runs, for checking the script
# env:   ZFAN (default build/cli/zfan), PYTHON (default /usr/bin/python3), PORT (default 25557)
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
ZFAN="${ZFAN:-$ROOT/build/cli/zfan}"
PY="${PYTHON:-/usr/bin/python3}"
PORT="${PORT:-25557}"
OUT="$BENCH/results"
SEEDS="$BENCH/seeds"
RUNS=5 WARM=1 SLOW_RUNS=3 ECHO_REPS=5
if [[ "${1:-}" == "--quick" ]]; then RUNS=2 WARM=0 SLOW_RUNS=1 ECHO_REPS=2; shift; fi
SECTIONS="${*:-a b c d e}"
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

for tool in hyperfine primesieve "$PY"; do
  command -v "$tool" >/dev/null || { echo "run_cpu.sh: $tool not found (apt-get install -y hyperfine primesieve)" >&2; exit 2; }
done
[[ -x "$ZFAN" ]] || { echo "run_cpu.sh: $ZFAN missing; build it: cmake --build build --target zfan -j2" >&2; exit 2; }
mkdir -p "$OUT"
# Time a private copy: a rebuild of build/cli/zfan during the run must not change (or break) it.
SNAP="$(mktemp -d /tmp/zfan-bench-cpu.XXXXXX)"
trap 'rm -rf "$SNAP"' EXIT
cp "$ZFAN" "$SNAP/zfan" && ZFAN="$SNAP/zfan"
source "$BENCH/lib.sh"
record_env "$OUT/env_cpu.txt"

# Every zfan run gets its own port block (PORT, PORT+1, PORT+2), so runs never meet a lingering socket.
next_port() { PORT=$((PORT + 3)); }
zm() { echo "$ZFAN master -q --port $PORT $*"; }  # a command line, for hyperfine
zrun() { "$ZFAN" master -q --port "$PORT" "$@"; }
hf() { hyperfine --style basic -N "$@"; }  # -N: no shell, so nothing but the command is timed

want a && {
section "a. primes 1e10, sieve: zfan vs primesieve"
next_port; P1=$PORT; next_port; P2=$PORT
args=()
for c in auto 1e8 1e9; do
  args+=(-n "zfan-1w-chunk-$c" "$ZFAN master -q --port $P1 primes --to 1e10 --method sieve --chunk $c --local-workers 1")
  args+=(-n "zfan-2w-chunk-$c" "$ZFAN master -q --port $P2 primes --to 1e10 --method sieve --chunk $c --local-workers 2")
done
hf -w "$WARM" -r "$RUNS" --export-json "$OUT/primes_sieve.json" \
  -n primesieve-t1 "primesieve 1e10 -t1 -q" -n primesieve-t2 "primesieve 1e10 -t2 -q" "${args[@]}"
}

want b && {
section "b. echo overhead (2,000,000 tasks, 2 local workers)"
for bytes in 0 64; do
  for i in $(seq 1 "$ECHO_REPS"); do
    next_port
    zrun --json echo --tasks 2000000 --bytes "$bytes" --local-workers 2 > "$OUT/echo_b${bytes}_$i.json"
  done
done
}

want c && {
section "c. sum data throughput (n=1e8, chunk 1e5, 2 local workers)"
for mode in data ranges; do
  flag=""; [[ $mode == ranges ]] && flag="--ranges"
  for i in $(seq 1 "$RUNS"); do
    next_port
    zrun --json --local-workers 2 sum --n 1e8 --chunk 1e5 $flag > "$OUT/sum_${mode}_$i.json"
  done
done
}

want d && {
section "d1. vs the seeds: sum of range(1e6), chunks of 100"
next_port
hf -w "$WARM" -r "$RUNS" --export-json "$OUT/seeds_sum.json" \
  -n "zfan sum (2 local workers)" "$(zm --local-workers 2 sum --n 1e6 --chunk 100)" \
  -n "zfan sum --ranges (2 local workers)" "$(zm --local-workers 2 sum --n 1e6 --chunk 100 --ranges)" \
  -n "sum_sequential.py" "$PY $SEEDS/sum_sequential.py 1e6" \
  -n "sum_pool.py (Pool(10))" "$PY $SEEDS/sum_pool.py 1e6 100 10" \
  -n "sum_threads_queue.py (10 threads)" "$PY $SEEDS/sum_threads_queue.py 1e6 100 10"
# The seeds' own in-process timings (they exclude interpreter start-up and building the chunks).
for s in sum_sequential sum_pool sum_threads_queue; do
  "$PY" "$SEEDS/$s.py" 1e6 > "$OUT/seed_$s.txt"
done

section "d2. vs the seeds: trial-division primes in [10, 2.5e6)"
next_port; P1=$PORT; next_port; P2=$PORT
hf -w "$WARM" -r "$SLOW_RUNS" --export-json "$OUT/seeds_primes.json" \
  -n "zfan trial (1 local worker)" "$ZFAN master -q --port $P1 primes --from 10 --to 2.5e6 --method trial --local-workers 1" \
  -n "zfan trial (2 local workers)" "$ZFAN master -q --port $P2 primes --from 10 --to 2.5e6 --method trial --local-workers 2" \
  -n "primes_sequential.py" "$PY $SEEDS/primes_sequential.py 10 2500000" \
  -n "primes_pool.py (Pool())" "$PY $SEEDS/primes_pool.py 10 2500000"
next_port
zrun --json primes --from 10 --to 2.5e6 --method trial --local-workers 2 > "$OUT/primes_trial_zfan.json"
"$PY" "$SEEDS/primes_sequential.py" 10 2500000 > "$OUT/seed_primes_sequential.txt"
}

want e && {
section "e. scaling: spin --tasks 16 --iterations 2e8"
next_port; P1=$PORT; next_port; P2=$PORT
hf -w "$WARM" -r "$SLOW_RUNS" --export-json "$OUT/spin.json" \
  -n "1" "$ZFAN master -q --port $P1 spin --tasks 16 --iterations 2e8 --local-workers 1" \
  -n "2" "$ZFAN master -q --port $P2 spin --tasks 16 --iterations 2e8 --local-workers 2"
# The same with tasks 10× longer, so start-up and the tail weigh less.
next_port; P1=$PORT; next_port; P2=$PORT
hf -w "$WARM" -r "$SLOW_RUNS" --export-json "$OUT/spin_long.json" \
  -n "1" "$ZFAN master -q --port $P1 spin --tasks 16 --iterations 2e9 --local-workers 1" \
  -n "2" "$ZFAN master -q --port $P2 spin --tasks 16 --iterations 2e9 --local-workers 2"
# Fixed cost of one job (start master and workers, HELLO, STOP): two 1-iteration tasks.
next_port; P1=$PORT; next_port; P2=$PORT
hf -w "$WARM" -r "$RUNS" --export-json "$OUT/startup.json" \
  -n "1" "$ZFAN master -q --port $P1 spin --tasks 2 --iterations 1 --local-workers 1" \
  -n "2" "$ZFAN master -q --port $P2 spin --tasks 2 --iterations 1 --local-workers 2"
}

"$PY" "$BENCH/report_cpu.py" "$OUT" > "$OUT/cpu.md"
if command -v gnuplot >/dev/null; then gnuplot -e "results='$OUT'" "$BENCH/plot.gnuplot"; fi
cat "$OUT/cpu.md"
