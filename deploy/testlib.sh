# Helpers shared by deploy/'s tests (sourced, not run).

# A port P with P..P+COUNT-1 free on loopback (nothing accepts a connection there; COUNT
# defaults to 3, a master's tasks, results and control ports).
# Below the kernel's ephemeral range (32768+ here): a port that the outgoing connections of tests
# running in parallel may take at any moment is not free, even if nothing listens on it.
free_port() {
  local count=${1:-3} p i
  for _ in $(seq 50); do
    p=$((10000 + RANDOM % 22000))
    for ((i = 0; i < count; i++)); do
      (: </dev/tcp/127.0.0.1/$((p + i))) 2>/dev/null && continue 2
    done
    echo "$p"
    return
  done
  return 1
}

# wait_until SECONDS COMMAND...: run COMMAND every 0.2 s until it succeeds; 1 if it never does.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# port_open PORT: something accepts connections on 127.0.0.1:PORT.
port_open() {
  (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null
}

# none_match PATTERN: no process's command line contains PATTERN.
none_match() {
  ! pgrep -f -- "$1" >/dev/null
}

# kill_pids_of PATTERN: SIGTERM, then after up to 10 s SIGKILL, every process whose command line
# contains PATTERN (a path unique to one test run, so only that run's processes match).
kill_pids_of() {
  local pattern=$1 pids
  pids=$(pgrep -f -- "$pattern" || true)
  [[ -n $pids ]] || return 0
  # shellcheck disable=SC2086  # one pid per word
  kill -TERM $pids 2>/dev/null || true
  wait_until 10 none_match "$pattern" || true
  pids=$(pgrep -f -- "$pattern" || true)
  # shellcheck disable=SC2086
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
}

# For the tests against real tools: ctest counts exit 77 as skipped (SKIP_RETURN_CODE).
skip_test() {
  echo "SKIPPED: $*"
  exit 77
}

# The last LINES lines of each LOG that exists: what a failed test shows of its daemons.
tail_logs() {
  local lines=$1 log
  shift
  for log in "$@"; do
    [[ -f $log ]] && { echo "--- last lines of ${log##*/}"; tail -n "$lines" "$log"; }
  done
  return 0
}
