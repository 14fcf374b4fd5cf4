#!/usr/bin/env python3
"""kafkio_codegen: C++ codecs for Kafka protocol messages, generated from Apache Kafka's JSON message definitions.

Usage (from anywhere; paths default relative to the repository root):
    python3 protocol/codegen/kafkio_codegen.py [--messages DIR] [--out DIR] [--samples FILE] [--check]

Reads every *.json in the messages directory (Kafka's `clients/src/main/resources/common/message/` format, with
// comment lines) and writes one header per message into protocol/include/kafkio/protocol/messages/, plus all.hpp,
plus the test-only sample filler tests/unit/messages_samples.hpp. `--check` writes nothing and exits 1 if any
output would change. Python 3 standard library only.

Choices where the schema language leaves room are listed in docs/protocol.md ("What the generator chose").
"""

import argparse
import json
import os
import sys

from cpp_model import load_message
from cpp_emit import emit_all_header, emit_message_header, emit_samples_header

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_MESSAGES = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "kafka-protocol", "messages"))
DEFAULT_OUT = os.path.join(REPO_ROOT, "protocol", "include", "kafkio", "protocol", "messages")
DEFAULT_SAMPLES = os.path.join(REPO_ROOT, "tests", "unit", "messages_samples.hpp")


def read_json_with_comments(path):
    """Kafka's message files allow // line comments; drop whole-line ones (the only kind they use)."""
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f if not line.lstrip().startswith("//")]
    return json.loads("".join(lines))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", default=DEFAULT_MESSAGES, help="directory of Kafka JSON message definitions")
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory for the generated headers")
    parser.add_argument("--samples", default=DEFAULT_SAMPLES, help="output file for the test sample fillers")
    parser.add_argument("--check", action="store_true", help="only report whether outputs are up to date")
    args = parser.parse_args(argv)

    json_files = sorted(f for f in os.listdir(args.messages) if f.endswith(".json"))
    if not json_files:
        sys.exit(f"kafkio_codegen: no *.json in {args.messages}")
    messages = [load_message(read_json_with_comments(os.path.join(args.messages, f)), f) for f in json_files]
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
        return 1 if stale else 0
    print(f"kafkio_codegen: {len(messages)} messages, {len(stale)} file(s) written, "
          f"{len(outputs) - len(stale)} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
