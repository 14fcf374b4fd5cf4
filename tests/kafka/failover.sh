#!/usr/bin/env bash
# Fail-over smoke test on the 3-node cluster started by scripts/kafka (replication 3, min.insync.replicas=2):
#   1. kcat produces a first half (acks=all) to a 3-partition topic;
#   2. the leader of partition 0 is killed with SIGKILL (scripts/kafka kill);
#   3. kcat produces the second half with acks=all: must succeed, 2 replicas are still in sync, and partition 0 must
#      get a new leader;
#   4. Kafka's ConsoleConsumer reads everything back, compared with what was sent;
#   5. the node is restarted and must rejoin the ISR of every partition.
# The killed node is restarted even when the test fails, so later tests find 3 brokers again.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kafka=$repo/scripts/kafka
bootstrap=${KAFKIO_BOOTSTRAP:-$("$kafka" bootstrap)}
export KAFKIO_BOOTSTRAP=$bootstrap
fail() { echo "FAIL: $*" >&2; exit 1; }

"$kafka" status >/dev/null 2>&1 && [ "$("$kafka" status | wc -l)" -eq 3 ] ||
  fail "needs the 3-node cluster of scripts/kafka (scripts/kafka start --nodes 3), it kills and restarts nodes"

topic="kafkio-smoke-failover-$(date +%s)-$$-$RANDOM"
work=$(mktemp -d)
victim=""  # set while a node is down, so that cleanup brings it back
cleanup() {
  [ -z "$victim" ] || "$kafka" restart "$victim" >&2 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$kafka" topic "$topic" --partitions 3 >/dev/null

leader_of() {  # leader_of PARTITION: leader id per Metadata ("-1" when leader-less)
  kcat -b "$bootstrap" -L -t "$topic" -m 5 2>/dev/null |
    sed -n "s/^ *partition $1, leader \\(-\\{0,1\\}[0-9]*\\),.*/\\1/p"
}

produce() {  # produce FROM TO
  seq "$1" "$2" | sed 's/^/record-/' |
    kcat -b "$bootstrap" -P -t "$topic" -X acks=all -X enable.idempotence=true -X message.timeout.ms=60000 ||
    fail "kcat produce of records $1..$2 failed"
}

produce 1 100
old_leader=$(leader_of 0)
[[ $old_leader =~ ^[1-3]$ ]] || fail "no leader for partition 0 (got '$old_leader')"
victim=$old_leader
"$kafka" kill "$victim"

produce 101 200
new_leader=$(leader_of 0)
[[ $new_leader =~ ^[1-3]$ && $new_leader != "$old_leader" ]] ||
  fail "partition 0 led by '$new_leader' after killing broker $old_leader"

"$kafka" consume "$topic" --max 200 --timeout-ms 30000 2>"$work/consumer.log" | cut -f5 | sort >"$work/got"
seq 1 200 | sed 's/^/record-/' | sort >"$work/want"
diff -u "$work/want" "$work/got" >&2 || { cat "$work/consumer.log" >&2; fail "records lost or duplicated"; }

"$kafka" restart "$victim" >&2
victim=""

# Number of partitions whose ISR lacks broker $1; kcat prints "..., isrs: 1,2,3" per partition.
partitions_without() {
  kcat -b "$bootstrap" -L -t "$topic" -m 5 2>/dev/null | grep 'isrs:' |
    awk -v b="$1" '{ n = split($NF, isr, ","); f = 0; for (i = 1; i <= n; i++) if (isr[i] == b) f = 1; if (!f) c++ }
      END { if (NR == 0) print "no metadata"; else print c + 0 }'
}
deadline=$(($(date +%s) + 90))
until [ "$(partitions_without "$old_leader")" = 0 ]; do
  (($(date +%s) < deadline)) || fail "broker $old_leader did not rejoin the ISR of $topic within 90 s"
  sleep 1
done
echo "ok: killed broker $old_leader (leader of $topic-0), produced with acks=all, read 200 records back," \
  "leader moved to $new_leader, broker $old_leader rejoined every ISR"
