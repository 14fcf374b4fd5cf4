#!/usr/bin/env bash
# Shows the librdkafka mock cluster works as a peer for a separate client process (kcat), and that its control
# commands act:
#   1. topic with 3 partitions on 3 brokers; kcat produces 100 records, kcat consumes them back;
#   2. "errors Produce NOT_LEADER_FOR_PARTITION x2": the idempotent producer retries, 50 more records arrive
#      exactly once;
#   3. "down" of partition 0's leader: a produce to partition 0 stalls until "up", then completes;
#   4. "rtt -1 400": a Metadata round trip takes at least 400 ms.
#   Usage: kcat_roundtrip.sh PATH/TO/kafkio-mock-cluster
set -euo pipefail
mock=${1:?usage: kcat_roundtrip.sh PATH/TO/kafkio-mock-cluster}
fail() { echo "FAIL: $*" >&2; exit 1; }

coproc MOCK { exec "$mock" --brokers 3; }
mock_pid=$MOCK_PID
trap 'kill "$mock_pid" 2>/dev/null || true' EXIT
read -r -t 10 bootstrap <&"${MOCK[0]}" || fail "mock cluster printed no bootstrap list"
[[ $bootstrap =~ ^127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+){2}$ ]] || fail "odd bootstrap list '$bootstrap'"

mock_cmd() {  # mock_cmd WORDS...: sends a command, fails unless the reply starts with "ok"
  local reply
  echo "$*" >&"${MOCK[1]}"
  read -r -t 10 reply <&"${MOCK[0]}" || fail "no reply to '$*'"
  [[ $reply == ok* ]] || fail "'$*' answered '$reply'"
  echo "${reply#ok}"
}

work=$(mktemp -d)
trap 'kill "$mock_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
topic=smoke
mock_cmd topic "$topic" 3 3 >/dev/null

produce() {  # produce FROM TO [kcat args...]
  local from=$1 to=$2
  shift 2
  seq "$from" "$to" | sed 's/^/record-/' |
    kcat -b "$bootstrap" -P -t "$topic" -X enable.idempotence=true -X message.timeout.ms=20000 "$@"
}

# 1. plain round trip
produce 1 100 || fail "kcat could not produce to the mock cluster"

# 2. injected produce errors are retried, without duplicates (idempotence)
mock_cmd errors Produce NOT_LEADER_FOR_PARTITION NOT_LEADER_FOR_PARTITION >/dev/null
produce 101 150 || fail "produce after injected NOT_LEADER_FOR_PARTITION errors failed"

# 3. leader of partition 0 down: the produce waits and completes once it is back
leader=$(kcat -b "$bootstrap" -L -t "$topic" | sed -n 's/^ *partition 0, leader \([0-9]*\),.*/\1/p')
[[ $leader =~ ^[1-3]$ ]] || fail "no leader for partition 0"
mock_cmd down "$leader" >/dev/null
produce 151 160 -p 0 &
producer=$!
sleep 2
kill -0 "$producer" 2>/dev/null || fail "produce to partition 0 finished although its leader $leader was down"
mock_cmd up "$leader" >/dev/null
wait "$producer" || fail "produce to partition 0 failed after its leader came back"

kcat -b "$bootstrap" -C -t "$topic" -e -q -f '%s\n' >"$work/got" || fail "kcat could not consume"
seq 1 160 | sed 's/^/record-/' | sort >"$work/want"
sort "$work/got" | diff -u "$work/want" - >&2 || fail "records differ (lost or duplicated)"

# 4. round-trip delay on every broker
mock_cmd rtt -1 400 >/dev/null
start=$(date +%s%3N)
kcat -b "$bootstrap" -L -t "$topic" >/dev/null || fail "metadata with rtt failed"
elapsed=$(($(date +%s%3N) - start))
((elapsed >= 400)) || fail "metadata took ${elapsed} ms with a 400 ms rtt"

echo "bogus" >&"${MOCK[1]}"
read -r -t 10 reply <&"${MOCK[0]}" || fail "no reply to an unknown command"
[[ $reply == "error unknown command"* ]] || fail "unknown command answered '$reply'"

echo "quit" >&"${MOCK[1]}"
wait "$mock_pid" || fail "mock cluster did not exit cleanly"
echo "ok: 160 records through the mock cluster at $bootstrap (errors retried, leader down/up, rtt ${elapsed} ms)"
