#!/usr/bin/env bash
# Start, stop and list zfan workers on lab machines over ssh. Each remote worker runs in the
# background (nohup), logs to ~/.zfan/ID.log and is tracked by ~/.zfan/ID.pid on its host, where
# ID is HOST-K; ids include the host name, so a home directory shared over NFS is fine.
# With CURVE keys, start copies each host's worker secret key and the master's public key into
# ~/.config/zfan/ on that host (through the ssh session, never on a command line) and starts the
# workers with --curve-secret and --master-key.
set -euo pipefail

readonly PROG=${0##*/}
readonly STOP_WAIT_S=30  # longer than the worker's default --drain-timeout (10 s)
readonly KEY_EOF=ZFAN_KEY_EOF  # ends each key file's here-document in the remote start script

usage() {
  cat <<EOF
Usage: $PROG [options] start|stop|status [-- extra zfan worker options]

Commands:
  start    start the workers on every host of the hosts file (skips ids already running)
  stop     send SIGTERM to them: unstarted tasks go back to the master (BYE), then they exit;
           waits up to ${STOP_WAIT_S} s for each to finish
  status   show which workers run on each host, and the last line of each log

Options:
  -m ENDPOINT  master's endpoint, tcp://HOST:PORT or tcp://[IPv6]:PORT (required for start)
  -f FILE      hosts file: one "host[:slots]" per line, "#" starts a comment
               (default: \$ZFAN_HOSTS or ./hosts). "user@host" is allowed.
               slots = --slots of each worker on that host; absent = the job decides.
  -b PATH      zfan on the remote hosts (default: zfan, found on the remote PATH)
  -n N         workers per host (default: 1)
  -d DIR       directory for pid and log files on the remotes, relative to the remote
               home unless absolute (default: .zfan)
  --dry-run    print the ssh commands instead of running them (key contents are not shown)
  -h, --help   this help

CURVE keys (start needs keys, or --insecure for a master run with --insecure):
  -k, --curve-secret FILE  the workers' secret key (a PREFIX.key_secret of "zfan keygen"),
               the same for every host
  -K, --worker-keys DIR    one key per host instead: DIR/HOST.key_secret for each HOST of the
               hosts file (as written there, without "user@"); better than one shared key
  -M, --master-key FILE    the master's public key (its PREFIX.key)
  --key-dir DIR  where keys go on the remotes, relative to the remote home unless absolute
               (default: .config/zfan): HOST.key_secret (0600) and master-MHOST-MPORT.key (0644)
  --insecure   start workers without keys (plaintext; see deploy/README.md)

ssh:
  -p PORT      ssh port
  -i FILE      ssh identity file (private key)
  -o OPTION    an ssh option, e.g. -o StrictHostKeyChecking=accept-new (repeatable)

Arguments after "--" are added to every worker's command line, for example
  $PROG -m tcp://lab-master:5557 -K keys -M keys/master.key start -- --heartbeat-ms 500
The ssh command is \$ZFAN_SSH (default "ssh"); BatchMode and a connect timeout are always added.

Examples:
  $PROG -m tcp://lab-master:5557 -f hosts -K keys -M keys/master.key -n 2 start
  $PROG -m tcp://lab-master:5557 -f hosts -k keys/worker.key_secret -M keys/master.key start
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

# Remote lines that write one key file atomically (a temporary file, then a rename) with MODE.
# The key travels inside the script on ssh's stdin, never on a command line where other users of
# either machine could read it with ps. --dry-run shows where a key goes, not what it is.
remote_key_install() {
  local file=$1 dest=$2 mode=$3 content
  if ((dry_run)); then
    content="(the contents of $file, not shown)"
  else
    content=$(<"$file")
  fi
  cat <<EOF
tmp=$(shell_quote "$dest").tmp.\$\$
cat >"\$tmp" <<'$KEY_EOF'
$content
$KEY_EOF
chmod $mode "\$tmp" && mv -f "\$tmp" $(shell_quote "$dest") || { rm -f "\$tmp"; exit 1; }
EOF
}

# The master key's file name on the remotes, from the endpoint, so that several masters (each
# with its own key) can share a lab machine: tcp://lab-master:5557 -> master-lab-master-5557.key
master_key_name() {
  local hostport=${endpoint#tcp://} host
  host=${hostport%:*}
  host=${host#[}
  host=${host%]}
  printf 'master-%s-%s.key' "${host//[^A-Za-z0-9._-]/_}" "${hostport##*:}"
}

# The worker secret key file, on this machine, for HOST.
worker_secret_of() {
  if [[ -n $worker_keys_dir ]]; then
    printf '%s' "$worker_keys_dir/$1.key_secret"
  else
    printf '%s' "$worker_secret"
  fi
}

# Remote lines that install HOST's secret key (0600) and the master's public key (0644) in the
# key directory (made 0700 under the start script's umask 077) and set $kd to its absolute path.
remote_keys_script() {
  local host=$1 q_dir
  q_dir=$(shell_quote "$key_dir")
  # shellcheck disable=SC2016  # $(...) runs on the remote
  printf 'mkdir -p %s && kd=$(cd %s && pwd) || exit 1\n' "$q_dir" "$q_dir"
  remote_key_install "$(worker_secret_of "$host")" "$key_dir/$host.key_secret" 600
  remote_key_install "$master_key" "$key_dir/$(master_key_name)" 644
}

# Refuse key files that are missing or mixed up before anything is copied: a worker secret key
# must hold a secret key, and the master's file must be its public half. Copying the master's
# secret to every lab machine would let any of them pose as the master.
check_key_files() {
  local i file
  [[ -r $master_key ]] || die "cannot read the master's public key '$master_key'"
  grep -q '^[[:space:]]*public-key[[:space:]]*=' "$master_key" ||
    die "'$master_key' holds no public-key: give the master's PREFIX.key from 'zfan keygen'"
  if grep -q '^[[:space:]]*secret-key' "$master_key"; then
    die "'$master_key' holds a secret key: give the master's public PREFIX.key, not PREFIX.key_secret"
  fi
  check_heredoc_safe "$master_key"
  for i in "${!host_names[@]}"; do
    file=$(worker_secret_of "${host_names[i]}")
    [[ -r $file ]] || die "cannot read the worker secret key '$file' for ${host_names[i]}" \
      "(make it with: zfan keygen --out ${file%.key_secret})"
    grep -q '^[[:space:]]*secret-key[[:space:]]*=' "$file" ||
      die "'$file' holds no secret-key: give a PREFIX.key_secret from 'zfan keygen'"
    check_heredoc_safe "$file"
  done
}

# A key file goes to the remote inside a here-document: it must not contain its end marker.
check_heredoc_safe() {
  if grep -qx "$KEY_EOF" "$1"; then die "'$1' is not a zfan key file"; fi
}

# Which keys start uses: one worker secret for all hosts or one per host, and the master's public
# key; or none with --insecure. Sets use_keys.
check_key_options() {
  if [[ -n $worker_secret && -n $worker_keys_dir ]]; then
    die "give one of --curve-secret FILE (one key for all hosts) and --worker-keys DIR (one per host)"
  fi
  if ((insecure)); then
    [[ -z $worker_secret$worker_keys_dir$master_key ]] || die "--insecure and keys do not mix"
    return
  fi
  if [[ -z $worker_secret$worker_keys_dir || -z $master_key ]]; then
    die "start needs CURVE keys: the master's public key (-M FILE) and the workers' secret" \
      "key (-k FILE, or -K DIR with DIR/HOST.key_secret per host); or --insecure for a master" \
      "run with --insecure (see deploy/README.md)"
  fi
  use_keys=1
  check_key_files
}

# The remote script that starts workers HOST-1..HOST-N, then checks a second later that each
# is still up. It runs under "sh -s" on the remote, whatever the login shell is there.
remote_start_script() {
  local host=$1 slots=$2 k id keys=""
  local -a cmd
  remote_prelude
  printf 'umask 077\nmkdir -p %s || exit 1\nstarted=""\n' "$(shell_quote "$remote_dir")"
  if ((use_keys)); then
    remote_keys_script "$host"
    # "$kd" is expanded by the remote shell, so the key paths in ps are absolute.
    keys=" --curve-secret \"\$kd\"/$(shell_quote "$host.key_secret")"
    keys+=" --master-key \"\$kd\"/$(shell_quote "$(master_key_name)")"
  fi
  for ((k = 1; k <= workers_per_host; k++)); do
    id="$host-$k"
    cmd=("$zfan_bin" worker "$endpoint" --id "$id")
    [[ -n $slots ]] && cmd+=(--slots "$slots")
    cat <<EOF
pidf=$(shell_quote "$remote_dir/$id.pid"); logf=$(shell_quote "$remote_dir/$id.log")
if [ -f "\$pidf" ] && ours "\$(cat "\$pidf")" $id; then
  echo "$id: already running (pid \$(cat "\$pidf"))"
else
  nohup $(quote_words "${cmd[@]}")$keys${extra_args[*]:+ $(quote_words "${extra_args[@]}")} >>"\$logf" 2>&1 </dev/null &
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
  # ssh keeps the first value it gets for an option: the user's come before our defaults.
  ssh_cmd+=("${ssh_opts[@]}" -o BatchMode=yes -o ConnectTimeout=10 "$dest" sh -s)
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
  ssh_opts=()
  worker_secret="" worker_keys_dir="" master_key="" key_dir=.config/zfan insecure=0 use_keys=0
  local command=""

  while (($# > 0)); do
    case $1 in
      -m) endpoint=${2:?-m needs an endpoint}; shift 2 ;;
      -f) hosts_file=${2:?-f needs a file}; shift 2 ;;
      -b) zfan_bin=${2:?-b needs a path}; shift 2 ;;
      -n) workers_per_host=${2:?-n needs a number}; shift 2 ;;
      -d) remote_dir=${2:?-d needs a directory}; shift 2 ;;
      -k | --curve-secret) worker_secret=${2:?$1 needs a file}; shift 2 ;;
      -K | --worker-keys) worker_keys_dir=${2:?$1 needs a directory}; shift 2 ;;
      -M | --master-key) master_key=${2:?$1 needs a file}; shift 2 ;;
      --key-dir) key_dir=${2:?--key-dir needs a directory}; shift 2 ;;
      --insecure) insecure=1; shift ;;
      -p) [[ ${2:-} =~ ^[0-9]+$ ]] || die "-p wants a port number"; ssh_opts+=(-p "$2"); shift 2 ;;
      -i) ssh_opts+=(-i "${2:?-i needs a file}"); shift 2 ;;
      -o) ssh_opts+=(-o "${2:?-o needs an ssh option}"); shift 2 ;;
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
    local endpoint_re='^tcp://(\[[0-9A-Fa-f:.]+\]|[^]:/[]+):[0-9]+$'
    [[ $endpoint =~ $endpoint_re ]] ||
      die "endpoint '$endpoint' is not tcp://HOST:PORT or tcp://[IPv6]:PORT"
  fi
  read_hosts "$hosts_file"
  if [[ $command == start ]]; then
    check_key_options
  fi

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
