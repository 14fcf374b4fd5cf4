#!/usr/bin/env python3
"""Turns bench/results/raw/*.json (written by bench/run_bench.py) into:
  - bench/results/summary.json   the committed summary (machine, versions, every figure the tables show);
  - docs/benchmarks/*.svg         charts (stdlib SVG, bench/svg_chart.py);
  - docs/benchmarks.md            the block between the "bench:results" markers is replaced by the tables.
Usage: bench/report.py [--results bench/results] [--doc docs/benchmarks.md] [--charts docs/benchmarks]
       [--from-summary]  (re-render the docs from a committed summary.json, without raw results)
       [--print SUITE]   (print one suite's table from the raw results; writes nothing)
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svg_chart  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
CLIENTS = ("kafkio", "librdkafka", "java")
ROW_KEYS = ("client", "config", "realtime", "round", "exit", "error", "wall_s", "load_before", "load_after", "cpu_s", "user_s", "system_s",
            "max_rss_kb", "preempted", "machine_idle_pct", "steal_pct", "sink_cpu_s", "records", "records_per_sec", "mb_per_sec", "avg_ms", "max_ms", "p50_ms",
            "p95_ms", "p99_ms", "p999_ms", "cpu_s_per_million", "records_per_cpu_s", "lateness_p50_us",
            "lateness_p99_us", "lateness_p999_us", "lateness_max_us", "turn_p99_us", "turn_p999_us", "turn_max_us",
            "turns_over_500us", "loop_nivcsw", "loop_minflt", "records_per_request", "batches_per_request")
# The peers of issue 14's targets ("best peer"), and every client a peers table shows (Debian's librdkafka 2.0.2 is
# a historical row: shown, never the best peer).
PEERS = ("librdkafka-2.16", "franz-go", "java")
ALL_CLIENTS = ("kafkio",) + PEERS + ("librdkafka",)
MICRO_KEYS = ("name", "cpu_time", "time_unit", "bytes_per_second", "items_per_second", "label", "ratio", "error_message")


def summarize(raw_dir):
    suites = {}
    for name in ("micro", "alloc", "sink", "lateness", "kafka", "latency", "large", "python", "tls"):
        path = os.path.join(raw_dir, name + ".json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            data = json.load(f)
        if name == "micro":
            data = {"benchmarks": [{k: b[k] for k in MICRO_KEYS if k in b} for b in data.get("benchmarks", [])],
                    "load_before": data.get("load_before"), "load_after": data.get("load_after"),
                    "quick": data.get("quick"), "started": data.get("started")}
        elif "rows" in data and name not in ("alloc", "python"):  # python rows: bench/python_producer.py's fields
            data["rows"] = [{k: r[k] for k in ROW_KEYS if k in r} for r in data["rows"]]
        suites[name] = data
    with open(os.path.join(raw_dir, "machine.json")) as f:
        machine = json.load(f)
    return {"generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine, "suites": suites}


# formatting -------------------------------------------------------------------------------------------------------
def rate(v):
    if v is None:
        return "–"
    return "%.2f M" % (v / 1e6) if v >= 1e6 else "%.0f k" % (v / 1e3) if v >= 1e4 else "%.0f" % v


def num(v, digits=2):
    return "–" if v is None else ("%%.%df" % digits) % v


def ratio(a, b):
    return None if a is None or not b else a / b


def xfmt(v):
    return "–" if v is None else "%.2f×" % v


def size_name(n):
    return "1 KiB" if n == 1024 else "%d B" % n


def cfg_name(c):
    s = "%s, acks=%s, linger %d, %s" % (size_name(c["size"]), c["acks"], c["linger_ms"], c["codec"])
    s += ", %d rec/s" % c["throughput"] if c.get("throughput", -1) > 0 else ""
    return s + (", batch.size %s" % ("1 MB" if c["batch_size"] == 1000000 else c["batch_size"]) if "batch_size" in c else "")


def by_config(rows):
    """[(config, {client: row})] in first-seen order, failed runs left out."""
    out, index = [], {}
    for r in rows:
        key = json.dumps(r["config"], sort_keys=True)
        if key not in index:
            index[key] = len(out)
            out.append((r["config"], {}))
        if r.get("exit") == 0 and r.get("records_per_sec") is not None:
            out[index[key]][1][r["client"]] = r
    return out


def get(row, key):
    return None if row is None else row.get(key)


def load_range(rows):
    loads = [x for r in rows for x in (r.get("load_before", [None])[0], r.get("load_after", [None])[0]) if x is not None]
    return "%.1f–%.1f" % (min(loads), max(loads)) if loads else "?"


def geomean(xs):
    xs = [x for x in xs if x]
    return statistics.geometric_mean(xs) if xs else None


# sections ---------------------------------------------------------------------------------------------------------
def section_machine(s):
    m = s["machine"]
    quick = any(d.get("quick") for d in s["suites"].values())
    lines = ["Generated %s by `scripts/bench%s`. Machine: %s CPU(s), %s, %s GiB RAM, Linux %s." % (
        s["generated"], " --quick" if quick else "", m["nproc"], m["cpu"], m["memory_gib"], m["kernel"]),
        "Versions: kafkio %s (%s, %s build), librdkafka %s (Debian), Apache Kafka %s (broker and Java client, %s), "
        "Boost %s." % (m["kafkio"], m["compiler"], m["build_type"], m["librdkafka"], m["kafka"], m["java"], m["boost"]),
        "", "Load average (1 min) around the runs, per suite: " + ", ".join(
            "%s %s" % (name, load_range(d.get("rows", [])) if name != "micro" else "%.1f–%.1f" % (
                min(d["load_before"][0], d["load_after"][0]), max(d["load_before"][0], d["load_after"][0])))
            for name, d in s["suites"].items() if d.get("rows") or name == "micro") + "."]
    if quick:
        lines.append("**These are `--quick` figures: small record counts and a reduced matrix; treat them as a smoke "
                     "test of the pipeline, not as measurements.**")
    return "\n".join(lines)


def section_targets(s):
    su = s["suites"]
    rows = ["| target (issue 6) | measured | status |", "| --- | --- | --- |"]

    def verdict(ok):
        return "met" if ok else "**not met**"

    def cpu_ratios(suite):
        return [ratio(get(c.get("kafkio"), "cpu_s_per_million"), get(c.get("librdkafka"), "cpu_s_per_million"))
                for _, c in by_config(su[suite]["rows"]) if "kafkio" in c and "librdkafka" in c] if suite in su else []
    for suite, where in (("sink", "ack sink"), ("kafka", "real Kafka, 16 KiB batches"),
                         ("large", "real Kafka, 1 MB batches")):
        rs = [r for r in cpu_ratios(suite) if r is not None]
        if rs:
            rows.append("| client CPU per record ≤ 0.5× librdkafka (%s) | kafkio/librdkafka CPU %s–%s, median %s "
                        "(%d configurations) | %s |" % (where, xfmt(min(rs)), xfmt(max(rs)),
                                                         xfmt(statistics.median(rs)), len(rs), verdict(max(rs) <= 0.5)))
    for suite, where, goal in (("kafka", "real Kafka, 16 KiB batches", 1.0), ("large", "real Kafka, 1 MB batches", 1.0),
                               ("sink", "ack sink", 1.5)):
        if suite not in su:
            continue
        rs = [ratio(get(c.get("kafkio"), "records_per_sec"), get(c.get("librdkafka"), "records_per_sec"))
              for _, c in by_config(su[suite]["rows"]) if "kafkio" in c and "librdkafka" in c]
        rs = [r for r in rs if r is not None]
        if rs:
            met = sum(r >= goal for r in rs)
            rows.append("| records/s ≥ %slibrdkafka (%s) | %d of %d configurations; ratio %s–%s, geometric mean %s | "
                        "%s |" % ("%.1f× " % goal if goal != 1 else "", where, met, len(rs), xfmt(min(rs)), xfmt(max(rs)),
                                  xfmt(geomean(rs)), verdict(met == len(rs))))
    if "latency" in su:
        med = latency_medians(su["latency"]["rows"])
        k, r = med.get("kafkio"), med.get("librdkafka")
        if k is not None and r is not None:
            rows.append("| p99 latency at 1k records/s, linger 0, ≤ librdkafka's | median p99 of %d round(s): kafkio %s ms, "
                        "librdkafka %s ms | %s |" % (max(x.get("round", 1) for x in su["latency"]["rows"]), num(k),
                                                     num(r), verdict(k <= r)))
    if "alloc" in su:
        live = [r for r in su["alloc"]["rows"] if not r.get("dry") and "allocs_per_record" in r]
        if live:
            worst = max(r["allocs_per_record"] for r in live)
            per_request = [r["allocs_per_request"] for r in live if r.get("allocs_per_request") is not None]
            requests = (", %s–%s per Produce request" % (num(min(per_request)), num(max(per_request)))
                        if per_request else "")
            rows.append("| zero heap allocations per record in steady state | %s–%s per record%s (%d configurations) | %s |"
                        % (num(min(r["allocs_per_record"] for r in live), 4), num(worst, 4), requests, len(live),
                           verdict(worst < 0.001)))
    if "lateness" in su:
        ok_rows = [r for r in su["lateness"]["rows"] if r.get("exit") == 0 and r.get("lateness_p999_us") is not None]
        for paced in (False, True):
            lat = [r for r in ok_rows if (r["config"].get("throughput", -1) > 0) == paced]
            if not lat:
                continue
            rt = any(r.get("realtime") for r in lat)
            worst = max(r["lateness_p999_us"] for r in lat)
            within = sum(r["lateness_p999_us"] < 1000 for r in lat)
            rows.append("| loop lateness p99.9 < 1 ms (%s, %s scheduling) | %d of %d runs (codecs × sizes); worst p99.9 "
                        "%.2f ms | %s |" % ("paced at 100k records/s" if paced else "flat out",
                                            "SCHED_FIFO" if rt else "normal", within, len(lat), worst / 1000,
                                            verdict(within == len(lat))))
    return "\n".join(rows)


def latency_medians(rows):
    by_client = {}
    for r in rows:
        if r.get("exit") == 0 and r.get("p99_ms") is not None:
            by_client.setdefault(r["client"], []).append(r["p99_ms"])
    return {c: statistics.median(v) for c, v in by_client.items()}


def section_kafka(s, suite="kafka"):
    rows = s["suites"][suite]["rows"]
    head = ["| configuration | records | kafkio rec/s | librdkafka rec/s | Java rec/s | vs librdkafka | vs Java | "
            "p99 ms k / r / J | CPU s per M records k / r / J |", "| --- " * 9 + "|"]
    for cfg, c in by_config(rows):
        k, r, j = (c.get(x) for x in CLIENTS)
        head.append("| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s |" % (
            cfg_name(cfg), rate(cfg["records"]), rate(get(k, "records_per_sec")), rate(get(r, "records_per_sec")),
            rate(get(j, "records_per_sec")), xfmt(ratio(get(k, "records_per_sec"), get(r, "records_per_sec"))),
            xfmt(ratio(get(k, "records_per_sec"), get(j, "records_per_sec"))), num(get(k, "p99_ms"), 1),
            num(get(r, "p99_ms"), 1), num(get(j, "p99_ms"), 0), num(get(k, "cpu_s_per_million")),
            num(get(r, "cpu_s_per_million")), num(get(j, "cpu_s_per_million"))))
    return "\n".join(head)


def section_sink(s):
    d = s["suites"]["sink"]
    head = ["| configuration | kafkio rec/s | librdkafka rec/s | Java rec/s | vs librdkafka | records per CPU-second "
            "k / r / J | CPU s per M k / r / J | peak RSS MiB k / r / J | sink CPU (k / r / J) |", "| --- " * 9 + "|"]
    for cfg, c in by_config(d["rows"]):
        k, r, j = (c.get(x) for x in CLIENTS)

        def busy(row):
            return "–" if row is None or not row.get("wall_s") else "%.0f%%" % (100 * row.get("sink_cpu_s", 0) / row["wall_s"])

        def mib(row):
            return "–" if row is None else "%.0f" % (row["max_rss_kb"] / 1024)
        head.append("| %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s / %s / %s | %s / %s / %s |" % (
            cfg_name(cfg), rate(get(k, "records_per_sec")), rate(get(r, "records_per_sec")),
            rate(get(j, "records_per_sec")), xfmt(ratio(get(k, "records_per_sec"), get(r, "records_per_sec"))),
            rate(get(k, "records_per_cpu_s")), rate(get(r, "records_per_cpu_s")), rate(get(j, "records_per_cpu_s")),
            num(get(k, "cpu_s_per_million")), num(get(r, "cpu_s_per_million")), num(get(j, "cpu_s_per_million")),
            mib(k), mib(r), mib(j), busy(k), busy(r), busy(j)))
    return "\n".join(head)


def section_latency(s):
    rows = s["suites"]["latency"]["rows"]
    out = ["Configuration: %s; %s records per run. Java reports whole milliseconds." % (
        cfg_name(rows[0]["config"]), rate(rows[0]["config"]["records"])), "",
        "| client | round | records/s | avg ms | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | CPU s | preempted | "
        "load |", "| --- " * 12 + "|"]
    for r in rows:
        if r.get("exit") != 0:
            continue
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f |" % (
            r["client"], r.get("round", 1), rate(r.get("records_per_sec")), num(r.get("avg_ms")), num(r.get("p50_ms")),
            num(r.get("p95_ms")), num(r.get("p99_ms")), num(r.get("p999_ms")), num(r.get("max_ms")), num(r["cpu_s"]),
            r.get("preempted", "–"), r["load_before"][0]))
    med = latency_medians(rows)
    out += ["", "Median p99: " + ", ".join("%s %s ms" % (c, num(med[c])) for c in CLIENTS if c in med) + "."]
    return "\n".join(out)


def best_peer(c, key, lower_is_better):
    """(client, value) of the best peer in one configuration's {client: row}, or (None, None)."""
    vals = [(p, get(c.get(p), key)) for p in PEERS if get(c.get(p), key) is not None]
    if not vals:
        return None, None
    return (min if lower_is_better else max)(vals, key=lambda pv: pv[1])


