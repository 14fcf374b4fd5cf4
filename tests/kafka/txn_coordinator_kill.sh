#!/usr/bin/env bash
# Transactions through a coordinator failure, on the 3-node cluster of scripts/kafka (replication 3,
# min.insync.replicas=2): kafkio-produce writes 6000 lines in transactions of 200 (-N 200, -X transactional.id) at
# a steady pace; meanwhile the transaction coordinator of that id is killed with SIGKILL and restarted. Then a
# read_committed ConsoleConsumer must see every transaction whole or not at all (each block of 200 consecutive
# values: all 200 or none), no value twice, and as many values as kafkio-produce reported delivered.
#   tests/kafka/txn_coordinator_kill.sh PATH/TO/kafkio-produce
set -euo pipefail
produce_bin=${1:?usage: txn_coordinator_kill.sh PATH/TO/kafkio-produce}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kafka=$repo/scripts/kafka
bootstrap=${KAFKIO_BOOTSTRAP:-$("$kafka" bootstrap)}
export KAFKIO_BOOTSTRAP=$bootstrap
fail() { echo "FAIL: $*" >&2; exit 1; }

"$kafka" status >/dev/null 2>&1 && [ "$("$kafka" status | wc -l)" -eq 3 ] ||
  fail "needs the 3-node cluster of scripts/kafka (scripts/kafka start --nodes 3), it kills and restarts nodes"

readonly lines=6000 per_transaction=200
topic="kafkio-txn-kill-$(date +%s)-$$-$RANDOM"
txn_id="$topic-producer"
work=$(mktemp -d)
victim=""  # set while a node is down, so that cleanup brings it back
cleanup() {
  [ -z "$victim" ] || "$kafka" restart "$victim" >&2 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$kafka" topic "$topic" --partitions 3 >/dev/null

# ~50 lines per 100 ms: about 12 s of input, so the kill lands among the commits.
python3 -c '
import sys, time
for i in range(1, int(sys.argv[1]) + 1):
    print(i)
    if i % 50 == 0:
        sys.stdout.flush()
        time.sleep(0.1)
' "$lines" | "$produce_bin" -b "$bootstrap" -t "$topic" -N "$per_transaction" -X transactional.id="$txn_id" \
  -X transaction.timeout.ms=60000 2>"$work/produce.log" &
producer=$!

sleep 4
# TransactionsCommand describe: a header line, then CoordinatorId TransactionalId ProducerId ...
coordinator=$("$kafka" java org.apache.kafka.tools.TransactionsCommand --bootstrap-server "$bootstrap" describe \
  --transactional-id "$txn_id" 2>/dev/null | awk 'NR == 2 { print $1 }')
[[ $coordinator =~ ^[1-3]$ ]] || fail "no coordinator for $txn_id (got '$coordinator')"
victim=$coordinator
"$kafka" kill "$victim"
sleep 3
"$kafka" restart "$victim" >&2
victim=""

status=0
wait "$producer" || status=$?
summary=$(tail -n 1 "$work/produce.log")
delivered=$(sed -n 's/^kafkio-produce: \([0-9]*\) delivered, \([0-9]*\) failed$/\1/p' <<<"$summary")
failed=$(sed -n 's/^kafkio-produce: \([0-9]*\) delivered, \([0-9]*\) failed$/\2/p' <<<"$summary")
[ -n "$delivered" ] || { cat "$work/produce.log" >&2; fail "kafkio-produce ended without its summary (exit $status)"; }

"$kafka" consume "$topic" --read-committed --max "$lines" --timeout-ms 15000 2>"$work/consumer.log" |
  cut -f5 >"$work/got" || true
python3 - "$work/got" "$per_transaction" "$delivered" <<'PY' || { tail -n 20 "$work/produce.log" >&2; exit 1; }
import collections, sys
values = [int(v) for v in open(sys.argv[1]).read().split()]
per, delivered = int(sys.argv[2]), int(sys.argv[3])
counts = collections.Counter(values)
twice = [v for v, n in counts.items() if n > 1]
blocks = collections.Counter((v - 1) // per for v in counts)
partial = {b: n for b, n in blocks.items() if n != per}
print(f"read_committed: {len(values)} values, {len(blocks)} whole transactions; producer reported {delivered} delivered")
if twice: sys.exit(f"FAIL: values read twice: {twice[:10]}")
if partial: sys.exit(f"FAIL: partial transactions (block: values): {dict(list(partial.items())[:10])}")
if len(values) != delivered: sys.exit(f"FAIL: {len(values)} committed values, kafkio-produce said {delivered}")
if not blocks: sys.exit("FAIL: no transaction committed")
PY
echo "ok: killed coordinator $coordinator during the commits; kafkio-produce exit $status, $delivered delivered," \
  "$failed failed; every transaction whole or absent"
