"""Benchmark of the ksqlpy shell: start-up, completion latency, push-query rendering.

Run ``python bench/bench_repl.py`` from the repository root. Three tables, each with medians and
the raw limit measured in the same run:

1. Time from starting ``ksqlpy URL`` in a pseudo-terminal to the first prompt (target 0.5 s),
   next to a bare ``python -c pass`` and ``import ksqlpy`` (``bench_startup.py`` compares it
   with pgcli and litecli).
2. Completion latency with a catalog of 2,000 sources (10 columns each), 500 topics and 200
   functions, per context (target 50 ms), next to tokenizing the same text (every call does).
3. Push-query rendering: rows/s the live grid formats and writes, and rows/s through the whole
   shell path from the local server (poll, batch, render), next to the client reading the same
   stream with ``batches()`` and rendering nothing; the bar is a 10k rows/s stream.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench_startup import until_prompt  # one way to time a prompt (bench/ is on sys.path)

from ksqlpy.repl.completion.suggest import suggest
from ksqlpy.repl.completion.vocabulary import CatalogSnapshot, SourceMeta
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


def bench_startup(url: str, runs: int) -> None:
    """Table 1: command start to first prompt."""
    py = sys.executable
    rows = {
        "ksqlpy URL -> first prompt": ([py, "-m", "ksqlpy.repl.cli", url], b"ksql>"),
        "raw: python -c pass": ([py, "-c", "pass"], None),
        "raw: python -c 'import ksqlpy'": ([py, "-c", "import ksqlpy"], None),
    }
    print(f"start-up, median of {runs} runs (s)")
    print(f"{'what':34} {'median':>8}  target")
    print("-" * 52)
    for name, (command, marker) in rows.items():
        median = statistics.median(until_prompt(command, marker) for _ in range(runs))
        verdict = ("ok" if median < 0.5 else "SLOW") + " (< 0.5)" if marker else ""
        print(f"{name:34} {median:8.3f}  {verdict}")
    print()


class _Null(io.TextIOBase):
    """A terminal that takes everything (measures formatting, not the terminal)."""

    def write(self, text: str) -> int:
        return len(text)

    def isatty(self) -> bool:
        return True


def bench_render(url: str, rows: int) -> None:
    """Table 3: rows/s through the live grid, and through the shell from the local server."""
    from ksqlpy import Client
    from ksqlpy.repl.executor import Executor
    from ksqlpy.repl.render.live import LiveTable
    from ksqlpy.repl.render.output import Output
    from ksqlpy.repl.session import Session
    from ksqlpy.repl.shell import Shell

    data = [(i, f"user_{i % 977}", i * 0.5, i % 2 == 0) for i in range(rows)]
    out = Output(_Null(), tty=True)
    start = time.perf_counter()
    view = LiveTable(["ID", "NAME", "AMOUNT", "FLAG"], out, types=["INTEGER", "STRING"])
    for offset in range(0, rows, 500):
        view.add(data[offset : offset + 500])
    grid_rate = rows / (time.perf_counter() - start)

    with Client(url) as client:
        client.execute_statement(
            "CREATE STREAM bench (id INT KEY, name STRING, amount DOUBLE, flag BOOLEAN) "
            "WITH (kafka_topic='bench', value_format='json', partitions=1);"
        )
        client.stream_inserts(
            "BENCH", ({"ID": a, "NAME": b, "AMOUNT": c, "FLAG": d} for a, b, c, d in data)
        )
        earliest = {"auto.offset.reset": "earliest"}
        start = time.perf_counter()
        with client.stream_query("SELECT * FROM bench EMIT CHANGES;", earliest) as query:
            seen = 0
            for batch in query.batches():
                seen += len(batch)
                if seen >= rows:
                    break
        raw_rate = rows / (time.perf_counter() - start)
        session = Session(url=url, properties=earliest, row_limit=rows)
        shell = Shell(Executor(client, session), session, out, interactive=True)
        start = time.perf_counter()
        shell.run_text("SELECT * FROM bench EMIT CHANGES;")
        shell_rate = rows / (time.perf_counter() - start)

    print(f"push-query rendering, {rows:,} rows (rows/s)")
    print(f"{'what':44} {'rows/s':>10} {'vs raw':>7}  bar")
    print("-" * 72)
    table: dict[str, float] = {
        "live grid: format + write": grid_rate,
        "shell: local server -> poll -> grid": shell_rate,
        "raw: client batches() from the server": raw_rate,
    }
    for name, rate in table.items():
        verdict = "ok" if rate >= 10_000 else "SLOW"
        print(f"{name:44} {rate:10,.0f} {rate / raw_rate:7.2f}  {verdict} (>= 10,000)")
    print()


def main() -> None:
    """Print the three tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    from ksqlpy.local import LocalServer

    server: Any
    with LocalServer() as server:
        bench_startup(server.url, args.startup_runs)
        bench_completion(args.sources, args.runs)
    with LocalServer() as server:
        bench_render(server.url, args.rows)


def bench_completion(sources: int, runs: int) -> None:
    """Table 2: one row per context: median, max, tokenize-only median, ratio, verdict."""
    snap = catalog(sources)
    print(f"completion latency, {sources} sources, {runs} runs per context (ms)")
    header = f"{'context':32} {'median':>8} {'max':>8} {'tokenize':>9} {'ratio':>6}  target"
    print(header)
    print("-" * len(header))
    for name, (before, after) in CASES.items():
        suggest(before, snap, after)  # warm up
        took = timed(lambda b=before, a=after: suggest(b, snap, a), runs)
        raw = timed(lambda b=before, a=after: (tokenize(b), tokenize(a)), runs)
        median, limit = statistics.median(took), statistics.median(raw)
        verdict = "ok" if max(took) < TARGET_MS else "SLOW"
        print(
            f"{name:32} {median:8.2f} {max(took):8.2f} {limit:9.2f} "
            f"{median / limit if limit else 0:6.1f}  {verdict} (< {TARGET_MS:g})"
        )
    print()


if __name__ == "__main__":
    main()
