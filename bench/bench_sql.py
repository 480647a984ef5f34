"""Benchmark of ksqlpy.sql: parsing ksqlDB's own test statements, splitting a migration, tokenizing.

Run ``python bench/bench_sql.py`` from the repository root. It reads the statements of
``../shared/ksqldb-tests/qtt`` (or ``$KSQLPY_KSQLDB_TESTS``) and prints one table with medians of
several runs, and each row's ratio to a peer measured in the same run: sqlglot's own generic
dialect on the same text, and the raw limit (tokenizing only). ``--sqlglotc-python PY`` also
runs the tokenizer and the parser under another interpreter that has sqlglot's compiled build,
for instance one made with ``python -m venv /tmp/c && /tmp/c/bin/pip install "sqlglot[c]==30.30.0"``
(never install sqlglotc next to ksqlpy: it overwrites sqlglot's modules and refuses our parser).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import sqlglot
from sqlglot.errors import SqlglotError

from ksqlpy.sql import classify, parse, split, tokenize
from ksqlpy.sql.dialect import KSQL

ROOT = Path(__file__).resolve().parents[1]
DIALECT = KSQL()
GENERIC = sqlglot.Dialect.get_or_raise(None)


def corpus_statements() -> list[str]:
    """Distinct statements of the qtt cases that expect no error, ``{FORMAT}`` expanded."""
    base = Path(os.environ.get("KSQLPY_KSQLDB_TESTS", ROOT.parent / "shared" / "ksqldb-tests"))
    files = sorted((base / "qtt").glob("*.json"))
    if not files:
        sys.exit(f"no qtt/*.json under {base}; set KSQLPY_KSQLDB_TESTS to ksqlDB's test data")
    seen: dict[str, None] = {}
    for path in files:
        for case in json.loads(path.read_text(encoding="utf-8")).get("tests", []):
            if "expectedException" in case:
                continue
            for fmt in case.get("format") or [None]:
                for statement in case.get("statements", []):
                    seen[statement.replace("{FORMAT}", fmt) if fmt else statement] = None
    return list(seen)


def migration_script(statements: list[str], count: int = 500) -> str:
    """A ``count``-statement script with comments, built from corpus statements."""
    parts = []
    for i in range(count):
        text = statements[i % len(statements)].rstrip().rstrip(";")
        parts.append(f"-- step {i}: keep ';' in comments and 'strings;' apart\n{text};\n")
    return "\n".join(parts)


def long_statement(size: int = 2000) -> str:
    columns = ", ".join(f"col_{i} STRUCT<a INT, b ARRAY<STRING>>" for i in range(80))
    text = f"CREATE STREAM s ({columns}) WITH (kafka_topic='s', value_format='JSON');"
    return text[:size]


def median_seconds(action: Callable[[], object], runs: int) -> float:
    """Median wall time of ``runs`` calls after one warm-up call."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _parse_all(statements: list[str]) -> None:
    for statement in statements:
        parse(statement)


def _generic_parse_all(statements: list[str]) -> list[str]:
    """Parse with sqlglot's generic dialect; the statements it made a real tree of."""
    trees = []
    for statement in statements:
        try:
            parsed = GENERIC.parse(statement)
        except SqlglotError:
            continue  # refused: the time spent still counts
        if all(not isinstance(t, sqlglot.exp.Command) for t in parsed if t is not None):
            trees.append(statement)
    return trees


def _tokenize_all(statements: list[str]) -> None:
    for statement in statements:
        DIALECT.tokenize(statement)


def _split_classify(script: str) -> None:
    for statement in split(script):
        classify(statement)


def _generic_split_parse(script: str) -> None:
    with contextlib.suppress(SqlglotError):
        GENERIC.parse(script)


SQLGLOTC_PROBE = """
import json, statistics, sys, time
import sqlglot.tokens
from ksqlpy.sql.dialect import KSQL
d = KSQL()
text = sys.stdin.read()
def med(f, n=7):
    f(); ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)
out = {"installed": sqlglot.tokens.SQLGLOTC_INSTALLED, "tokenize": med(lambda: d.tokenize(text))}
try:
    d.parse("SHOW STREAMS")
    out["parse"] = "works"
except Exception as e:
    out["parse"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))
"""


