"""Benchmark of the local server's joins: a stream-table join, and an N-way join against it.

    python bench/bench_join.py [--events 1000000] [--keys 100000] [--runs 3]

Runs the engine in-process over the in-memory log: the table gets ``--keys`` rows, then the
stream ``--events`` records spread over those keys, and a persistent stream-table join
(``CREATE STREAM ... AS SELECT``) processes them all in one pump. Prints records/s (median of
``--runs``), the join's state (table rows held, and their size in bytes as ``sys.getsizeof``
counts lists and values), and the cost per record of a three-way join (stream-table-table)
relative to the two-way one on the same data.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

from ksqlpy.local.engine import Engine
from ksqlpy.local.storage import MemoryLog

SOURCES = (
    "CREATE STREAM S (ID INT KEY, K INT, V INT) WITH (KAFKA_TOPIC='s', FORMAT='JSON');"
    "CREATE TABLE T (ID INT PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='t', FORMAT='JSON');"
    "CREATE TABLE U (ID INT PRIMARY KEY, CITY STRING) WITH (KAFKA_TOPIC='u', FORMAT='JSON');"
)
TWO_WAY = "CREATE STREAM O AS SELECT S.K, S.V, NAME FROM S JOIN T ON S.K = T.ID;"
THREE_WAY = (
    "CREATE STREAM O AS SELECT S.K, S.V, NAME, CITY FROM S JOIN T ON S.K = T.ID "
    "LEFT JOIN U ON S.K = U.ID;"
)


def _fill(log: MemoryLog, events: int, keys: int) -> None:
    for key in range(keys):
        raw = str(key).encode()
        log.append("t", raw, json.dumps({"NAME": f"n{key}"}).encode(), timestamp=0)
        log.append("u", raw, json.dumps({"CITY": f"c{key}"}).encode(), timestamp=0)
    for event in range(events):
        value = json.dumps({"K": event % keys, "V": event}).encode()
        log.append("s", str(event).encode(), value, timestamp=1 + event)


def run(query: str, events: int, keys: int) -> tuple[float, Any]:
    """Seconds to join every event (inputs written first), and the query's join pipeline."""
    log = MemoryLog()
    engine = Engine(log, config={})
    engine.restore()
    engine.execute(SOURCES, {}, {})
    _fill(log, events, keys)
    started = time.perf_counter()
    engine.execute(query, {}, {})  # starting the query makes it catch up on its inputs
    elapsed = time.perf_counter() - started
    produced = sum(log.end_offsets("O"))
    if produced != events:
        raise SystemExit(f"expected {events} results, got {produced}")
    (query_object,) = engine.persistent.values()
    return elapsed, query_object.pipeline


def state_size(pipeline: Any) -> tuple[int, int]:
    """Rows the join's operators hold, and their bytes (lists and values, shallowly)."""
    rows = size = 0
    for operator in pipeline.operators:
        for table in (getattr(operator, "table", None),):
            if table is None:
                continue
            rows += len(table)
            for key, row in table.items():
                size += sys.getsizeof(key) + sys.getsizeof(row)
                size += sum(sys.getsizeof(v) for v in row)
    return rows, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    two, three = [], []
    pipeline = None
    for _ in range(args.runs):
        elapsed, pipeline = run(TWO_WAY, args.events, args.keys)
        two.append(elapsed)
        three.append(run(THREE_WAY, args.events, args.keys)[0])
    rows, size = state_size(pipeline)
    median_two, median_three = statistics.median(two), statistics.median(three)
    print(f"stream-table join: {args.events / median_two:,.0f} records/s")
    print(f"  state: {rows:,} table rows, {size / 1e6:.1f} MB")
    print(
        f"three-way join: {args.events / median_three:,.0f} records/s, "
        f"{median_three / median_two:.2f}x the two-way cost per record"
    )


if __name__ == "__main__":
    main()
