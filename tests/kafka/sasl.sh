#!/usr/bin/env bash
# Smoke test of the single node's SASL_PLAINTEXT listener (user alice / alice-secret), so that kafkio's SASL tests
# run against a listener known to work:
#   - PLAIN with kcat: produce 5 records; the same with a wrong password must fail authentication;
#   - SCRAM-SHA-256 and SCRAM-SHA-512 with Kafka's Java client (ConsoleProducer): produce 5 records each; a wrong
#     password must fail. (Debian's kcat, librdkafka 2.0.2, cannot do SCRAM against Kafka 4.x: a nonce bug in
#     librdkafka < 2.6.1 that 4.x brokers reject.)
#   - all 15 records are read back over PLAINTEXT with kcat.
# Bootstrap: $KAFKIO_BOOTSTRAP (PLAINTEXT) and $KAFKIO_SASL_BOOTSTRAP, else from scripts/kafka bootstrap [--sasl].
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kafka=$repo/scripts/kafka

bootstrap=${KAFKIO_BOOTSTRAP:-$("$kafka" bootstrap)}
sasl_bootstrap=${KAFKIO_SASL_BOOTSTRAP:-$("$kafka" bootstrap --sasl)}
export KAFKIO_BOOTSTRAP=$bootstrap
fail() { echo "FAIL: $*" >&2; exit 1; }

brokers=$(kcat -b "$bootstrap" -L -m 10 2>/dev/null | grep -c '^  broker ' || true)
((brokers == 1)) || fail "the SASL listener exists on the single node only; $bootstrap has $brokers broker(s)"

topic="kafkio-smoke-sasl-$(date +%s)-$$-$RANDOM"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$kafka" topic "$topic" --partitions 1 >/dev/null

kcat_sasl() {  # kcat_sasl PASSWORD ARGS...
  local password=$1
  shift
  kcat -b "$sasl_bootstrap" -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN \
    -X sasl.username=alice -X sasl.password="$password" "$@"
}

printf 'plain-%d\n' 1 2 3 4 5 | kcat_sasl alice-secret -P -t "$topic" -X acks=all 2>"$work/plain.log" ||
  { cat "$work/plain.log" >&2; fail "PLAIN produce with the right password failed"; }
if kcat_sasl wrong-secret -L -m 5 >"$work/bad.out" 2>&1; then fail "PLAIN with a wrong password was accepted"; fi
grep -q 'Authentication failed' "$work/bad.out" || { cat "$work/bad.out" >&2; fail "no authentication error"; }

java_config() {  # java_config MECHANISM PASSWORD > file
  printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=$1" \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"alice\" password=\"$2\";"
}

for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
  java_config "$mechanism" alice-secret >"$work/good.properties"
  printf "$mechanism-%d\n" 1 2 3 4 5 |
    timeout 60 "$kafka" java org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$sasl_bootstrap" \
      --topic "$topic" --command-config "$work/good.properties" --producer-property acks=all \
      >"$work/scram.log" 2>&1 || { cat "$work/scram.log" >&2; fail "$mechanism produce failed"; }
  grep -q 'Authentication failed\|SaslAuthenticationException' "$work/scram.log" &&
    { cat "$work/scram.log" >&2; fail "$mechanism authentication failed"; }

  java_config "$mechanism" wrong-secret >"$work/bad.properties"
  if timeout 60 "$kafka" java org.apache.kafka.tools.TopicCommand --bootstrap-server "$sasl_bootstrap" \
    --command-config "$work/bad.properties" --list >"$work/bad.out" 2>&1; then
    fail "$mechanism with a wrong password was accepted"
  fi
  grep -q 'Authentication failed' "$work/bad.out" || { cat "$work/bad.out" >&2; fail "$mechanism: no auth error"; }
done

kcat -b "$bootstrap" -C -t "$topic" -e -q -f '%s\n' >"$work/got"
printf '%s\n' plain-{1..5} SCRAM-SHA-256-{1..5} SCRAM-SHA-512-{1..5} >"$work/want"
diff -u "$work/want" "$work/got" >&2 || fail "records read back differ"
echo "ok: SASL PLAIN (kcat) and SCRAM-SHA-256/512 (Java client) on $sasl_bootstrap; wrong passwords rejected"
