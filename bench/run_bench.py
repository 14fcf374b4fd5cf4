#!/usr/bin/env python3
"""Runs kafkio's benchmark suites and writes one JSON file per suite into bench/results/raw/.

scripts/bench calls this twice: once without Kafka (micro, alloc, sink, lateness) and once inside
scripts/with-kafka (kafka, latency), so the broker is not running, even idle, while the client ceilings are taken.

Suites:
  micro     kafkio-micro (Google Benchmark), JSON as Google Benchmark writes it
  alloc     kafkio-alloc-count: heap allocations per record in steady state
  sink      kafkio-perf, rdkafka-perf and Java's ProducerPerformance against kafkio-ack-sink (client ceilings)
  lateness  kafkio-perf against the sink per codec: how late a 1 ms timer on the producing loop fires
  kafka     the three clients against real Kafka ($KAFKIO_BOOTSTRAP), the matrix below, same records and settings
  latency   the three clients at a fixed 1000 records/s, linger 0, against real Kafka, in interleaved rounds
  large     as kafka (linger 5, none/zstd), but batch.size=1000000 for all three clients (librdkafka's default)
  tls       kafkio, librdkafka 2.16 and Java over TLS (the broker's SSL listener) and over plaintext, interleaved:
            what TLS costs each client relative to its own plaintext run (records/s, CPU per record)
  python    kafkio.Producer against confluent_kafka.Producer (PyPI's wheel) in Python, real Kafka, 100 B records:
            produce() + poll(0) per record, flush() at the end (bench/python_producer.py), interleaved rounds, in
            the project's virtualenv (scripts/lib/venv.sh; scripts/bench installs the package into it)

Every client run is a child process reaped with os.wait4, so CPU time (user + system, all threads, start-up
included) and peak RSS are measured the same way for all three clients. /proc/loadavg is read before and after.
Only the Python standard library is used.
"""
import argparse
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KAFKA_VERSION = os.environ.get("KAFKIO_KAFKA_VERSION", "4.4.0")
KAFKA_LIBS = os.path.join(os.environ.get("KAFKIO_CACHE", os.path.expanduser("~/.cache/kafkio")),
                          "kafka-" + KAFKA_VERSION, "libs")
# What kafka-producer-perf-test.sh runs with (kafka-run-class.sh's defaults, KAFKA_HEAP_OPTS=-Xmx512M): C2 JIT and
# G1, not the C1-only flags scripts/kafka uses for quick CLI tools.
JAVA_FLAGS = ["-Xmx512M", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
              "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
              "-Djava.awt.headless=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
              "-Dorg.slf4j.simpleLogger.logFile=System.err"]
TOPIC = "kafkio-bench"
PARTITIONS = 3
SUMMARY = re.compile(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
                     r"([\d.]+) ms max latency, ([\d.]+) ms 50th, ([\d.]+) ms 95th, ([\d.]+) ms 99th, ([\d.]+) ms 99.9th")
# librdkafka-2.16: the library inside PyPI's confluent-kafka wheel (rdkafka-wheel-perf); librdkafka: Debian's 2.0.2,
# kept as a historical row; franz-go: bench/franz_perf (Go modules from the module proxy, built by scripts/bench).
CLIENTS = ("kafkio", "librdkafka-2.16", "franz-go", "java", "librdkafka")
# Records each client sends and has acknowledged before its clock starts (connections, metadata, producer id).
WARMUP_RECORDS = 1000


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def cpu_times():
    """Machine-wide jiffies from /proc/stat: (busy, idle, steal, total)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
    return v[0] + v[1] + v[2] + v[5] + v[6], v[3] + v[4], v[7], sum(v)


def cpu_share(before, after):
    """Percent of the machine's CPU time that was idle, and that the hypervisor stole, between two cpu_times()."""
    total = max(after[3] - before[3], 1)
    return round(100.0 * (after[1] - before[1]) / total, 1), round(100.0 * (after[2] - before[2]) / total, 1)


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def run_process(cmd, timeout):
    """Runs cmd, returns (exit status, stdout, stderr, rusage, wall seconds)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = t0 + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                log("timeout after %ds: %s" % (timeout, " ".join(cmd[:3])))
                os.killpg(p.pid, signal.SIGKILL)
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.02)
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        wall = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read(), err.read(), ru, wall


def proc_cpu_seconds(pid):
    """utime + stime of a running process we did not reap (the ack sink)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


