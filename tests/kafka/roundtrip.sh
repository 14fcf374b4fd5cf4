#!/usr/bin/env bash
# Smoke test of the test broker itself: kcat (librdkafka) produces COUNT keyed records with headers, Kafka's own
# ConsoleConsumer reads them back, and the two sides must agree record for record.
#
#   roundtrip.sh --name NAME [--partitions P] [--replication R] [--count N] [--min-brokers B]
#
# The broker must already run (scripts/with-kafka or scripts/kafka start). Bootstrap: $KAFKIO_BOOTSTRAP, else
# `scripts/kafka bootstrap`. Every run uses a new topic, so reruns against a long-lived broker do not interfere.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kafka=$repo/scripts/kafka

name=roundtrip partitions=3 replication="" count=200 min_brokers=1
while (($#)); do
  case $1 in
    --name) name=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --replication) replication=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --min-brokers) min_brokers=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

bootstrap=${KAFKIO_BOOTSTRAP:-$("$kafka" bootstrap)}
export KAFKIO_BOOTSTRAP=$bootstrap
fail() { echo "FAIL: $*" >&2; exit 1; }

brokers=$(kcat -b "$bootstrap" -L -m 10 2>/dev/null | grep -c '^  broker ' || true)
((brokers > 0)) || fail "no Kafka broker answers at $bootstrap (start one: scripts/kafka start, or scripts/with-kafka)"
((brokers >= min_brokers)) ||
  fail "this test needs $min_brokers brokers, $bootstrap has $brokers (scripts/kafka start --nodes 3)"

topic="kafkio-smoke-$name-$(date +%s)-$$-$RANDOM"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$kafka" topic "$topic" --partitions "$partitions" ${replication:+--replication "$replication"} >/dev/null
if [ -n "$replication" ]; then
  described=$("$kafka" java org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --describe \
    --topic "$topic")
  grep -q "ReplicationFactor: $replication" <<<"$described" || fail "topic not created with replication $replication:
$described"
fi

# Records: key-(I mod 37) <TAB> value-I-<filler>: keys repeat (so key stickiness can be checked below) and
# values vary in length so batches are not uniform.
for ((i = 0; i < count; i++)); do
  printf 'key-%d\tvalue-%d-%s\n' $((i % 37)) "$i" "$(head -c $((i % 50)) /dev/zero | tr '\0' x)"
done >"$work/sent"

# acks=all and idempotence: with replication 3 and min.insync.replicas=2 this exercises the ISR path too.
kcat -b "$bootstrap" -P -t "$topic" -K $'\t' -H origin=kcat -H run="$name" \
  -X acks=all -X enable.idempotence=true -X linger.ms=5 <"$work/sent" ||
  fail "kcat could not produce to $topic"

"$kafka" consume "$topic" --max "$count" --timeout-ms 30000 >"$work/got" 2>"$work/consumer.log" ||
  { cat "$work/consumer.log" >&2; fail "console consumer failed"; }

# Each line: Partition:P <TAB> Offset:O <TAB> headers <TAB> key <TAB> value
got_count=$(wc -l <"$work/got")
((got_count == count)) || { cat "$work/consumer.log" >&2; fail "sent $count records, consumer read $got_count"; }

awk -F'\t' -v want="origin:kcat,run:$name" '
  NF != 5 { print "malformed line " NR ": " $0; bad = 1; next }
  $3 != want { print "wrong headers on line " NR ": " $3; bad = 1 }
  $1 !~ /^Partition:[0-9]+$/ || $2 !~ /^Offset:[0-9]+$/ { print "bad position on line " NR; bad = 1 }
  END { exit bad }' "$work/got" || fail "consumer output malformed"

# Same records in both directions (as key/value sets; partitions interleave in the consumer's output).
cut -f4,5 "$work/got" | sort >"$work/got.kv"
sort "$work/sent" >"$work/sent.kv"
diff -u "$work/sent.kv" "$work/got.kv" >&2 || fail "records differ between kcat and the console consumer"

# Offsets per partition are 0..n-1 without gaps (idempotent producer, no duplicates), and every partition got data.
cut -f1,2 "$work/got" | sed 's/Partition://; s/Offset://' | sort -n -k1,1 -k2,2 | awk -F'\t' -v parts="$partitions" '
  { if ($2 != next_offset[$1] + 0) { print "partition " $1 ": offset " $2 ", expected " next_offset[$1] + 0; bad = 1 }
    next_offset[$1] = $2 + 1; seen[$1] = 1 }
  END { for (p = 0; p < parts; p++) if (!(p in seen)) { print "partition " p " got no record"; bad = 1 }
        exit bad }' || fail "offsets are not dense per partition"

# A key always maps to one partition (librdkafka's keyed partitioner), so no key shows up on two partitions.
split_keys=$(cut -f1,4 "$work/got" | sort -u | cut -f2 | sort | uniq -d)
[ -z "$split_keys" ] || fail "keys on more than one partition: $split_keys"

echo "ok: $count records through $topic ($partitions partitions${replication:+, replication $replication}," \
  "$brokers broker(s) at $bootstrap)"
