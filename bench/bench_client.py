"""Benchmark of the ksqlDB client: a big push query, a pull query, and streamed inserts.

Run ``python bench/bench_client.py`` from the repository root (``--rows 200000 --runs 1`` for a
quick look). It starts the local server in its own process (or uses ``--url``), loads a stream
of 5 mixed columns (BIGINT, STRING, DECIMAL, TIMESTAMP, BOOLEAN), and runs every reader in a
fresh process of its own, so each one's CPU time and peak RSS are its own. Readers:

- ``raw`` — the raw limit: httpx streaming ``/query-stream`` with ``iter_lines()`` (sync or
  async) and ``json.loads`` per row, no conversion (over HTTP/1.1 and over h2c);
- ``ksqlpy`` sync and async, rows converted (Decimal, aware datetime), over h2c and HTTP/1.1;
- the Python peers of ``../shared/reference/peers-clients.md``, each from its own virtualenv
  given with ``--peer ID=PYTHON`` (several share the import name ``ksql``; ``ksql`` 0.10.2 needs
  Python 3.9, jetblack 3.12), e.g. ``python -m venv /tmp/ng && /tmp/ng/bin/pip install
  ksql-python-ng`` then ``--peer ksql-ng=/tmp/ng/bin/python``; unmeasured rows say why.

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
from datetime import datetime, timezone
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
    ts = datetime(2024, 1, 2, 10, 0, 0, 123000, tzinfo=timezone.utc)  # noqa: UP017 (Python 3.9 peers)
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
    """ksql 0.10.2, ksql-python-ng, pykSQL (one import name): text of /query or /query-stream."""
    from ksql import KSQLAPI  # type: ignore[import-not-found]

    api = KSQLAPI(url, timeout=3600, check_version=False)
    if not http2:
        return sum(
            str(chunk).count('"row"')
            for chunk in api.query(_push_sql(n), stream_properties=EARLIEST)
        )
    newlines = sum(
        str(chunk).count("\n")
        for chunk in api.query(_push_sql(n), stream_properties=EARLIEST, use_http2=True)
    )
    return newlines - 1  # the header line


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
    """The raw async client (rows as dicts, no conversion). Its DB-API cursor, which converts
    types, cannot be built from the 0.2.1 wheel: the wheel lacks ``_grammars/ksql.lark``."""
    from jetblack_ksql_dbapi import AsyncKsqlDbClient  # type: ignore[import-not-found]

    async def main() -> int:
        count = 0
        async for _row in AsyncKsqlDbClient(url).query_stream(
            _push_sql(n), timeout=3600, properties=EARLIEST
        ):
            count += 1
        return count

    return asyncio.run(main())


def _plain_rows(n: int) -> list[dict[str, Any]]:
    """JSON-native rows (DECIMAL and TIMESTAMP as strings): what every peer can send."""
    return [
        {"ID": i, "NAME": f"name{i}", "AMOUNT": f"{i % 100000 / 100:.2f}",
         "TS": "2024-01-02T10:00:00.123", "FLAG": i % 2 == 0}
        for i in range(n)
    ]  # fmt: skip


def insert_ksqlpy(url: str, n: int, http2: bool) -> int:
    from ksqlpy import Client

    with Client(url) as client:
        return client.stream_inserts("BENCH_INS", _plain_rows(n)).rows


def insert_ksqlpy_typed(url: str, n: int, http2: bool) -> int:
    from ksqlpy import Client

    with Client(url) as client:
        return client.stream_inserts("BENCH_INS", _rows(n)).rows


def insert_peer_ksql(url: str, n: int, http2: bool) -> int:
    from ksql import KSQLAPI

    result = KSQLAPI(url, timeout=3600, check_version=False).inserts_stream(
        "BENCH_INS", _plain_rows(n)
    )
    return len(result) if isinstance(result, list) else n


def insert_peer_ksqldb(url: str, n: int, http2: bool) -> int:
    from ksqldb import KSQLdbClient

    result = KSQLdbClient(url).api.inserts_stream("BENCH_INS", _plain_rows(n))
    return len(result) if isinstance(result, list) else n


def insert_peer_jetblack(url: str, n: int, http2: bool) -> int:
    from jetblack_ksql_dbapi import AsyncKsqlDbClient

    async def main() -> int:
        acks = 0  # its inserts_stream builds the whole body in memory first
        async for ack in AsyncKsqlDbClient(url).inserts_stream("BENCH_INS", _plain_rows(n)):
            acks += ack.get("status") == "ok"
        return acks

    return asyncio.run(main())


Reader = tuple[Callable[[str, int, bool], int], bool, str, str]
# name: (function, http2, module it needs, peer id for --peer ID=PYTHON; "" for this interpreter)
READERS: dict[str, Reader] = {
    "raw limit, HTTP/1.1": (read_raw, False, "httpx", ""),
    "raw limit, h2c": (read_raw, True, "httpx", ""),
    "raw limit, async h2c": (read_raw_async, True, "httpx", ""),
    "ksqlpy sync, HTTP/1.1": (read_ksqlpy, False, "ksqlpy", ""),
    "ksqlpy sync, h2c": (read_ksqlpy, True, "ksqlpy", ""),
    "ksqlpy async, h2c": (read_ksqlpy_async, True, "ksqlpy", ""),
    "ksql 0.10.2 (/query)": (read_peer_ksql, False, "ksql", "ksql"),
    "ksql-python-ng (/query)": (read_peer_ksql, False, "ksql", "ksql-ng"),
    "ksql-python-ng (h2c)": (read_peer_ksql, True, "ksql", "ksql-ng"),
    "ksqldb (async h2c)": (read_peer_ksqldb, True, "ksqldb", "ksqldb"),
    "jetblack-ksql-dbapi (async raw)": (
        read_peer_jetblack,
        True,
        "jetblack_ksql_dbapi",
        "jetblack",
    ),
}
PULL: dict[str, Reader] = {"ksqlpy pull": (read_pull, True, "ksqlpy", "")}
INSERTS: dict[str, Reader] = {
    "ksqlpy stream_inserts": (insert_ksqlpy, True, "ksqlpy", ""),
    "ksqlpy stream_inserts, typed": (insert_ksqlpy_typed, True, "ksqlpy", ""),
    "ksql 0.10.2 inserts_stream": (insert_peer_ksql, True, "ksql", "ksql"),
    "ksql-python-ng inserts_stream": (insert_peer_ksql, True, "ksql", "ksql-ng"),
    "ksqldb inserts_stream": (insert_peer_ksqldb, True, "ksqldb", "ksqldb"),
    "jetblack-ksql-dbapi inserts_stream": (
        insert_peer_jetblack,
        True,
        "jetblack_ksql_dbapi",
        "jetblack",
    ),
}
TABLES = {"push": READERS, "pull": PULL, "insert": INSERTS}
RAW_FOR = {
    "ksqlpy sync, HTTP/1.1": "raw limit, HTTP/1.1",
    "ksqlpy sync, h2c": "raw limit, h2c",
    "ksqlpy async, h2c": "raw limit, async h2c",
    "ksqldb (async h2c)": "raw limit, async h2c",
    "jetblack-ksql-dbapi (async raw)": "raw limit, async h2c",
}
"""Each reader's raw limit: the same HTTP version, and async readers against async httpx."""


