#!/usr/bin/env bash
# kafkio-produce -X statistics.interval.ms: librdkafka's statistics JSON on stderr, one line per interval, the last
# one (after close) counting every record with every connection closed; the records themselves are read back by
# Kafka's ConsoleConsumer.
#
#   produce_statistics.sh KAFKIO_PRODUCE
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kafka=$repo/scripts/kafka
produce=${1:?usage: produce_statistics.sh KAFKIO_PRODUCE}
bootstrap=${KAFKIO_BOOTSTRAP:-$("$kafka" bootstrap)}
export KAFKIO_BOOTSTRAP=$bootstrap
fail() { echo "FAIL: $*" >&2; exit 1; }

topic="kafkio-smoke-statistics-$(date +%s)-$$-$RANDOM"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$kafka" topic "$topic" --partitions 2 >/dev/null
count=500
# Paced (a line every ~2 ms) so that several intervals of 100 ms pass while records flow.
for ((i = 0; i < count; i++)); do
  echo "value-$i"
  ((i % 10 == 9)) && sleep 0.02
done | "$produce" -b "$bootstrap" -t "$topic" -X statistics.interval.ms=100 -X client.id=stats-smoke \
  2>"$work/stderr" || { cat "$work/stderr" >&2; fail "kafkio-produce failed"; }

python3 - "$work/stderr" "$count" <<'PY' || { cat "$work/stderr" >&2; fail "statistics lines"; }
import json, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("{")]
count = int(sys.argv[2])
stats = [json.loads(l) for l in lines]
assert len(stats) >= 3, f"{len(stats)} statistics lines"
last = stats[-1]
assert last["type"] == "producer" and last["client_id"] == "stats-smoke", last
assert last["txmsgs"] == count and last["msg_cnt"] == 0, (last["txmsgs"], last["msg_cnt"])
assert last["kafkio"]["records_failed"] == 0
assert any(b["state"] == "UP" for s in stats for b in s["brokers"].values() if b["nodeid"] >= 0)
assert all(b["state"] == "DOWN" for b in last["brokers"].values()), "connections left open after close"
# The timer keeps a grid of 100 ms: a late line is followed by an early one (CI: 109.9 ms then 86.0 ms), so the mean
# gap is the cadence and no gap is much shorter than the interval.
gaps = [b["ts"] - a["ts"] for a, b in zip(stats, stats[1:])]
assert min(gaps) >= 50_000 and sum(gaps) / len(gaps) >= 90_000, gaps
print(f"{len(stats)} statistics lines, last: txmsgs {last['txmsgs']}, tx {last['tx']}, gaps {min(gaps)}-{max(gaps)} us")
PY
grep -q "$count delivered, 0 failed" "$work/stderr" || fail "no summary line: $(tail -3 "$work/stderr")"
got=$("$kafka" consume "$topic" --max "$count" --timeout-ms 30000 2>/dev/null | wc -l)
((got == count)) || fail "read back $got of $count records"
echo "ok: $count records read back"