def section_tls(s):
    """What TLS costs each client against its own plaintext run on the same broker (issue 11's target: no more,
    relative to plaintext, for kafkio than for librdkafka). Medians over the rounds."""
    rows = [r for r in s["suites"]["tls"]["rows"] if r.get("exit") == 0 and r.get("records_per_sec")]
    out = ["| configuration | client | plaintext rec/s | TLS rec/s | TLS ÷ plaintext rec/s | plaintext CPU s/M | "
           "TLS CPU s/M | TLS ÷ plaintext CPU |", "| --- " * 8 + "|"]
    groups = {}
    for r in rows:
        cfg = {k: v for k, v in r["config"].items() if k != "security"}
        key = (json.dumps(cfg, sort_keys=True), r["client"])
        groups.setdefault(key, {}).setdefault(r["config"]["security"], []).append(r)
    for (cfg_key, client), by_sec in groups.items():
        def med(sec, key):
            vals = [r[key] for r in by_sec.get(sec, []) if r.get(key) is not None]
            return statistics.median(vals) if vals else None
        pr, tr = med("PLAINTEXT", "records_per_sec"), med("SSL", "records_per_sec")
        pc, tc = med("PLAINTEXT", "cpu_s_per_million"), med("SSL", "cpu_s_per_million")
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            cfg_name(json.loads(cfg_key)), client, rate(pr), rate(tr), xfmt(ratio(tr, pr)), num(pc), num(tc),
            xfmt(ratio(tc, pc))))
    return "\n".join(out)


