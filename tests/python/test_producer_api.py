"""The drop-in API against a real broker: every record read back by Kafka's console consumer and compared; the
delivery reports' Message fields; poll/flush/len; partitions as confluent-kafka picks them."""
import time

import pytest
from confluent_kafka import Producer as ConfluentProducer

import kafkio
from kafkio import KafkaError, KafkaException, Producer

from conftest import consume


def conf(bootstrap, **extra):
    return {"bootstrap.servers": bootstrap, "linger.ms": 5, **extra}


def test_records_read_back_by_the_console_consumer(bootstrap, make_topic):
    """Keys, null keys/values, headers, explicit timestamps, explicit partitions and every codec."""
    topic = make_topic(3)
    sent, reports = [], []
    codecs = ["none", "gzip", "snappy", "lz4", "zstd"]
    for codec in codecs:
        p = Producer(conf(bootstrap, **{"compression.type": codec}))
        for i in range(4):
            key = None if i == 3 else f"{codec}-key-{i}".encode()
            value = None if i == 2 else f"{codec}-value-{i}"  # str values are sent as UTF-8, as confluent-kafka
            headers = [("codec", codec.encode()), ("i", str(i))] if i % 2 == 0 else None
            ts = 1_700_000_000_000 + i
            p.produce(topic, value, key, partition=i % 3, timestamp=ts, headers=headers,
                      on_delivery=lambda err, msg: reports.append((err, msg)))
            sent.append({"partition": i % 3, "key": "null" if key is None else key.decode(),
                         "value": "null" if value is None else value, "timestamp": ("CreateTime", ts),
                         "headers": "NO_HEADERS" if headers is None else f"codec:{codec},i:{i}"})
        assert len(p) == 4
        assert p.flush(30) == 0
        assert len(p) == 0
    assert [err for err, _ in reports] == [None] * len(sent)

    got = consume(topic, len(sent), timestamps=True)
    assert len(got) == len(sent)
    by_value = lambda r: (r["partition"], r["key"], r["value"])  # noqa: E731
    offsets = {(m.partition(), m.offset()) for _, m in reports}
    assert offsets == {(r["partition"], r["offset"]) for r in got}
    assert sorted(({k: r[k] for k in sent[0]} for r in got), key=by_value) == sorted(sent, key=by_value)


def test_delivery_report_message(bootstrap, make_topic):
    topic = make_topic(1)
    got = []
    p = Producer(conf(bootstrap))
    p.produce(topic, value=b"v", key=b"k", headers={"h": b"x"}, timestamp=1_700_000_000_123,
              callback=lambda err, msg: got.append((err, msg)))
    assert p.flush(30) == 0
    err, m = got[0]
    assert err is None and m.error() is None
    assert (m.topic(), m.partition(), m.offset()) == (topic, 0, 0)
    assert (m.key(), m.value(), m.headers()) == (b"k", b"v", [("h", b"x")])
    assert m.timestamp() == (kafkio.TIMESTAMP_CREATE_TIME, 1_700_000_000_123)
    assert 0 < m.latency() < 30
    assert len(m) == 1


def test_poll_serves_callbacks_and_counts_them(bootstrap, make_topic):
    topic = make_topic(1)
    seen = []
    p = Producer(conf(bootstrap, on_delivery=lambda err, msg: seen.append(msg.offset())))  # the default callback
    for i in range(10):
        p.produce(topic, b"%d" % i)
    assert p.poll(0) == 0 and len(p) == 10
    served, deadline = 0, time.monotonic() + 30
    while served < 10 and time.monotonic() < deadline:
        served += p.poll(1)
    assert served == 10 and sorted(seen) == list(range(10)) and len(p) == 0
    assert p.poll(0.05) == 0  # nothing left: waits and returns 0
    assert bool(p) is True    # truthy even when empty, as confluent-kafka's


def test_only_errors_reports(bootstrap, make_topic):
    seen = []
    p = Producer(conf(bootstrap, **{"delivery.report.only.error": True, "on_delivery": lambda e, m: seen.append(m)}))
    p.produce(make_topic(1), b"ok")
    assert p.flush(30) == 0 and seen == []


