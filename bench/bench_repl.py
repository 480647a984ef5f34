"""Benchmark of the ksqlpy shell: completion latency with a large catalog.

Run ``python bench/bench_repl.py`` from the repository root. It builds a catalog snapshot of
2,000 sources (10 columns each), 500 topics and 200 functions, and times ``suggest`` in the
contexts a user hits most, printing the median and the worst of many runs per context next to the
raw limit measured in the same run (tokenizing the same text, which every call does) and the
50 ms target.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from ksqlpy.repl.completion.suggest import CatalogSnapshot, SourceMeta, suggest
from ksqlpy.sql import tokenize

TARGET_MS = 50.0


def catalog(sources: int) -> CatalogSnapshot:
    """A snapshot shaped like a big ksqlDB deployment."""
    metas = {}
    for i in range(sources):
        name = f"SOURCE_{i:05d}"
        columns = tuple((f"COL_{j}_{i}", "STRING") for j in range(10))
        metas[name] = SourceMeta(name, "STREAM" if i % 2 else "TABLE", name.lower(), columns)
    return CatalogSnapshot(
        sources=metas,
        topics=tuple(f"topic-{i}" for i in range(500)),
        functions={f"FUNC_{i}": "SCALAR" for i in range(200)},
        properties=tuple(f"ksql.prop.{i}" for i in range(300)),
        queries=tuple(f"CSAS_Q_{i}" for i in range(300)),
    )


CASES: dict[str, tuple[str, str]] = {
    "sources after FROM": ("SELECT * FROM SOURCE_01", ""),
    "all sources after FROM": ("SELECT * FROM ", ""),
    "columns after SELECT": (
        "SELECT COL_",
        " FROM SOURCE_00042 s JOIN SOURCE_01000 t ON s.a = t.b",
    ),
    "alias-qualified columns": (
        "SELECT s.",
        " FROM SOURCE_00042 s JOIN SOURCE_01000 t ON s.a = t.b",
    ),
    "keywords by position": ("SELECT * FROM SOURCE_00042 WHERE COL_1_42 = 'x' ", ""),
    "topics in kafka_topic=": (
        "CREATE STREAM s (id INT KEY, v STRING) WITH (value_format='json', kafka_topic='topic-4",
        "",
    ),
    "long statement (2,000 chars)": (
        "SELECT " + ", ".join(["COL_1_42"] * 220) + " FROM SOURCE_",
        "",
    ),
}


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per call."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    """Print one row per context: median, max, tokenize-only median, ratio, verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    snap = catalog(args.sources)
    print(f"completion latency, {args.sources} sources, {args.runs} runs per context (ms)")
    header = f"{'context':32} {'median':>8} {'max':>8} {'tokenize':>9} {'ratio':>6}  target"
    print(header)
    print("-" * len(header))
    for name, (before, after) in CASES.items():
        suggest(before, snap, after)  # warm up
        took = timed(lambda b=before, a=after: suggest(b, snap, a), args.runs)
        raw = timed(lambda b=before, a=after: (tokenize(b), tokenize(a)), args.runs)
        median, limit = statistics.median(took), statistics.median(raw)
        verdict = "ok" if max(took) < TARGET_MS else "SLOW"
        print(
            f"{name:32} {median:8.2f} {max(took):8.2f} {limit:9.2f} "
            f"{median / limit if limit else 0:6.1f}  {verdict} (< {TARGET_MS:g})"
        )


if __name__ == "__main__":
    main()
