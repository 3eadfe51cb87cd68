#!/usr/bin/env bash
# Multi-machine test with CURVE: the master and workers on three "hosts" — network namespaces
# this test creates, joined by veth pairs to a bridge, with IPv4 and IPv6 addresses. Listed
# workers get tasks and the sum is exact; an unlisted key, a plaintext worker and a worker that
# expects another master get nothing; the same over IPv6; a worker's link cut mid-job (exact, and
# the worker rejoins when the link returns); SIGHUP removing a key mid-job (exact, without it).
# Exit 77 (skipped) where namespaces cannot be made here.
# Usage: two_hosts_test.sh ZFAN_BINARY
set -euo pipefail
ZFAN=${1:?usage: two_hosts_test.sh ZFAN_BINARY}
ID=$$
NET=10.$((200 + ID % 50)).$((ID % 250)).0  # inside our own namespaces only
NET6=fd00:$(printf %x $((ID % 65536))):  # ULA prefix, inside our own namespaces only
BR=zfbr$ID
HOSTS=("m$ID" "a$ID" "b$ID")
WORK=$(mktemp -d)

cleanup() {
  set +e
  for h in "${HOSTS[@]}"; do
    ip netns pids "$h" 2>/dev/null | xargs -r kill -9
    ip netns del "$h" 2>/dev/null
  done
  ip link del "$BR" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! ip netns add "${HOSTS[0]}" 2>/dev/null; then
  echo "SKIPPED: cannot create network namespaces here (needs root and CAP_SYS_ADMIN)"
  exit 77
fi
ip netns add "${HOSTS[1]}"
ip netns add "${HOSTS[2]}"
ip link add "$BR" type bridge
ip link set "$BR" up
i=1
for h in "${HOSTS[@]}"; do
  ip link add "v$h" type veth peer name eth0 netns "$h"
  ip link set "v$h" master "$BR" up
  ip -n "$h" addr add "${NET%.0}.$i/24" dev eth0
  ip -n "$h" addr add "${NET6}:$i/64" dev eth0 nodad  # no duplicate detection: usable at once
  ip -n "$h" link set eth0 up
  ip -n "$h" link set lo up
  i=$((i + 1))
done
MASTER_IP=${NET%.0}.1
MASTER_IP6=${NET6}:1
PORT=5557

# Keys: the master's, two listed workers', one unlisted, and another master's.
for k in master a b rogue other; do "$ZFAN" keygen --out "$WORK/$k" > "$WORK/$k.pub" 2>/dev/null; done
{ echo "# lab workers"; echo "$(cat "$WORK/a.pub") host-a"; echo "$(cat "$WORK/b.pub") host-b"; } \
  > "$WORK/allowed"

start_worker() {  # host id endpoint [key [master-key]]; a key of "-" = plaintext
  local key=${4:-${2#host-}} master_key=${5:-master} keys=()
  [ "$key" = "-" ] || keys=(--curve-secret "$WORK/$key.key_secret" --master-key "$WORK/$master_key.key")
  ip netns exec "$1" "$ZFAN" worker "$3" --slots 1 --id "$2" --heartbeat-ms 200 ${keys[@]+"${keys[@]}"} \
    > "$WORK/$2.log" 2>&1 &
  disown  # killed with their namespace at the end; no job-control noise
}

run_master() {  # output-file bind extra-args...
  local out=$1 bind=$2
  shift 2
  timeout 120 ip netns exec "${HOSTS[0]}" "$ZFAN" master sum --n 2000000 --chunk 2000 \
    --bind "$bind" --port $PORT --curve-secret "$WORK/master.key_secret" \
    --authorized-workers "$WORK/allowed" --expect-workers 2 --wait-timeout 30 \
    --json "$@" > "$out" 2> "$out.err"
}

expect_sum() {  # json-file [worker-that-must-have-tasks...]
  python3 - "$@" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["result"]["sum"] == "1999999000000", j["result"]
assert j["result"]["verified"] is True
assert j["security"]["curve"] is True
with_tasks = sorted(w["id"] for w in j["workers"] if w["tasks"] > 0)
for needed in sys.argv[2:]:
    assert needed in with_tasks, (needed, with_tasks)
assert set(with_tasks) <= {"host-a", "host-b"}, with_tasks
print("sum exact; workers with tasks:", with_tasks, "dead:", j["dead_workers"],
      "requeued:", j["tasks"]["requeued"], "refused handshakes:", j["security"]["refused"])
PY
}

wait_for_joblog() {  # file pattern count: until `count` lines match, up to 6 s
  for _ in $(seq 1 300); do
    [ -f "$1" ] && [ "$(grep -c "$2" "$1" || true)" -ge "$3" ] && return 0
    sleep 0.02
  done
}

wait_for_log() {  # file pattern: up to 10 s
  for _ in $(seq 1 500); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.02; done
  echo "FAILED: '$2' never appeared in $1"; cat "$1"; return 1
}

EP4="tcp://$MASTER_IP:$PORT"
start_worker "${HOSTS[1]}" host-a "$EP4"
start_worker "${HOSTS[2]}" host-b "$EP4"
start_worker "${HOSTS[2]}" rogue "$EP4" rogue
start_worker "${HOSTS[2]}" plain "$EP4" -
start_worker "${HOSTS[1]}" misled "$EP4" a other

echo "== a CURVE job across three hosts; unlisted, plaintext and misled workers get nothing"
run_master "$WORK/run1.json" 0.0.0.0 --delay-ms 1
expect_sum "$WORK/run1.json" host-a host-b
# -e: a Z85 key may begin with '-'.
grep "refused a worker from" "$WORK/run1.json.err" | grep -qF -e "$(cut -c1-8 "$WORK/rogue.pub")" ||
  { echo "FAILED: the unlisted key's refusal was not logged"; cat "$WORK/run1.json.err"; exit 1; }
grep -q "refused the connection" "$WORK/rogue.log"
grep -q "requires CURVE keys" "$WORK/plain.log"
grep -q "does not hold the key" "$WORK/misled.log"
for w in rogue plain misled; do
  if grep -q "job sum" "$WORK/$w.log"; then echo "FAILED: $w got tasks"; exit 1; fi
done
ip netns pids "${HOSTS[2]}" | xargs -r kill -9  # host-b's extra workers go; host-b restarts
ip netns pids "${HOSTS[1]}" | xargs -r kill -9

echo "== the same over IPv6 (the namespaces' own addresses, master bound to ::)"
EP6="tcp://[$MASTER_IP6]:$PORT"
start_worker "${HOSTS[1]}" host-a "$EP6"
start_worker "${HOSTS[2]}" host-b "$EP6"
run_master "$WORK/run2.json" :: --delay-ms 1
expect_sum "$WORK/run2.json" host-a host-b
ip netns pids "${HOSTS[1]}" | xargs -r kill -9
ip netns pids "${HOSTS[2]}" | xargs -r kill -9
start_worker "${HOSTS[1]}" host-a "$EP4"
start_worker "${HOSTS[2]}" host-b "$EP4"

echo "== host-b cut off from the network mid-job, then reconnected"
run_master "$WORK/run3.json" "$MASTER_IP" --delay-ms 2 --joblog "$WORK/log3.tsv" &
MASTER=$!
wait_for_joblog "$WORK/log3.tsv" $'\tOK\t' 200
ip link set "v${HOSTS[2]}" down
sleep 1.5  # > 3 heartbeats of 200 ms: the master declares host-b dead and requeues its tasks
ip link set "v${HOSTS[2]}" up
wait $MASTER
expect_sum "$WORK/run3.json"
python3 -c "
import json; j = json.load(open('$WORK/run3.json'))
assert 'host-b' in j['dead_workers'], j['dead_workers']
assert j['tasks']['requeued'] >= 1"
echo "== host-b rejoins by itself once its link is back"
run_master "$WORK/run4.json" "$MASTER_IP" --delay-ms 1
expect_sum "$WORK/run4.json" host-a host-b

echo "== SIGHUP removes host-b's key mid-job"
run_master "$WORK/run5.json" "$MASTER_IP" --delay-ms 2 --joblog "$WORK/log5.tsv" &
MASTER=$!
wait_for_joblog "$WORK/log5.tsv" $'\thost-b\t' 50
{ echo "# host-b removed"; echo "$(cat "$WORK/a.pub") host-a"; } > "$WORK/allowed"
ip netns exec "${HOSTS[0]}" pkill -HUP -f "zfan master sum" || true
wait $MASTER || { echo "FAILED: the master exited with $?"; cat "$WORK/run5.json.err"; exit 1; }
expect_sum "$WORK/run5.json" host-a
grep -q "its key was removed" "$WORK/run5.json.err" ||
  { echo "FAILED: the SIGHUP did not remove host-b"; cat "$WORK/run5.json.err"; exit 1; }
wait_for_log "$WORK/host-b.log" "refused the connection"
echo "1 passed, 0 failed"
