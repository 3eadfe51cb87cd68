#!/usr/bin/env bash
# Checks of deploy/: lint the scripts, verify the systemd unit, and exercise the ssh launcher
# (--dry-run always, with CURVE key files and without; a real start/status/stop with keys through
# a stand-in ssh, and the Slurm script with keys through stand-in srun/scontrol, when a zfan
# binary is given). The launchers against the real ssh and Slurm: test_ssh_real.sh and
# test_slurm_real.sh.
#   deploy/check.sh [path/to/zfan]      (or ZFAN_BIN=path/to/zfan deploy/check.sh)
# Exit: 0 all checks ran and passed; 77 the ones that ran passed but some were skipped (a tool or
# the binary is missing: each skip says why); 1 a check failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
launcher=$here/zfan-ssh-workers.sh
unit=$here/zfan-worker@.service
sbatch_script=$here/slurm-zfan.sbatch
zfan_bin=${1:-${ZFAN_BIN:-}}

# shellcheck disable=SC1091  # testlib.sh beside this file: free_port
. "$here/testlib.sh"

failures=0
skips=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
skip() { echo "SKIP: $*"; skips=$((skips + 1)); }

work=$(mktemp -d)
ports=()  # master ports of this run: a worker of ours is "zfan worker tcp://127.0.0.1:PORT ..."
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  # Stop any worker a failed check left behind: only ours, found by this run's random ports.
  local port pid
  for port in "${ports[@]}"; do
    for pid in $(pgrep -f -- "zfan worker tcp://127.0.0.1:$port( |\$)" || true); do
      kill -TERM "$pid" 2>/dev/null || true
    done
  done
  rm -rf "$work"
}
trap cleanup EXIT

# expect_in TEXT NEEDLE WHAT: fail unless NEEDLE occurs in TEXT.
expect_in() {
  if [[ $1 == *"$2"* ]]; then pass "$3"; else fail "$3 (no '$2' in the output)"; fi
}
expect_not_in() {
  if [[ $1 != *"$2"* ]]; then pass "$3"; else fail "$3 (unexpected '$2' in the output)"; fi
}

check_shellcheck() {
  if ! command -v shellcheck >/dev/null; then
    skip "shellcheck not installed (apt-get install shellcheck)"
    return
  fi
  local f
  for f in "$launcher" "$sbatch_script" "$here/check.sh" "$here/testlib.sh" \
    "$here/test_ssh_real.sh" "$here/test_slurm_real.sh"; do
    if shellcheck -s bash "$f"; then pass "shellcheck ${f##*/}"; else fail "shellcheck ${f##*/}"; fi
  done
}