def section_peers(s, suite):
    """Every client of the run side by side, and kafkio against the best peer per configuration."""
    rows = s["suites"][suite]["rows"]
    out = ["| configuration | " + " | ".join("%s rec/s" % c for c in ALL_CLIENTS) +
           " | kafkio ÷ best rec/s | " + " | ".join("%s CPU s/M" % c for c in ALL_CLIENTS) +
           " | kafkio ÷ best CPU | peak RSS MiB kafkio / best peer | kafkio records/request |",
           "| --- " * (2 * len(ALL_CLIENTS) + 5) + "|"]
    for cfg, c in by_config(rows):
        bp, brate = best_peer(c, "records_per_sec", False)
        cp, bcpu = best_peer(c, "cpu_s_per_million", True)
        _, brss = best_peer(c, "max_rss_kb", True)
        k = c.get("kafkio")
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            cfg_name(cfg), " | ".join(rate(get(c.get(x), "records_per_sec")) for x in ALL_CLIENTS),
            xfmt(ratio(get(k, "records_per_sec"), brate)) + (" (%s)" % bp if bp else ""),
            " | ".join(num(get(c.get(x), "cpu_s_per_million")) for x in ALL_CLIENTS),
            xfmt(ratio(get(k, "cpu_s_per_million"), bcpu)) + (" (%s)" % cp if cp else ""),
            "%s / %s" % (num(get(k, "max_rss_kb") and get(k, "max_rss_kb") / 1024, 0), num(brss and brss / 1024, 0)),
            num(get(k, "records_per_request"), 0)))
    return "\n".join(out)


