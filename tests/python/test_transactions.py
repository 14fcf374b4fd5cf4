"""Transactions through kafkio.Producer against a real broker, read back by Kafka's console consumer with
isolation.level=read_committed: a committed transaction's records are visible exactly once, an aborted one's never;
a second producer with the same transactional.id fences the first (fatal, _FENCED); a failed record makes the commit
raise an error that requires an abort; offsets sent with the transaction are committed with it (read back with
confluent-kafka's Consumer, the peer); and under gevent the hub keeps running while the operations wait."""
import json
import subprocess
import sys
import uuid

import pytest

from conftest import consume
from test_loop_lateness import REALTIME
from kafkio import ConsumerGroupMetadata, KafkaError, KafkaException, Producer, TopicPartition


def txn_producer(bootstrap, txn_id=None, **extra):
    return Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id or f"py-txn-{uuid.uuid4().hex[:8]}",
                     "linger.ms": 5, **extra})


def values(records):
    return sorted(r["value"] for r in records)


def test_committed_once_aborted_never(bootstrap, make_topic):
    topic = make_topic(3)
    p = txn_producer(bootstrap)
    p.init_transactions(30)
    delivered = []
    p.begin_transaction()
    for i in range(6):
        p.produce(topic, f"c{i}".encode(), partition=i % 3, on_delivery=lambda err, msg: delivered.append(err))
    p.commit_transaction(30)
    assert delivered == [None] * 6  # every delivery callback ran before commit_transaction returned

    p.begin_transaction()
    for i in range(4):
        p.produce(topic, f"a{i}".encode(), partition=i % 3)
    p.flush(30)  # written to the log, then aborted: hidden by the abort marker
    p.abort_transaction(30)

    p.begin_transaction()
    p.produce(topic, b"after", partition=0)
    p.commit_transaction(30)
    p.close()

    got = consume(topic, 20, timeout_ms=10000, read_committed=True)
    assert values(got) == sorted([f"c{i}" for i in range(6)] + ["after"])
    raw = values(consume(topic, 11, timeout_ms=20000))
    assert [v for v in raw if v.startswith("a")] == ["a0", "a1", "a2", "a3", "after"]  # aborted ones are in the log


def test_second_producer_fences_the_first(bootstrap, make_topic):
    topic = make_topic(1)
    txn_id = f"py-fence-{uuid.uuid4().hex[:8]}"
    first = txn_producer(bootstrap, txn_id)
    first.init_transactions(30)
    first.begin_transaction()
    first.produce(topic, b"zombie")
    first.flush(30)
    second = txn_producer(bootstrap, txn_id)
    second.init_transactions(30)  # fences `first` and aborts its open transaction
    with pytest.raises(KafkaException) as info:
        first.commit_transaction(30)
    err = info.value.args[0]
    assert err.fatal(), err
    assert err.code() == KafkaError._FENCED, err
    assert not err.txn_requires_abort()
    second.begin_transaction()
    second.produce(topic, b"current")
    second.commit_transaction(30)
    second.close()
    first.close()
    assert values(consume(topic, 5, timeout_ms=10000, read_committed=True)) == ["current"]


def test_failed_record_requires_abort_and_state_errors(bootstrap, make_topic):
    topic = make_topic(2)
    plain = Producer({"bootstrap.servers": bootstrap})
    with pytest.raises(KafkaException) as info:
        plain.init_transactions(10)
    assert info.value.args[0].code() == KafkaError._STATE
    plain.close()

    p = txn_producer(bootstrap)
    with pytest.raises(KafkaException) as info:
        p.commit_transaction(10)  # before init_transactions
    assert info.value.args[0].code() == KafkaError._STATE
    assert not info.value.args[0].fatal()
    p.init_transactions(30)
    errors = []
    p.begin_transaction()
    p.produce(topic, b"fine", partition=0)
    p.produce(topic, b"nowhere", partition=9, on_delivery=lambda err, msg: errors.append(err))
    with pytest.raises(KafkaException) as info:
        p.commit_transaction(30)
    err = info.value.args[0]
    assert err.txn_requires_abort(), err
    assert not err.fatal()
    assert len(errors) == 1 and errors[0] is not None
    p.abort_transaction(30)
    p.begin_transaction()
    p.produce(topic, b"next", partition=1)
    p.commit_transaction(30)
    p.close()
    assert values(consume(topic, 5, timeout_ms=10000, read_committed=True)) == ["next"]


