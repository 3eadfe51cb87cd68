#!/usr/bin/env bash
# Guided chunks (primes' default) side by side with primesieve in one hyperfine run: primes below
# 1e10 and below 2e9, `primesieve -t1` vs zfan with 1 and 2 local workers, default chunks (one
# slot: equal chunks of at most 1e10; two: guided) and the old fixed default (range/32) for
# reference, `primesieve -t2` (the machine's own two-thread speedup), and 1 worker running the
# 2-worker plan (--plan-workers 2: the same tasks as zfan-2w, as `zfan scale` runs them). Best of RUNS (3) after one warm-up; targets:
# 1 worker within 5 % of primesieve -t1, 2 workers >= 1.9x the one.
# usage: bench/run_guided.sh      env: ZFAN (default build/cli/zfan), RUNS (3), PORT (25857)
# Results: bench/results/guided_<to>.json (hyperfine), bench/results/guided.md.
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
ZFAN="${ZFAN:-$ROOT/build/cli/zfan}"
RUNS="${RUNS:-3}" PORT="${PORT:-25857}"
OUT="$BENCH/results"
PY=/usr/bin/python3
for tool in hyperfine primesieve; do
  command -v "$tool" >/dev/null || { echo "run_guided.sh: $tool not found (apt-get install -y hyperfine primesieve)" >&2; exit 2; }
done
[[ -x "$ZFAN" ]] || { echo "run_guided.sh: $ZFAN missing; build it: cmake --build build --target zfan -j2" >&2; exit 2; }
mkdir -p "$OUT"
SNAP="$(mktemp -d /tmp/zfan-bench-guided.XXXXXX)"
trap 'rm -rf "$SNAP"' EXIT
cp "$ZFAN" "$SNAP/zfan" && ZFAN="$SNAP/zfan"
source "$BENCH/lib.sh"

for to in 1e10 2e9; do
  fixed=$("$PY" -c "print(int(float('$to')) // 32 + 1)")  # the old default: range/32
  section "guided chunks: primes below $to"
  p=$PORT; PORT=$((PORT + 18))
  hyperfine --style basic -N -w 1 -r "$RUNS" --export-json "$OUT/guided_$to.json" \
    -n primesieve-t1 "primesieve $to -t1 -q" \
    -n primesieve-t2 "primesieve $to -t2 -q" \
    -n zfan-1w "$ZFAN master -q --port $p primes --to $to --local-workers 1" \
    -n zfan-2w "$ZFAN master -q --port $((p + 3)) primes --to $to --local-workers 2" \
    -n zfan-1w-plan2 "$ZFAN master -q --port $((p + 15)) primes --to $to --local-workers 1 --plan-workers 2" \
    -n zfan-1w-fixed "$ZFAN master -q --port $((p + 6)) primes --to $to --chunk $fixed --local-workers 1" \
    -n zfan-2w-fixed "$ZFAN master -q --port $((p + 9)) primes --to $to --chunk $fixed --local-workers 2"
done

"$PY" - "$OUT" <<'EOF' | tee "$OUT/guided.md"
import json, sys
out = sys.argv[1]
print('| range | command | best s | mean ± sd s | best / primesieve -t1 | 2w speedup (best 1w / best 2w) |')
print('|---|---|---|---|---|---|')
for to in ('1e10', '2e9'):
    rows = {r['command']: r for r in json.load(open(f'{out}/guided_{to}.json'))['results']}
    best = {k: min(r['times']) for k, r in rows.items()}
    for name, r in rows.items():
        ratio = best[name] / best['primesieve-t1']
        speedup = ''
        if name.startswith('zfan-2w'):
            speedup = f"{best[name.replace('2w', '1w')] / best[name]:.2f}×"
        elif name == 'primesieve-t2':
            speedup = f"{best['primesieve-t1'] / best[name]:.2f}×"
        elif name == 'zfan-1w-plan2':  # the same tasks as zfan-2w
            speedup = f"zfan-2w: {best[name] / best['zfan-2w']:.2f}× on the same tasks"
        print(f"| {to} | `{name}` | {best[name]:.3f} | {r['mean']:.3f} ± {r['stddev'] or 0:.3f} | "
              f"{ratio:.3f} | {speedup} |")
EOF