def section_peer_targets(s):
    """Issue 14's targets, computed from this run against the best peer (librdkafka 2.16, franz-go, Java)."""
    su = s["suites"]
    out = ["| target (issue 14) | measured | status |", "| --- | --- | --- |"]

    def ratios(suite, key, lower):
        if suite not in su:
            return []
        rs = []
        for _, c in by_config(su[suite]["rows"]):
            _, best = best_peer(c, key, lower)
            r = ratio(get(c.get("kafkio"), key), best)
            if r is not None:
                rs.append(r)
        return rs

    def verdict(ok):
        return "**met**" if ok else "**not met**"

    cpu = ratios("sink", "cpu_s_per_million", True) + ratios("kafka", "cpu_s_per_million", True)
    if cpu:
        out.append("| CPU per record ≤ 0.5× the best peer | kafkio ÷ best %s–%s, median %s (%d configurations) | %s |" % (
            xfmt(min(cpu)), xfmt(max(cpu)), xfmt(statistics.median(cpu)), len(cpu), verdict(max(cpu) <= 0.5)))
    for suite, bar in (("sink", 1.5), ("kafka", 1.2), ("large", 1.2)):
        rs = ratios(suite, "records_per_sec", False)
        if rs:
            out.append("| records/s ≥ %.1f× the best peer (%s) | %d of %d; %s–%s, geometric mean %s | %s |" % (
                bar, suite, sum(r >= bar for r in rs), len(rs), xfmt(min(rs)), xfmt(max(rs)), xfmt(geomean(rs)),
                verdict(min(rs) >= bar)))
    rss = ratios("kafka", "max_rss_kb", True)
    if rss:
        out.append("| peak RSS ≤ the best peer's (real Kafka, 16 KiB) | kafkio ÷ best %s–%s | %s |" % (
            xfmt(min(rss)), xfmt(max(rss)), verdict(max(rss) <= 1.0)))
    if "lateness" in su:
        flat = [r for r in su["lateness"]["rows"] if r.get("exit") == 0 and r["config"].get("throughput", -1) <= 0
                and r.get("turn_p999_us") is not None]
        if flat:
            p999 = max(r["turn_p999_us"] for r in flat)
            worst = max(r["turn_max_us"] for r in flat)
            out.append("| no stretch of kafkio code > 0.5 ms at p99.9, 1 ms worst (thread CPU per loop turn, flat "
                       "out, every codec, 16 KiB and 1 MB) | highest p99.9 %.0f µs, worst turn %.0f µs over %d runs | %s |"
                       % (p999, worst, len(flat), verdict(p999 <= 500 and worst <= 1000)))
    return "\n".join(out)