def child(name: str, url: str, n: int, kind: str) -> None:
    """Run one reader and print its measurements as JSON (called in a fresh process)."""
    function, http2, module, _ = TABLES[kind][name]
    try:
        __import__(module)
    except ImportError:
        print(json.dumps({"missing": module}))
        return
    cpu, wall = time.process_time(), time.perf_counter()
    rows = function(url, n, http2)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(json.dumps({"rows": rows, "cpu": cpu, "wall": wall, "rss_mib": _peak_rss_kib() / 1024}))


def _peak_rss_kib() -> float:
    # VmHWM is this process's own peak; ru_maxrss on Linux starts from the parent's at fork.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def measure(name: str, url: str, n: int, kind: str, python: str) -> dict[str, Any]:
    command = [python, __file__, "--child", name, "--kind", kind, "--url", url, "--rows", str(n)]
    out = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _median(results: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in results))


def report(kind: str, url: str, n: int, runs: int, peers: dict[str, str]) -> None:
    """Measure every reader of ``kind`` and print one table."""
    print(f"\n{kind}: {n:,} rows, median of {runs} run(s)")
    print(f"{'reader':36} {'rows/s':>10} {'CPU ns/row':>11} {'vs raw':>7} {'peak RSS':>9}")
    cpu_per_row: dict[str, float] = {}
    for name, (_, http2, _, peer) in TABLES[kind].items():
        if peer and peer not in peers:
            print(f"{name:36} not measured: pass --peer {peer}=PYTHON (a venv with it installed)")
            continue
        python = peers.get(peer, sys.executable)
        results = [measure(name, url, n, kind, python) for _ in range(runs)]
        first = results[0]
        if "missing" in first:
            print(f"{name:36} not installed in {python}")
            continue
        if "error" in first:
            print(f"{name:36} failed: {first['error'][:90]}")
            continue
        wall, cpu = _median(results, "wall"), _median(results, "cpu")
        rows = first["rows"]
        cpu_per_row[name] = cpu / max(rows, 1) * 1e9
        ratio = ""
        if kind == "push":
            raw = cpu_per_row.get(
                RAW_FOR.get(name, "raw limit, " + ("h2c" if http2 else "HTTP/1.1"))
            )
            ratio = f"{cpu_per_row[name] / raw:.2f}" if raw else ""
        note = "" if rows == n else f"  (counted {rows:,} rows)"
        print(
            f"{name:36} {rows / wall:10,.0f} {cpu_per_row[name]:11,.0f} {ratio:>7} "
            f"{_median(results, 'rss_mib'):6.0f} MB{note}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="push query rows")
    parser.add_argument("--inserts", type=int, default=100_000, help="rows to insert")
    parser.add_argument("--pull", type=int, default=100_000, help="pull query rows")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="an existing server (default: start the local server)")
    parser.add_argument(
        "--peer",
        action="append",
        default=[],
        metavar="ID=PYTHON",
        help="the interpreter of a venv holding a peer: ksql (0.10.2, Python 3.9), ksql-ng, "
        "ksqldb, jetblack (Python 3.12); repeatable",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="push", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.rows, args.kind)
        return
    peers = dict(item.split("=", 1) for item in args.peer)

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
        report("push", url, args.rows, args.runs, peers)
        report("pull", url, args.pull, args.runs, peers)
        report("insert", url, args.inserts, args.runs, peers)
    finally:
        if server is not None:
            server.kill()
            server.wait(10)
            if server.stdout is not None:
                server.stdout.close()


if __name__ == "__main__":
    main()
