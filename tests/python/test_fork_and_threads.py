"""A producer made before fork() is the parent's: the child gets a clear KafkaException (never a deadlock), the
parent's records stay the parent's. With plain threads, flush() waits with the GIL released."""
import os
import threading
import time

from kafkio import KafkaError, KafkaException, Producer


def test_child_after_fork_gets_a_clear_error_and_the_parent_delivers(bootstrap, make_topic):
    topic = make_topic(1)
    got = []
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 200})
    p.produce(topic, b"parent", on_delivery=lambda err, msg: got.append(err))
    pid = os.fork()
    if pid == 0:  # the child: every use raises; dropping the producer must not hang (nothing of it runs here)
        code = 0
        for call in (lambda: p.produce(topic, b"child"), lambda: p.poll(0), lambda: p.flush(1)):
            try:
                call()
                code = 1
            except KafkaException as e:
                err = e.args[0]
                if err.code() != KafkaError._STATE or "fork" not in err.str():
                    code = 2
        del call
        globals().pop("p", None)
        os._exit(code)
    assert p.flush(30) == 0 and got == [None]
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_new_producer_in_the_child_works(bootstrap, make_topic):
    topic = make_topic(1)
    pid = os.fork()
    if pid == 0:
        try:
            got = []
            p = Producer({"bootstrap.servers": bootstrap})
            p.produce(topic, b"child", on_delivery=lambda err, msg: got.append(err))
            os._exit(0 if p.flush(30) == 0 and got == [None] else 1)
        except BaseException:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_flush_releases_the_gil(slow_bootstrap, make_topic):
    """Another Python thread keeps running while the main thread waits in flush() for the slow broker."""
    topic = make_topic(1)
    p = Producer({"bootstrap.servers": slow_bootstrap, "linger.ms": 5})
    p.produce(topic, b"warm-up")
    assert p.flush(30) == 0
    ticks, stop = [0], threading.Event()

    def spin():
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    t = threading.Thread(target=spin)
    t.start()
    try:
        before = ticks[0]
        start = time.monotonic()
        for i in range(5):
            p.produce(topic, b"%d" % i)
            assert p.flush(30) == 0
        elapsed = time.monotonic() - start
    finally:
        stop.set()
        t.join()
    assert elapsed > 5 * 0.045  # each flush waited for a +50 ms round trip
    assert ticks[0] - before > elapsed / 0.001 * 0.3  # the other thread ran meanwhile


def test_flush_from_many_threads(bootstrap, make_topic):
    topic = make_topic(3)
    p = Producer({"bootstrap.servers": bootstrap})
    results = []

    def worker(n):
        for i in range(20):
            p.produce(topic, f"{n}-{i}".encode())
            results.append(p.flush(30))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [0] * 160 and len(p) == 0


def test_every_record_one_report_in_order_from_many_threads(bootstrap, make_topic):
    """The lock-free hand-over under load: 4 threads, each with its own key (so its own partition, in order),
    small records and some larger than a queue chunk (64 KiB); every record gets exactly one report, and each
    thread's records have increasing offsets in the order it produced them."""
    topic = make_topic(3)
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 2})
    reports = {}
    lock = threading.Lock()

    def worker(n):
        for i in range(3000):
            value = (b"%d-%d|" % (n, i)) * (20000 if i % 500 == 7 else 1)
            while True:
                try:
                    p.produce(topic, value, key=b"thread-%d" % n, headers=[("i", str(i))],
                              on_delivery=lambda err, msg, n=n, i=i: record(n, i, err, msg))
                    break
                except BufferError:
                    p.poll(0.05)
            p.poll(0)

    def record(n, i, err, msg):
        with lock:
            assert (n, i) not in reports
            reports[(n, i)] = (err, msg.partition(), msg.offset())

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert p.flush(60) == 0
    assert len(reports) == 4 * 3000
    for n in range(4):
        rows = [reports[(n, i)] for i in range(3000)]
        assert all(err is None for err, _, _ in rows)
        assert len({part for _, part, _ in rows}) == 1
        offsets = [off for _, _, off in rows]
        assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)