def sqlglotc_row(python: str, text: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [python, "-c", SQLGLOTC_PROBE],
        input=text,
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    data: dict[str, object] = json.loads(result.stdout)
    return data


def main() -> None:
    """Measure and print the table."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=5, help="timed runs per row (median)")
    options.add_argument(
        "--sqlglotc-python", help="a Python whose sqlglot has sqlglotc installed (optional)"
    )
    args = options.parse_args()
    # The generic dialect logs a warning for each statement it falls back to a Command for.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)

    statements = corpus_statements()
    chars = sum(len(s) for s in statements)
    script = migration_script(statements)
    text = long_statement()
    n = len(statements)
    common = _generic_parse_all(statements)  # what both dialects really parse

    parse_s = median_seconds(lambda: _parse_all(statements), args.runs)
    generic_s = median_seconds(lambda: _generic_parse_all(statements), args.runs)
    common_s = median_seconds(lambda: _parse_all(common), args.runs)
    common_generic_s = median_seconds(lambda: _generic_parse_all(common), args.runs)
    tokens_s = median_seconds(lambda: _tokenize_all(statements), args.runs)
    split_s = median_seconds(lambda: split(script), args.runs)
    split_classify_s = median_seconds(lambda: _split_classify(script), args.runs)
    generic_script_s = median_seconds(lambda: _generic_split_parse(script), args.runs)
    highlight_s = median_seconds(lambda: tokenize(text), args.runs * 4)
    raw_tokens_s = median_seconds(lambda: DIALECT.tokenize(text), args.runs * 4)
    generic_tokens_s = median_seconds(lambda: GENERIC.tokenize(text), args.runs * 4)

    rows: list[tuple[str, str, str]] = [
        (f"qtt corpus: parse {n} statements ({chars:,} chars)", "", ""),
        ("  ksqlpy.sql.parse", f"{n / parse_s:,.0f} stmt/s", "1.00x"),
        ("  peer: sqlglot generic dialect parse", f"{n / generic_s:,.0f} stmt/s", ""),
        (f"    (generic made a tree of {len(common)}/{n}; the rest: Command or error)", "", ""),
        (
            f"  same {len(common)} statements both parse: ksqlpy",
            f"{len(common) / common_s:,.0f} stmt/s",
            "1.00x",
        ),
        (
            f"  same {len(common)}: sqlglot generic dialect",
            f"{len(common) / common_generic_s:,.0f} stmt/s",
            "",
        ),
        ("  raw limit: KSQL tokenizer only", f"{n / tokens_s:,.0f} stmt/s", ""),
        ("500-statement migration script", "", ""),
        ("  ksqlpy.sql.split", f"{split_s * 1000:.1f} ms", ""),
        ("  ksqlpy.sql.split + classify each", f"{split_classify_s * 1000:.1f} ms", "1.00x"),
        ("  peer: sqlglot generic parse of the script", f"{generic_script_s * 1000:.1f} ms", ""),
        (f"tokenize one {len(text):,}-char statement", "", ""),
        ("  ksqlpy.sql.tokenize (highlight tokens)", f"{highlight_s * 1000:.2f} ms", "1.00x"),
        ("  raw limit: KSQL tokenizer", f"{raw_tokens_s * 1000:.2f} ms", ""),
        ("  peer: sqlglot generic tokenizer", f"{generic_tokens_s * 1000:.2f} ms", ""),
    ]
    ratios = {
        "  peer: sqlglot generic dialect parse": parse_s / generic_s,
        "  raw limit: KSQL tokenizer only": parse_s / tokens_s,
        f"  same {len(common)}: sqlglot generic dialect": common_s / common_generic_s,
        "  ksqlpy.sql.split": split_classify_s / split_s,
        "  peer: sqlglot generic parse of the script": split_classify_s / generic_script_s,
        "  raw limit: KSQL tokenizer": highlight_s / raw_tokens_s,
        "  peer: sqlglot generic tokenizer": highlight_s / generic_tokens_s,
    }
    rows = [(a, b, f"{ratios[a]:.2f}x" if a in ratios else c) for a, b, c in rows]

    if args.sqlglotc_python:
        probe = sqlglotc_row(args.sqlglotc_python, text)
        ms = float(str(probe["tokenize"])) * 1000
        rows.append(("with sqlglotc (other interpreter)", "", ""))
        rows.append(
            ("  KSQL tokenizer, compiled", f"{ms:.2f} ms", f"{highlight_s * 1000 / ms:.2f}x")
        )
        rows.append(("  KSQL parse, compiled", str(probe["parse"])[:60], ""))

    width = max(len(r[0]) for r in rows)
    print(f"ksqlpy.sql benchmark (sqlglot {version('sqlglot')}, Python {sys.version.split()[0]};")
    print(f"medians of {args.runs} runs; ratio = ksqlpy's time / the row's time, >1: row faster)")
    print(f"{'':{width}}  {'result':>16}  {'ratio':>7}")
    for label, value, ratio in rows:
        print(f"{label:{width}}  {value:>16}  {ratio:>7}")


if __name__ == "__main__":
    main()
