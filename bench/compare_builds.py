#!/usr/bin/env python3
"""compare_builds: kafkio against itself — a base build (e.g. the landed commit before a change) and a new build,
side by side on one ack sink, to tell whether the change costs anything.

    python3 bench/compare_builds.py --base ../base/build-bench --new build-bench [--rounds 5] [--quick]

Both builds need kafkio-perf and kafkio-alloc-count (-DKAFKIO_BUILD_BENCH=ON); the ack sink comes from the new build.
For each configuration the two kafkio-perf binaries run in alternation (base, new, base, new, ...), `--rounds` times
each, so the machine's drift hits both alike; the medians are compared. Reported per configuration: records/s, CPU
seconds per million records, loop lateness p99.9 of a 1 ms timer on the producer's loop, and (from
kafkio-alloc-count) heap allocations per record in steady state. Ratios are new/base: above 1 is more records/s,
below 1 is less CPU, lateness or allocation. Prints a markdown table; --json FILE also keeps the raw rows.
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench as rb  # noqa: E402  (the same process runner, sink and parsing as scripts/bench)

CONFIGS = [
    {"size": 100, "acks": "all", "linger_ms": 5, "codec": "none"},
    {"size": 100, "acks": "all", "linger_ms": 5, "codec": "lz4"},
    {"size": 100, "acks": "all", "linger_ms": 5, "codec": "zstd"},
    {"size": 1024, "acks": "all", "linger_ms": 5, "codec": "none"},
    {"size": 100, "acks": "1", "linger_ms": 0, "codec": "none"},
]


def median(rows, key):
    vals = [r[key] for r in rows if key in r and r[key] is not None]
    return statistics.median(vals) if vals else None


def alloc_per_record(build, extra, records):
    cmd = [os.path.join(build, "bin", "kafkio-alloc-count"), "--records", str(records), "--warmup",
           str(records // 10), "--json"] + extra
    rc, out, err, _, _ = rb.run_process(cmd, 600)
    for line in out.splitlines():
        if line.startswith("{"):
            return json.loads(line).get("allocs_per_record")
    rb.log("alloc-count failed: " + err[-200:])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="build directory of the base (its bin/ has kafkio-perf)")
    ap.add_argument("--new", required=True, help="build directory of the new code")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="fewer records per run")
    ap.add_argument("--sink-port", type=int, default=int(os.environ.get("KAFKIO_BENCH_SINK_PORT", "49196")))
    ap.add_argument("--json", help="write the raw rows here")
    args = ap.parse_args()
    records = {100: 300000, 1024: 100000} if args.quick else {100: 2000000, 1024: 500000}

    sink = rb.AckSink(args.new, args.sink_port)
    results = []
    try:
        for base_cfg in CONFIGS:
            cfg = dict(base_cfg, records=records[base_cfg["size"]])
            runs = {"base": [], "new": []}
            for _ in range(args.rounds):
                for which in ("base", "new"):
                    r = rb.run_client("kafkio", getattr(args, which), cfg, sink.address, 600, sink.proc.pid)
                    if "error" not in r:
                        runs[which].append(r)
            results.append({"config": cfg, "runs": runs})
    finally:
        sink.stop()

    alloc_extra = ["--producer-props", "acks=all", "linger.ms=5"]
    allocs = {w: alloc_per_record(getattr(args, w), alloc_extra, 2000000 if not args.quick else 500000)
              for w in ("base", "new")}

    def ratio(a, b):
        return "%.2f" % (b / a) if a and b else "-"

    lines = ["| records, acks, linger, codec | records/s base → new | ratio | CPU s per 1M base → new | ratio | "
             "lateness p99.9 µs base → new | ratio |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for res in results:
        c = res["config"]
        b, n = res["runs"]["base"], res["runs"]["new"]
        rps = (median(b, "records_per_sec"), median(n, "records_per_sec"))
        cpu = (median(b, "cpu_s_per_million"), median(n, "cpu_s_per_million"))
        late = (median(b, "lateness_p999_us"), median(n, "lateness_p999_us"))
        lines.append("| %d B, acks=%s, %d ms, %s | %s → %s | %s | %s → %s | %s | %s → %s | %s |" % (
            c["size"], c["acks"], c["linger_ms"], c["codec"],
            "%.0f" % rps[0] if rps[0] else "-", "%.0f" % rps[1] if rps[1] else "-", ratio(*rps),
            "%.3f" % cpu[0] if cpu[0] else "-", "%.3f" % cpu[1] if cpu[1] else "-", ratio(*cpu),
            "%.0f" % late[0] if late[0] else "-", "%.0f" % late[1] if late[1] else "-", ratio(*late)))
    lines.append("")
    lines.append("Heap allocations per record in steady state (kafkio-alloc-count, acks=all, linger 5): base %s, new %s."
                 % (allocs["base"], allocs["new"]))
    lines.append("Medians of %d alternating runs each; load average at the start %s." % (
        args.rounds, " ".join("%.1f" % x for x in results[0]["runs"]["base"][0]["load_before"])
        if results and results[0]["runs"]["base"] else "?"))
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "allocs": allocs}, f, indent=1)


if __name__ == "__main__":
    main()
