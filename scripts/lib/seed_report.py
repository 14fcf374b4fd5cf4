#!/usr/bin/env python3
"""Tables and charts of scripts/demo-server's runs (the seed's experiment).

Usage: seed_report.py RESULTS.jsonl [--doc docs/seed-scenario.md]

RESULTS.jsonl has one JSON object per gateway run (written by scripts/demo-server). Prints a markdown table per
case (broker as it is, slow broker); with --doc also writes that markdown page and two SVG charts next to it
(docs/seed-scenario/*.svg), with the machine, the settings and the date. Standard library only (plus
bench/svg_chart.py).
"""
import argparse
import datetime
import json
import os
import platform
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import svg_chart  # noqa: E402

COLUMNS = ["gateway", "req/s", "p50 ms", "p99 ms", "errors", "2xx", "in Kafka", "answer confirms delivery",
           "every 2xx record in Kafka"]


def row(r):
    errors = r["non2xx"] + r["socket_errors"]
    found = r["in_kafka"] >= r["ok"]
    return [r["gateway"], "%.0f" % r["rps"], "%.1f" % r["p50_ms"], "%.1f" % r["p99_ms"], str(errors), str(r["ok"]),
            str(r["in_kafka"]), "yes" if r["confirms"] else "**no** (answers before the ack)",
            "yes" if found else "**no: %d missing**" % (r["ok"] - r["in_kafka"])]


def table(rows):
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join([" --- "] * len(COLUMNS)) + "|"]
    lines += ["| " + " | ".join(row(r)) + " |" for r in rows]
    return "\n".join(lines)


def cases_in_order(results):
    seen = []
    for r in results:
        if r["case"] not in seen:
            seen.append(r["case"])
    return seen


def render_tables(results):
    out = []
    for case in cases_in_order(results):
        rows = [r for r in results if r["case"] == case]
        out.append("### " + case + "\n\n" + table(rows) + "\n")
    return "\n".join(out)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%d CPU(s), %s, Linux %s" % (os.cpu_count() or 0, cpu, platform.release())


def charts(results, directory):
    os.makedirs(directory, exist_ok=True)
    cases = cases_in_order(results)
    gateways = []
    for r in results:
        if r["gateway"] not in gateways:
            gateways.append(r["gateway"])

    def value(case, gw, key):
        for r in results:
            if r["case"] == case and r["gateway"] == gw:
                return r[key]
        return None

    first = results[0]
    subtitle = "%d connections, %d workers each, one JSON record per request" % (first["connections"], first["workers"])
    svg_chart.grouped_bars("Requests per second (higher is better)", subtitle, cases,
                           [(gw, [value(c, gw, "rps") for c in cases]) for gw in gateways], "requests/s",
                           os.path.join(directory, "throughput.svg"))
    svg_chart.grouped_bars("p99 latency (lower is better)", subtitle, cases,
                           [(gw, [value(c, gw, "p99_ms") for c in cases]) for gw in gateways], "ms",
                           os.path.join(directory, "p99-latency.svg"))


def reading(results):
    """What the tables say, computed from them (so the prose cannot drift from the numbers)."""
    def get(case, gateway):
        return next((r for r in results if r["case"] == case and r["gateway"] == gateway), None)

    out = []
    for case in cases_in_order(results):
        k, f, p = get(case, "kafkio-server"), get(case, "flask flush()"), get(case, "flask poll(0)")
        py = get(case, "flask flush(), kafkio")
        if not (k and f):
            continue
        line = ("- *%s*: kafkio-server answered %.1fx the requests of the flush() gateway, both confirming delivery, "
                "at a p99 of %.0f ms against %.0f ms." % (case, k["rps"] / max(f["rps"], 1e-9), k["p99_ms"],
                                                          f["p99_ms"]))
        if p:
            line += (" The poll(0) gateway answered %.0f requests/s (%.2fx kafkio-server) without knowing whether "
                     "Kafka accepted them." % (p["rps"], p["rps"] / max(k["rps"], 1e-9)))
        if py:
            line += (" The same Flask flush() gateway with kafkio's Python package answered %.0f requests/s "
                     "(%.0f%% of kafkio-server, %.1fx confluent-kafka's flush()) at a p99 of %.0f ms, confirming "
                     "delivery." % (py["rps"], 100 * py["rps"] / max(k["rps"], 1e-9),
                                    py["rps"] / max(f["rps"], 1e-9), py["p99_ms"]))
        added_rtt = 2 * k.get("slow_one_way_ms", 0)
        if case.startswith("slow") and k["p50_ms"] >= added_rtt > 0:
            line += (" kafkio-server's p50 (%.0f ms) is the added %d ms round trip plus linger, and each of wrk's %d "
                     "connections waits for its answer before the next request, so %d / %.0f ms = about %.0f "
                     "requests/s is all wrk asks of it: the load generator's limit, not the server's." % (
                         k["p50_ms"], added_rtt, k["connections"], k["connections"], k["p50_ms"],
                         k["connections"] / (k["p50_ms"] / 1000.0)))
        out.append(line)
    out.append("- flush() holds the whole gevent worker for a round trip plus the linger time, so requests queue "
               "behind each other (its p99) and a slow broker caps it near workers / round trip.")
    out.append("- poll(0)'s 200 says nothing about delivery: the offsets are null, a failed record is only logged, "
               "and records still queued when a worker exits are dropped (the \"in Kafka\" column shows it when "
               "that happens).")
    return "\n".join(out)