def section_lateness(s):
    # Two figures side by side: the timer's lateness (includes preemption by other processes) and the loop thread's
    # CPU per turn (kafkio's own work only; the stall target is on this one).
    out = ["| codec | record size | batch.size | pace | scheduling | records/s | lateness p99 µs | p99.9 µs | worst µs | "
           "turn CPU p99.9 µs | turn worst µs | turns > 0.5 ms | preempted | minor faults | records/request | load |",
           "| --- " * 16 + "|"]
    for r in s["suites"]["lateness"]["rows"]:
        if r.get("exit") != 0:
            continue
        c = r["config"]
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            c["codec"], size_name(c["size"]), "1 MB" if c.get("batch_size") == 1000000 else "16 KiB",
            "%s/s" % rate(c["throughput"]) if c.get("throughput", -1) > 0 else "flat out",
            "SCHED_FIFO" if r.get("realtime") else "normal", rate(r.get("records_per_sec")),
            num(r.get("lateness_p99_us"), 0), num(r.get("lateness_p999_us"), 0), num(r.get("lateness_max_us"), 0),
            num(r.get("turn_p999_us"), 0), num(r.get("turn_max_us"), 0), r.get("turns_over_500us", "–"),
            r.get("preempted", "–"), r.get("loop_minflt", "–"), num(r.get("records_per_request"), 0),
            num(r.get("load_before", [None])[0], 1)))
    return "\n".join(out)