# systemd-analyze verify exits 0 even on unknown keys, so any output counts as a failure. It
# also insists that ExecStart's binary exists: point it at one that does.
check_unit() {
  if ! command -v systemd-analyze >/dev/null; then
    skip "systemd-analyze not installed: zfan-worker@.service not verified"
    return
  fi
  local exe=/usr/local/bin/zfan
  [[ -x $exe ]] || exe=${zfan_bin:-/bin/true}
  [[ $exe == /* ]] || exe=$(pwd)/$exe
  mkdir -p "$work/unit"
  sed "s#/usr/local/bin/zfan#$exe#" "$unit" >"$work/unit/zfan-worker@.service"
  local out rc=0
  out=$(systemd-analyze verify "$work/unit/zfan-worker@.service" 2>&1) || rc=$?
  if ((rc == 0)) && [[ -z $out ]]; then
    pass "systemd-analyze verify zfan-worker@.service"
  else
    fail "systemd-analyze verify zfan-worker@.service (exit $rc): $out"
  fi
}

# fake_key PREFIX: a key pair in czmq's certificate layout, as "zfan keygen" writes it (the dry
# run only reads which keys a file holds; these values are not valid keys).
fake_key() {
  printf '#   ZeroMQ CURVE Public Certificate\nmetadata\ncurve\n    public-key = "%s"\n' \
    "PUBLIC-${1##*/}" >"$1.key"
  printf '#   ZeroMQ CURVE **Secret** Certificate\nmetadata\ncurve\n    public-key = "%s"\n    secret-key = "%s"\n' \
    "PUBLIC-${1##*/}" "SECRET-${1##*/}" >"$1.key_secret"
  chmod 600 "$1.key_secret"
}

# expect_exit WANT WHAT COMMAND...: COMMAND (output discarded) exits WANT.
expect_exit() {
  local want=$1 what=$2 rc=0
  shift 2
  "$@" >/dev/null 2>&1 || rc=$?
  if ((rc == want)); then pass "$what"; else fail "$what (exit $rc, want $want)"; fi
}

check_dry_run() {
  cat >"$work/hosts" <<'EOF'
# lab machines
lab1:4
  lab2            # no slots: the job decides
alice@lab3.example.org:8

EOF
  mkdir -p "$work/dry-keys"
  local h
  for h in master lab1 lab2 lab3.example.org shared; do fake_key "$work/dry-keys/$h"; done
  local out rc=0
  # ZFAN_SSH points nowhere: --dry-run must not run ssh.
  out=$(ZFAN_SSH=/nonexistent/ssh "$launcher" -m tcp://lab-master:5557 -f "$work/hosts" \
    -b /opt/zfan/bin/zfan -n 2 -K "$work/dry-keys" -M "$work/dry-keys/master.key" \
    --dry-run start -- --heartbeat-ms 500) || rc=$?
  if ((rc == 0)); then pass "--dry-run start exits 0"; else fail "--dry-run start exits $rc"; fi
  local id
  for id in lab1-1 lab1-2 lab2-1 lab2-2 lab3.example.org-1 lab3.example.org-2; do
    expect_in "$out" "/opt/zfan/bin/zfan worker tcp://lab-master:5557 --id $id " \
      "dry run starts $id against the endpoint"
  done
  # shellcheck disable=SC2016  # "$kd" is expanded on the remote
  expect_in "$out" '--id lab1-1 --slots 4 --curve-secret "$kd"/lab1.key_secret --master-key "$kd"/master-lab-master-5557.key --heartbeat-ms 500' \
    "slots, each host's key, the master's key and extra options are passed"
  expect_in "$out" "--id lab3.example.org-2 --slots 8 --curve-secret" "user@host:slots gives the slots"
  expect_not_in "$out" "--id lab2-1 --slots" "a host without :slots gets no --slots"
  expect_in "$out" "mv -f \"\$tmp\" .config/zfan/lab2.key_secret" "lab2's key goes to ~/.config/zfan"
  expect_in "$out" "chmod 600" "secret keys are installed 0600"
  expect_in "$out" "chmod 644 \"\$tmp\" && mv -f \"\$tmp\" .config/zfan/master-lab-master-5557.key" \
    "the master's public key is installed 0644"
  expect_not_in "$out" "SECRET-" "--dry-run shows no secret key"
  expect_not_in "$out" "master.key_secret" "the master's secret key goes nowhere"
  expect_in "$out" "/nonexistent/ssh -o BatchMode=yes -o ConnectTimeout=10 alice@lab3.example.org sh -s" \
    "dry run prints the ssh command for user@host"
  expect_in "$out" "nohup " "workers start in the background with nohup"
  expect_not_in "$out" "comment" "comments in the hosts file are ignored"

  out=$(ZFAN_SSH=/nonexistent/ssh "$launcher" -m 'tcp://[fd00::1]:6000' -f "$work/hosts" \
    -k "$work/dry-keys/shared.key_secret" -M "$work/dry-keys/master.key" -p 2222 -i /id \
    -o StrictHostKeyChecking=accept-new --key-dir /etc/zfan-keys --dry-run start) || rc=$?
  expect_in "$out" "/nonexistent/ssh -p 2222 -i /id -o StrictHostKeyChecking=accept-new -o BatchMode=yes" \
    "-p, -i and -o reach ssh, before the defaults"
  expect_in "$out" "(the contents of $work/dry-keys/shared.key_secret, not shown)" \
    "-k gives every host the one shared key"
  expect_in "$out" "/etc/zfan-keys/master-fd00__1-6000.key" "--key-dir and an IPv6 endpoint"
  out=$(ZFAN_SSH=/nonexistent/ssh "$launcher" -m tcp://lab-master:5557 -f "$work/hosts" \
    --insecure --dry-run start) || rc=$?
  expect_not_in "$out" "--curve-secret" "--insecure starts workers without keys"

  out=$(ZFAN_SSH=/nonexistent/ssh "$launcher" -f "$work/hosts" --dry-run stop) || rc=$?
  expect_in "$out" "kill -TERM" "dry run stop sends SIGTERM"

  local -a dry=("$launcher" -m tcp://m:1 -f "$work/hosts" --dry-run)
  local keys=$work/dry-keys
  printf 'lab1:x\n' >"$work/bad-hosts"
  expect_exit 2 "bad slots are refused" "$launcher" -m tcp://m:1 -f "$work/bad-hosts" --insecure \
    --dry-run start
  expect_exit 2 "start without -m is refused" "$launcher" -f "$work/hosts" --insecure --dry-run start
  expect_exit 2 "start without keys or --insecure is refused" "${dry[@]}" start
  expect_exit 2 "start without the master's key is refused" "${dry[@]}" -K "$keys" start
  expect_exit 2 "the master's secret key as -M is refused" "${dry[@]}" -K "$keys" \
    -M "$keys/master.key_secret" start
  expect_exit 2 "a public key as the worker secret is refused" "${dry[@]}" -k "$keys/lab1.key" \
    -M "$keys/master.key" start
  expect_exit 2 "-k and -K together are refused" "${dry[@]}" -k "$keys/shared.key_secret" \
    -K "$keys" -M "$keys/master.key" start
  expect_exit 2 "keys with --insecure are refused" "${dry[@]}" -K "$keys" -M "$keys/master.key" \
    --insecure start
  printf 'lab1\nlab9\n' >"$work/hosts-missing-key"
  expect_exit 2 "a host without its key in -K DIR is refused" "$launcher" -m tcp://m:1 \
    -f "$work/hosts-missing-key" -K "$keys" -M "$keys/master.key" --dry-run start
}

# CURVE keys for the runs below, laid out as the Slurm script's ZFAN_KEYS wants them: the
# master's pair, one worker pair, and the allowlist with that worker's public key.
make_keys() {
  mkdir -m 700 "$work/keys"
  "$zfan_bin" keygen --out "$work/keys/master" >/dev/null 2>"$work/keygen.err" &&
    printf '%s workers\n' "$("$zfan_bin" keygen --out "$work/keys/worker" 2>"$work/keygen.err")" \
      >"$work/keys/authorized-workers"
}

# The launcher for real, with a stand-in ssh that runs the remote script here in a fake home;
# two "hosts" share that home, as lab machines with NFS homes do.
check_local_run() {
  mkdir -p "$work/home" "$work/bin"
  cat >"$work/bin/fake-ssh" <<EOF
#!/bin/sh
# stand-in for ssh: ignore the destination, run the script (stdin) here
cd "$work/home" && exec sh -s
EOF
  chmod +x "$work/bin/fake-ssh"
  printf 'lab1:1\nlab1-gpu:1\n' >"$work/local-hosts"
  local port out rc=0
  port=$(free_port) || { fail "no free port for the local run"; return; }
  ports+=("$port")
  local -a launch=(env ZFAN_SSH="$work/bin/fake-ssh" "$launcher" -f "$work/local-hosts")
  local keys=$work/keys  # from make_keys: one worker key shared by both hosts here (-k)

  out=$("${launch[@]}" -m "tcp://127.0.0.1:$port" -b "$zfan_bin" -n 2 \
    -k "$keys/worker.key_secret" -M "$keys/master.key" start 2>&1) || rc=$?
  expect_in "$out" "lab1-gpu-2: started" "local start runs the workers"
  if [[ $(stat -c %a "$work/home/.config/zfan/lab1-gpu.key_secret" 2>/dev/null) == 600 ]] &&
    cmp -s "$work/home/.config/zfan/lab1-gpu.key_secret" "$keys/worker.key_secret" &&
    cmp -s "$work/home/.config/zfan/master-127.0.0.1-$port.key" "$keys/master.key"; then
    pass "start installs the worker key (0600) and the master key in ~/.config/zfan"
  else
    fail "start installs the keys: $(ls -la "$work/home/.config/zfan" 2>&1)"
  fi
  out=$("${launch[@]}" status 2>&1) || rc=$?
  expect_in "$out" "lab1-1: running" "status sees lab1-1 running"
  expect_not_in "$out" "not running" "status sees every worker running"

  rc=0
  out=$(timeout 60 "$zfan_bin" master --port "$port" --curve-secret "$keys/master.key_secret" \
    --authorized-workers "$keys/authorized-workers" --expect-workers 4 --wait-timeout 20 \
    --json sum --n 100000 --chunk 1000 2>"$work/local-master.err") || rc=$?
  if [[ $out == *'"verified":true'* ]]; then pass "a job runs on the launched workers"; else
    fail "a job runs on the launched workers (master exit $rc: $(tail -n 3 "$work/local-master.err"))"
  fi
  expect_in "$out" '"id":"lab1-gpu-2"' "the master sees the launcher's ids"

  out=$("${launch[@]}" stop 2>&1) || true
  expect_in "$out" "lab1-2: stopped" "stop ends lab1's workers"
  expect_in "$out" "lab1-gpu-1: stopped" "stop ends lab1-gpu's workers"
  out=$("${launch[@]}" status 2>&1) || true
  expect_in "$out" "lab1: no workers started" "after stop no worker is left"
}

# The Slurm script with stand-in scontrol and srun: 3 "nodes", so 2 workers and --expect-workers 2.
check_slurm() {
  mkdir -p "$work/slurm"
  cat >"$work/slurm/scontrol" <<'EOF'
#!/bin/sh
# stand-in for "scontrol show hostnames LIST"
printf '%s\n' node1 node2 node3
EOF
  cat >"$work/slurm/srun" <<'EOF'
#!/usr/bin/env bash
# stand-in for srun: run --ntasks copies of the command here, SLURM_PROCID 0..N-1
n=1
while [[ $1 == -* ]]; do
  case $1 in --ntasks=*) n=${1#*=} ;; esac
  shift
done
pids=()
for ((i = 0; i < n; i++)); do SLURM_PROCID=$i "$@" & pids+=($!); done
trap 'kill -TERM "${pids[@]}" 2>/dev/null' TERM
wait
wait
EOF
  chmod +x "$work/slurm/scontrol" "$work/slurm/srun"
  local port out rc=0
  port=$(free_port) || { fail "no free port for the Slurm run"; return; }
  ports+=("$port")
  local -a slurm_env=(env PATH="$work/slurm:$PATH" SLURM_JOB_ID=4242 SLURM_JOB_NODELIST='node[1-3]'
    ZFAN="$zfan_bin" ZFAN_PORT="$port" ZFAN_BIND=127.0.0.1 ZFAN_MASTER_HOST=127.0.0.1
    ZFAN_WAIT_TIMEOUT=20)
  out=$("${slurm_env[@]}" timeout 20 bash "$sbatch_script" sum --n 10 2>&1) || rc=$?
  if ((rc == 2)) && [[ $out == *"CURVE keys needed"* ]]; then
    pass "the Slurm script refuses to run without keys"
  else
    fail "the Slurm script without keys: exit $rc, $out"
  fi
  rc=0
  out=$("${slurm_env[@]}" ZFAN_KEYS="$work/keys" timeout 90 bash "$sbatch_script" \
    --json sum --n 100000 --chunk 1000 2>"$work/slurm.err") || rc=$?
  if ((rc == 0)); then pass "the Slurm script exits 0"; else
    fail "the Slurm script exits $rc: $(tail -n 5 "$work/slurm.err")"
  fi
  expect_in "$out" '"verified":true' "the Slurm script runs the job"
  # Worker ids as the summary prints them, one per line, whatever the key order.
  local ids
  ids=$(grep -o '"id":"[^"]*"' <<<"$out" || true)
  expect_in "$ids" '-1"' "the Slurm workers are named HOST-PROCID"
  expect_not_in "$ids" '-2"' "the Slurm script starts nodes-1 workers"
}

check_shellcheck
check_unit
check_dry_run
if [[ -n $zfan_bin && -x $zfan_bin ]]; then
  [[ $zfan_bin == /* ]] || zfan_bin=$(pwd)/$zfan_bin
  if make_keys; then
    pass "zfan keygen makes the keys"
    check_local_run
    check_slurm
  else
    fail "zfan keygen cannot make the keys ($(cat "$work/keygen.err")): local launcher and Slurm runs not done"
  fi
else
  skip "no zfan binary given (deploy/check.sh path/to/zfan): local launcher and Slurm runs not done"
fi

echo "deploy/check.sh: $failures failed, $skips skipped"
((failures == 0)) || exit 1
((skips == 0)) || exit 77
exit 0
