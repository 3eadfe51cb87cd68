#!/usr/bin/env bash
# What CURVE costs (issue #16), measured in one run with CURVE off and on, same binary:
#   echo tasks/s (2,000,000 empty tasks, 2 local workers), sum data-mode throughput (GB/s of
#   numbers shipped to workers), and the download of 1,000 images (50–500 KB, 50 ms latency) at
#   128 connections (2 local workers × 64) against its floor, output on tmpfs.
# Each figure is the best of RUNS (default 3). Usage: bench/run_curve.sh  → results/curve.md
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
OUT=$BENCH/results
ZFAN_SRC=${ZFAN:-$ROOT/build/cli/zfan}
HTTPD=${HTTPD:-$ROOT/build/tests/fixtures/zfan-test-httpd}
RUNS=${RUNS:-3}
W=$(mktemp -d /dev/shm/zfan-bench-curve.XXXXXX)
SERVER_PID=""
trap '[[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$W"' EXIT
cp "$ZFAN_SRC" "$W/zfan" && ZFAN=$W/zfan  # a rebuild during the run must not change it
PORT=${PORT:-6410}

"$ZFAN" keygen --out "$W/master" > "$W/master.pub" 2>/dev/null
"$ZFAN" keygen --out "$W/other" > "$W/allowed" 2>/dev/null  # the allowlist must list someone
CURVE=(--curve-secret "$W/master.key_secret" --authorized-workers "$W/allowed")

best() {  # best FIELD-EXPR ARGS...: the best (largest) of RUNS values of a python expression on
  local expr=$1 best=0 v  # the master's --json summary `d`
  shift
  for _ in $(seq "$RUNS"); do
    v=$("$ZFAN" master "$@" --port "$PORT" --json -q 2>/dev/null |
      python3 -c "import json,sys; d=json.load(sys.stdin); print($expr)")
    best=$(python3 -c "print(max($best, $v))")
  done
  echo "$best"
}

echo "== echo tasks/s" >&2
ECHO_OFF=$(best 'd["tasks_per_s"]' echo --tasks 2000000 --local-workers 2)
ECHO_ON=$(best 'd["tasks_per_s"]' echo --tasks 2000000 --local-workers 2 "${CURVE[@]}")
echo "== sum data mode GB/s" >&2
SUM='d["result"]["data_bytes"] / d["elapsed_s"] / 1e9 if d["result"]["verified"] else 0'
SUM_OFF=$(best "$SUM" sum --n 2e8 --chunk 1e6 --local-workers 2)
SUM_ON=$(best "$SUM" sum --n 2e8 --chunk 1e6 --local-workers 2 "${CURVE[@]}")

echo "== download, 1,000 images at 128 connections" >&2
"$HTTPD" --port 0 --images 1000 --min-bytes 51200 --max-bytes 512000 --latency-ms 50 --seed 42 \
  --write-links "$W/links.txt" > "$W/server.out" 2> "$W/server.err" &
SERVER_PID=$!
for _ in $(seq 1200); do grep -q '^PORT ' "$W/server.out" 2>/dev/null && break; sleep 0.1; done
# The floor: 1,000 / 128 rounds of the 50 ms latency, plus the bytes at loopback bandwidth
# (measured as bench/run_download.sh does: one keep-alive connection, body transfer time only).
head -n 100 "$W/links.txt" | sed 's/^/url = /; s/$/\noutput = \/dev\/null/' > "$W/bw.curl"
BW=$(curl -s -K "$W/bw.curl" -w '%{size_download} %{time_starttransfer} %{time_total}\n' |
  awk '{b += $1; t += $3 - $2} END {printf "%.0f", b / t}')
BYTES=$("$ZFAN" master download --links "$W/links.txt" --out "$W/probe" --local-workers 2 \
  --port "$PORT" --json -q 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['bytes'])")
FLOOR=$(python3 -c "import math; print(math.ceil(1000 / 128) * 0.05 + $BYTES / $BW)")
download() {  # best (smallest) wall time of RUNS downloads into a fresh directory
  local best=1e9 t
  for _ in $(seq "$RUNS"); do
    rm -rf "$W/out"
    t=$("$ZFAN" master download --links "$W/links.txt" --out "$W/out" --local-workers 2 \
      --worker-slots 64 --per-host 64 --port "$PORT" --json -q "$@" 2>/dev/null |
      python3 -c "import json,sys; d=json.load(sys.stdin); assert d['result']['files'] == 1000, d['result']; print(d['elapsed_s'])")
    best=$(python3 -c "print(min($best, $t))")
  done
  echo "$best"
}
DL_OFF=$(download)
DL_ON=$(download "${CURVE[@]}")

python3 - "$ECHO_OFF" "$ECHO_ON" "$SUM_OFF" "$SUM_ON" "$DL_OFF" "$DL_ON" "$FLOOR" <<'PY' | tee "$OUT/curve.md"
import sys
eo, en, so, sn, do, dn, fl = map(float, sys.argv[1:])
print("| figure (best of runs) | CURVE off | CURVE on | on / off | target |")
print("|---|---|---|---|---|")
print(f"| echo, 2,000,000 tasks, 2 local workers | {eo:,.0f} tasks/s | {en:,.0f} tasks/s | {en/eo:.2f} | ≥ 1,000,000 with CURVE |")
print(f"| sum --n 2e8 --chunk 1e6 (data shipped) | {so:.2f} GB/s | {sn:.2f} GB/s | {sn/so:.2f} | — |")
print(f"| download 1,000 images, 2 × 64 connections, tmpfs | {do:.3f} s ({do/fl:.2f}× floor) | {dn:.3f} s ({dn/fl:.2f}× floor) | {dn/do:.2f} | ≤ 1.5× floor with CURVE |")
print(f"\nfloor: {fl:.3f} s (8 rounds of 50 ms + the bytes at loopback bandwidth)")
PY
