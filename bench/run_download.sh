#!/usr/bin/env bash
# Download benchmark: 1,000 images of 50–500 KB from the project's test HTTP server with 50 ms
# latency per request. Times the four Python seed downloaders, aria2c, curl --parallel and
# `zfan master download` at 8/32/128 total connections, checks every downloaded file against the
# server's catalogue (sha256), and compares each time with the floor
#   ceil(N / connections) × latency + total_bytes / loopback_bandwidth.
# Results: bench/results/download.json (hyperfine), download.md, download.dat, download.svg.
# usage: bench/run_download.sh [--quick]   (--quick: 200 images, one run each)
# env:   ZFAN, HTTPD, PYTHON, WORKDIR (default /tmp/zfan-bench-download), PORT (default 25657),
#        SKIP_SEQUENTIAL=1 (leave out the ~55 s/run sequential seed), OUT_DIRS (where the
#        downloads go, default WORKDIR), TAG (suffix of the results files)
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
source "$BENCH/lib.sh"  # ROOT, ZFAN, HTTPD, PY and the helpers
W="${WORKDIR:-/tmp/zfan-bench-download}"
PORT="${PORT:-25657}"
# Where the downloaded files go: the floor is a network floor, so OUT_DIRS=/dev/shm/... takes the
# disk out of the comparison; the default (on disk) includes zfan's fsyncs. TAG names the results.
D="${OUT_DIRS:-$W}"
TAG="${TAG:-}"
OUT="$BENCH/results"
SEEDS="$BENCH/seeds"
IMAGES=1000 MIN_BYTES=51200 MAX_BYTES=512000 LATENCY_MS=50
RUNS=5 WARM=1 SLOW_RUNS=2
if [[ "${1:-}" == "--quick" ]]; then IMAGES=200 RUNS=1 WARM=0 SLOW_RUNS=1; fi

for tool in hyperfine curl sha256sum "$PY"; do
  command -v "$tool" >/dev/null || { echo "run_download.sh: $tool not found" >&2; exit 2; }
done
for bin in "$ZFAN" "$HTTPD"; do
  [[ -x "$bin" ]] || { echo "run_download.sh: $bin missing; build it: cmake --build build -j2" >&2; exit 2; }
done
rm -rf "$W" && mkdir -p "$W" "$D" "$OUT"
# Time a private copy: a rebuild of build/cli/zfan during the run must not change (or break) it.
cp "$ZFAN" "$W/zfan" && ZFAN="$W/zfan"
record_env "$OUT/env_download.txt"

