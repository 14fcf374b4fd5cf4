"""One Python producer run for bench/run_bench.py's `python` suite: kafkio.Producer or confluent_kafka.Producer,
the loop web services and scripts write: produce() with a delivery callback, poll(0) after each, poll(0.1) and
retry on BufferError, flush() at the end. Prints one JSON line: records, seconds (first produce to the end of
flush), records_per_sec, cpu_s (user + system of the whole process, all threads, during that span), errors.

    python bench/python_producer.py kafkio|confluent BOOTSTRAP TOPIC RECORDS SIZE [key=value ...]
Run it with the project's virtualenv (scripts/lib/venv.sh), where both packages are installed.
"""
import json
import resource
import sys
import time

client, bootstrap, topic, records, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
extra = dict(kv.split("=", 1) for kv in sys.argv[6:])
if client == "kafkio":
    from kafkio import Producer
else:
    from confluent_kafka import Producer

conf = {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5,
        "compression.type": "none", **extra}
producer = Producer(conf)
producer.produce(topic, b"warm-up")  # connect and fetch metadata before the clock starts
producer.flush(30)

delivered = [0, 0]  # ok, failed


def on_delivery(err, msg):
    delivered[1 if err is not None else 0] += 1


value = b"x" * size
produce, poll = producer.produce, producer.poll


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


cpu0, t0 = cpu(), time.perf_counter()
for _ in range(records):
    while True:
        try:
            produce(topic, value, on_delivery=on_delivery)
            break
        except BufferError:
            poll(0.1)
    poll(0)
left = producer.flush(120)
seconds, cpu_s = time.perf_counter() - t0, cpu() - cpu0
print(json.dumps({"client": client, "records": records, "size": size, "seconds": round(seconds, 4),
                  "records_per_sec": round(records / seconds, 1), "cpu_s": round(cpu_s, 4),
                  "cpu_us_per_record": round(cpu_s * 1e6 / records, 3), "delivered": delivered[0],
                  "errors": delivered[1], "left": left, "config": conf}))
