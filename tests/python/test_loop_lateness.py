"""The loop never blocks: a 1 ms ticker on the loop while 100 tasks produce + flush() through the slow (+50 ms
round trip) broker. kafkio must keep the ticker's p99 lateness under 2 ms with no report from gevent's monitor
thread; confluent-kafka, in the same probe, must fail it (so that the test can fail).

The probe runs under SCHED_FIFO when the machine allows it (chrt, as scripts/bench does for its lateness runs): on a
2-core machine shared with the broker and other builds, the scheduler otherwise preempts the probe for several ms
(the ticker alone measured a p99 of 4-7 ms at load 8), which is not the loop blocking. With it, what is measured is
the loop's own stalls; without it (no permission), the best of 3 runs is taken."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

PROBE = ROOT / "tests" / "python" / "loop_probe.py"
TASKS, ROUNDS = 100, 5


def _realtime_prefix():
    chrt = shutil.which("chrt")
    if chrt and subprocess.run([chrt, "-f", "10", "true"], capture_output=True).returncode == 0:
        return [chrt, "-f", "10"]
    return []


REALTIME = _realtime_prefix()


def probe(mode, client, bootstrap, topic):
    env = dict(os.environ, GEVENT_MONITOR_THREAD_ENABLE="1", GEVENT_MAX_BLOCKING_TIME="0.1", PYTHONUNBUFFERED="1")
    out = subprocess.run(REALTIME + [sys.executable, str(PROBE), mode, client, bootstrap, topic, str(TASKS),
                                     str(ROUNDS)], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-4000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(result)
    return result


ATTEMPTS = 3  # the p99 bound is judged on the best of 3 runs: other processes on a 2-core machine preempt us too


def best_of(mode, client, bootstrap, make_topic):
    """Runs the probe until its p99 meets the bound (at most ATTEMPTS times); every run must be complete and,
    under gevent, free of monitor reports (those are 100 ms stalls: no scheduler noise explains them)."""
    runs = []
    for _ in range(ATTEMPTS):
        r = probe(mode, client, bootstrap, make_topic())
        assert r["delivered"] == TASKS * ROUNDS and r["errors"] == 0, r
        assert r["ticks"] > 100, r
        assert r.get("blocked_reports", 0) == 0, r
        # 100 tasks waited concurrently: each round takes a round trip or two, not 100 of them.
        assert r["elapsed_s"] < ROUNDS * 0.5, r
        runs.append(r)
        if r["p99_ms"] < 2.0:
            break
    assert min(r["p99_ms"] for r in runs) < 2.0, [(r["p99_ms"], r["max_ms"], r["baseline_p99_ms"]) for r in runs]


def test_gevent_kafkio_flush_does_not_block_the_hub(slow_bootstrap, make_topic):
    best_of("gevent", "kafkio", slow_bootstrap, make_topic)


def test_gevent_confluent_flush_blocks_the_hub(slow_bootstrap, make_topic):
    """The same probe with confluent-kafka: its flush() waits inside librdkafka on the hub's thread."""
    r = probe("gevent", "confluent", slow_bootstrap, make_topic())
    assert r["delivered"] == TASKS * ROUNDS
    failed_lateness = r["p99_ms"] >= 2.0
    failed_monitor = r["blocked_reports"] > 0
    assert failed_lateness and failed_monitor, f"confluent-kafka was expected to block the hub: {r}"


def test_asyncio_aioproducer_does_not_block_the_loop(slow_bootstrap, make_topic):
    best_of("asyncio", "kafkio", slow_bootstrap, make_topic)
