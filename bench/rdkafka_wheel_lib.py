#!/usr/bin/env python3
"""Prints the path of the librdkafka inside PyPI's confluent-kafka wheel, as installed in the project's virtualenv
(scripts/setup), for rdkafka-wheel-perf (bench/CMakeLists.txt). Prints nothing and exits 1 if there is none."""
import glob
import os
import sys

venv = os.environ.get("KAFKIO_VENV") or os.path.join(
    os.environ.get("KAFKIO_CACHE", os.path.expanduser("~/.cache/kafkio")), "venv")
libs = sorted(glob.glob(os.path.join(venv, "lib", "python3*", "site-packages", "confluent_kafka.libs", "librdkafka*.so*")))
if not libs:
    sys.exit(1)
print(os.path.realpath(libs[0]))
