#!/usr/bin/env bash
# deploy/slurm-zfan.sbatch on a real one-node Slurm that the test starts itself: munged (as the
# munge user, with a fresh key and its own socket), slurmctld and slurmd (its own ports, state
# and spool in a temporary directory, proctrack/linuxproc, task/none, this machine's short host
# name with CPUs=2). It submits the script with CURVE keys (ZFAN_KEYS) and 3 workers on the node
# (--overcommit: more tasks than CPUs), waits for the job, and checks the exact sum and that the
# 3 workers joined. Every daemon and job it started is stopped on exit.
# Usage: deploy/test_slurm_real.sh ZFAN_BINARY
# Exit: 0 passed; 1 failed; 77 skipped (Slurm or munge missing or unable to run: the line says why).
# Job ids start at a random FirstJobId: cleaning up "slurmstepd: [ID." never hits a job of another
# run of this test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091  # testlib.sh beside this file
. "$here/testlib.sh"
zfan=${1:?usage: test_slurm_real.sh ZFAN_BINARY}
[[ $zfan == /* ]] || zfan=$(pwd)/$zfan
work=$(mktemp -d /tmp/zfan-slurm-test.XXXXXX)
daemon_pids=()  # munged, slurmctld, slurmd: each started in the foreground (-F / -D) in background
job_id=""
export SLURM_CONF=$work/slurm/slurm.conf

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  set +e
  if [[ -n $job_id ]]; then
    timeout 10 scancel "$job_id" 2>/dev/null
    wait_until 15 none_match "^slurmstepd: \[$job_id\."
    pkill -KILL -f "^slurmstepd: \[$job_id\." 2>/dev/null
  fi
  kill_pids_of "$work/"  # the job's zfan master and workers: their command lines name $work
  local i
  for ((i = ${#daemon_pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${daemon_pids[i]}" 2>/dev/null
    timeout 15 tail --pid="${daemon_pids[i]}" -f /dev/null 2>/dev/null
    kill -KILL "${daemon_pids[i]}" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  tail_logs 15 "$work"/munge/munged.log "$work"/slurm/slurmctld.log "$work"/slurm/slurmd.log
  exit 1
}
pass() { echo "PASS: $*"; }

for tool in munged munge unmunge slurmctld slurmd sbatch sinfo scancel squeue setpriv; do
  command -v "$tool" >/dev/null ||
    skip_test "$tool not found (Debian: apt-get install slurm-wlm munge; scripts/install-deps.sh)"
done
(($(id -u) == 0)) || skip_test "starting slurmd and munged as another user needs root"
id munge >/dev/null 2>&1 || skip_test "no munge user (the munge package creates it)"
node=$(hostname -s)

# munged runs as the munge user and insists that its key, socket and log directories belong to
# it and are not writable by others.
chmod 711 "$work"
mkdir -m 755 "$work/munge"  # the socket in it must be reachable by every user
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 600 "$work/munge/munge.key"
chown -R munge:munge "$work/munge"
socket=$work/munge/munge.socket
setpriv --reuid=munge --regid=munge --init-groups -- munged -F --key-file="$work/munge/munge.key" \
  --socket="$socket" --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" \
  --seed-file="$work/munge/munged.seed" 2>"$work/munged.err" &
daemon_pids+=($!)
munge_ok() { munge -n -S "$socket" 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1; }
if ! wait_until 10 munge_ok; then
  skip_test "munged does not run here: $(tail -n 3 "$work/munged.err" "$work/munge/munged.log" 2>/dev/null)"
fi
pass "munged runs as the munge user on $socket"

ctld_port=$(free_port 1) || fail "no free port for slurmctld"
slurmd_port=$(free_port 1) || fail "no free port for slurmd"
[[ $ctld_port != "$slurmd_port" ]] || fail "the same free port twice"
mkdir -p "$work/slurm/state" "$work/slurm/spool"
cat >"$SLURM_CONF" <<EOF
ClusterName=zfantest
FirstJobId=$(((RANDOM % 60000 + 1) * 1000))
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$work/slurm/state
SlurmdSpoolDir=$work/slurm/spool
SlurmctldPidFile=$work/slurm/slurmctld.pid
SlurmdPidFile=$work/slurm/slurmd.pid
SlurmctldLogFile=$work/slurm/slurmctld.log
SlurmdLogFile=$work/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmdTimeout=30
NodeName=$node NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 &
daemon_pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$node" >"$work/slurmd.out" 2>&1 &
daemon_pids+=($!)
node_idle() { [[ $(sinfo -h -N -n "$node" -o %T 2>/dev/null) == idle ]]; }
if ! wait_until 30 node_idle; then
  for pid in "${daemon_pids[@]:1}"; do
    kill -0 "$pid" 2>/dev/null ||
      skip_test "a Slurm daemon exits at once here: $(tail -n 5 "$work/slurmctld.out" "$work/slurmd.out")"
  done
  fail "node $node is not idle after 30 s: $(sinfo -N 2>&1)"
fi
pass "slurmctld and slurmd run; node $node is idle in partition debug"

# The keys, as a user would lay them out for the script (ZFAN_KEYS): the master's pair, one
# worker pair shared by the job's workers, and the allowlist holding that worker key.
keys=$work/keys
mkdir -m 700 "$keys"
keygen() {  # PREFIX: print the public key (called in $(...): a failure is told on stderr)
  "$zfan" keygen --out "$1" 2>"$work/keygen.err" ||
    { echo "FAIL: zfan keygen: $(cat "$work/keygen.err")" >&2; exit 1; }
}
keygen "$keys/master" >/dev/null
public_key=$(keygen "$keys/worker")
printf '%s slurm-workers\n' "$public_key" >"$keys/authorized-workers"

port=$(free_port) || fail "no free port for the master"
# The node's name may resolve to a non-loopback address: bind and connect on 127.0.0.1 only.
# sbatch --wait ends with the job; it runs in the background so that the trap can cancel the
# job (its id is the first line sbatch --parsable prints) if the test is stopped.
rc=0
ZFAN="$zfan" ZFAN_KEYS="$keys" ZFAN_PORT="$port" ZFAN_BIND=127.0.0.1 \
  ZFAN_MASTER_HOST=127.0.0.1 ZFAN_WAIT_TIMEOUT=60 \
  sbatch --wait --parsable --nodes=1 --ntasks=3 --overcommit --time=5 --chdir="$work" \
  --output="$work/job.out" --error="$work/job.err" "$here/slurm-zfan.sbatch" \
  --json -q sum --n 1000000 --chunk 1000 --delay-ms 1 >"$work/sbatch.out" 2>"$work/sbatch.err" &
sbatch_pid=$!
got_id() { [[ -s $work/sbatch.out ]]; }
wait_until 20 got_id || fail "sbatch gives no job id: $(cat "$work/sbatch.err")"
job_id=$(head -n 1 "$work/sbatch.out")
job_id=${job_id%%;*}
echo "submitted job $job_id"
if ! timeout 150 tail --pid="$sbatch_pid" -f /dev/null; then
  fail "job $job_id still runs after 150 s: $(squeue 2>&1)"
fi
wait "$sbatch_pid" || rc=$?
((rc == 0)) || fail "job $job_id exits $rc; sbatch: $(cat "$work/sbatch.err"); the job's stderr: $(tail -n 15 "$work/job.err")"
python3 - "$work/job.out" "$node" <<'PY' || fail "the job's result is wrong: $(head -c 2000 "$work/job.out"); stderr: $(tail -n 10 "$work/job.err")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["result"]["sum"] == str(1000000 * 999999 // 2), j["result"]
assert j["result"]["verified"] is True, j["result"]
ids = sorted(w["id"] for w in j["workers"])
assert ids == [f"{sys.argv[2]}-{i}" for i in range(3)], ids
print("sum", j["result"]["sum"], "workers", ids)
PY
pass "sbatch runs slurm-zfan.sbatch with CURVE keys: 3 workers joined, sum = n(n-1)/2"
# The master and the workers name the key files on their command lines.
wait_until 10 none_match "$keys/" || fail "zfan processes left after the job: $(pgrep -af -- "$keys/")"
pass "no zfan process of the job is left"
echo "deploy/test_slurm_real.sh: all passed"
