"""Benchmark of ``ksqlpy-migrations`` against the embedded server (``ksqlpy-local``).

    python bench/bench_migrations.py [--migrations 100] [--statements 3] [--runs 3]

Prints medians of: applying N small migrations with ``ksqlpy-migrations apply --all`` (a fresh
server and project each run), the same statements sent straight through ``ksqlpy.Client`` (the
raw limit, measured in the same run on its own fresh server) and their ratio (target: at most
1.5x); and the start-up of ``ksqlpy-migrations --help`` (target: under 0.3 s).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TARGET_RATIO = 1.5
TARGET_HELP_S = 0.3


@contextmanager
def server() -> Iterator[str]:
    """A fresh ``ksqlpy-local`` on a free port, in its own process."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ksqlpy.local.cli", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    match = re.search(r"(http://\S+)", proc.stdout.readline())
    try:
        if match is None:
            raise SystemExit("the local server did not start")
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(10)


def statements(version: int, count: int) -> list[str]:
    """The statements of one small migration: a stream, then rows and a derived stream."""
    base = f"S{version}"
    out = [
        f"CREATE STREAM {base} (id INT KEY, v STRING) "
        f"WITH (kafka_topic='{base.lower()}', value_format='JSON', partitions=1);"
    ]
    for n in range(1, count):
        out.append(f"CREATE STREAM {base}_D{n} AS SELECT * FROM {base};")
    return out


def project(root: Path, url: str, migrations: int, count: int) -> Path:
    (root / "migrations").mkdir(parents=True)
    config = root / "ksql-migrations.properties"
    config.write_text(f"ksql.server.url={url}\n")
    for version in range(1, migrations + 1):
        body = "\n".join(statements(version, count)) + "\n"
        (root / "migrations" / f"V{version:06d}__m{version}.sql").write_text(body)
    return config


def run_tool(migrations: int, count: int) -> float:
    with server() as url, tempfile.TemporaryDirectory() as tmp:
        config = project(Path(tmp), url, migrations, count)
        tool = [sys.executable, "-m", "ksqlpy.migrations.cli", "-c", str(config)]
        subprocess.run([*tool, "initialize-metadata"], check=True, capture_output=True)
        started = time.perf_counter()
        subprocess.run([*tool, "apply", "--all"], check=True, capture_output=True)
        return time.perf_counter() - started


def run_direct(migrations: int, count: int) -> float:
    # The raw limit: a process that imports the client and sends the statements, nothing more.
    script = (
        "import sys\nfrom ksqlpy import Client\n"
        "with Client(sys.argv[1]) as c:\n"
        "    for line in sys.stdin.read().splitlines():\n"
        "        c.execute_statement(line)\n"
    )
    text = "\n".join(s for v in range(1, migrations + 1) for s in statements(v, count))
    with server() as url:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", script, url], input=text, text=True, check=True)
        return time.perf_counter() - started


def help_seconds() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ksqlpy.migrations.cli", "--help"], check=True, capture_output=True
    )
    return time.perf_counter() - started


def python_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migrations", type=int, default=100)
    parser.add_argument("--statements", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    tool, direct, helps, bare = [], [], [], []
    for _ in range(args.runs):
        tool.append(run_tool(args.migrations, args.statements))
        direct.append(run_direct(args.migrations, args.statements))
        helps.append(help_seconds())
        bare.append(python_seconds())
    tool_s, direct_s = statistics.median(tool), statistics.median(direct)
    help_s, bare_s = statistics.median(helps), statistics.median(bare)
    ratio = tool_s / direct_s
    total = args.migrations * args.statements
    print(f"{args.migrations} migrations x {args.statements} statements, median of {args.runs}")
    print(f"{'measure':<44} {'median':>10} {'ratio':>8}  target")
    print(f"{'client, statements sent directly (raw limit)':<44} {direct_s:>9.2f}s {1:>8.2f}")
    print(
        f"{'ksqlpy-migrations apply --all':<44} {tool_s:>9.2f}s {ratio:>8.2f}  "
        f"<= {TARGET_RATIO}x {'ok' if ratio <= TARGET_RATIO else 'MISSED'}"
    )
    print(f"{'  per statement':<44} {tool_s / total * 1000:>8.2f}ms")
    print(f"{'python -c pass':<44} {bare_s:>9.3f}s {1:>8.2f}")
    print(
        f"{'ksqlpy-migrations --help':<44} {help_s:>9.3f}s {help_s / bare_s:>8.2f}  "
        f"< {TARGET_HELP_S}s {'ok' if help_s < TARGET_HELP_S else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
