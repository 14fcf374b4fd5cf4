"""oauth_cb, as confluent-kafka's: called inside poll()/flush() with sasl.oauthbearer.config when the producer needs
an OAUTHBEARER token (the first one in Producer(), as confluent-kafka waits for it there), answered with (token,
expiry seconds since the epoch[, principal[, extensions]]). The token is checked by the real broker's OAUTHBEARER
listener in Kafka's unsecured mode (scripts/kafka, --oauth-unsecured); the failure paths need no broker: a
connection waits for its token before it opens."""
import base64
import json
import subprocess
import time

import pytest

from conftest import KAFKA, consume, free_port
from kafkio import KafkaError, KafkaException, Producer


def unsecured_jwt(principal, lifetime_s):
    """An unsecured JWS (RFC 7515 with alg "none"), what Kafka's unsecured validator accepts."""
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    now = time.time()
    return f"{part({'alg': 'none'})}.{part({'sub': principal, 'iat': now, 'exp': now + lifetime_s})}."


@pytest.fixture(scope="module")
def oauth_bootstrap():
    return subprocess.run([str(KAFKA), "bootstrap", "--oauth-unsecured"], check=True, capture_output=True,
                          text=True).stdout.strip()


def oauth_config(bootstrap, oauth_cb, **extra):
    return {"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "OAUTHBEARER",
            "sasl.oauthbearer.config": "scope=test", "oauth_cb": oauth_cb, **extra}


def test_oauth_cb_token_is_accepted_by_kafka(oauth_bootstrap, make_topic):
    topic = make_topic(2)
    calls = []

    def oauth_cb(config):
        calls.append(config)
        return unsecured_jwt("alice", 60), time.time() + 60, "alice", {"traceId": "t-1"}

    delivered = []
    p = Producer(oauth_config(oauth_bootstrap, oauth_cb))
    for i in range(20):
        p.produce(topic, f"v{i}".encode(), on_delivery=lambda err, msg: delivered.append((err, msg.offset())))
    assert p.flush(30) == 0
    assert calls == ["scope=test"]  # once: one token serves every connection
    assert [err for err, _ in delivered] == [None] * 20
    assert sorted(r["value"] for r in consume(topic, 20)) == sorted(f"v{i}" for i in range(20))
    p.close()


def test_a_short_token_is_refreshed_by_poll(oauth_bootstrap, make_topic):
    """Refreshed at 80 % of its lifetime: a 3 s token is asked for again within about 2.4 s of the first."""
    topic = make_topic(1)
    calls = []

    def oauth_cb(config):
        calls.append(time.monotonic())
        return unsecured_jwt("alice", 3), time.time() + 3

    p = Producer(oauth_config(oauth_bootstrap, oauth_cb))
    p.produce(topic, b"before")
    assert p.flush(30) == 0
    deadline = time.monotonic() + 10
    while len(calls) < 2 and time.monotonic() < deadline:
        p.poll(0.1)
    assert len(calls) >= 2, calls
    assert 1.5 <= calls[1] - calls[0] <= 4.0, calls
    p.produce(topic, b"after")
    assert p.flush(30) == 0
    assert sorted(r["value"] for r in consume(topic, 2)) == ["after", "before"]
    p.close()


def test_the_first_token_is_asked_for_in_the_constructor_and_what_it_raises_propagates():
    def oauth_cb(config):
        raise RuntimeError("identity provider down")

    with pytest.raises(RuntimeError, match="identity provider down"):
        Producer(oauth_config(f"127.0.0.1:{free_port()}", oauth_cb))


@pytest.mark.parametrize("returned", ["just-a-token", ("token",), ("token", "soon"), ("token", 1.0, 7),
                                      ("token", float("inf")), ("token", time.time() * 1000)])
def test_oauth_cb_returning_the_wrong_shape_is_a_type_error(returned):
    with pytest.raises(TypeError, match="oauth_cb returned"):
        Producer(oauth_config(f"127.0.0.1:{free_port()}", lambda config: returned))


def test_a_refresh_that_raises_propagates_out_of_poll():
    """A 2 s token is refreshed at 1.6 s, inside poll(); the refresh raising comes out of that poll()."""
    calls = []

    def oauth_cb(config):
        calls.append(time.monotonic())
        if len(calls) > 1:
            raise RuntimeError("refresh failed")
        return unsecured_jwt("alice", 2), time.time() + 2

    p = Producer(oauth_config(f"127.0.0.1:{free_port()}", oauth_cb))
    with pytest.raises(RuntimeError, match="refresh failed"):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            p.poll(0.1)
    assert len(calls) == 2 and 1.2 <= calls[1] - calls[0] <= 3.0, calls


def test_an_expired_token_fails_the_records_and_the_log_says_why():
    messages = []

    class Collect:
        def log(self, level, fmt, *args):
            messages.append(fmt % args)

    errors = []
    p = Producer(oauth_config(f"127.0.0.1:{free_port()}", lambda config: ("token", time.time() - 5),
                              logger=Collect()))
    p.produce("t", b"x", on_delivery=lambda err, msg: errors.append(err))
    p.flush(10)
    assert len(errors) == 1 and errors[0].code() == KafkaError._AUTHENTICATION, errors
    assert any("expired" in m for m in messages), messages


def test_oauth_cb_and_the_unsecured_jwt_are_mutually_exclusive():
    with pytest.raises(KafkaException, match="mutually exclusive"):
        Producer(oauth_config("127.0.0.1:1", lambda config: None, **{"enable.sasl.oauthbearer.unsecure.jwt": True}))


def test_oauth_cb_must_be_callable():
    with pytest.raises(TypeError, match="oauth_cb must be callable"):
        Producer({"bootstrap.servers": "127.0.0.1:1", "oauth_cb": "not a function"})


def kafka_script(*args):
    return subprocess.run([str(KAFKA), *args], check=True, capture_output=True, text=True).stdout.strip()


def test_oidc_tokens_are_fetched_by_kafkio_without_an_oauth_cb(make_topic):
    """librdkafka's sasl.oauthbearer.method=oidc keys: kafkio's own token client fetches the token over HTTPS from the
    test provider (scripts/kafka oidc-url), and the broker's OIDC listener checks its RS256 signature."""
    topic = make_topic(1)
    p = Producer({"bootstrap.servers": kafka_script("bootstrap", "--oidc"), "security.protocol": "SASL_PLAINTEXT",
                  "sasl.mechanisms": "OAUTHBEARER", "sasl.oauthbearer.method": "oidc",
                  "sasl.oauthbearer.token.endpoint.url": kafka_script("oidc-url"),
                  "sasl.oauthbearer.client.id": "kafkio-client", "sasl.oauthbearer.client.secret": "kafkio-client-secret",
                  "ssl.ca.location": kafka_script("tls-dir") + "/ca.pem"})
    delivered = []
    for i in range(10):
        p.produce(topic, f"o{i}".encode(), on_delivery=lambda err, msg: delivered.append(err))
    assert p.flush(30) == 0
    assert delivered == [None] * 10
    assert sorted(r["value"] for r in consume(topic, 10)) == sorted(f"o{i}" for i in range(10))
    p.close()
