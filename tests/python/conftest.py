"""Fixtures for kafkio's Python tests: a real broker (scripts/with-kafka sets KAFKIO_BOOTSTRAP), topics, Kafka's
console consumer for read-back, and the slow broker (scripts/lib/delay_proxy.py in front of the DELAYED listener).
Run by scripts/test; by hand: scripts/with-kafka -- "$venv/bin/python" -m pytest tests/python"""
import os
import pathlib
import socket
import subprocess
import sys
import time
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
KAFKA = ROOT / "scripts" / "kafka"


@pytest.fixture(scope="session")
def bootstrap():
    value = os.environ.get("KAFKIO_BOOTSTRAP")
    if not value:
        pytest.fail("KAFKIO_BOOTSTRAP is not set: run the tests under scripts/with-kafka")
    return value


def _admin(bootstrap):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bootstrap})


@pytest.fixture(scope="session")
def make_topic(bootstrap):
    """make_topic(partitions=3) -> a new topic's name (created with confluent-kafka's AdminClient, the peer)."""
    from confluent_kafka.admin import NewTopic
    admin = _admin(bootstrap)

    def make(partitions=3, prefix="py"):
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        for future in admin.create_topics([NewTopic(name, partitions, 1)]).values():
            future.result(30)
        return name
    return make


def consume(topic, count, timestamps=False, timeout_ms=30000, read_committed=False):
    """Kafka's console consumer (scripts/kafka consume): a list of dicts partition, offset, headers, key, value
    (and timestamp), as its lines print them ("null" for a null key or value). read_committed: only records of
    committed transactions."""
    args = [str(KAFKA), "consume", topic, "--max", str(count), "--timeout-ms", str(timeout_ms)]
    if timestamps:
        args.append("--timestamp")
    if read_committed:
        args.append("--read-committed")
    out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout
    records = []
    for line in out.splitlines():
        fields = line.split("\t")
        if not fields or not fields[0].startswith(("Partition:", "CreateTime:", "LogAppendTime:")):
            continue
        r = {}
        if timestamps:
            kind, ms = fields.pop(0).split(":")
            r["timestamp"] = (kind, int(ms))
        r["partition"] = int(fields[0].split(":")[1])
        r["offset"] = int(fields[1].split(":")[1])
        r["headers"], r["key"], r["value"] = fields[2], fields[3], "\t".join(fields[4:])
        records.append(r)
    return records


@pytest.fixture(scope="session")
def slow_bootstrap(bootstrap):
    """The broker behind a +50 ms round trip (delay proxy on the DELAYED listener), as scripts/demo-server does."""
    delayed = subprocess.run([str(KAFKA), "bootstrap", "--delayed"], check=True, capture_output=True,
                             text=True).stdout.strip()
    advertised = int(delayed.rsplit(":", 1)[1])
    proxy = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "lib" / "delay_proxy.py"), "--listen",
                              str(advertised), "--target", f"127.0.0.1:{advertised - 1}", "--delay-ms", "25"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", advertised), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("the delay proxy did not come up")
        yield delayed
    finally:
        proxy.terminate()
        proxy.wait(10)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