def test_keyed_partitions_match_confluent_kafka(bootstrap, make_topic):
    """confluent-kafka's default partitioner is consistent_random (CRC-32); kafkio uses it by default too, so
    keys stay where confluent-kafka put them. murmur2_random (the Java client's) matches as well."""
    topic = make_topic(7)
    keys = [f"user-{i}".encode() for i in range(40)]
    for partitioner in (None, "murmur2_random", "consistent"):
        extra = {} if partitioner is None else {"partitioner": partitioner}
        parts = {}
        for name, cls in (("kafkio", Producer), ("confluent", ConfluentProducer)):
            p, got = cls(conf(bootstrap, **extra)), {}
            for k in keys:
                p.produce(topic, b"x", k, on_delivery=lambda err, msg: got.__setitem__(msg.key(), msg.partition()))
            assert p.flush(30) == 0
            parts[name] = got
        assert parts["kafkio"] == parts["confluent"], partitioner
        assert len(set(parts["kafkio"].values())) > 3


def test_callback_exception_propagates_and_nothing_is_lost(bootstrap, make_topic):
    topic = make_topic(1)
    seen = []

    def cb(err, msg):
        seen.append(msg.value())
        if msg.value() == b"2":
            raise ValueError("from the callback")

    p = Producer(conf(bootstrap))
    for i in range(5):
        p.produce(topic, b"%d" % i, on_delivery=cb)
    with pytest.raises(ValueError, match="from the callback"):
        p.flush(30)
    assert p.flush(30) == 0  # the remaining reports are served by the next call
    assert sorted(seen) == [b"0", b"1", b"2", b"3", b"4"] and len(p) == 0


def test_config_translation(bootstrap):
    # librdkafka names and Java names, Python values, keyword arguments with underscores.
    p = Producer({"metadata.broker.list": bootstrap, "queue.buffering.max.ms": 1, "request.required.acks": -1,
                  "compression.codec": "lz4", "message.timeout.ms": 5000, "enable.idempotence": True,
                  "batch.num.messages": 1000, "max.in.flight.requests.per.connection": 5}, client_id="web-1")
    p.close()
    assert p.close() is True


@pytest.mark.parametrize("bad, fragment", [
    ({"no.such.property": 1}, "No such configuration property"),
    ({"linger.ms": "soon"}, "linger.ms"),
    ({"acks": "most"}, "acks"),
    ({"transactional.id": "t", "enable.idempotence": False}, "transactional.id"),
    ({"security.protocol": "SSL", "ssl.ca.location": "/nonexistent/ca.pem"}, "ssl.truststore.location '/nonexistent"),
    ({"security.protocol": "SSL", "ssl.certificate.location": "/c.pem"}, "needs its private key"),
    ({"queue.buffering.max.messages": 0}, "queue.buffering.max.messages"),
])
def test_invalid_configuration_is_invalid_arg_like_confluent(bad, fragment):
    with pytest.raises(KafkaException) as e:
        Producer({"bootstrap.servers": "127.0.0.1:1", **bad})
    err = e.value.args[0]
    assert err.code() == KafkaError._INVALID_ARG and err.name() == "_INVALID_ARG"
    assert fragment in err.str()
    if "no.such" in str(bad):  # the same code as confluent-kafka's
        with pytest.raises(Exception) as ce:
            ConfluentProducer({"bootstrap.servers": "127.0.0.1:1", **bad})
        assert ce.value.args[0].code() == err.code()


def test_not_supported_methods_say_so(bootstrap):
    p = Producer(conf(bootstrap))
    for call in (p.purge, p.list_topics, p.cluster_id):
        with pytest.raises(KafkaException) as e:
            call()
        assert e.value.args[0].code() == KafkaError._NOT_IMPLEMENTED


def test_closed_producer_raises(bootstrap):
    p = Producer(conf(bootstrap))
    p.close()
    with pytest.raises(KafkaException) as e:
        p.produce("t", b"x")
    assert e.value.args[0].code() == KafkaError._STATE


def test_context_manager_flushes(bootstrap, make_topic):
    got = []
    with Producer(conf(bootstrap, **{"linger.ms": 1000})) as p:
        p.produce(make_topic(1), b"x", on_delivery=lambda err, msg: got.append(err))
    assert got == [None]


def test_produce_batch(bootstrap, make_topic):
    got = []
    p = Producer(conf(bootstrap))
    msgs = [{"value": b"a"}, {"value": b"b", "key": b"k"}, {"value": b"c", "partition": 0}]
    assert p.produce_batch(make_topic(1), msgs, on_delivery=lambda e, m: got.append(m.value())) == 3
    assert p.flush(30) == 0 and sorted(got) == [b"a", b"b", b"c"]
