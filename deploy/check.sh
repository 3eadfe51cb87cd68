#!/usr/bin/env bash
# Checks of deploy/: lint the scripts, verify the systemd unit, and exercise the ssh launcher
# (--dry-run always; a real start/status/stop through a stand-in ssh, and the Slurm script through
# stand-in srun/scontrol, when a zfan binary is given).
#   deploy/check.sh [path/to/zfan]      (or ZFAN_BIN=path/to/zfan deploy/check.sh)
# Exit: 0 all checks ran and passed; 77 the ones that ran passed but some were skipped (a tool or
# the binary is missing: each skip says why); 1 a check failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
launcher=$here/zfan-ssh-workers.sh
unit=$here/zfan-worker@.service
sbatch_script=$here/slurm-zfan.sbatch
zfan_bin=${1:-${ZFAN_BIN:-}}

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
  for f in "$launcher" "$sbatch_script" "$here/check.sh"; do
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

check_dry_run() {
  cat >"$work/hosts" <<'EOF'
# lab machines
lab1:4
  lab2            # no slots: the job decides
alice@lab3.example.org:8

EOF
  local out rc=0
  # ZFAN_SSH points nowhere: --dry-run must not run ssh.
  out=$(ZFAN_SSH=/nonexistent/ssh "$launcher" -m tcp://lab-master:5557 -f "$work/hosts" \
    -b /opt/zfan/bin/zfan -n 2 --dry-run start -- --heartbeat-ms 500) || rc=$?
  if ((rc == 0)); then pass "--dry-run start exits 0"; else fail "--dry-run start exits $rc"; fi
  local id
  for id in lab1-1 lab1-2 lab2-1 lab2-2 lab3.example.org-1 lab3.example.org-2; do
    expect_in "$out" "/opt/zfan/bin/zfan worker tcp://lab-master:5557 --id $id " \
      "dry run starts $id against the endpoint"
  done
  expect_in "$out" "--id lab1-1 --slots 4 --heartbeat-ms 500" "slots and extra options are passed"
  expect_in "$out" "--id lab3.example.org-2 --slots 8" "user@host:slots gives the slots"
  expect_not_in "$out" "--id lab2-1 --slots" "a host without :slots gets no --slots"
  expect_in "$out" "/nonexistent/ssh -o BatchMode=yes -o ConnectTimeout=10 alice@lab3.example.org sh -s" \
    "dry run prints the ssh command for user@host"
  expect_in "$out" "nohup " "workers start in the background with nohup"
  expect_not_in "$out" "comment" "comments in the hosts file are ignored"

  out=$(ZFAN_SSH=/nonexistent/ssh "$launcher" -f "$work/hosts" --dry-run stop) || rc=$?
  expect_in "$out" "kill -TERM" "dry run stop sends SIGTERM"

  printf 'lab1:x\n' >"$work/bad-hosts"
  rc=0
  "$launcher" -m tcp://m:1 -f "$work/bad-hosts" --dry-run start >/dev/null 2>&1 || rc=$?
  if ((rc == 2)); then pass "bad slots are refused"; else fail "bad slots: exit $rc, want 2"; fi
  rc=0
  "$launcher" -f "$work/hosts" --dry-run start >/dev/null 2>&1 || rc=$?
  if ((rc == 2)); then pass "start without -m is refused"; else fail "start without -m: exit $rc"; fi
}

# A port P with P..P+2 free on loopback (nothing accepts a connection there).
# Below the kernel's ephemeral range (32768+ here): a port that the outgoing connections of tests
# running in parallel may take at any moment is not free, even if nothing listens on it.
free_port() {
  local p i
  for _ in $(seq 50); do
    p=$((10000 + RANDOM % 22000))
    for i in 0 1 2; do
      (: </dev/tcp/127.0.0.1/$((p + i))) 2>/dev/null && continue 2
    done
    echo "$p"
    return
  done
  return 1
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

  out=$("${launch[@]}" -m "tcp://127.0.0.1:$port" -b "$zfan_bin" -n 2 start 2>&1) || rc=$?
  expect_in "$out" "lab1-gpu-2: started" "local start runs the workers"
  out=$("${launch[@]}" status 2>&1) || rc=$?
  expect_in "$out" "lab1-1: running" "status sees lab1-1 running"
  expect_not_in "$out" "not running" "status sees every worker running"

  rc=0
  out=$(timeout 60 "$zfan_bin" master --port "$port" --expect-workers 4 --wait-timeout 20 \
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
  out=$(PATH="$work/slurm:$PATH" SLURM_JOB_ID=4242 SLURM_JOB_NODELIST='node[1-3]' \
    ZFAN="$zfan_bin" ZFAN_PORT="$port" ZFAN_BIND=127.0.0.1 ZFAN_MASTER_HOST=127.0.0.1 \
    ZFAN_WAIT_TIMEOUT=20 timeout 90 bash "$sbatch_script" --json sum --n 100000 --chunk 1000 \
    2>"$work/slurm.err") || rc=$?
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
  check_local_run
  check_slurm
else
  skip "no zfan binary given (deploy/check.sh path/to/zfan): local launcher and Slurm runs not done"
fi

echo "deploy/check.sh: $failures failed, $skips skipped"
((failures == 0)) || exit 1
((skips == 0)) || exit 77
exit 0
