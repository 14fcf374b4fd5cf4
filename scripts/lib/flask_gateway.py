"""The comparison gateway of scripts/demo-server: the same POST /topics/<topic> (REST Proxy v2 JSON format) as
kafkio-server, written the common way: Flask under `gunicorn -k gevent`, confluent-kafka (librdkafka) producing.

Two modes (environment KAFKIO_GATEWAY_MODE), the two ways such services are written:
- flush (default): flush() per request, so that a 200 means Kafka acknowledged the records (what kafkio-server's
  default answer means). flush() is a blocking C call: gevent cannot switch greenlets during it, so the worker's
  other connections wait. That is the stall being compared.
- poll0: produce(), then poll(0) and answer at once, the known workaround. Fast, but the answer no longer knows
  whether Kafka accepted the record: the offsets are null, a failure is only seen later in a log, and records
  still queued when the worker exits are lost (confluent-kafka does not flush on exit).

The client library is the one difference between the demo's Python rows (environment KAFKIO_GATEWAY_CLIENT):
- confluent (default): confluent-kafka, as the seed's service is written.
- kafkio: kafkio's Python package (docs/python.md), the drop-in: the import below is the only line that changes,
  and its flush() waits cooperatively, so the gevent worker keeps serving other requests meanwhile.

Run: KAFKIO_BOOTSTRAP=127.0.0.1:9092 gunicorn -k gevent -w 4 -b 127.0.0.1:8083 --chdir scripts/lib flask_gateway:app
"""
import json
import os

if os.environ.get("KAFKIO_GATEWAY_CLIENT", "confluent") == "kafkio":
    from kafkio import Producer
else:
    from confluent_kafka import Producer
from flask import Flask, Response, request

app = Flask(__name__)
_flush_per_request = os.environ.get("KAFKIO_GATEWAY_MODE", "flush") != "poll0"
_producer = None  # one per worker process, created after gunicorn forked it


def producer():
    global _producer
    if _producer is None:
        _producer = Producer({"bootstrap.servers": os.environ["KAFKIO_BOOTSTRAP"], "linger.ms": 5,
                              "enable.idempotence": True, "acks": "all"})
    return _producer


@app.post("/topics/<topic>")
def produce(topic):
    try:
        body = request.get_json(force=True)
        records = body["records"]
    except Exception as e:  # malformed body
        return Response(json.dumps({"error_code": 422, "message": str(e)}), 422,
                        content_type="application/vnd.kafka.v2+json")
    results = [None] * len(records)

    def delivered(i):
        def cb(err, msg):
            results[i] = ({"partition": None, "offset": None, "error_code": 50002, "error": str(err)} if err else
                          {"partition": msg.partition(), "offset": msg.offset(), "error_code": None, "error": None})
        return cb

    p = producer()
    for i, r in enumerate(records):
        key = r.get("key")
        p.produce(topic, value=json.dumps(r.get("value"), separators=(",", ":")).encode(),
                  key=None if key is None else json.dumps(key).encode(), on_delivery=delivered(i))
        p.poll(0)
    if _flush_per_request:
        p.flush()
    else:  # poll0: results stay None (REST Proxy's null offset): nobody knows yet whether Kafka has the record
        results = [r or {"partition": None, "offset": None, "error_code": None, "error": None} for r in results]
    return Response(json.dumps({"offsets": results}), 200, content_type="application/vnd.kafka.v2+json")


@app.get("/healthz")
def healthz():
    return "ok\n"
