"""Benchmark of the local server's file storage: appends/s of the journal against the old layout.

    python bench/bench_storage.py [--records 50000] [--runs 5] [--baseline 140fc57]

Measured in the same run, on the same disk: the file storage as it was at ``--baseline`` (one
JSON-lines file per partition, loaded from git into a temporary package), the journal storage
appending one record at a time, and the journal committing a query's output in batches of 1,000
records with its positions (what a persistent query does), and reading each back at start. Plus
the raw limit: ``os.write`` of the same lines to one file. Prints medians and the ratio to the
old appends (target >= 0.8x).
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ksqlpy.local.storage import FileLog, Pending

VALUE = b'{"ID":1,"NAME":"Ann Example","TITLE":"engineer","CITY":"Lyon","SCORE":0.75}'
PARTITIONS = 4
TARGET = 0.8
BATCH = 1000
OLD_FILES = ("__init__.py", "_base.py", "_memory.py", "_file.py")


def old_filelog(commit: str, into: Path) -> Any:
    """The ``FileLog`` class of ``commit``: its storage package written as a package of its own."""
    root = Path(__file__).resolve().parent.parent
    package = into / "baseline_storage"
    package.mkdir()
    for name in OLD_FILES:
        text = subprocess.run(
            ["git", "-C", str(root), "show", f"{commit}:local/storage/{name}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (package / name).write_text(text)
    sys.path.insert(0, str(into))
    return importlib.import_module("baseline_storage").FileLog


def appends(make: Callable[[str], Any], records: int) -> float:
    """Records/s appending one record at a time (keyed, to 4 partitions)."""
    with tempfile.TemporaryDirectory() as folder:
        log = make(folder)
        log.create_topic("people", PARTITIONS)
        keys = [str(i).encode() for i in range(records)]
        started = time.perf_counter()
        for key in keys:
            log.append("people", key, VALUE)
        elapsed = time.perf_counter() - started
        log.close()
    return records / elapsed


def loads(make: Callable[[str], Any], records: int) -> float:
    """Records/s reading a directory back at start (a restart)."""
    with tempfile.TemporaryDirectory() as folder:
        log = make(folder)
        log.create_topic("people", PARTITIONS)
        for i in range(records):
            log.append("people", str(i).encode(), VALUE)
        log.close()
        started = time.perf_counter()
        log = make(folder)
        elapsed = time.perf_counter() - started
        log.close()
    return records / elapsed


def commits(records: int) -> float:
    """Records/s committing batches of output with the positions that produced them."""
    with tempfile.TemporaryDirectory() as folder:
        log = FileLog(folder)
        log.create_topic("sink", PARTITIONS)
        started = time.perf_counter()
        for start in range(0, records, BATCH):
            batch = [
                Pending("sink", str(i).encode(), VALUE)
                for i in range(start, min(start + BATCH, records))
            ]
            log.commit("_confluent-ksql-default_query_CSAS_SINK_1", batch, {("in", 0): start})
        elapsed = time.perf_counter() - started
        log.close()
    return records / elapsed


def raw_writes(records: int) -> float:
    """Lines/s of plain ``os.write`` of journal-sized lines to one file: the limit."""
    line = b"%08x " % 0 + b'["a","people",0,1700000000000,"MTIz","' + VALUE + b'",[]]\n'
    with tempfile.TemporaryDirectory() as folder:
        fd = os.open(Path(folder) / "raw", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        started = time.perf_counter()
        for _ in range(records):
            os.write(fd, line)
        elapsed = time.perf_counter() - started
        os.close(fd)
    return records / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", default="140fc57", help="git commit of the old storage")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as holder:
        old = old_filelog(args.baseline, Path(holder))
        cases: list[tuple[str, Callable[[], float]]] = [
            (f"old files ({args.baseline}) append", lambda: appends(old, args.records)),
            ("journal append", lambda: appends(FileLog, args.records)),
            (f"journal commit x{BATCH}", lambda: commits(args.records)),
            (f"old files ({args.baseline}) load", lambda: loads(old, args.records)),
            ("journal load", lambda: loads(FileLog, args.records)),
            ("raw os.write limit", lambda: raw_writes(args.records)),
        ]
        samples: dict[str, list[float]] = {name: [] for name, _ in cases}
        for _ in range(args.runs):  # interleaved, so drift hits every case alike
            for name, run in cases:
                samples[name].append(run())
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians[cases[0][0]]
    print(f"file storage, {args.records:,} records of {len(VALUE)} bytes, median of {args.runs}")
    print(f"{'case':<32}{'records/s':>14}{'vs old':>10}")
    for name, value in medians.items():
        print(f"{name:<32}{value:>14,.0f}{value / baseline:>9.2f}x")
    ratio = medians["journal append"] / baseline
    verdict = "meets" if ratio >= TARGET else "MISSES"
    print(f"journal append / old append = {ratio:.2f}x ({verdict} the {TARGET}x target)")
    load = medians["journal load"] / medians[f"old files ({args.baseline}) load"]
    print(f"journal load / old load = {load:.2f}x (checksums verified on every line)")


if __name__ == "__main__":
    main()