TLS_CA = None  # scripts/kafka's CA (ca.pem in its tls-dir), set by suite_tls: not in the rows (no machine paths)


def tls_props(client, ca):
    """security.protocol=SSL trusting the CA of scripts/kafka's listeners, in each client's own names."""
    if client.startswith("librdkafka"):
        return ["security.protocol=ssl", "ssl.ca.location=" + ca]
    return ["security.protocol=SSL", "ssl.truststore.type=PEM", "ssl.truststore.location=" + ca]


def client_command(client, build, cfg, bootstrap):
    props = ["bootstrap.servers=" + bootstrap, "acks=" + cfg["acks"], "linger.ms=%d" % cfg["linger_ms"],
             "compression.type=" + cfg["codec"], "enable.idempotence=" + ("true" if cfg["acks"] == "all" else "false")]
    props += ["batch.size=%d" % cfg.get("batch_size", 16384), "max.in.flight.requests.per.connection=5"]
    if cfg.get("security") == "SSL":
        props += tls_props(client, TLS_CA)
    common = ["--topic", TOPIC, "--num-records", str(cfg["records"]), "--record-size", str(cfg["size"]),
              "--throughput", str(cfg.get("throughput", -1))]
    own = {"kafkio": "kafkio-perf", "librdkafka": "rdkafka-perf", "librdkafka-2.16": "rdkafka-wheel-perf",
           "franz-go": "franz-perf"}
    if client in own:
        return ([os.path.join(build, "bin", own[client])] + common + ["--producer-props"] + props +
                ["--warmup-records", str(WARMUP_RECORDS), "--json"])
    return (["java"] + JAVA_FLAGS + ["-cp", KAFKA_LIBS + "/*", "org.apache.kafka.tools.ProducerPerformance"] + common +
            ["--command-property"] + props)


def run_client(client, build, cfg, bootstrap, timeout, sink_pid=None, realtime=False):
    cmd = client_command(client, build, cfg, bootstrap)
    if realtime:  # SCHED_FIFO: not preempted by the machine's other work (see suite_lateness)
        cmd = ["chrt", "-f", "10"] + cmd
    load_before = loadavg()
    sink_cpu0 = proc_cpu_seconds(sink_pid) if sink_pid else None
    times0 = cpu_times()
    rc, out, err, ru, wall = run_process(cmd, timeout)
    idle_pct, steal_pct = cpu_share(times0, cpu_times())
    r = {"client": client, "config": cfg, "realtime": realtime, "exit": rc, "wall_s": round(wall, 3), "load_before": load_before,
         "load_after": loadavg(), "cpu_s": round(ru.ru_utime + ru.ru_stime, 3), "user_s": round(ru.ru_utime, 3),
         "system_s": round(ru.ru_stime, 3), "max_rss_kb": ru.ru_maxrss,
         # Involuntary context switches: how often the client was preempted (a busy machine shows here first).
         "preempted": ru.ru_nivcsw,
         # The whole machine during the run: idle share (near 0 on 2 cores is expected: client + broker/sink) and
         # the share the hypervisor stole from this VM (a stolen vCPU stalls every thread on it, whatever priority).
         "machine_idle_pct": idle_pct, "steal_pct": steal_pct}
    if sink_pid:
        r["sink_cpu_s"] = round(proc_cpu_seconds(sink_pid) - sink_cpu0, 3)
    m = SUMMARY.findall(out)
    if m:
        vals = [float(x) for x in m[-1]]
        r.update(records=int(vals[0]), records_per_sec=vals[1], mb_per_sec=vals[2], avg_ms=vals[3], max_ms=vals[4],
                 p50_ms=vals[5], p95_ms=vals[6], p99_ms=vals[7], p999_ms=vals[8])
    for line in out.splitlines():  # kafkio-perf and rdkafka-perf: exact (fractional) figures from --json
        if line.startswith("{"):
            try:
                own = json.loads(line)
            except ValueError:
                continue
            r["own"] = own
            for k in ("records_per_sec", "mb_per_sec", "avg_ms", "max_ms", "p50_ms", "p95_ms", "p99_ms", "p999_ms"):
                if k in own:
                    r[k] = own[k]
            for k in ("lateness_p50_us", "lateness_p99_us", "lateness_p999_us", "lateness_max_us", "turn_p99_us",
                      "turn_p999_us", "turn_max_us", "turns_over_500us", "loop_nivcsw", "loop_minflt",
                      "records_per_request", "batches_per_request"):
                if k in own:
                    r[k] = own[k]
    if "records" in r and r["records"]:
        r["cpu_s_per_million"] = round(r["cpu_s"] * 1e6 / r["records"], 3)
        r["records_per_cpu_s"] = round(r["records"] / max(r["cpu_s"], 1e-9), 1)
    if rc != 0 or "records_per_sec" not in r:
        r["error"] = (err.strip().splitlines() or ["exit %d" % rc])[-1][:300]
        log("%s failed (exit %d): %s" % (client, rc, r["error"]))
    else:
        log("%-10s %5dB acks=%-3s linger=%d %-4s %10.0f rec/s  p99 %7.2f ms  cpu %.2fs  load %.1f" % (
            client, cfg["size"], cfg["acks"], cfg["linger_ms"], cfg["codec"], r["records_per_sec"], r["p99_ms"],
            r["cpu_s"], load_before[0]))
    return r


