# shellcheck shell=bash
# Shared helpers of the bench scripts (sourced once BENCH is set).

# The paths every script starts from; the environment may override each.
ROOT="$(dirname "$BENCH")"
ZFAN="${ZFAN:-$ROOT/build/cli/zfan}"
HTTPD="${HTTPD:-$ROOT/build/tests/fixtures/zfan-test-httpd}"
PY="${PYTHON:-${PY:-/usr/bin/python3}}"

# The machine is shared: before a section, wait (up to QUIET_WAIT_S, default 180 s) for the
# 1-minute load average to fall below QUIET_LOAD (default 0.7), and log the load it started at,
# so a noisy figure can be recognised as such in results/load.txt.
section() {
  local name=$1 waited=0 load
  echo "== $name" >&2
  while :; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    awk -v l="$load" -v q="${QUIET_LOAD:-0.7}" 'BEGIN { exit !(l < q) }' && break
    ((waited >= ${QUIET_WAIT_S:-180})) && { echo "   still busy (load $load) after ${waited}s; running anyway" >&2; break; }
    sleep 5; waited=$((waited + 5))
  done
  echo "$(date -Is) load=$load waited=${waited}s section=$name" >> "$OUT/load.txt"
}

# Machine, tool versions and the zfan commit, next to the results.
record_env() {
  {
    echo "date: $(date -Is)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "kernel: $(uname -r)"
    echo "zfan: $("$ZFAN" --version 2>&1 | head -1), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty')"
    echo "hyperfine: $(hyperfine --version)"
    command -v primesieve >/dev/null && echo "primesieve: $(primesieve --version | head -1)"
    echo "python: $("$PY" --version 2>&1)"
  } > "$1"
}