SERVER_PID=""
stop_server() { [[ -n "$SERVER_PID" ]] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
# Where clear_outputs.sh sets old outputs aside; it and the last outputs go when the script ends,
# so the next benchmark does not start right after a mass deletion.
TRASH="$D/trash-$$"
trap 'stop_server; rm -rf "$TRASH" "$D"/out-*' EXIT

section "starting the test server ($IMAGES images, $MIN_BYTES–$MAX_BYTES B, ${LATENCY_MS} ms latency)"
"$HTTPD" --port 0 --images "$IMAGES" --min-bytes "$MIN_BYTES" --max-bytes "$MAX_BYTES" \
  --latency-ms "$LATENCY_MS" --seed 42 --write-links "$W/links.txt" --write-dir "$W/ref" \
  > "$W/server.out" 2> "$W/server.err" &
SERVER_PID=$!
for _ in $(seq 1200); do  # making the catalogue takes a while; up to 120 s
  grep -q '^PORT ' "$W/server.out" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$W/server.err" >&2; exit 1; }
  sleep 0.1
done
grep -q '^PORT ' "$W/server.out" || { echo "run_download.sh: the server did not start" >&2; exit 1; }
N=$(wc -l < "$W/links.txt")
TOTAL_BYTES=$(cat "$W"/ref/* | wc -c)
(cd "$W/ref" && sha256sum -- * > "$W/ref.sha256")
echo "   $N links, $TOTAL_BYTES bytes" >&2

# Loopback bandwidth as this server delivers it: fetch the first 100 images over one keep-alive
# connection and divide their bytes by the time spent receiving bodies (total − time to first
# byte; the 50 ms latency falls before the first byte).
head -n 100 "$W/links.txt" | sed 's/^/url = /; s/$/\noutput = \/dev\/null/' > "$W/bw.curl"
curl -s -K "$W/bw.curl" -w '%{size_download} %{time_starttransfer} %{time_total}\n' > "$W/bw.txt"
BW=$(awk '{b += $1; t += $3 - $2} END {printf "%.0f", b / t}' "$W/bw.txt")
echo "   loopback bandwidth (body transfer): $((BW / 1000000)) MB/s" >&2

# One config file for curl --parallel: url/output pairs.
awk -v d="$D/out-curl" '{n = split($0, p, "/"); print "url = " $0; print "output = " d "/" p[n]}' \
  "$W/links.txt" > "$W/links.curl"

verify() {  # verify DIR NAME: every catalogue file present in DIR and byte-identical
  local dir=$1 name=$2 bad
  bad=$(cd "$dir" && sha256sum -c --quiet "$W/ref.sha256" 2>/dev/null | wc -l) || true
  if [[ "$bad" != 0 ]]; then
    echo "run_download.sh: $name: $bad files missing or different in $dir" >&2
    echo "$name FAIL $bad" >> "$W/verify.txt"
  else
    echo "$name OK" >> "$W/verify.txt"
  fi
}
: > "$W/verify.txt"

# Command names end in "[C]": the number of concurrent connections, used for the floor.
slow=(); fast=(); dirs=()
add() {  # add slow|fast NAME DIR COMMAND
  local -n list=$1
  list+=(--command-name "$2" "$4"); dirs+=("$2|$3")
}
# Before every timed run, clear_outputs.sh removes the output dirs (without them zfan finds every
# file already there), writes back the previous run's files (without `sync` they were written
# during the next timed run, whichever tool that was: zfan's 128-connection disk row took 1.43 s
# without it, 0.86 s with) and, on disk, sets the old files aside rather than deleting them (see
# the script for why).
prep="$BENCH/clear_outputs.sh $D $TRASH"
[[ "${SKIP_SEQUENTIAL:-0}" == 1 ]] || add slow "download_sequential.py [1]" "$D/out-seq" "$PY $SEEDS/download_sequential.py $W/links.txt $D/out-seq"
add fast "download_threads.py, ThreadPoolExecutor(8) [8]" "$D/out-thr" "$PY $SEEDS/download_threads.py $W/links.txt $D/out-thr 8"
add fast "download_pool.py, Pool(8) [8]" "$D/out-pool" "$PY $SEEDS/download_pool.py $W/links.txt $D/out-pool 8"
add fast "download_asyncio.py, aiohttp [100]" "$D/out-aio" "$PY $SEEDS/download_asyncio.py $W/links.txt $D/out-aio 100"
if command -v aria2c >/dev/null; then
  for conns in 32 128; do
    add fast "aria2c -j $conns [$conns]" "$D/out-aria2" \
      "aria2c -q -j $conns --file-allocation=none --auto-file-renaming=false --allow-overwrite=true -d $D/out-aria2 -i $W/links.txt"
  done
fi
for conns in 32 128; do  # 128: what the machine and server allow a lean C client at that width
  add fast "curl --parallel-max $conns [$conns]" "$D/out-curl" \
    "sh -c 'mkdir -p $D/out-curl && curl -s --fail --parallel --parallel-max $conns -K $W/links.curl'"
done

ZFAN_DOWNLOAD=0
if "$ZFAN" master download --help >/dev/null 2>&1; then
  ZFAN_DOWNLOAD=1
  # 1 or 2 local workers sharing `conns` transfers (and connections): one curl multi handle
  # serves them all with the least overhead, two share the CPU work of 128.
  for conns in 8 32 128; do
    for workers in 1 2; do
      port=$((PORT + conns + 300 * workers))
      per=$((conns / workers))
      add fast "zfan download, $workers worker$( ((workers > 1)) && echo s) × $per [$conns]" \
        "$D/out-zfan$conns-$workers" \
        "$ZFAN master -q --port $port download --links $W/links.txt --out $D/out-zfan$conns-$workers --local-workers $workers --worker-slots $per --per-host $per"
    done
  done
else
  echo "   zfan master download does not exist yet: its rows stay TODO" >&2
fi

section "timing"
if ((${#slow[@]})); then
  hyperfine --style basic -N -i -w 0 -r "$SLOW_RUNS" --prepare "$prep" --export-json "$W/slow.json" "${slow[@]}"
else
  echo '{"results": []}' > "$W/slow.json"
fi
# -i: one failed run (the aiohttp seed fails now and then on disk) must not abort the others; the
# report counts failed runs per method, and every method's files are verified below.
hyperfine --style basic -N -i -w "$WARM" -r "$RUNS" --prepare "$prep" --export-json "$W/fast.json" "${fast[@]}"
# --prepare empties the output dirs before each run, so only the last command's dir survives:
# run each once more and verify its files.
echo "== verifying every file (sha256 against the catalogue)" >&2
run_once() {  # run_once NAME: re-run the command with that name (from the hyperfine lists)
  local -a all=("${slow[@]}" "${fast[@]}")
  for ((i = 0; i < ${#all[@]}; i += 3)); do
    [[ "${all[i+1]}" == "$1" ]] && { eval "${all[i+2]}" > /dev/null 2>&1 || true; return; }
  done
}
for entry in "${dirs[@]}"; do
  name=${entry%%|*} dir=${entry#*|}
  eval "$prep"
  run_once "$name"
  verify "$dir" "$name"
done

"$PY" - "$W/slow.json" "$W/fast.json" "$OUT/download$TAG.json" <<'PYEOF'
import json, sys
results = []
for p in sys.argv[1:3]:
    results += json.load(open(p))['results']
json.dump({'results': results}, open(sys.argv[3], 'w'), indent=1)
PYEOF
"$PY" "$BENCH/report_download.py" "$OUT/download$TAG.json" "$N" "$TOTAL_BYTES" "$BW" "$LATENCY_MS" \
  "$W/verify.txt" "$ZFAN_DOWNLOAD" "$OUT/download$TAG.dat" > "$OUT/download$TAG.md"
if command -v gnuplot >/dev/null; then gnuplot -e "results='$OUT'" "$BENCH/plot.gnuplot"; fi
cat "$OUT/download$TAG.md"
