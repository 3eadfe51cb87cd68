#!/usr/bin/env bash
# Multi-machine test: the master and two workers on three "hosts" — network namespaces this test
# creates, joined by veth pairs to a bridge — then a network partition of one worker mid-job.
# Checks the exact sum both times. Exit 77 (skipped) where namespaces cannot be made here.
# Usage: two_hosts_test.sh ZFAN_BINARY
set -euo pipefail
ZFAN=${1:?usage: two_hosts_test.sh ZFAN_BINARY}
ID=$$
NET=10.$((200 + ID % 50)).$((ID % 250)).0  # inside our own namespaces only
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
  ip -n "$h" link set eth0 up
  ip -n "$h" link set lo up
  i=$((i + 1))
done
MASTER_IP=${NET%.0}.1
PORT=5557

start_worker() {  # host id
  ip netns exec "$1" "$ZFAN" worker "tcp://$MASTER_IP:$PORT" --slots 1 --id "$2" \
    --heartbeat-ms 200 -q > "$WORK/$2.log" 2>&1 &
  disown  # killed with their namespace at the end; no job-control noise
}

run_master() {  # output-file extra-args...
  local out=$1
  shift
  timeout 120 ip netns exec "${HOSTS[0]}" "$ZFAN" master sum --n 2000000 --chunk 2000 \
    --bind "$MASTER_IP" --insecure --port $PORT --expect-workers 2 --wait-timeout 30 \
    --json -q "$@" > "$out"
}

expect_sum() {  # json-file
  python3 - "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["result"]["sum"] == "1999999000000", j["result"]
assert j["result"]["verified"] is True
ids = sorted(w["id"] for w in j["workers"] if w["tasks"] > 0)
print("sum exact; workers with tasks:", ids, "dead:", j["dead_workers"],
      "requeued:", j["tasks"]["requeued"])
PY
}

start_worker "${HOSTS[1]}" host-a
start_worker "${HOSTS[2]}" host-b

echo "== a job across three hosts"
run_master "$WORK/run1.json" --delay-ms 1
expect_sum "$WORK/run1.json"
python3 -c "
import json; j = json.load(open('$WORK/run1.json'))
assert all(w['tasks'] > 0 for w in j['workers']), 'both hosts must get tasks'"

echo "== host-b cut off from the network mid-job, then reconnected"
run_master "$WORK/run2.json" --delay-ms 2 --joblog "$WORK/log.tsv" &
MASTER=$!
for _ in $(seq 1 300); do
  [ -f "$WORK/log.tsv" ] && [ "$(grep -c $'\tOK\t' "$WORK/log.tsv" || true)" -ge 200 ] && break
  sleep 0.02
done
ip link set "v${HOSTS[2]}" down
sleep 1.5  # > 3 heartbeats of 200 ms: the master declares host-b dead and requeues its tasks
ip link set "v${HOSTS[2]}" up
wait $MASTER
expect_sum "$WORK/run2.json"
python3 -c "
import json; j = json.load(open('$WORK/run2.json'))
assert 'host-b' in j['dead_workers'], j['dead_workers']
assert j['tasks']['requeued'] >= 1"
echo "1 passed, 0 failed"
