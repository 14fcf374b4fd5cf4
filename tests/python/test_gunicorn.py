"""gunicorn's prefork with gevent workers: 4 workers, each with its own kafkio Producer, answer 202 after produce()
+ poll(0); SIGTERM to the master while requests are coming in must still put every accepted record into Kafka
(the workers flush as they exit, gunicorn_conf.py). Read back with Kafka's console consumer."""
import http.client
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

from conftest import consume, free_port

APPS = pathlib.Path(__file__).resolve().parent / "apps"


def post(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path)
        return conn.getresponse().status
    finally:
        conn.close()


def test_sigterm_flushes_every_accepted_record(bootstrap, make_topic):
    topic = make_topic(3)
    port = free_port()
    gunicorn = pathlib.Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen([str(gunicorn), "-c", str(APPS / "gunicorn_conf.py"), "-w", "4", "-b",
                               f"127.0.0.1:{port}", "--chdir", str(APPS), "accept_app:app"],
                              env=dict(os.environ, KAFKIO_BOOTSTRAP=bootstrap, APP_LINGER_MS="1000"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        accepted, lock, stop = [], threading.Lock(), threading.Event()

        def client(n):
            i = 0
            while not stop.is_set() and i < 2000:
                rid = f"{n}-{i}"
                try:
                    if post(port, f"/accept/{topic}/{rid}") == 202:
                        with lock:
                            accepted.append(rid)
                except OSError:
                    pass  # refused or reset once the workers stop: not accepted
                i += 1

        clients = [threading.Thread(target=client, args=(n,)) for n in range(16)]
        for c in clients:
            c.start()
        time.sleep(1.5)
        server.send_signal(signal.SIGTERM)  # linger.ms=1000: records of the last second are still buffered
        time.sleep(0.5)
        stop.set()
        for c in clients:
            c.join()
        output, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, output
    assert output.count("flushed its producer (0 left)") == 4, output
    assert len(accepted) > 100, output
    got = [r["value"] for r in consume(topic, len(accepted), timeout_ms=20000)]
    assert len(got) == len(set(got)), "duplicates in Kafka"
    assert set(accepted) <= set(got), f"{len(set(accepted) - set(got))} accepted records are not in Kafka"
