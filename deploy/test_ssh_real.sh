#!/usr/bin/env bash
# deploy/zfan-ssh-workers.sh against a real OpenSSH server: the test starts its own sshd on a
# free loopback port with a throwaway host key and user key, then starts 2 workers with CURVE
# keys through it ("localhost" and "127.0.0.1", one key each, one shared home as with NFS), runs
# a sum job on a master holding its own key and the allowlist, checks the exact sum and that both
# workers did tasks, then status and stop, and that no zfan process of this run is left.
# Usage: deploy/test_ssh_real.sh ZFAN_BINARY
# Exit: 0 passed; 1 failed; 77 skipped (no sshd here, or it cannot run: the line says why).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091  # testlib.sh beside this file
. "$here/testlib.sh"
zfan=${1:?usage: test_ssh_real.sh ZFAN_BINARY}
[[ $zfan == /* ]] || zfan=$(pwd)/$zfan
launcher=$here/zfan-ssh-workers.sh
work=$(mktemp -d /tmp/zfan-ssh-test.XXXXXX)
sshd_pid=""
launch=()

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  set +e
  # The launcher's own stop first (workers found by their pid files), then anything whose
  # command line names $work: the workers' key files, the master's keys, sshd's config.
  ((${#launch[@]} == 0)) || timeout 40 "${launch[@]}" stop >/dev/null 2>&1
  [[ -z $sshd_pid ]] || kill -TERM "$sshd_pid" 2>/dev/null
  kill_pids_of "$work/"
  [[ -z $sshd_pid ]] || wait "$sshd_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  tail_logs 10 "$work"/remote/.zfan/*.log "$work/master.err"
  exit 1
}
pass() { echo "PASS: $*"; }

sshd=$(command -v sshd || echo /usr/sbin/sshd)
[[ -x $sshd ]] || skip_test "no sshd here (Debian: apt-get install openssh-server; scripts/install-deps.sh)"
if ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
  skip_test "no ssh client here (Debian: apt-get install openssh-client)"
fi
user=$(id -un)

# sshd: the privilege separation directory must exist (Debian's unit makes it at boot).
if [[ ! -d /run/sshd ]]; then
  mkdir -m 0755 /run/sshd 2>/dev/null || skip_test "cannot create /run/sshd, which sshd needs"
fi
ssh-keygen -q -t ed25519 -N '' -C zfan-test-host -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -C zfan-test-user -f "$work/user_key"
cp "$work/user_key.pub" "$work/authorized_keys"
ssh_port=$(free_port 1) || fail "no free port for sshd"
# StrictModes off: the test's files live under /tmp, which sshd would refuse as not owned by the
# user. Password and PAM logins off: only the throwaway user key gets in, and only as this user.
cat >"$work/sshd_config" <<EOF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
MaxStartups 20
LogLevel VERBOSE
EOF
"$sshd" -t -f "$work/sshd_config" 2>"$work/sshd-t.log" ||
  skip_test "sshd refuses its configuration here: $(tail -n 2 "$work/sshd-t.log")"
"$sshd" -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!
if ! wait_until 10 port_open "$ssh_port"; then
  kill -0 "$sshd_pid" 2>/dev/null || sshd_pid=""
  skip_test "sshd does not listen on 127.0.0.1:$ssh_port: $(tail -n 3 "$work/sshd.log")"
fi

ssh_opts=(-p "$ssh_port" -i "$work/user_key" -o IdentitiesOnly=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
timeout 20 ssh "${ssh_opts[@]}" -o BatchMode=yes "$user@127.0.0.1" true </dev/null ||
  fail "cannot log in to the test sshd with the user key; sshd log: $(tail -n 5 "$work/sshd.log")"
pass "the test sshd runs on 127.0.0.1:$ssh_port and takes the throwaway user key"

# Keys: the master's pair, one pair per worker host, and the allowlist of the workers' keys.
mkdir -m 700 "$work/keys"
keygen() {  # PREFIX: print the public key (called in $(...): a failure is told on stderr)
  "$zfan" keygen --out "$1" 2>"$work/keygen.err" ||
    { echo "FAIL: zfan keygen: $(cat "$work/keygen.err")" >&2; exit 1; }
}
keygen "$work/keys/master" >/dev/null
printf '# zfan workers allowed to join\n' >"$work/keys/authorized-workers"
for h in localhost 127.0.0.1; do
  public_key=$(keygen "$work/keys/$h")
  printf '%s %s\n' "$public_key" "$h" >>"$work/keys/authorized-workers"
done

port=$(free_port) || fail "no free port for the master"
printf '%s@localhost:1\n%s@127.0.0.1:1\n' "$user" "$user" >"$work/hosts"
remote_home=$work/remote  # both "hosts" share it, as lab machines with NFS homes do
launch=("$launcher" -f "$work/hosts" -p "$ssh_port" -i "$work/user_key" -o IdentitiesOnly=yes
  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
  -d "$remote_home/.zfan" --key-dir "$remote_home/.config/zfan")

out=$(timeout 60 "${launch[@]}" -b "$zfan" -m "tcp://127.0.0.1:$port" -K "$work/keys" \
  -M "$work/keys/master.key" start -- --heartbeat-ms 500 2>&1) || fail "start failed: $out"
[[ $out == *"localhost-1: started"* && $out == *"127.0.0.1-1: started"* ]] ||
  fail "start did not start both workers: $out"
pass "start runs localhost-1 and 127.0.0.1-1 over ssh"

kd=$remote_home/.config/zfan
mode() { stat -c %a "$1"; }
[[ $(mode "$kd") == 700 && $(mode "$kd/localhost.key_secret") == 600 &&
  $(mode "$kd/127.0.0.1.key_secret") == 600 && $(mode "$kd/master-127.0.0.1-$port.key") == 644 ]] ||
  fail "key files on the remote have the wrong modes: $(ls -la "$kd")"
if ! cmp -s "$kd/localhost.key_secret" "$work/keys/localhost.key_secret" ||
  ! cmp -s "$kd/master-127.0.0.1-$port.key" "$work/keys/master.key"; then
  fail "the keys on the remote differ from the ones given"
fi
[[ ! -e $kd/master.key_secret ]] || fail "the master's secret key was copied"
pass "start copies each host's secret key (0600) and the master's public key (0644)"

args=$(ps -eo args)
[[ $args == *"--curve-secret $kd/localhost.key_secret --master-key $kd/master-127.0.0.1-$port.key"* ]] ||
  fail "the workers do not run with their key files: $(grep -- "$kd" <<<"$args")"
secret=$(sed -n 's/^ *secret-key *= *"\(.*\)"/\1/p' "$work/keys/localhost.key_secret")
[[ -n $secret && $args != *"$secret"* ]] || fail "a secret key is visible in ps"
pass "the workers run with --curve-secret and --master-key; no key on any command line"

out=$(timeout 30 "${launch[@]}" status 2>&1) || fail "status failed: $out"
[[ $(grep -c ': running' <<<"$out") == 2 ]] || fail "status does not show 2 running workers: $out"
pass "status shows 2 running workers"

rc=0
timeout 90 "$zfan" master --port "$port" --curve-secret "$work/keys/master.key_secret" \
  --authorized-workers "$work/keys/authorized-workers" --expect-workers 2 --wait-timeout 30 \
  --json -q sum --n 1000000 --chunk 1000 --delay-ms 1 >"$work/job.json" 2>"$work/master.err" || rc=$?
((rc == 0)) || fail "the master exits $rc: $(tail -n 5 "$work/master.err")"
python3 - "$work/job.json" <<'PY' || fail "the job's result is wrong: $(head -c 2000 "$work/job.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["result"]["sum"] == str(1000000 * 999999 // 2), j["result"]
assert j["result"]["verified"] is True, j["result"]
tasks = {w["id"]: w["tasks"] for w in j["workers"]}
assert sorted(tasks) == ["127.0.0.1-1", "localhost-1"], tasks
assert all(n > 0 for n in tasks.values()), tasks
print("sum", j["result"]["sum"], "tasks per worker", tasks)
PY
pass "a CURVE job on the two ssh-started workers: sum = n(n-1)/2, both did tasks"

out=$(timeout 60 "${launch[@]}" stop 2>&1) || fail "stop failed: $out"
[[ $out == *"localhost-1: stopped"* && $out == *"127.0.0.1-1: stopped"* ]] ||
  fail "stop did not stop both workers: $out"
out=$(timeout 30 "${launch[@]}" status 2>&1) || true
[[ $out == *"localhost: no workers started"* && $out == *"127.0.0.1: no workers started"* ]] ||
  fail "status after stop still lists workers: $out"
if pgrep -af -- "$work/" | grep -v sshd; then fail "zfan processes left after stop"; fi
pass "stop ends both workers; no zfan process of this run is left"
echo "deploy/test_ssh_real.sh: all passed"
