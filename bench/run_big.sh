#!/usr/bin/env bash
# Large files streamed worker → master (issue #14): bodies far larger than a message, in pieces,
# under byte credit. Two cases against the test server's generated /big/<bytes>/<name> bodies
# (no latency; the server makes them at ~2 GB/s while sending), output on tmpfs:
#   many: FILES (100) files of FILE_BYTES (40 MiB) at 128 connections:
#         `curl --parallel --parallel-max 128` vs zfan with 2 external workers × 64 slots
#   huge: one file of HUGE_BYTES (2 GiB), `--max-bytes 4G`: curl vs the same zfan setup.
# Every process runs under `/usr/bin/time -f '%e %M'`: wall time and peak RSS of curl, of the
# master and of each worker separately. RUNS (3) runs per tool, curl and zfan interleaved; the
# table gives the best wall time and the largest peak RSS over the runs. Every zfan run is checked
# file by file: all present, sha256 equal to curl's download of the same name.
# Results: bench/results/big.md (the per-run figures and the environment are in it too).
# usage: bench/run_big.sh
# env:   ZFAN (default build/cli/zfan), HTTPD, WORKDIR (default /tmp/zfan-bench-big), OUT_BASE
#        (where files are downloaded, default /dev/shm/zfan-bench-big-PID), PORT (default 25957:
#        zfan's tasks port; +1, +2 too), RUNS, FILES, FILE_BYTES, HUGE_BYTES, LIMIT_S (timeout of
#        one process, default 120), QUIET_LOAD / QUIET_WAIT_S (lib.sh), RESULT (default
#        bench/results/big.md)
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
source "$BENCH/lib.sh"  # ROOT, ZFAN, HTTPD, PY and the helpers
W="${WORKDIR:-/tmp/zfan-bench-big}"
D="${OUT_BASE:-/dev/shm/zfan-bench-big-$$}"
PORT="${PORT:-25957}"
RUNS="${RUNS:-3}" FILES="${FILES:-100}" FILE_BYTES="${FILE_BYTES:-41943040}"
HUGE_BYTES="${HUGE_BYTES:-2147483648}" LIMIT_S="${LIMIT_S:-120}"
CONNS=128 WORKERS=2 SLOTS=64
RESULT="${RESULT:-$BENCH/results/big.md}"

for tool in curl sha256sum timeout /usr/bin/time "$PY"; do
  command -v "$tool" >/dev/null || { echo "run_big.sh: $tool not found" >&2; exit 2; }
done
for bin in "$ZFAN" "$HTTPD"; do
  [[ -x "$bin" ]] || { echo "run_big.sh: $bin missing; build it: cmake --build build -j2" >&2; exit 2; }
done
# Room for one case's curl and zfan outputs side by side, plus slack.
need_kb=$(( (FILES * FILE_BYTES > HUGE_BYTES ? FILES * FILE_BYTES : HUGE_BYTES) * 2 / 1024 + 1048576 ))
mkdir -p "$D"
avail_kb=$(df -Pk "$D" | awk 'NR == 2 {print $4}')
((avail_kb > need_kb)) || { echo "run_big.sh: $D has ${avail_kb} KB free, needs ${need_kb}" >&2; exit 2; }
rm -rf "$W" && mkdir -p "$W" "$(dirname "$RESULT")"
# Time a private copy: a rebuild of build/cli/zfan during the run must not change (or break) it.
cp "$ZFAN" "$W/zfan" && ZFAN="$W/zfan"
# lib.sh's section() logs the load to $OUT/load.txt: keep that log here, it goes into big.md.
OUT="$W"
record_env "$W/env.txt"

SERVER_PID="" PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM -- "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n "$SERVER_PID" ]] && { kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; }
  rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section "starting the test server"
"$HTTPD" --port 0 --images 1 > "$W/server.out" 2> "$W/server.err" &
SERVER_PID=$!
for _ in $(seq 300); do
  grep -q '^PORT ' "$W/server.out" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$W/server.err" >&2; exit 1; }
  sleep 0.1
done
HPORT=$(awk '/^PORT / {print $2; exit}' "$W/server.out")
[[ -n "$HPORT" ]] || { echo "run_big.sh: the server did not start" >&2; exit 1; }
BASE="http://127.0.0.1:$HPORT"

# "${TIMED[@]}" FILE CMD...: run CMD under /usr/bin/time (bounded by LIMIT_S), "%e %M" into FILE.
# A plain command, not a function, so that `... &` makes $! the timeout process itself (which
# passes a TERM on to time and the command).
TIMED=(timeout -k 5 "$LIMIT_S" /usr/bin/time -f '%e %M' -o)

