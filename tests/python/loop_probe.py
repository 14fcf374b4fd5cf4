"""Measures how late a 1 ms ticker on the event loop runs while many tasks produce and flush through a producer.
Run as its own process (gevent must monkey-patch before anything else, and its monitor thread is configured by
environment), by test_loop_lateness.py; prints one JSON line.

    loop_probe.py gevent  kafkio|confluent BOOTSTRAP TOPIC [TASKS ROUNDS]
    loop_probe.py asyncio kafkio            BOOTSTRAP TOPIC [TASKS ROUNDS]

gevent: TASKS greenlets each do ROUNDS x (produce(); flush()) - the seed's request handler - while a greenlet
sleeps 1 ms in a loop and records how late each wake-up is. gevent's monitor thread (GEVENT_MONITOR_THREAD_ENABLE,
set by the test) reports every time the hub did not run for GEVENT_MAX_BLOCKING_TIME; those reports are counted.
asyncio: the same with kafkio.aio.AIOProducer (await produce(), await the delivery, await flush()).
"""
import json
import sys
import time

mode, client, bootstrap, topic = sys.argv[1:5]
tasks, rounds = (int(sys.argv[5]), int(sys.argv[6])) if len(sys.argv) > 6 else (100, 5)
conf = {"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all", "enable.idempotence": True}


def p99_ms(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(0.99 * len(values)))] * 1e3 if values else None


def summary(lateness, **extra):
    lateness = sorted(lateness)
    pick = lambda q: lateness[min(len(lateness) - 1, int(q * len(lateness)))] * 1e3  # noqa: E731
    return json.dumps({"client": client, "mode": mode, "ticks": len(lateness), "p50_ms": pick(0.5),
                       "p99_ms": pick(0.99), "max_ms": lateness[-1] * 1e3, **extra})


def run_gevent():
    from gevent import monkey
    monkey.patch_all()
    import gevent
    import gevent.events

    blocked = []
    gevent.events.subscribers.append(
        lambda event: blocked.append(event.blocking_time) if isinstance(event, gevent.events.EventLoopBlocked)
        else None)
    if client == "kafkio":
        from kafkio import Producer
    else:
        from confluent_kafka import Producer
    producer = Producer(conf)
    producer.produce(topic, b"warm-up")  # connections and metadata before the measurement, for both clients
    producer.flush(30)

    delivered, errors, lateness, running = [], [], [], [True]

    def on_delivery(err, msg):
        (errors if err else delivered).append(err)

    def ticker():
        while running[0]:
            t0 = time.perf_counter()
            gevent.sleep(0.001)
            lateness.append(time.perf_counter() - t0 - 0.001)

    def worker(i):
        for r in range(rounds):
            producer.produce(topic, f"{i}-{r}".encode(), on_delivery=on_delivery)
            producer.flush(30)

    tick = gevent.spawn(ticker)
    gevent.sleep(0.2)  # the ticker alone: the machine's own noise
    baseline = list(lateness)
    del lateness[:]
    start = time.perf_counter()
    gevent.joinall([gevent.spawn(worker, i) for i in range(tasks)])
    elapsed = time.perf_counter() - start
    running[0] = False
    tick.join()
    gevent.sleep(0.3)  # let the monitor thread look once more
    print(summary(lateness, delivered=len(delivered), errors=len(errors), blocked_reports=len(blocked),
                  longest_block_ms=max(blocked, default=0) * 1e3, elapsed_s=elapsed,
                  baseline_p99_ms=p99_ms(baseline)))


def run_asyncio():
    import asyncio
    from kafkio.aio import AIOProducer

    async def main():
        producer = AIOProducer(conf)
        await (await producer.produce(topic, b"warm-up"))
        lateness, running, delivered = [], [True], []

        async def ticker():
            loop = asyncio.get_running_loop()
            while running[0]:
                t0 = loop.time()
                await asyncio.sleep(0.001)
                lateness.append(loop.time() - t0 - 0.001)

        async def worker(i):
            for r in range(rounds):
                future = await producer.produce(topic, f"{i}-{r}".encode())
                await producer.flush(30)
                delivered.append(await future)

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.2)  # the ticker alone: the machine's own noise
        baseline = list(lateness)
        del lateness[:]
        start = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(tasks)))
        elapsed = time.perf_counter() - start
        running[0] = False
        await tick
        await producer.close()
        print(summary(lateness, delivered=len(delivered), errors=0, elapsed_s=elapsed, baseline_p99_ms=p99_ms(baseline)))

    asyncio.run(main())


run_gevent() if mode == "gevent" else run_asyncio()