def load_text(results):
    """The machine's load average as the runs started: other work on the cores lowers every row."""
    loads = [r["load"] for r in results if "load" in r]
    if not loads:
        return ""
    return "; 1-minute load average %.1f to %.1f as the runs started" % (min(loads), max(loads))


def write_doc(results, path):
    first = results[0]
    directory = os.path.splitext(path)[0]
    charts(results, directory)
    rel = os.path.basename(directory)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = """# The seed's experiment: HTTP -> Kafka under load

Written by `scripts/demo` (through `scripts/demo-server --doc docs/seed-scenario.md`); every figure below comes from
the run it describes. What started kafkio: a Python web service under `gunicorn -k gevent` publishing with
confluent-kafka (librdkafka) freezes its event loop in `flush()`, so each worker serves one request at a time; the
known workaround `poll(0)` answers fast but no longer knows whether Kafka accepted the record.

**Setup.** One single-node Apache Kafka (KRaft) on loopback; each gateway in turn with {workers} worker processes;
wrk with {connections} connections for {duration} s (after a 2 s warm-up on another topic), each request posting one
REST Proxy v2 JSON record (`scripts/lib/wrk_post.lua`) to a 3-partition topic; acks=all, idempotence on, linger.ms=5
for every producer. The gateways:

- **kafkio-server**: `server_example/`, prefork workers on Boost.Beast with kafkio's producer on each worker's event
  loop; answers 200 with the offsets after Kafka acknowledged the record.
- **flask flush()**: Flask + `gunicorn -k gevent` + confluent-kafka, `flush()` per request
  (`scripts/lib/flask_gateway.py`); answers 200 after the ack as well.
- **flask poll(0)**: the same with `poll(0)` instead of `flush()`; answers 200 at once, with null offsets.
- **flask flush(), kafkio**: the flush() gateway with `from kafkio import Producer` instead of confluent-kafka's
  (the import is the only change; [docs/python.md](python.md)): Flask + gunicorn -k gevent + kafkio (Python),
  `flush()` per request; its flush() waits cooperatively, and it answers 200 after the ack.

**Cases.** *Broker as it is*: loopback, sub-millisecond round trips. *Slow broker*: every byte between client and
broker delayed by {one_way} ms each way (`scripts/lib/delay_proxy.py` in front of the broker's DELAYED listener,
which advertises the proxy, so every connection goes through it): about {rtt} ms per request/response round trip,
where a server that blocks on each request is limited to about workers / round trip = {bound} requests/s.

**Columns.** req/s and latency as wrk measured them; errors = non-2xx answers plus socket errors and timeouts;
2xx = records answered with success; in Kafka = records the topic holds afterwards (sum of end offsets, Kafka's
GetOffsetShell, after every gateway was stopped with SIGTERM); "answer confirms delivery" = whether a 200 means
Kafka acknowledged the record.

Machine: {machine}; the client (wrk), the gateway and the broker share these cores. Run {when}{load}.

{tables}
![Requests per second]({rel}/throughput.svg)

![p99 latency]({rel}/p99-latency.svg)

## Reading it

{reading}
""".format(load=load_text(results), workers=first["workers"], connections=first["connections"], duration=first["duration"],
           one_way=first.get("slow_one_way_ms", 25), rtt=2 * first.get("slow_one_way_ms", 25),
           bound="%.0f" % (first["workers"] / (2 * first.get("slow_one_way_ms", 25) / 1000.0)),
           machine=machine(), when=when, tables=render_tables(results), rel=rel, reading=reading(results))
    with open(path, "w") as f:
        f.write(text)


def main():
    p = argparse.ArgumentParser(description="tables and charts of scripts/demo-server's runs")
    p.add_argument("results")
    p.add_argument("--doc")
    a = p.parse_args()
    with open(a.results) as f:
        results = [json.loads(line) for line in f if line.strip()]
    if not results:
        sys.exit("seed_report: no results")
    print(render_tables(results))
    if a.doc:
        write_doc(results, a.doc)
        print("written: %s and its charts in %s/" % (a.doc, os.path.splitext(a.doc)[0]))


if __name__ == "__main__":
    main()
