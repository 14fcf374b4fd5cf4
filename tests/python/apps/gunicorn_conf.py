"""gunicorn settings for accept_app: the per-worker producer is flushed when the worker exits (SIGTERM, max
requests, reload), so every record a 202 accepted reaches Kafka."""
import sys

worker_class = "gevent"
graceful_timeout = 30


def worker_exit(server, worker):
    app = sys.modules.get("accept_app")  # imported by the worker (after --chdir), not by this file
    if app is not None and app._producer is not None:
        left = app._producer.flush(20)
        server.log.info("worker %s flushed its producer (%d left)", worker.pid, left)