class AckSink:
    def __init__(self, build, port):
        self.proc = subprocess.Popen([os.path.join(build, "bin", "kafkio-ack-sink"), "--port", str(port),
                                      "--partitions", str(PARTITIONS)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError("ack sink did not start: " + line)
        self.address = line.split()[-1]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=10)
        return json.loads(out.strip().splitlines()[-1])


def matrix(sizes, acks, lingers, codecs, records):
    return [{"size": s, "acks": a, "linger_ms": l, "codec": c, "records": records[s]}
            for s, a, l, c in itertools.product(sizes, acks, lingers, codecs)]


def suite_micro(args):
    out = os.path.join(args.out, "raw", "micro.json")
    cmd = [os.path.join(args.build, "bin", "kafkio-micro"), "--benchmark_out=" + out, "--benchmark_out_format=json",
           "--benchmark_min_time=%s" % ("0.05" if args.quick else "0.5")]
    load = loadavg()
    rc, _, err, _, wall = run_process(cmd, 1800)
    if rc:
        raise RuntimeError("kafkio-micro failed: " + err[-500:])
    with open(out) as f:
        data = json.load(f)
    data["load_before"], data["load_after"], data["wall_s"] = load, loadavg(), wall
    return data


def suite_alloc(args):
    n, warm = (1000000, 200000) if args.quick else (5000000, 500000)
    configs = [("driver only (--dry)", ["--dry"]),
               ("acks=1 linger 0 none", ["--producer-props", "acks=1", "linger.ms=0"]),
               ("acks=all linger 5 none", ["--producer-props", "acks=all", "linger.ms=5"]),
               ("acks=all linger 5 lz4", ["--producer-props", "acks=all", "linger.ms=5", "compression.type=lz4"]),
               ("acks=all linger 5 zstd", ["--producer-props", "acks=all", "linger.ms=5", "compression.type=zstd"])]
    rows = []
    for name, extra in configs:
        cmd = [os.path.join(args.build, "bin", "kafkio-alloc-count"), "--records", str(n), "--warmup", str(warm),
               "--json"] + extra
        load = loadavg()
        rc, out, err, _, _ = run_process(cmd, 600)
        row = {"name": name, "exit": rc, "load_before": load, "load_after": loadavg()}
        for line in out.splitlines():
            if line.startswith("{"):
                row.update(json.loads(line))
        if rc:
            row["error"] = err[-300:]
        log("alloc %-24s %s" % (name, row.get("allocs_per_record", row.get("error"))))
        rows.append(row)
    return {"rows": rows}


def suite_sink(args):
    sizes = [100] if args.quick else [100, 1024]
    records = {100: 300000, 1024: 100000} if args.quick else {100: 3000000, 1024: 1000000}
    cfgs = matrix(sizes, ["1", "all"], [0, 5], ["none"], records)
    if args.quick:
        cfgs = [c for c in cfgs if c["linger_ms"] == 5]
    sink = AckSink(args.build, args.sink_port)
    rows = []
    try:
        for cfg in cfgs:
            for client in args.clients:
                rows.append(run_client(client, args.build, cfg, sink.address, args.timeout, sink.proc.pid))
    finally:
        stats = sink.stop()
    return {"rows": rows, "sink": stats}


def suite_lateness(args):
    """kafkio-perf against the sink per codec: flat out (the target's definition), and paced at 100k records/s, where
    the loop also idles as an application's would.

    With --realtime the paced runs go under SCHED_FIFO (chrt -f 10), so other work on a busy machine cannot preempt
    them and the lateness left is the producer's own (and the hypervisor's: steal_pct). Flat-out runs always use
    normal scheduling: Linux throttles real-time tasks that use 0.95 s of a CPU per second
    (kernel.sched_rt_runtime_us), which would show as ~50 ms stalls that are the throttle, not kafkio."""
    n = 300000 if args.quick else 2000000
    codecs = ["none", "lz4", "zstd"] if args.quick else ["none", "gzip", "snappy", "lz4", "zstd"]
    sink = AckSink(args.build, args.sink_port)
    rows = []
    try:
        for codec in codecs:
            for size, records in ((100, n), (1024, n // 4)):
                cfg = {"size": size, "acks": "all", "linger_ms": 5, "codec": codec, "records": records}
                rows.append(run_client("kafkio", args.build, cfg, sink.address, args.timeout, sink.proc.pid))
            # 1 MiB batches: the longest compression per batch (what incremental sealing bounds per turn)
            cfg = {"size": 100, "acks": "all", "linger_ms": 5, "codec": codec, "records": n, "batch_size": 1000000}
            rows.append(run_client("kafkio", args.build, cfg, sink.address, args.timeout, sink.proc.pid))
            cfg = {"size": 100, "acks": "all", "linger_ms": 5, "codec": codec, "records": n // 4, "throughput": 100000}
            rows.append(run_client("kafkio", args.build, cfg, sink.address, args.timeout, sink.proc.pid, args.realtime))
    finally:
        sink.stop()
    return {"rows": rows}


def create_topic():
    cmd = [os.path.join(ROOT, "scripts", "kafka"), "topic", TOPIC, "--partitions", str(PARTITIONS),
           # Keep the disk use bounded over a long matrix: 256 MiB per partition in 64 MiB segments.
           "--config", "retention.bytes=268435456", "--config", "segment.bytes=67108864"]
    rc, out, err, _, _ = run_process(cmd, 120)
    if rc:
        raise RuntimeError("topic creation failed: " + err[-500:])


def suite_kafka(args):
    bootstrap = os.environ.get("KAFKIO_BOOTSTRAP")
    if not bootstrap:
        raise RuntimeError("KAFKIO_BOOTSTRAP is not set (run under scripts/with-kafka)")
    create_topic()
    if args.quick:
        cfgs = matrix([100, 1024], ["1", "all"], [5], ["none", "zstd"], {100: 200000, 1024: 50000})
    else:
        cfgs = matrix([100, 1024], ["1", "all"], [0, 5], ["none", "lz4", "zstd"], {100: 1000000, 1024: 300000})
    # Warm the broker up (JIT, page cache, log segments) so the first configuration is not penalised.
    run_client("kafkio", args.build, dict(cfgs[0], records=min(100000, cfgs[0]["records"])), bootstrap, args.timeout)
    rows = []
    for cfg in cfgs:
        for client in args.clients:
            rows.append(run_client(client, args.build, cfg, bootstrap, args.timeout))
    return {"rows": rows, "bootstrap": bootstrap, "topic": TOPIC, "partitions": PARTITIONS}


def suite_latency(args):
    """Each client at 1000 records/s, linger 0, in interleaved rounds (k, r, J, k, r, J, ...) so that a change in
    the machine's load during the suite does not fall on one client only; the report takes each client's median."""
    bootstrap = os.environ.get("KAFKIO_BOOTSTRAP")
    if not bootstrap:
        raise RuntimeError("KAFKIO_BOOTSTRAP is not set (run under scripts/with-kafka)")
    create_topic()
    n, rounds = (5000, 1) if args.quick else (30000, 3)
    rows = []
    cfg = {"size": 100, "acks": "all", "linger_ms": 0, "codec": "none", "records": n, "throughput": 1000}
    for i in range(rounds):
        for client in args.clients:
            row = run_client(client, args.build, cfg, bootstrap, args.timeout)
            row["round"] = i + 1
            rows.append(row)
    return {"rows": rows}


def suite_large_batches(args):
    """As the matrix, but with batch.size=1000000 for all three clients: librdkafka's default, and the regime it is
    built for (the matrix's 16 KiB is Java's and kafkio's default and costs librdkafka far more than the others)."""
    bootstrap = os.environ.get("KAFKIO_BOOTSTRAP")
    if not bootstrap:
        raise RuntimeError("KAFKIO_BOOTSTRAP is not set (run under scripts/with-kafka)")
    create_topic()
    records = {100: 200000, 1024: 50000} if args.quick else {100: 1000000, 1024: 300000}
    cfgs = [dict(c, batch_size=1000000) for c in matrix([100, 1024], ["1", "all"], [5], ["none", "zstd"], records)]
    if args.quick:
        cfgs = [c for c in cfgs if c["acks"] == "all" and c["codec"] == "none"]
    rows = []
    for cfg in cfgs:
        for client in args.clients:
            rows.append(run_client(client, args.build, cfg, bootstrap, args.timeout))
    return {"rows": rows}


def scripts_kafka(*args):
    rc, out, err, _, _ = run_process([os.path.join(ROOT, "scripts", "kafka")] + list(args), 60)
    if rc:
        raise RuntimeError("scripts/kafka %s failed: %s" % (" ".join(args), err[-300:]))
    return out.strip()


def suite_tls(args):
    """Each client over plaintext and over TLS (scripts/kafka's SSL listener, same broker), in interleaved rounds
    (plaintext and TLS back to back per client), so that what TLS costs is each client's own ratio. franz-perf has
    no TLS options: left out."""
    bootstrap = os.environ.get("KAFKIO_BOOTSTRAP")
    if not bootstrap:
        raise RuntimeError("KAFKIO_BOOTSTRAP is not set (run under scripts/with-kafka)")
    create_topic()
    ssl_bootstrap = scripts_kafka("bootstrap", "--ssl")
    global TLS_CA
    TLS_CA = os.path.join(scripts_kafka("tls-dir"), "ca.pem")
    records, rounds = ({100: 100000, 1024: 30000}, 1) if args.quick else ({100: 1000000, 1024: 300000}, 2)
    # Debian's librdkafka 2.0.2 is left out too: over TLS it ran at 6-9 k records/s with 7-12 CPU-seconds per
    # 100 k records (--quick, 2026-12-02), a historical client whose TLS path is not what users run today.
    clients = [c for c in args.clients if c not in ("franz-go", "librdkafka")]
    rows = []
    for i in range(rounds):
        for cfg in matrix([100, 1024], ["all"], [5], ["none"], records):
            for client in clients:
                for security, servers in (("PLAINTEXT", bootstrap), ("SSL", ssl_bootstrap)):
                    row = run_client(client, args.build, dict(cfg, security=security), servers, args.timeout)
                    row["round"] = i + 1
                    rows.append(row)
    return {"rows": rows, "bootstrap": bootstrap, "ssl_bootstrap": ssl_bootstrap}


def suite_python(args):
    bootstrap = os.environ.get("KAFKIO_BOOTSTRAP")
    if not bootstrap:
        raise RuntimeError("KAFKIO_BOOTSTRAP is not set (run under scripts/with-kafka)")
    create_topic()
    venv_python = os.path.join(os.environ.get("KAFKIO_VENV") or os.path.join(
        os.environ.get("KAFKIO_CACHE", os.path.expanduser("~/.cache/kafkio")), "venv"), "bin", "python")
    n, rounds = (100000, 1) if args.quick else (500000, 3)
    configs = [("linger 5, batch.size 16384", []), ("linger 5, batch.size 1000000", ["batch.size=1000000"])]
    rows = []
    for name, extra in configs:
        for i in range(rounds):
            for client in ("kafkio", "confluent"):
                cmd = [venv_python, os.path.join(ROOT, "bench", "python_producer.py"), client, bootstrap, TOPIC,
                       str(n), "100"] + extra
                load_before = loadavg()
                rc, out, err, ru, wall = run_process(cmd, args.timeout)
                row = {"client": client, "config": name, "round": i + 1, "exit": rc, "load_before": load_before,
                       "process_cpu_s": round(ru.ru_utime + ru.ru_stime, 3), "wall_s": round(wall, 3)}
                lines = [l for l in out.splitlines() if l.startswith("{")]
                if rc == 0 and lines:
                    row.update(json.loads(lines[-1]))
                    log("python %-9s %-28s %10.0f rec/s  %.2f us cpu/record  load %.1f" % (
                        client, name, row["records_per_sec"], row["cpu_us_per_record"], load_before[0]))
                else:
                    row["error"] = (err.strip().splitlines() or ["exit %d" % rc])[-1][:300]
                    log("python %s failed: %s" % (client, row["error"]))
                rows.append(row)
    return {"rows": rows, "records": n, "size": 100}


def command_output(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (r.stdout.strip() + "\n" + r.stderr.strip()).strip()  # java -version prints to stderr
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(args):
    """The machine and the versions compared, recorded with every run."""
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    cache = {}
    try:
        with open(os.path.join(args.build, "CMakeCache.txt")) as f:
            for line in f:
                for key in ("CMAKE_BUILD_TYPE", "CMAKE_CXX_COMPILER"):
                    if line.startswith(key + ":"):
                        cache[key] = line.split("=", 1)[1].strip()
    except OSError:
        pass
    java = command_output(["java", "-version"]).splitlines()
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_kb / 1048576, 1),
        "kernel": os.uname().release, "loadavg": loadavg(),
        "kafkio": command_output(["git", "-C", ROOT, "describe", "--always", "--dirty"]),
        "compiler": (command_output([cache.get("CMAKE_CXX_COMPILER", "c++"), "--version"]).splitlines() or [""])[0],
        "build_type": cache.get("CMAKE_BUILD_TYPE", ""),
        "librdkafka": command_output(["pkg-config", "--modversion", "rdkafka"]),
        "boost": command_output(["dpkg-query", "-W", "-f=${Version}", "libboost1.81-dev"]),
        "java": java[0] if java else "", "kafka": KAFKA_VERSION, "python": sys.version.split()[0],
    }


SUITES = {"micro": suite_micro, "alloc": suite_alloc, "sink": suite_sink, "lateness": suite_lateness,
          "kafka": suite_kafka, "latency": suite_latency, "large": suite_large_batches, "python": suite_python,
          "tls": suite_tls}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--suites", default="micro,alloc,sink,lateness")
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sink-port", type=int, default=int(os.environ.get("KAFKIO_BENCH_SINK_PORT", "49196")))
    ap.add_argument("--timeout", type=int, default=600, help="seconds per client run")
    ap.add_argument("--realtime", action="store_true", default=os.environ.get("KAFKIO_BENCH_REALTIME") == "1",
                    help="paced lateness runs under SCHED_FIFO (chrt -f 10); also KAFKIO_BENCH_REALTIME=1")
    args = ap.parse_args()
    args.clients = [c for c in args.clients.split(",") if c]
    # A peer whose program was not built (no wheel, no Go) is left out, said once, rather than failing every run.
    for c, prog in (("librdkafka-2.16", "rdkafka-wheel-perf"), ("franz-go", "franz-perf"), ("librdkafka", "rdkafka-perf")):
        if c in args.clients and not os.path.exists(os.path.join(args.build, "bin", prog)):
            log("%s: %s not built, left out" % (c, prog))
            args.clients.remove(c)
    os.makedirs(os.path.join(args.out, "raw"), exist_ok=True)
    with open(os.path.join(args.out, "raw", "machine.json"), "w") as f:
        json.dump(machine(args), f, indent=1)
    failed = 0
    for name in [s for s in args.suites.split(",") if s]:
        log("suite %s%s (load %s)" % (name, " (quick)" if args.quick else "", loadavg()))
        t0 = time.time()
        try:
            data = SUITES[name](args)
        except Exception as e:  # one broken suite must not lose the others' results
            log("suite %s failed: %s" % (name, e))
            failed += 1
            continue
        data.update(suite=name, quick=args.quick, started=t0, seconds=round(time.time() - t0, 1))
        with open(os.path.join(args.out, "raw", name + ".json"), "w") as f:
            json.dump(data, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
