"""A Flask app for gunicorn -k gevent (test_gunicorn.py): POST /accept/<topic>/<id> produces the id and answers
202 at once (poll(0)), the pattern that loses records on shutdown unless the worker flushes as it exits; the
gunicorn configuration next to it (gunicorn_conf.py) does. One Producer per worker process, created on first use
after gunicorn forked the worker (docs/python.md, "gunicorn")."""
import os

from flask import Flask

from kafkio import Producer

app = Flask(__name__)
_producer = None


def producer():
    global _producer
    if _producer is None:
        _producer = Producer({"bootstrap.servers": os.environ["KAFKIO_BOOTSTRAP"],
                              "linger.ms": int(os.environ.get("APP_LINGER_MS", "1000"))})
    return _producer


@app.post("/accept/<topic>/<rid>")
def accept(topic, rid):
    p = producer()
    p.produce(topic, rid.encode())
    p.poll(0)
    return "accepted\n", 202


@app.get("/healthz")
def healthz():
    return "ok\n"
