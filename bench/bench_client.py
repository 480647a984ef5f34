"""Benchmark of the ksqlDB client: a big push query, a pull query, and streamed inserts.

Run ``python bench/bench_client.py`` from the repository root (``--rows 200000 --runs 1`` for a
quick look). It starts the local server in its own process (or uses ``--url``), loads a stream
of 5 mixed columns (BIGINT, STRING, DECIMAL, TIMESTAMP, BOOLEAN), and runs every reader in a
fresh process of its own, so each one's CPU time and peak RSS are its own. Readers:

- ``raw`` — the raw limit: httpx streaming ``/query-stream`` with ``iter_lines()`` (sync or async) and
  ``json.loads`` per row, no conversion (over HTTP/1.1 and over h2c);
- ``ksqlpy`` sync and async, rows converted (Decimal, aware datetime), over h2c and HTTP/1.1;
- the Python peers of ``../shared/reference/peers-clients.md`` when importable (install them in
  separate virtualenvs: several share the import name ``ksql``); otherwise the row says so.

The table gives medians of ``--runs``: wall rows/s, client CPU ns per row, the CPU ratio to the
raw limit over the same HTTP version (the issue's target: <= 1.25), and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

STREAM = "BENCH_PV"
COLUMNS = "ID BIGINT KEY, NAME STRING, AMOUNT DECIMAL(10, 2), TS TIMESTAMP, FLAG BOOLEAN"
SERVE = (
    "import time\n"
    "from ksqlpy.local import LocalServer\n"
    "server = LocalServer().start()\n"
    "print(server.url, flush=True)\n"
    "time.sleep(24 * 3600)\n"
)


def _rows(n: int, start: int = 0) -> Any:
    ts = datetime(2024, 1, 2, 10, 0, 0, 123000, tzinfo=UTC)
    for i in range(start, start + n):
        yield {"ID": i, "NAME": f"name{i}", "AMOUNT": Decimal(i % 100000) / 100, "TS": ts,
               "FLAG": i % 2 == 0}  # fmt: skip


def _push_sql(n: int) -> str:
    return f"SELECT * FROM {STREAM} EMIT CHANGES LIMIT {n};"


EARLIEST = {"auto.offset.reset": "earliest"}


# --- readers (each runs in its own process) ------------------------------------------------------


def read_raw(url: str, n: int, http2: bool) -> int:
    import httpx

    body = {"sql": _push_sql(n), "properties": EARLIEST}
    count = 0
    with (
        httpx.Client(http1=not http2, http2=http2, timeout=None) as client,
        client.stream("POST", url + "/query-stream", json=body) as response,
    ):
        lines = response.iter_lines()
        json.loads(next(lines))  # the header
        for line in lines:
            if line:
                json.loads(line)
                count += 1
    return count


def read_raw_async(url: str, n: int, http2: bool) -> int:
    import httpx

    async def main() -> int:
        body = {"sql": _push_sql(n), "properties": EARLIEST}
        count = -1  # the header line
        async with (
            httpx.AsyncClient(http1=not http2, http2=http2, timeout=None) as client,
            client.stream("POST", url + "/query-stream", json=body) as response,
        ):
            async for line in response.aiter_lines():
                if line:
                    json.loads(line)
                    count += 1
        return count

    return asyncio.run(main())


def read_ksqlpy(url: str, n: int, http2: bool) -> int:
    from ksqlpy import Client

    count = 0
    with Client(url, http2=http2) as client, client.stream_query(_push_sql(n), EARLIEST) as query:
        for _row in query:
            count += 1
    return count


def read_ksqlpy_async(url: str, n: int, http2: bool) -> int:
    from ksqlpy import AsyncClient

    async def main() -> int:
        count = 0
        async with (
            AsyncClient(url, http2=http2) as client,
            await client.stream_query(_push_sql(n), EARLIEST) as query,
        ):
            async for _row in query:
                count += 1
        return count

    return asyncio.run(main())


def read_pull(url: str, n: int, http2: bool) -> int:
    from ksqlpy import Client

    count = 0
    with (
        Client(url, http2=http2) as client,
        client.stream_query(f"SELECT * FROM {STREAM} LIMIT {n};") as query,
    ):
        for _row in query:
            count += 1
    return count


def read_peer_ksql(url: str, n: int, http2: bool) -> int:
    from ksql import KSQLAPI  # type: ignore[import-not-found]  # ksql, ksql-python-ng, pykSQL

    api = KSQLAPI(url, timeout=None, check_version=False)
    count = 0
    for chunk in api.query(_push_sql(n), stream_properties=EARLIEST, use_http2=http2):
        count += str(chunk).count('"row"')
    return count


def read_peer_ksqldb(url: str, n: int, http2: bool) -> int:
    from ksqldb import KSQLdbClient  # type: ignore[import-not-found]

    async def main() -> int:
        count = -1  # the first item is the header
        async for _item in KSQLdbClient(url).query_async(
            _push_sql(n), stream_properties=EARLIEST, timeout=None
        ):
            count += 1
        return count

    return asyncio.run(main())


def read_peer_jetblack(url: str, n: int, http2: bool) -> int:
    from jetblack_ksql_dbapi import connect  # type: ignore[import-not-found]

    cursor = connect(url).cursor()
    cursor.execute(_push_sql(n))
    return sum(1 for _ in cursor)


def insert_ksqlpy(url: str, n: int, http2: bool) -> int:
    from ksqlpy import Client

    with Client(url) as client:
        return client.stream_inserts("BENCH_INS", _rows(n)).rows


READERS: dict[str, tuple[Callable[[str, int, bool], int], bool, str]] = {
    # name: (function, http2, import needed)
    "raw limit, HTTP/1.1": (read_raw, False, "httpx"),
    "raw limit, h2c": (read_raw, True, "httpx"),
    "raw limit, async h2c": (read_raw_async, True, "httpx"),
    "ksqlpy sync, HTTP/1.1": (read_ksqlpy, False, "ksqlpy"),
    "ksqlpy sync, h2c": (read_ksqlpy, True, "ksqlpy"),
    "ksqlpy async, h2c": (read_ksqlpy_async, True, "ksqlpy"),
    "peer ksql (HTTP/1.1 /query)": (read_peer_ksql, False, "ksql"),
    "peer ksqldb (async h2c)": (read_peer_ksqldb, True, "ksqldb"),
    "peer jetblack-ksql-dbapi": (read_peer_jetblack, True, "jetblack_ksql_dbapi"),
}
RAW_FOR = {
    "ksqlpy sync, HTTP/1.1": "raw limit, HTTP/1.1",
    "ksqlpy sync, h2c": "raw limit, h2c",
    "ksqlpy async, h2c": "raw limit, async h2c",
}


def child(name: str, url: str, n: int, kind: str) -> None:
    """Run one reader and print its measurements as JSON (called in a fresh process)."""
    table: dict[str, dict[str, tuple[Callable[[str, int, bool], int], bool, str]]] = {
        "push": READERS,
        "pull": {"ksqlpy pull": (read_pull, True, "ksqlpy")},
        "insert": {"ksqlpy stream_inserts": (insert_ksqlpy, True, "ksqlpy")},
    }
    function, http2, module = table[kind][name]
    try:
        __import__(module)
    except ImportError:
        print(json.dumps({"missing": module}))
        return
    cpu, wall = time.process_time(), time.perf_counter()
    rows = function(url, n, http2)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "cpu": cpu, "wall": wall, "rss_mib": rss_kib / 1024}))


def measure(name: str, url: str, n: int, kind: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, "--kind", kind, "--url", url, "--rows", str(n)],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _median(results: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in results))


def report(kind: str, names: list[str], url: str, n: int, runs: int) -> dict[str, float]:
    print(f"\n{kind}: {n:,} rows, median of {runs} run(s)")
    print(f"{'reader':32} {'rows/s':>12} {'CPU ns/row':>11} {'vs raw':>7} {'peak RSS':>9}")
    cpu_per_row: dict[str, float] = {}
    for name in names:
        results = [measure(name, url, n, kind) for _ in range(runs)]
        first = results[0]
        if "missing" in first:
            print(f"{name:32} not installed (pip install the peer into this interpreter)")
            continue
        if "error" in first:
            print(f"{name:32} failed: {first['error'][:80]}")
            continue
        wall, cpu = _median(results, "wall"), _median(results, "cpu")
        rows = first["rows"]
        cpu_per_row[name] = cpu / max(rows, 1) * 1e9
        ratio = ""
        if kind == "push" and name in READERS:
            raw = cpu_per_row.get(
                RAW_FOR.get(name, "raw limit, " + ("h2c" if READERS[name][1] else "HTTP/1.1"))
            )
            ratio = f"{cpu_per_row[name] / raw:.2f}" if raw else ""
        note = "" if rows == n else f"  (got {rows:,} rows)"
        print(
            f"{name:32} {rows / wall:12,.0f} {cpu_per_row[name]:11,.0f} {ratio:>7} "
            f"{_median(results, 'rss_mib'):7.0f} MB{note}"
        )
    return cpu_per_row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="push query rows")
    parser.add_argument("--inserts", type=int, default=100_000, help="rows to insert")
    parser.add_argument("--pull", type=int, default=100_000, help="pull query rows")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="an existing server (default: start the local server)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="push", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.rows, args.kind)
        return

    server = None
    url = args.url
    if url is None:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        assert server.stdout is not None
        url = server.stdout.readline().strip()
    try:
        from ksqlpy import Client

        with Client(url) as client:
            for name in (STREAM, "BENCH_INS"):
                client.execute_statement(
                    f"CREATE STREAM IF NOT EXISTS {name} ({COLUMNS}) WITH (KAFKA_TOPIC="
                    f"'{name.lower()}', VALUE_FORMAT='JSON', PARTITIONS=1);"
                )
            started = time.perf_counter()
            client.stream_inserts(STREAM, _rows(max(args.rows, args.pull)))
            took = time.perf_counter() - started
            print(f"loaded {max(args.rows, args.pull):,} rows in {took:.1f} s into {url}")
        report("push", list(READERS), url, args.rows, args.runs)
        report("pull", ["ksqlpy pull"], url, args.pull, args.runs)
        report("insert", ["ksqlpy stream_inserts"], url, args.inserts, args.runs)
        print(
            "\npeers' insert paths (ksql/ksqldb inserts_stream, jetblack executemany) run only "
            "when installed; none is in this interpreter"
        )
    finally:
        if server is not None:
            server.kill()
            server.wait(10)
            if server.stdout is not None:
                server.stdout.close()


if __name__ == "__main__":
    main()