# run_curl CASE RUN DIR CONFIG: curl --parallel over a config file of url/output pairs.
run_curl() {
  local case=$1 run=$2 dir=$3 config=$4
  rm -rf "$dir" && mkdir -p "$dir"
  "${TIMED[@]}" "$W/$case-curl-$run.time" curl -s --fail --parallel --parallel-max "$CONNS" -K "$config" \
    2> "$W/$case-curl-$run.err" || { echo "run_big.sh: curl failed ($case run $run)" >&2; exit 1; }
}

# run_zfan CASE RUN DIR LINKS [download options...]: the master on PORT, waiting for 2 external
# workers of 64 slots, which it tells to exit at the end; each process timed on its own.
run_zfan() {
  local case=$1 run=$2 dir=$3 links=$4; shift 4
  local master i rc=0
  rm -rf "$dir"
  "${TIMED[@]}" "$W/$case-master-$run.time" "$ZFAN" master -q --port "$PORT" --json download --links "$links" \
    --out "$dir" --expect-workers "$WORKERS" --per-host "$SLOTS" --shutdown-workers "$@" \
    > "$W/$case-master-$run.json" 2> "$W/$case-master-$run.err" &
  master=$!
  PIDS=("$master")
  for ((i = 1; i <= WORKERS; i++)); do
    "${TIMED[@]}" "$W/$case-worker$i-$run.time" "$ZFAN" worker "tcp://127.0.0.1:$PORT" --slots "$SLOTS" \
      > "$W/$case-worker$i-$run.out" 2> "$W/$case-worker$i-$run.err" &
    PIDS+=($!)
  done
  wait "$master" || rc=$?
  for ((i = 1; i < ${#PIDS[@]}; i++)); do wait "${PIDS[i]}" || rc=$((rc ? rc : $?)); done
  PIDS=()
  if ((rc)); then
    echo "run_big.sh: zfan failed ($case run $run, exit $rc); logs in $W/$case-*-$run.*" >&2
    tail -5 "$W/$case-master-$run.err" >&2
    exit 1
  fi
}

# verify CASE RUN DIR: every reference file present in DIR, same sha256, nothing else there.
verify() {
  local case=$1 run=$2 dir=$3 bad n
  bad=$(cd "$dir" && sha256sum -c --quiet "$W/$case.sha256" 2>&1 | wc -l) || true
  n=$(find "$dir" -maxdepth 1 -type f ! -name '.*' | wc -l)
  if [[ "$bad" != 0 || "$n" != "$(wc -l < "$W/$case.sha256")" ]]; then
    echo "run_big.sh: $case run $run: $bad files missing or different, $n files in $dir" >&2
    echo "$case $run FAIL bad=$bad files=$n" >> "$W/verify.txt"
    return 1
  fi
  echo "$case $run OK files=$n" >> "$W/verify.txt"
}
: > "$W/verify.txt"

# bench_case CASE LINKS CURL_CONFIG [zfan download options...]
bench_case() {
  local case=$1 links=$2 config=$3; shift 3
  local run count
  section "$case: curl vs zfan, $RUNS runs each"
  for ((run = 1; run <= RUNS; run++)); do
    run_curl "$case" "$run" "$D/curl" "$config"
    if ((run == 1)); then  # the reference: curl's files, each of the expected size
      count=$(find "$D/curl" -maxdepth 1 -type f -size "${EXPECT_BYTES}c" | wc -l)
      [[ "$count" == "$(grep -c . "$links")" ]] \
        || { echo "run_big.sh: $case: curl wrote $count files of $EXPECT_BYTES bytes" >&2; exit 1; }
      (cd "$D/curl" && find . -maxdepth 1 -type f -printf '%f\n' | sort \
        | xargs -P 2 -n 8 sha256sum > "$W/$case.sha256")
    fi
    rm -rf "$D/curl"  # tmpfs is memory: one tool's files at a time
    run_zfan "$case" "$run" "$D/zfan" "$links" "$@"
    verify "$case" "$run" "$D/zfan" || exit 1
    rm -rf "$D/zfan"
    echo "   run $run: curl $(cut -d' ' -f1 "$W/$case-curl-$run.time") s," \
      "zfan $(cut -d' ' -f1 "$W/$case-master-$run.time") s" >&2
  done
}

# many: FILES × FILE_BYTES
seq -f "$BASE/big/$FILE_BYTES/big-%03g.jpg" 1 "$FILES" > "$W/many.links"
awk -v d="$D/curl" '{n = split($0, p, "/"); print "url = " $0; print "output = " d "/" p[n]}' \
  "$W/many.links" > "$W/many.curl"
EXPECT_BYTES=$FILE_BYTES bench_case many "$W/many.links" "$W/many.curl"

# huge: one HUGE_BYTES file
echo "$BASE/big/$HUGE_BYTES/huge.jpg" > "$W/huge.links"
awk -v d="$D/curl" '{n = split($0, p, "/"); print "url = " $0; print "output = " d "/" p[n]}' \
  "$W/huge.links" > "$W/huge.curl"
EXPECT_BYTES=$HUGE_BYTES bench_case huge "$W/huge.links" "$W/huge.curl" --max-bytes 4G

# The report: best wall time, largest peak RSS over the runs, per process.
"$PY" - "$W" "$RUNS" "$WORKERS" "$FILES" "$FILE_BYTES" "$HUGE_BYTES" > "$RESULT" <<'PYEOF'
import json, os, sys
w, runs, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
files, file_bytes, huge_bytes = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
MIB = 1024 * 1024

def timing(tag):  # (wall s, peak RSS MiB) of one process
    wall, kb = open(os.path.join(w, tag + '.time')).read().split()[-2:]
    return float(wall), int(kb) / 1024

def job(case, run):  # the master's --json: job clock and bytes
    try:
        return json.load(open(os.path.join(w, f'{case}-master-{run}.json')))
    except (OSError, ValueError):
        return {}

cases = [('many', f'{files} × {file_bytes / MIB:g} MiB, 128 connections'),
         ('huge', f'1 × {huge_bytes / MIB:g} MiB, `--max-bytes 4G`')]
verified = {}
for line in open(os.path.join(w, 'verify.txt')):
    case, run, status = line.split()[:3]
    verified.setdefault(case, []).append(status == 'OK')

print('# Large files streamed worker → master (`bench/run_big.sh`)\n')
print(f'Output on tmpfs; zfan: master `--expect-workers {workers} --per-host 64 --shutdown-workers`'
      f' and {workers} external `zfan worker --slots 64`; curl: `curl --parallel --parallel-max 128`.'
      f' Times: best of {runs} runs (wall, `/usr/bin/time`, zfan = the master process from start to'
      ' exit, workers joining included); RSS: largest peak over the runs, per process.'
      ' Targets: zfan ≤ 1.25× curl, master and each worker ≤ 256 MiB.\n')
worker_cols = ' | '.join(f'worker {i} peak MiB' for i in range(1, workers + 1))
print(f'| case | curl s | zfan s | zfan / curl | master peak MiB | {worker_cols} | curl peak MiB | verified |')
print('|---|---|---|---|---|' + '---|' * workers + '---|---|')
details = []
for case, label in cases:
    curl = [timing(f'{case}-curl-{r}') for r in range(1, runs + 1)]
    master = [timing(f'{case}-master-{r}') for r in range(1, runs + 1)]
    ws = [[timing(f'{case}-worker{i}-{r}') for r in range(1, runs + 1)] for i in range(1, workers + 1)]
    c, z = min(t for t, _ in curl), min(t for t, _ in master)
    ratio = z / c
    m_rss = max(m for _, m in master)
    w_rss = [max(m for _, m in wl) for wl in ws]
    ok = verified.get(case, [])
    ver = f'{sum(ok)}/{runs} runs' + (' ✓' if len(ok) == runs and all(ok) else ' ✗')
    time_ok = 'met' if ratio <= 1.25 else '**missed**'
    rss_ok = all(x <= 256 for x in [m_rss] + w_rss)
    print(f'| {label} | {c:.2f} | {z:.2f} | {ratio:.2f} ({time_ok}) | {m_rss:.0f} | '
          + ' | '.join(f'{x:.0f}' for x in w_rss)
          + f' | {max(m for _, m in curl):.0f} | {ver} |')
    details.append(f'- {case}: curl s {", ".join(f"{t:.2f}" for t, _ in curl)}; '
                   f'zfan s {", ".join(f"{t:.2f}" for t, _ in master)} '
                   f'(job clock {", ".join(str(job(case, r).get("elapsed_s", "?")) for r in range(1, runs + 1))}); '
                   f'master MiB {", ".join(f"{m:.0f}" for _, m in master)}; '
                   + '; '.join(f'worker {i + 1} MiB {", ".join(f"{m:.0f}" for _, m in wl)}'
                               for i, wl in enumerate(ws))
                   + f'; RSS ≤ 256 MiB: {"met" if rss_ok else "**missed**"}')
print('\nPer run (in order):\n')
print('\n'.join(details))
print('\nLoad at each section (`lib.sh`):\n\n```')
print(open(os.path.join(w, 'load.txt')).read().rstrip())
print('```\n\nEnvironment:\n\n```')
print(open(os.path.join(w, 'env.txt')).read().rstrip())
print('```')
PYEOF
cat "$RESULT"