def section_alloc(s):
    out = ["| configuration (100 B records, 10k in flight) | allocations per record | via operator new | bytes per record "
           "| Produce requests | allocations per request |",
           "| --- | --- | --- | --- | --- | --- |"]
    for r in s["suites"]["alloc"]["rows"]:
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            r["name"], num(r.get("allocs_per_record"), 4), num(r.get("news_per_record"), 4),
            num(r.get("alloc_bytes_per_record"), 0), num(r.get("requests"), 0) if r.get("requests") else "",
            num(r.get("allocs_per_request"), 3) if r.get("requests") else ""))
    return "\n".join(out)


def section_micro(s):
    bm = {b["name"]: b for b in s["suites"]["micro"]["benchmarks"]}
    out = ["| benchmark | CPU time | per item | throughput | compressed / plain |", "| --- | --- | --- | --- | --- |"]

    def duration(ns):
        return "%.1f ms" % (ns / 1e6) if ns >= 1e6 else "%.1f µs" % (ns / 1e3) if ns >= 1e3 else "%.1f ns" % ns

    def row(name, what):
        b = bm.get(name)
        if not b:
            return
        ns = b["cpu_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
        items = b.get("items_per_second")
        bps = b.get("bytes_per_second")
        tp = "" if not bps else "%.2f GB/s" % (bps / 1e9) if bps >= 1e9 else "%.0f MB/s" % (bps / 1e6)
        out.append("| %s | %s | %s | %s | %s |" % (what, duration(ns), duration(1e9 / items) if items else "", tp,
                                                   "%.3f" % b["ratio"] if b.get("ratio") is not None else ""))
    for size in (10, 100, 1024):
        row("append_value/%d" % size, "append one %d B record" % size)
    row("append_key_and_headers/100", "append 100 B + key + 2 headers")
    codecs = ["none", "gzip", "snappy", "lz4", "zstd"]
    for kind, kname in ((0, "perf-tool data"), (1, "distinct payloads")):
        for i, codec in enumerate(codecs):
            row("seal_batch/%d/100/%d" % (i, kind), "seal a 16 KiB batch of 100 B records, %s, %s (item = record)" % (
                codec, kname))
    for size in (64, 16384, 1048576):
        row("crc32c_hardware/%d" % size, "CRC-32C hardware, %d B" % size)
        row("crc32c_portable/%d" % size, "CRC-32C portable, %d B" % size)
    for kind, kname in ((0, "perf-tool data"), (1, "distinct")):
        for i, codec in enumerate(codecs[1:], start=1):
            row("compress_records/%d/16384/%d" % (i, kind), "compress 16 KiB, %s, %s" % (codec, kname))
            row("decompress_records/%d/16384/%d" % (i, kind), "decompress 16 KiB, %s, %s" % (codec, kname))
    for size in (16, 36):
        row("murmur2_key/%d" % size, "murmur2 partition of a %d B key" % size)
    for size in (64, 1024):
        row("frame_reader_split/%d" % size, "frame_reader, one 64 KiB read of %d B frames" % size)
    for n in (1, 10, 100):
        row("produce_response_decode/%d" % n, "Produce response decode, %d partition(s) (item = partition)" % n)
    row("metadata_response_decode/1/3", "Metadata response decode, 1 topic × 3 partitions")
    row("metadata_response_decode/100/10", "Metadata response decode, 100 topics × 10 partitions")
    return "\n".join(out)


def charts(s, chart_dir):
    os.makedirs(chart_dir, exist_ok=True)
    made = []
    su = s["suites"]
    if "kafka" in su:
        groups = by_config(su["kafka"]["rows"])
        cats = [cfg_name(c) for c, _ in groups]
        for key, fname, title, unit in (
                ("records_per_sec", "kafka-throughput.svg", "Records/s against a single-node Kafka", "records/s"),
                ("cpu_s_per_million", "kafka-cpu.svg", "Client CPU seconds per million records (real Kafka)",
                 "CPU s / M records")):
            svg_chart.grouped_bars(title, "higher is better" if key == "records_per_sec" else "lower is better "
                                   "(whole process: start-up, JIT and GC included)", cats,
                                   [(c, [get(g.get(c), key) for _, g in groups]) for c in ALL_CLIENTS], unit,
                                   os.path.join(chart_dir, fname))
            made.append((fname, title))
    if "sink" in su:
        groups = by_config(su["sink"]["rows"])
        cats = [cfg_name(c) for c, _ in groups]
        svg_chart.grouped_bars("Client ceiling: records per CPU-second against the ack sink",
                               "higher is better; records / (user + system CPU of the client process)", cats,
                               [(c, [get(g.get(c), "records_per_cpu_s") for _, g in groups]) for c in ALL_CLIENTS],
                               "records / CPU-s", os.path.join(chart_dir, "sink-per-core.svg"))
        made.append(("sink-per-core.svg", "Client ceiling (ack sink)"))
    if "lateness" in su:
        rows = [r for r in su["lateness"]["rows"] if r.get("exit") == 0]
        svg_chart.grouped_bars("kafkio loop lateness per codec (ack sink, flat out)",
                               "how late a 1 ms timer on the producing io_context fired; lower is better",
                               ["%s, %s%s" % (r["config"]["codec"], size_name(r["config"]["size"]),
                                              ", %s/s" % rate(r["config"]["throughput"])
                                              if r["config"].get("throughput", -1) > 0 else "") for r in rows],
                               [("p99", [r.get("lateness_p99_us") for r in rows]),
                                ("p99.9", [r.get("lateness_p999_us") for r in rows])], "µs",
                               os.path.join(chart_dir, "lateness.svg"))
        made.append(("lateness.svg", "Loop lateness per codec"))
        flat = [r for r in rows if r.get("turn_p999_us") is not None and r["config"].get("throughput", -1) <= 0]
        if flat:
            svg_chart.grouped_bars("kafkio loop thread CPU per turn (ack sink, flat out)",
                                   "the longest stretches of kafkio's own code; target p99.9 ≤ 500 µs, worst ≤ 1000 µs",
                                   ["%s, %s, %s" % (r["config"]["codec"], size_name(r["config"]["size"]),
                                                    "1 MB" if r["config"].get("batch_size") == 1000000 else "16 KiB")
                                    for r in flat],
                                   [("p99.9", [r.get("turn_p999_us") for r in flat]),
                                    ("worst", [r.get("turn_max_us") for r in flat])], "µs",
                                   os.path.join(chart_dir, "turn-cpu.svg"))
            made.append(("turn-cpu.svg", "Loop thread CPU per turn per codec"))
    return made


def render(s, chart_dir, doc_dir):
    su = s["suites"]
    parts = [section_machine(s), "", "### Targets against the best peer (issue 14)", "", section_peer_targets(s),
             "", "### Targets against librdkafka (issue 6)", "", section_targets(s)]
    rel = os.path.relpath(chart_dir, doc_dir)
    for fname, title in charts(s, chart_dir):
        parts += ["", "![%s](%s/%s)" % (title, rel, fname)]
    for name, title, fn in (("kafka", "Real Kafka (single node, loopback), 16 KiB batches", section_kafka),
                            ("large", "Real Kafka with 1 MB batches (batch.size=1000000, librdkafka's default)",
                             lambda x: section_kafka(x, "large")),
                            ("sink", "Client ceilings against the ack sink", section_sink),
                            ("latency", "Latency at 1,000 records/s, linger 0 (real Kafka)", section_latency),
                            ("lateness", "Loop lateness per codec (kafkio-perf against the ack sink)", section_lateness),
                            ("sink", "Every peer against the ack sink", lambda x: section_peers(x, "sink")),
                            ("kafka", "Every peer on real Kafka, 16 KiB batches", lambda x: section_peers(x, "kafka")),
                            ("large", "Every peer on real Kafka, 1 MB batches", lambda x: section_peers(x, "large")),
                            ("tls", "TLS against plaintext, same broker (real Kafka's SSL listener)", section_tls),
                            ("alloc", "Heap allocations per record (kafkio-alloc-count)", section_alloc),
                            ("micro", "Micro benchmarks (kafkio-micro, selection)", section_micro)):
        if name in su:
            parts += ["", "### " + title, "", fn(s)]
    return "\n".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--charts", default=os.path.join(ROOT, "docs", "benchmarks"))
    ap.add_argument("--from-summary", action="store_true")
    ap.add_argument("--print", metavar="SUITE", help="print one suite's table from the raw results, write nothing")
    args = ap.parse_args()
    if args.print:
        sections = {"tls": section_tls, "kafka": section_kafka, "sink": section_sink, "latency": section_latency,
                    "lateness": section_lateness}
        print(sections[args.print](summarize(os.path.join(args.results, "raw"))))
        return 0
    summary_path = os.path.join(args.results, "summary.json")
    if args.from_summary:
        with open(summary_path) as f:
            s = json.load(f)
    else:
        s = summarize(os.path.join(args.results, "raw"))
        # A run of some suites (scripts/bench --suites) keeps the committed figures of the others.
        if os.path.exists(summary_path):
            with open(summary_path) as f:
                previous = json.load(f)
            for name, data in previous.get("suites", {}).items():
                s["suites"].setdefault(name, data)
        with open(summary_path, "w") as f:
            json.dump(s, f, indent=1)
    block = render(s, args.charts, os.path.dirname(os.path.abspath(args.doc)))
    with open(args.doc) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        print("report: %s has no %s ... %s block" % (args.doc, BEGIN, END), file=sys.stderr)
        return 1
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(args.doc, "w") as f:
        f.write(head + BEGIN + "\n" + block + "\n" + END + tail)
    print("report: wrote %s, %s and the charts in %s" % (summary_path, args.doc, args.charts), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
