#!/usr/bin/env python3
"""kafkio_codegen: C++ codecs for Kafka protocol messages, generated from Apache Kafka's JSON message definitions.

Usage (from anywhere; paths default relative to the repository root):
    python3 protocol/codegen/kafkio_codegen.py [--jar JAR | --messages DIR] [--manifest FILE] [--out DIR]
                                               [--samples FILE] [--check]

The definitions come from the kafka-clients jar of the Kafka version that scripts/kafka pins, which
`scripts/setup` (`scripts/kafka fetch`) puts at $KAFKIO_CACHE/kafka-<version>/libs/kafka-clients-<version>.jar
(KAFKIO_CACHE defaults to ~/.cache/kafkio); the jar carries them as common/message/*.json. `--messages DIR` reads
loose *.json files instead (e.g. a Kafka checkout's clients/src/main/resources/common/message/).

The manifest (protocol/codegen/messages.txt) names the messages to generate. The generator writes one header per
message into protocol/include/kafkio/protocol/messages/, plus all.hpp, plus the test-only sample filler
tests/unit/messages_samples.hpp. `--check` writes nothing and exits 1 if any output would change. Python 3
standard library only.

Choices where the schema language leaves room are listed in docs/protocol.md ("What the generator chose").
"""

import argparse
import json
import os
import re
import sys
import zipfile

from cpp_model import load_message
from cpp_emit import emit_all_header, emit_message_header, emit_samples_header

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_MANIFEST = os.path.join(REPO_ROOT, "protocol", "codegen", "messages.txt")
DEFAULT_OUT = os.path.join(REPO_ROOT, "protocol", "include", "kafkio", "protocol", "messages")
DEFAULT_SAMPLES = os.path.join(REPO_ROOT, "tests", "unit", "messages_samples.hpp")
KAFKA_SCRIPT = os.path.join(REPO_ROOT, "scripts", "kafka")
JAR_PREFIX = "common/message/"


def pinned_kafka_version():
    """The Kafka version scripts/kafka fetches by default: the one home of that pin. KAFKIO_KAFKA_VERSION is
    deliberately not honoured: the committed headers belong to the pinned version, whatever broker a run tests."""
    with open(KAFKA_SCRIPT, encoding="utf-8") as f:
        m = re.search(r"^readonly default_kafka_version=([0-9][0-9A-Za-z.\-]*)$", f.read(), re.MULTILINE)
    if not m:
        sys.exit(f"kafkio_codegen: no default Kafka version found in {os.path.relpath(KAFKA_SCRIPT, REPO_ROOT)}")
    return m.group(1)


def default_jar(version):
    cache = os.environ.get("KAFKIO_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "kafkio")
    return os.path.join(cache, f"kafka-{version}", "libs", f"kafka-clients-{version}.jar")


def without_comments(text):
    """Kafka's message files allow // line comments; drop whole-line ones (the only kind they use)."""
    return json.loads("".join(line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("//")))


def read_manifest(path):
    """[(json name, wants_view)] in manifest order."""
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].split()
            if not line:
                continue
            if len(line) > 2 or (len(line) == 2 and line[1] != "view"):
                sys.exit(f"kafkio_codegen: {path}:{n}: expected `Name` or `Name view`, got {raw.strip()!r}")
            entries.append((line[0], len(line) == 2))
    if not entries:
        sys.exit(f"kafkio_codegen: {path} names no message")
    return entries


def load_sources(args, names):
    """{json name: (parsed JSON, source description)} for every manifest entry."""
    out = {}
    if args.messages:
        for name in names:
            path = os.path.join(args.messages, name + ".json")
            if not os.path.exists(path):
                sys.exit(f"kafkio_codegen: {path} does not exist")
            with open(path, encoding="utf-8") as f:
                out[name] = (without_comments(f.read()), f"{name}.json")
        return out
    version = pinned_kafka_version()
    jar = args.jar or default_jar(version)
    if not os.path.exists(jar):
        sys.exit(f"kafkio_codegen: {jar} not found; run scripts/setup (it fetches Kafka {version}'s jars), "
                 "or pass --jar / --messages")
    with zipfile.ZipFile(jar) as z:
        present = set(z.namelist())
        for name in names:
            member = JAR_PREFIX + name + ".json"
            if member not in present:
                sys.exit(f"kafkio_codegen: {jar} has no {member}")
            out[name] = (without_comments(z.read(member).decode("utf-8")),
                         f"{name}.json of Apache Kafka {version}")
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--jar", help="kafka-clients jar to read common/message/*.json from (default: the pinned one)")
    source.add_argument("--messages", help="directory of Kafka JSON message definitions, instead of the jar")
    parser.add_argument("--manifest", default=DEFAULT_MANIFEST, help="which messages to generate")
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory for the generated headers")
    parser.add_argument("--samples", default=DEFAULT_SAMPLES, help="output file for the test sample fillers")
    parser.add_argument("--check", action="store_true", help="only report whether outputs are up to date")
    args = parser.parse_args(argv)

    manifest = read_manifest(args.manifest)
    sources = load_sources(args, [name for name, _ in manifest])
    messages = []
    for name, view in manifest:
        doc, described = sources[name]
        if doc.get("name") != name:
            sys.exit(f"kafkio_codegen: {described} defines {doc.get('name')!r}, not {name!r}")
        m = load_message(doc, described)
        m.view = view
        messages.append(m)
    messages.sort(key=lambda m: m.json_name)  # output order does not depend on how the manifest is grouped
    by_key = {}
    for m in messages:
        if m.api_key is not None:
            by_key.setdefault(m.api_key, {})[m.kind] = m

    outputs = {}
    for m in messages:
        partner = by_key.get(m.api_key, {}).get("response") if m.kind == "request" else None
        outputs[os.path.join(args.out, m.cname + ".hpp")] = emit_message_header(m, partner)
    outputs[os.path.join(args.out, "all.hpp")] = emit_all_header(messages)
    outputs[args.samples] = emit_samples_header(messages)

    # A header of a message no longer in the manifest would linger, still compiled through nothing: report it.
    generated = {os.path.basename(p) for p in outputs if os.path.dirname(p) == os.path.normpath(args.out)}
    leftovers = sorted(f for f in os.listdir(args.out) if f.endswith(".hpp") and f not in generated) \
        if os.path.isdir(args.out) else []

    stale = []
    for path, text in outputs.items():
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = f.read()
        if old == text:
            continue
        stale.append(path)
        if not args.check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if args.check:
        for p in stale:
            print(f"out of date: {os.path.relpath(p, REPO_ROOT)}")
        for f in leftovers:
            print(f"not in the manifest: {os.path.relpath(os.path.join(args.out, f), REPO_ROOT)}")
        return 1 if stale or leftovers else 0
    for f in leftovers:
        print(f"kafkio_codegen: warning: {f} is not in the manifest; delete it if the message was dropped")
    print(f"kafkio_codegen: {len(messages)} messages, {len(stale)} file(s) written, "
          f"{len(outputs) - len(stale)} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
