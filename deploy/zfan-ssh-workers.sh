#!/usr/bin/env bash
# Start, stop and list zfan workers on lab machines over ssh. Each remote worker runs in the
# background (nohup), logs to ~/.zfan/ID.log and is tracked by ~/.zfan/ID.pid on its host, where
# ID is HOST-K; ids include the host name, so a home directory shared over NFS is fine.
set -euo pipefail

readonly PROG=${0##*/}
readonly STOP_WAIT_S=30  # longer than the worker's default --drain-timeout (10 s)

usage() {
  cat <<EOF
Usage: $PROG [options] start|stop|status [-- extra zfan worker options]

Commands:
  start    start the workers on every host of the hosts file (skips ids already running)
  stop     send SIGTERM to them: unstarted tasks go back to the master (BYE), then they exit;
           waits up to ${STOP_WAIT_S} s for each to finish
  status   show which workers run on each host, and the last line of each log

Options:
  -m ENDPOINT  master's endpoint, tcp://HOST:PORT (required for start)
  -f FILE      hosts file: one "host[:slots]" per line, "#" starts a comment
               (default: \$ZFAN_HOSTS or ./hosts). "user@host" is allowed.
               slots = --slots of each worker on that host; absent = the job decides.
  -b PATH      zfan on the remote hosts (default: zfan, found on the remote PATH)
  -n N         workers per host (default: 1)
  -d DIR       directory for pid and log files on the remotes, relative to the remote
               home unless absolute (default: .zfan)
  --dry-run    print the ssh commands instead of running them
  -h, --help   this help

Arguments after "--" are added to every worker's command line, for example
  $PROG -m tcp://lab-master:5557 start -- --heartbeat-ms 500
The ssh command is \$ZFAN_SSH (default "ssh"); BatchMode and a connect timeout are always added.

Examples:
  $PROG -m tcp://lab-master:5557 -f hosts -n 2 start
  $PROG -f hosts status
  $PROG -f hosts stop
EOF
}

die() {
  echo "$PROG: $*" >&2
  exit 2
}

# Quote one word for a POSIX shell: plain words stay as they are (readable --dry-run output),
# others go in single quotes with embedded single quotes escaped.
shell_quote() {
  local s=$1
  if [[ $s =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
    printf '%s' "$s"
  else
    printf "'%s'" "${s//\'/\'\\\'\'}"
  fi
}

# Join words into one shell-quoted command line.
quote_words() {
  local out="" word
  for word in "$@"; do
    out+="${out:+ }$(shell_quote "$word")"
  done
  printf '%s' "$out"
}

# Shell functions every remote script starts with. ours PID ID: PID is alive and is the worker
# ID (its command line carries "--id ID"), so a recycled pid is never taken for a worker.
remote_prelude() {
  cat <<'EOF'
ours() {
  kill -0 "$1" 2>/dev/null || return 1
  case " $(ps -p "$1" -o args=) " in *" --id $2 "*) return 0 ;; esac
  return 1
}
rc=0
EOF
}

# The remote script that starts workers HOST-1..HOST-N, then checks a second later that each
# is still up. It runs under "sh -s" on the remote, whatever the login shell is there.
remote_start_script() {
  local host=$1 slots=$2 k id
  local -a cmd
  remote_prelude
  printf 'umask 077\nmkdir -p %s || exit 1\nstarted=""\n' "$(shell_quote "$remote_dir")"
  for ((k = 1; k <= workers_per_host; k++)); do
    id="$host-$k"
    cmd=("$zfan_bin" worker "$endpoint" --id "$id")
    [[ -n $slots ]] && cmd+=(--slots "$slots")
    cmd+=("${extra_args[@]}")
    cat <<EOF
pidf=$(shell_quote "$remote_dir/$id.pid"); logf=$(shell_quote "$remote_dir/$id.log")
if [ -f "\$pidf" ] && ours "\$(cat "\$pidf")" $id; then
  echo "$id: already running (pid \$(cat "\$pidf"))"
else
  nohup $(quote_words "${cmd[@]}") >>"\$logf" 2>&1 </dev/null &
  echo \$! >"\$pidf"; started="\$started $id"
fi
EOF
  done
  cat <<EOF
[ -z "\$started" ] || sleep 1
for id in \$started; do
  pidf=$(shell_quote "$remote_dir")/\$id.pid; logf=$(shell_quote "$remote_dir")/\$id.log
  if ours "\$(cat "\$pidf")" "\$id"; then echo "\$id: started (pid \$(cat "\$pidf"), log \$logf)"
  else echo "\$id: exited at once; last lines of \$logf:"; tail -n 3 "\$logf"; rm -f "\$pidf"; rc=1; fi
done
exit \$rc
EOF
}

# Shared by stop and status: the head of a loop over this host's pid files, setting $pidf, $id,
# $pid and $alive (yes/no). Only HOST-<number> ids match, so host "lab1" never touches the files
# of host "lab1-gpu" in a shared home directory.
remote_pid_loop_head() {
  local host=$1
  cat <<EOF
found=0
for pidf in $(shell_quote "$remote_dir")/$(shell_quote "$host")-*.pid; do
  [ -f "\$pidf" ] || continue
  id=\$(basename "\$pidf" .pid); pid=\$(cat "\$pidf")
  case \${id#$(shell_quote "$host")-} in '' | *[!0-9]*) continue ;; esac
  found=1
  if ours "\$pid" "\$id"; then alive=yes; else alive=no; fi
EOF
}

# The tail of the stop and status scripts: say so when the host had no workers, pass rc back.
remote_finish() {
  echo "[ \$found = 1 ] || echo $(shell_quote "$1: no workers started by $PROG")"
  echo "exit \$rc"
}

# SIGTERM every worker of the host at once, then wait (bounded) for all of them to drain.
remote_stop_script() {
  local host=$1
  remote_prelude
  remote_pid_loop_head "$host"
  cat <<EOF
  if [ \$alive = yes ]; then kill -TERM "\$pid"; stopping="\${stopping:-} \$id"
  else echo "\$id: was not running"; rm -f "\$pidf"; fi
done
waited=0
for id in \${stopping:-}; do
  pidf=$(shell_quote "$remote_dir")/\$id.pid; pid=\$(cat "\$pidf")
  while ours "\$pid" "\$id" && [ \$waited -lt $STOP_WAIT_S ]; do sleep 1; waited=\$((waited + 1)); done
  if ours "\$pid" "\$id"; then echo "\$id: still draining after $STOP_WAIT_S s (pid \$pid)"; rc=1
  else echo "\$id: stopped"; rm -f "\$pidf"; fi
done
EOF
  remote_finish "$host"
}

remote_status_script() {
  local host=$1
  remote_prelude
  remote_pid_loop_head "$host"
  cat <<'EOF'
  logf=${pidf%.pid}.log
  if [ $alive = yes ]; then state="running (pid $pid)"; else state="not running"; rc=1; fi
  echo "$id: $state; last log line: $(tail -n 1 "$logf" 2>/dev/null)"
done
EOF
  remote_finish "$host"
}

# Run (or, with --dry-run, print) one remote script on one ssh destination.
run_remote() {
  local dest=$1 script=$2
  local -a ssh_cmd
  read -r -a ssh_cmd <<<"${ZFAN_SSH:-ssh}"
  ssh_cmd+=(-o BatchMode=yes -o ConnectTimeout=10 "$dest" sh -s)
  if ((dry_run)); then
    printf '%s <<'\''ZFAN_EOF'\''\n%sZFAN_EOF\n\n' "$(quote_words "${ssh_cmd[@]}")" "$script"
    return 0
  fi
  # The script goes in on stdin, which also keeps ssh from eating the hosts file.
  "${ssh_cmd[@]}" <<<"$script"
}

# Parse the hosts file into parallel arrays host_dests (user@host), host_names and host_slots.
read_hosts() {
  local file=$1 line dest slots lineno=0
  [[ -r $file ]] || die "cannot read hosts file '$file' (give one with -f FILE)"
  while IFS= read -r line || [[ -n $line ]]; do
    lineno=$((lineno + 1))
    line=${line%%#*}
    line=${line//[[:space:]]/}
    [[ -z $line ]] && continue
    dest=${line%%:*}
    slots=""
    [[ $line == *:* ]] && slots=${line#*:}
    [[ $dest =~ ^([A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9._-]*$ ]] ||
      die "$file:$lineno: '$dest' is not a host name (use host[:slots] or user@host[:slots])"
    [[ -z $slots || $slots =~ ^[0-9]+$ ]] ||
      die "$file:$lineno: slots '$slots' is not a number"
    host_dests+=("$dest")
    host_names+=("${dest#*@}")
    host_slots+=("$slots")
  done <"$file"
  ((${#host_dests[@]} > 0)) || die "hosts file '$file' lists no hosts"
}

main() {
  endpoint=""
  hosts_file=${ZFAN_HOSTS:-hosts}
  zfan_bin=zfan
  workers_per_host=1
  remote_dir=.zfan
  dry_run=0
  extra_args=()
  host_dests=() host_names=() host_slots=()
  local command=""

  while (($# > 0)); do
    case $1 in
      -m) endpoint=${2:?-m needs an endpoint}; shift 2 ;;
      -f) hosts_file=${2:?-f needs a file}; shift 2 ;;
      -b) zfan_bin=${2:?-b needs a path}; shift 2 ;;
      -n) workers_per_host=${2:?-n needs a number}; shift 2 ;;
      -d) remote_dir=${2:?-d needs a directory}; shift 2 ;;
      --dry-run) dry_run=1; shift ;;
      -h | --help) usage; exit 0 ;;
      --) shift; extra_args=("$@"); break ;;
      start | stop | status)
        [[ -z $command ]] || die "give one command, not '$command' and '$1'"
        command=$1; shift ;;
      *) die "unknown argument '$1' (see $PROG --help)" ;;
    esac
  done
  [[ -n $command ]] || { usage >&2; exit 2; }
  [[ $workers_per_host =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number, not '$workers_per_host'"
  if [[ $command == start ]]; then
    [[ -n $endpoint ]] || die "start needs the master's endpoint: -m tcp://HOST:PORT"
    [[ $endpoint =~ ^tcp://[^:/]+:[0-9]+$ ]] || die "endpoint '$endpoint' is not tcp://HOST:PORT"
  fi
  read_hosts "$hosts_file"

  local i script failed=0
  for i in "${!host_dests[@]}"; do
    case $command in
      start) script=$(remote_start_script "${host_names[i]}" "${host_slots[i]}") ;;
      stop) script=$(remote_stop_script "${host_names[i]}") ;;
      status) script=$(remote_status_script "${host_names[i]}") ;;
    esac
    ((dry_run)) || echo "== ${host_dests[i]}"
    if ! run_remote "${host_dests[i]}" "$script"$'\n'; then
      echo "$PROG: $command failed on ${host_dests[i]}" >&2
      failed=$((failed + 1))
    fi
  done
  if ((failed > 0)); then
    echo "$PROG: $command failed on $failed of ${#host_dests[@]} hosts" >&2
    exit 1
  fi
}

main "$@"
