#!/usr/bin/env bash
# Smoke test of the single node's TLS listeners with independent clients, then kafkio-produce over them with -X:
#   - kcat (librdkafka) over SSL, and over MTLS with the client certificate; over MTLS without one it must fail;
#   - kafkio-produce (path in $1) over SSL, SASL_SSL (PLAIN) and MTLS (encrypted key, librdkafka's names);
#     with an untrusted CA it must exit non-zero and name the broker and "certificate verify failed";
#   - every record is read back over PLAINTEXT with Kafka's ConsoleConsumer and compared.
# Bootstrap and certificates: scripts/kafka bootstrap [--ssl|--sasl-ssl|--mtls] and scripts/kafka tls-dir.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kafka=$repo/scripts/kafka
produce=${1:?usage: tls.sh PATH_TO_KAFKIO_PRODUCE}
fail() { echo "FAIL: $*" >&2; exit 1; }

ssl=$("$kafka" bootstrap --ssl)
sasl_ssl=$("$kafka" bootstrap --sasl-ssl)
mtls=$("$kafka" bootstrap --mtls)
tls=$("$kafka" tls-dir)
[ -f "$tls/ca.pem" ] || fail "no test CA in $tls (the TLS listeners exist on the single node only)"

topic="kafkio-smoke-tls-$(date +%s)-$$-$RANDOM"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$kafka" topic "$topic" --partitions 1 >/dev/null

kcat_tls() {  # kcat_tls BOOTSTRAP ARGS...
  local b=$1
  shift
  kcat -b "$b" -X security.protocol=SSL -X ssl.ca.location="$tls/ca.pem" "$@"
}
printf 'kcat-ssl-%d\n' 1 2 3 | kcat_tls "$ssl" -P -t "$topic" -X acks=all 2>"$work/k1.log" ||
  { cat "$work/k1.log" >&2; fail "kcat over SSL failed"; }
printf 'kcat-mtls-%d\n' 1 2 3 | kcat_tls "$mtls" -P -t "$topic" -X acks=all \
  -X ssl.certificate.location="$tls/client.pem" -X ssl.key.location="$tls/client.key" 2>"$work/k2.log" ||
  { cat "$work/k2.log" >&2; fail "kcat over MTLS failed"; }
if timeout 20 kcat -b "$mtls" -X security.protocol=SSL -X ssl.ca.location="$tls/ca.pem" -L -m 5 \
  >"$work/k3.log" 2>&1; then
  fail "MTLS accepted a client without a certificate"
fi

kafkio_produce() {  # kafkio_produce BOOTSTRAP PREFIX -X...
  local b=$1 prefix=$2
  shift 2
  printf "$prefix-%d\n" 1 2 3 | "$produce" -b "$b" -t "$topic" "$@" 2>"$work/p.log" ||
    { cat "$work/p.log" >&2; fail "kafkio-produce $prefix failed"; }
}
kafkio_produce "$ssl" kafkio-ssl -X security.protocol=SSL -X ssl.truststore.location="$tls/ca.pem"
kafkio_produce "$sasl_ssl" kafkio-sasl-ssl -X security.protocol=SASL_SSL -X sasl.mechanism=PLAIN \
  -X sasl.username=alice -X sasl.password=alice-secret -X ssl.ca.location="$tls/ca.pem"
kafkio_produce "$mtls" kafkio-mtls -X security.protocol=SSL -X ssl.ca.location="$tls/ca.pem" \
  -X ssl.certificate.location="$tls/client.pem" -X ssl.key.location="$tls/client-encrypted.key" \
  -X ssl.key.password=client-key-secret
if echo never | "$produce" -b "$ssl" -t "$topic" -X security.protocol=SSL -X ssl.ca.location="$tls/other-ca.pem" \
  -X max.block.ms=10000 -v >"$work/bad.log" 2>&1; then
  fail "kafkio-produce trusted a broker its CA did not sign"
fi
grep -q "TLS handshake with $ssl failed: certificate verify failed" "$work/bad.log" ||
  { cat "$work/bad.log" >&2; fail "kafkio-produce did not say why"; }

"$kafka" consume "$topic" --max 15 --timeout-ms 20000 2>/dev/null | cut -f5 >"$work/got"
printf '%s\n' kcat-ssl-{1..3} kcat-mtls-{1..3} kafkio-ssl-{1..3} kafkio-sasl-ssl-{1..3} kafkio-mtls-{1..3} >"$work/want"
diff -u "$work/want" "$work/got" >&2 || fail "records read back differ"
echo "ok: SSL, MTLS (kcat, kafkio-produce) and SASL_SSL (kafkio-produce) on $ssl $mtls $sasl_ssl; untrusted CA refused"
