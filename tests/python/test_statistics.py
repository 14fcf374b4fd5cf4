"""stats_cb and statistics.interval.ms, as confluent-kafka's: librdkafka's statistics JSON served by poll()/flush(),
checked against a known workload on the real broker and, name by name, against what confluent-kafka's own
stats_cb gives on the same broker."""
import json
import time

import pytest
from confluent_kafka import Producer as ConfluentProducer

from kafkio import KafkaException, Producer


def _poll_until(producer, predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        producer.poll(0.1)
    return predicate()


def _broker(stats):
    """The first broker learned from metadata (not a bootstrap entry)."""
    return next(b for b in stats["brokers"].values() if b["nodeid"] >= 0)


def test_stats_cb_gets_librdkafka_statistics_json(bootstrap, make_topic):
    topic = make_topic(1)
    texts = []
    p = Producer({"bootstrap.servers": bootstrap, "client.id": "stats-test", "statistics.interval.ms": 100,
                  "stats_cb": texts.append, "queue.buffering.max.messages": 5000})
    for i in range(20):
        p.produce(topic, f"v{i}".encode())
    assert p.flush(30) == 0
    # three texts at least (the first may already count all 20: flush can be done within one interval)
    assert _poll_until(p, lambda: len(texts) >= 3 and any(json.loads(t)["txmsgs"] == 20 for t in texts))
    stats = [json.loads(t) for t in texts]
    last = stats[-1]
    assert last["type"] == "producer"
    assert last["client_id"] == "stats-test"
    assert last["txmsgs"] == 20
    assert last["msg_cnt"] == 0
    assert last["msg_max"] == 5000
    assert last["tx"] >= 2 and last["rx"] >= 2  # at least Metadata and Produce
    broker = _broker(last)
    assert broker["state"] == "UP"
    assert broker["rtt"]["avg"] > 0
    assert last["kafkio"]["records_acked"] == 20
    assert last["kafkio"]["records_failed"] == 0
    # every statistics.interval.ms, on librdkafka's microsecond clock; the timer keeps a grid, so a late text is
    # followed by an early one: the mean gap is the cadence
    gaps = [b["ts"] - a["ts"] for a, b in zip(stats, stats[1:])]
    assert gaps and min(gaps) >= 50_000 and sum(gaps) / len(gaps) >= 90_000, gaps
    p.close()


def test_the_field_names_are_librdkafkas(bootstrap, make_topic):
    """Each librdkafka-named field kafkio gives is in confluent-kafka's statistics too, with the same JSON type."""
    topic = make_topic(1)
    ours, theirs = [], []
    p = Producer({"bootstrap.servers": bootstrap, "statistics.interval.ms": 100, "stats_cb": ours.append})
    q = ConfluentProducer({"bootstrap.servers": bootstrap, "statistics.interval.ms": 100, "stats_cb": theirs.append})
    p.produce(topic, b"x")
    q.produce(topic, b"x")
    assert p.flush(30) == 0 and q.flush(30) == 0
    assert _poll_until(p, lambda: ours and any(json.loads(t)["txmsgs"] == 1 for t in ours))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any(json.loads(t)["txmsgs"] >= 1 for t in theirs):
        q.poll(0.1)
    mine, ref = json.loads(ours[-1]), json.loads(theirs[-1])
    for key, value in mine.items():
        if key == "kafkio":
            continue
        assert key in ref, key
        assert type(value) is type(ref[key]), key
    ref_broker = _broker(ref)
    for key, value in _broker(mine).items():
        assert key in ref_broker, key
        assert type(value) is type(ref_broker[key]), key
    for key in _broker(mine)["rtt"]:
        assert key in ref_broker["rtt"], key
    p.close()


def test_no_statistics_without_an_interval(bootstrap, make_topic):
    topic = make_topic(1)
    texts = []
    p = Producer({"bootstrap.servers": bootstrap, "stats_cb": texts.append})
    p.produce(topic, b"x")
    assert p.flush(30) == 0
    p.poll(0.5)
    assert texts == []
    p.close()


def test_bad_statistics_settings_are_refused():
    with pytest.raises(TypeError):
        Producer({"bootstrap.servers": "127.0.0.1:1", "stats_cb": "not callable"})
    with pytest.raises(KafkaException) as e:
        Producer({"bootstrap.servers": "127.0.0.1:1", "statistics.interval.ms": -5})
    assert "statistics.interval.ms" in str(e.value)
