"""Benchmark of the local server's scalar functions: a 10-function projection per row.

Run ``python bench/bench_functions.py`` from the repository root (``--rows 20000 --runs 3`` for a
quick look). It compiles one projection of ten ksqlDB functions (strings, maths, regex, JSON,
arrays, dates) the way a persistent query compiles it, evaluates it over rows of six columns,
and, in the same run, a plain-Python function that computes the same ten values directly (the
raw limit: no NULL checks, no overload casts, no registry). It prints the median CPU ns per row
of each and their ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from ksqlpy.local.engine.expr import Scope, Slot, compile_expr
from ksqlpy.local.engine.types import DATE, DOUBLE, INTEGER, STRING, ArrayType
from ksqlpy.sql import parse_one

PROJECTION = (
    "UCASE(NAME), LPAD(NAME, 12, '*'), ROUND(AMOUNT, 1), ABS(N), SQRT(AMOUNT), "
    "REGEXP_REPLACE(NAME, '[aeiou]', '_'), EXTRACTJSONFIELD(DOC, '$.a.b'), "
    "ARRAY_MAX(TAGS), DATEADD(DAYS, N, D), CONCAT(NAME, '-', UCASE(NAME))"
)
SCOPE = Scope(
    [
        Slot("NAME", STRING),
        Slot("AMOUNT", DOUBLE),
        Slot("N", INTEGER),
        Slot("DOC", STRING),
        Slot("TAGS", ArrayType("ARRAY", INTEGER)),
        Slot("D", DATE),
    ]
)
VOWELS = re.compile("[aeiou]")


def rows(count: int) -> list[list[Any]]:
    """Rows of the benchmark's six columns."""
    return [
        [
            f"name{i}",
            i * 1.25,
            -i,
            json.dumps({"a": {"b": i}}),
            [i, i + 1, i - 1],
            dt.date(2024, 1, 1),
        ]
        for i in range(count)
    ]


def compiled() -> Callable[[Sequence[Any]], list[Any]]:
    """The projection as the engine compiles it."""
    select = parse_one(f"SELECT {PROJECTION} FROM S")
    fns = [compile_expr(item, SCOPE)[0] for item in select.expressions]
    return lambda row: [f(row) for f in fns]


def plain(row: Sequence[Any]) -> list[Any]:
    """The same ten values, computed directly."""
    name, amount, n, doc, tags, day = row
    return [
        name.upper(),
        ("*" * 12 + name)[-12:] if len(name) < 12 else name[:12],
        round(amount, 1),
        abs(n),
        amount**0.5,
        VOWELS.sub("_", name),
        str(json.loads(doc)["a"]["b"]),
        max(tags),
        day + dt.timedelta(days=n),
        name + "-" + name.upper(),
    ]


def measure(fn: Callable[[Sequence[Any]], list[Any]], data: list[list[Any]]) -> float:
    """CPU ns per row of one pass."""
    start = time.process_time_ns()
    for row in data:
        fn(row)
    return (time.process_time_ns() - start) / len(data)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    data = rows(args.rows)
    engine = compiled()
    assert engine(data[1])[0] == plain(data[1])[0]  # same computations
    times: dict[str, list[float]] = {"engine": [], "plain Python": []}
    for _ in range(args.runs):
        times["engine"].append(measure(engine, data))
        times["plain Python"].append(measure(plain, data))
    base = statistics.median(times["plain Python"])
    print(f"10-function projection, {args.rows} rows, median of {args.runs} runs")
    print(f"{'evaluator':<14} {'ns/row':>10} {'ratio':>7}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<14} {median:>10.0f} {median / base:>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