def test_send_offsets_commits_the_group_offsets(bootstrap, make_topic):
    from confluent_kafka import Consumer, TopicPartition as PeerPartition
    source, sink = make_topic(2), make_topic(1)
    group = f"py-txn-group-{uuid.uuid4().hex[:8]}"
    p = txn_producer(bootstrap)
    p.init_transactions(30)
    p.begin_transaction()
    p.produce(sink, b"transformed")
    p.send_offsets_to_transaction([TopicPartition(source, 0, 42), TopicPartition(source, 1, 7)],
                                  ConsumerGroupMetadata(group), 30)
    p.commit_transaction(30)
    # Aborted offsets do not count.
    p.begin_transaction()
    p.send_offsets_to_transaction([TopicPartition(source, 0, 99)], group, 30)
    p.abort_transaction(30)
    p.close()
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        committed = consumer.committed([PeerPartition(source, 0), PeerPartition(source, 1)], timeout=30)
    finally:
        consumer.close()
    assert [(c.partition, c.offset) for c in committed] == [(0, 42), (1, 7)]
    with pytest.raises(TypeError):
        p2 = txn_producer(bootstrap)
        try:
            p2.send_offsets_to_transaction([TopicPartition(source, 0, 1)], object(), 1)
        finally:
            p2.close()


# Under gevent, each operation waits for a broker round trip (50 ms through the delay proxy): a greenlet ticking
# every millisecond must keep running meanwhile.
GEVENT_PROBE = r"""
from gevent import monkey
monkey.patch_all()
import gevent, json, sys, time
from kafkio import Producer
bootstrap, topic, txn_id = sys.argv[1:4]
p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5})
lateness, running = [], [True]
def ticker():
    while running[0]:
        t0 = time.perf_counter()
        gevent.sleep(0.001)
        lateness.append(time.perf_counter() - t0 - 0.001)
t = gevent.spawn(ticker)
gevent.sleep(0.01)
start = time.perf_counter()
p.init_transactions(30)
for n in range(5):
    p.begin_transaction()
    for i in range(10):
        p.produce(topic, b"g%d-%d" % (n, i))
    p.commit_transaction(30)
elapsed = time.perf_counter() - start
running[0] = False
t.join()
p.close()
lateness.sort()
print(json.dumps({"ticks": len(lateness), "elapsed_s": elapsed, "max_ms": lateness[-1] * 1e3,
                  "p99_ms": lateness[int(0.99 * (len(lateness) - 1))] * 1e3}))
"""


def test_gevent_hub_keeps_running_during_transactions(slow_bootstrap, make_topic):
    # SCHED_FIFO when allowed, and the best of 3 runs, as test_loop_lateness.py: scheduler preemption on a loaded
    # 2-core machine is not the hub blocking (one run in four measured a single 100 ms stall at load 12).
    runs = []
    for _ in range(3):
        topic = make_topic(1)
        out = subprocess.run(REALTIME + [sys.executable, "-c", GEVENT_PROBE, slow_bootstrap, topic,
                                         f"py-gev-{uuid.uuid4().hex[:8]}"],
                             check=True, capture_output=True, text=True, timeout=120).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(r)
        # init_transactions and 5 commits (with their records) take at least one 50 ms round trip each: a hub
        # blocked by them would show ticks >= 50 ms late in every run, and few ticks overall.
        assert r["elapsed_s"] > 0.5, r
        assert r["ticks"] > r["elapsed_s"] * 1000 / 4, r  # the ticker ran through the waits
        runs.append(r)
        if r["max_ms"] < 45:
            break
    assert min(r["max_ms"] for r in runs) < 45, runs
    assert len(consume(topic, 50, timeout_ms=20000, read_committed=True)) == 50


def test_asyncio_transactions(bootstrap, make_topic):
    import asyncio
    from kafkio.aio import AIOProducer
    topic = make_topic(1)

    async def main():
        p = AIOProducer({"bootstrap.servers": bootstrap, "transactional.id": f"py-aio-{uuid.uuid4().hex[:8]}"})
        await p.init_transactions(30)
        await p.begin_transaction()
        futures = [await p.produce(topic, b"aio-%d" % i) for i in range(3)]
        await p.commit_transaction(30)
        assert all(f.done() and f.exception() is None for f in futures)
        await p.begin_transaction()
        await p.produce(topic, b"aio-aborted")
        await p.abort_transaction(30)
        await p.close()

    asyncio.run(main())
    assert values(consume(topic, 10, timeout_ms=10000, read_committed=True)) == ["aio-0", "aio-1", "aio-2"]
