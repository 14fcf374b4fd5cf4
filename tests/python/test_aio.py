"""kafkio.aio.AIOProducer on asyncio and on uvloop: futures of delivered Messages, errors raised from them, flush,
a full buffer waited out instead of raised, records read back by Kafka's console consumer."""
import asyncio

import pytest
import uvloop

from kafkio import KafkaError, KafkaException
from kafkio.aio import AIOProducer

from conftest import consume, free_port


def run(coro_fn, loop_kind):
    if loop_kind == "uvloop":
        return uvloop.run(coro_fn())
    return asyncio.run(coro_fn())


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_produce_await_delivery_and_read_back(bootstrap, make_topic, loop_kind):
    topic = make_topic(1)

    async def main():
        async with AIOProducer({"bootstrap.servers": bootstrap, "queue.buffering.max.messages": 10}) as p:
            futures = [await p.produce(topic, f"v{i}".encode(), key=b"k", headers=[("n", str(i))])
                       for i in range(30)]  # 30 > the buffer's 10: produce() waits for room
            assert await p.flush(30) == 0
            return [await f for f in futures]

    msgs = run(main, loop_kind)
    assert [m.offset() for m in msgs] == list(range(30))
    assert [m.value() for m in msgs] == [f"v{i}".encode() for i in range(30)]
    got = consume(topic, 30)
    assert [(r["key"], r["value"], r["headers"]) for r in got] == [("k", f"v{i}", f"n:{i}") for i in range(30)]


def test_failed_delivery_raises_from_the_future():
    async def main():
        p = AIOProducer({"bootstrap.servers": f"127.0.0.1:{free_port()}", "message.timeout.ms": 1000})
        future = await p.produce("t", b"x")
        with pytest.raises(KafkaException) as e:
            await future
        await p.close()
        return e.value.args[0]

    err = asyncio.run(main())
    assert err.code() == KafkaError._MSG_TIMED_OUT
