"""Errors as confluent-kafka reports them: each case runs with both clients and compares what the caller sees
(the exception raised by produce(), or the delivery report's KafkaError code and name)."""
import uuid

import pytest
from confluent_kafka import KafkaException as ConfluentKafkaException
from confluent_kafka import Producer as ConfluentProducer
from confluent_kafka.admin import AdminClient, NewTopic

from kafkio import KafkaError, KafkaException, Producer

from conftest import free_port

CLIENTS = {"kafkio": (Producer, KafkaException), "confluent": (ConfluentProducer, ConfluentKafkaException)}


def delivery_errors(cls, conf, topic, values):
    """Each value produced and flushed on its own (so that one batch's error is not shared)."""
    errors = []
    p = cls(conf)
    for v in values:
        p.produce(topic, v, on_delivery=lambda err, msg: errors.append(err))
        assert p.flush(60) == 0
    return [(e.code(), e.name()) if e is not None else None for e in errors]


@pytest.mark.parametrize("client", CLIENTS)
def test_value_larger_than_message_max_bytes_raises_at_produce(bootstrap, client):
    cls, exc = CLIENTS[client]
    p = cls({"bootstrap.servers": bootstrap, "message.max.bytes": 10000})
    with pytest.raises(exc) as e:
        p.produce("any-topic", b"x" * 20000)
    assert e.value.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE == 10
    assert e.value.args[0].name() == "MSG_SIZE_TOO_LARGE"
    assert len(p) == 0


@pytest.mark.parametrize("client", CLIENTS)
def test_buffer_full_raises_buffer_error(bootstrap, client):
    cls, _ = CLIENTS[client]
    p = cls({"bootstrap.servers": bootstrap, "queue.buffering.max.messages": 5, "linger.ms": 1000})
    for _ in range(5):
        p.produce("py-buffer-full", b"x")
    with pytest.raises(BufferError, match="Queue full"):
        p.produce("py-buffer-full", b"x")
    assert len(p) == 5
    assert p.flush(30) == 0
    p.produce("py-buffer-full", b"x")  # room again


def test_buffer_full_by_bytes(bootstrap):
    p = Producer({"bootstrap.servers": bootstrap, "queue.buffering.max.kbytes": 64, "linger.ms": 1000})
    with pytest.raises(BufferError):
        for _ in range(100):
            p.produce("py-buffer-full", b"x" * 4096)
    assert 10 <= len(p) <= 16
    assert p.flush(30) == 0


def test_broker_down_times_out_like_confluent(bootstrap):
    port = free_port()  # nothing listens there
    results = {}
    for client, (cls, _) in CLIENTS.items():
        results[client] = delivery_errors(cls, {"bootstrap.servers": f"127.0.0.1:{port}", "message.timeout.ms": 1500},
                                          "py-down", [b"a", b"b"])
    assert results["kafkio"] == results["confluent"] == [(KafkaError._MSG_TIMED_OUT, "_MSG_TIMED_OUT")] * 2


def test_record_too_large_for_the_topic_like_confluent(bootstrap):
    topic = f"py-small-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, 1, 1, config={"max.message.bytes": "1000"})]).values():
        f.result(30)
    results = {client: delivery_errors(cls, {"bootstrap.servers": bootstrap, "enable.idempotence": False},
                                       topic, [b"x" * 5000, b"small"])
               for client, (cls, _) in CLIENTS.items()}
    assert results["kafkio"] == results["confluent"], results
    assert results["kafkio"][0] == (KafkaError.MSG_SIZE_TOO_LARGE, "MSG_SIZE_TOO_LARGE")
    assert results["kafkio"][1] is None


def test_invalid_topic_name_like_confluent(bootstrap):
    results = {client: delivery_errors(cls, {"bootstrap.servers": bootstrap, "message.timeout.ms": 5000},
                                       "not a valid topic!", [b"x"])
               for client, (cls, _) in CLIENTS.items()}
    assert results["kafkio"] == results["confluent"], results
    assert results["kafkio"][0] is not None


def test_error_objects_behave_like_confluents():
    from confluent_kafka import KafkaError as CE
    for code in (KafkaError._MSG_TIMED_OUT, KafkaError._QUEUE_FULL, KafkaError.UNKNOWN_TOPIC_OR_PART, 10):
        ours, theirs = KafkaError(code), CE(code)
        assert (ours.code(), ours.name(), ours.str()) == (theirs.code(), theirs.name(), theirs.str())
        assert ours == code and ours == KafkaError(code) and str(ours) == str(theirs)
    assert KafkaError(KafkaError._FATAL, fatal=True).fatal()
    exc = KafkaException(KafkaError(KafkaError._STATE))
    assert exc.args[0].code() == -172


def test_error_cb_and_logger_get_connection_failures():
    import logging
    errors, lines = [], []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger = logging.getLogger("kafkio-test")
    logger.addHandler(Collect())
    logger.setLevel(logging.DEBUG)
    p = Producer({"bootstrap.servers": f"127.0.0.1:{free_port()}", "message.timeout.ms": 1000,
                  "error_cb": errors.append, "logger": logger})
    p.produce("py-down", b"x")
    assert p.flush(10) == 0
    assert errors and all(e.code() == KafkaError._TRANSPORT for e in errors)
    assert any("127.0.0.1" in line for line in lines)
