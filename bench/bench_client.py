"""Benchmark of the ksqlDB client: a big push query, a pull query, and streamed inserts.

Run ``python bench/bench_client.py`` from the repository root (``--rows 200000 --runs 1`` for a
quick look; ``--only push`` for one table). It starts the local server in its own process (or
uses ``--url``), loads a stream of 5 mixed columns (BIGINT, STRING, DECIMAL, TIMESTAMP,
BOOLEAN), and runs every reader in a fresh process of its own, so each one's CPU time and peak
RSS are its own. Readers:

- ``raw`` — the raw limit: httpx streaming ``/query-stream`` with ``iter_lines()`` (sync or
  async) and ``json.loads`` per row, no conversion (over HTTP/1.1 and over h2c);
- ``ksqlpy`` sync and async, rows converted (Decimal, aware datetime), over h2c and HTTP/1.1;
- the Python peers of ``../shared/reference/peers-clients.md``, by their push-query and insert
  calls, with their own rows APIs where they have one. Those that install beside ksqlpy come
  with ``pip install -e '.[bench]'``; others run from a venv given with ``--peer ID=PYTHON``:
  ``ksql`` 0.10.2 needs Python 3.9, and ksql-python-ng's ``/query`` and statement paths need
  httpx < 0.28 (``python -m venv /tmp/ng && /tmp/ng/bin/pip install ksql-python-ng
  'httpx<0.28'``, then ``--peer ksql-ng=/tmp/ng/bin/python``). Unmeasured rows say why.

The push and insert tables are measured twice. First against the server, whose pace is shared
by all readers: the wall figures there mostly measure the server. Then against a replay server
(``replay_server.py``): it sends the server's recorded answer to each query again at socket
speed and acknowledges inserted rows without storing them, so wall rows/s is the reader's own.

The tables give medians of ``--runs``: wall rows/s, client CPU ns per row, the CPU ratio to the
raw limit over the same HTTP version (the issue's target: <= 1.25), and peak RSS; a last line
compares ksqlpy's best with the best peer that hands users rows (text-only readers excluded).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, NamedTuple

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
REPLAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "replay_server.py")


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
        return _until_stop_bug(
            str(chunk).count('"row"')
            for chunk in api.query(_push_sql(n), stream_properties=EARLIEST)
        )
    newlines = _until_stop_bug(
        str(chunk).count("\n")
        for chunk in api.query(_push_sql(n), stream_properties=EARLIEST, use_http2=True)
    )
    return newlines - 1  # the header line


def read_peer_ksql_objects(url: str, n: int, http2: bool) -> int:
    """ksql 0.10.2's own rows API, ``query(..., return_objects=True)``: a dict per row."""
    from ksql import KSQLAPI

    api = KSQLAPI(url, timeout=3600, check_version=False)
    rows = api.query(_push_sql(n), stream_properties=EARLIEST, return_objects=True)
    return _until_stop_bug(1 for row in rows if row is not None)


ENDED_BY: list[str] = []
"""The error a peer's query raised after its rows (the table notes it)."""


def _until_stop_bug(counts: Any) -> int:
    """Sum ``counts`` up to the error some peers raise at a query's end: ksql 0.10.2 calls
    ``next()`` past its last chunk (a RuntimeError since Python 3.7) and its row parser cannot
    read the last line (``{"finalMessage":...}]``)."""
    total = 0
    try:
        for count in counts:
            total += count
    except (RuntimeError, ValueError) as error:
        ENDED_BY.append(f"{type(error).__name__}: {error}")
    return total


def read_peer_ksql_rows(url: str, n: int, http2: bool) -> int:
    """ksql-python-ng's own rows API, ``query(..., parse=True)``: a dict per row."""
    from ksql import KSQLAPI

    api = KSQLAPI(url, timeout=3600, check_version=False)
    rows = api.query(_push_sql(n), stream_properties=EARLIEST, use_http2=http2, parse=True)
    return _until_stop_bug(1 for _row in rows)


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


INSERT_VALUES = "INSERT INTO BENCH_INS (ID, NAME, AMOUNT, TS, FLAG) VALUES (?, ?, ?, ?, ?);"


def _param_rows(n: int) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in _plain_rows(n)]


def insert_ksqlpy_dbapi(url: str, n: int, http2: bool) -> int:
    """PEP 249 ``executemany`` of a bound INSERT: ksqlpy sends it over ``/inserts-stream``."""
    from ksqlpy import dbapi

    with dbapi.connect(url) as connection:
        cursor = connection.cursor()
        cursor.executemany(INSERT_VALUES, _param_rows(n))
        return int(cursor.rowcount)


def insert_peer_jetblack_dbapi(url: str, n: int, http2: bool) -> int:
    """jetblack's ``executemany``: every bound INSERT in one ``/ksql`` body."""
    from jetblack_ksql_dbapi import connect

    cursor = connect(url).cursor()
    cursor.executemany(INSERT_VALUES, _param_rows(n))
    return n


def insert_peer_ksql(url: str, n: int, http2: bool) -> int:
    from ksql import KSQLAPI

    result = KSQLAPI(url, timeout=3600, check_version=False).inserts_stream(
        "BENCH_INS", _plain_rows(n)
    )
    return len(result) if isinstance(result, list) else n


def insert_peer_ksql_statements(url: str, n: int, http2: bool) -> int:
    """One ``INSERT INTO ... VALUES`` statement per call: the path of pykSQL and ksqldb-client
    users, and of any ksql-python user whose rows must carry credentials."""
    from ksql import KSQLAPI

    api = KSQLAPI(url, timeout=3600, check_version=False)
    for row in _plain_rows(n):
        api.ksql(
            "INSERT INTO BENCH_INS (ID, NAME, AMOUNT, TS, FLAG) VALUES "
            f"({row['ID']}, '{row['NAME']}', {row['AMOUNT']}, '{row['TS']}', {row['FLAG']});"
        )
    return n


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


class Reader(NamedTuple):
    """One way of reading (or inserting) rows, measured in a process of its own."""

    function: Callable[[str, int, bool], int]
    http2: bool
    module: str
    peer: str = ""
    """The peer's id (see PEERS); "" for ksqlpy and the raw limit."""
    rows: bool = True
    """Whether it hands rows to the user as values (False: the response's raw text)."""
    divide: int = 1
    """Slow paths run on ``n // divide`` rows, so a run takes seconds, not minutes."""
    replay: bool = True
    """Whether it is measured against the replay server too."""


PEERS = {
    "ksql": "ksql",
    "ksql-ng": "ksql-python-ng",
    "ksqldb": "ksqldb",
    "jetblack": "jetblack-ksql-dbapi",
}
"""Peer id -> its PyPI distribution (``ksql`` and ``ksql-python-ng`` share the import name)."""

READERS: dict[str, Reader] = {
    "raw limit, HTTP/1.1": Reader(read_raw, False, "httpx"),
    "raw limit, h2c": Reader(read_raw, True, "httpx"),
    "raw limit, async h2c": Reader(read_raw_async, True, "httpx"),
    "ksqlpy sync, HTTP/1.1": Reader(read_ksqlpy, False, "ksqlpy"),
    "ksqlpy sync, h2c": Reader(read_ksqlpy, True, "ksqlpy"),
    "ksqlpy async, h2c": Reader(read_ksqlpy_async, True, "ksqlpy"),
    "ksql 0.10.2 (/query, text)": Reader(read_peer_ksql, False, "ksql", "ksql", rows=False),
    "ksql 0.10.2 (/query, objects)": Reader(read_peer_ksql_objects, False, "ksql", "ksql"),
    "ksql-python-ng (/query, text)": Reader(read_peer_ksql, False, "ksql", "ksql-ng", rows=False),
    "ksql-python-ng (h2c, text)": Reader(read_peer_ksql, True, "ksql", "ksql-ng", rows=False),
    "ksql-python-ng (h2c, parse=True)": Reader(read_peer_ksql_rows, True, "ksql", "ksql-ng"),
    "ksqldb (async h2c)": Reader(read_peer_ksqldb, True, "ksqldb", "ksqldb"),
    "jetblack-ksql-dbapi (async raw)": Reader(
        read_peer_jetblack, True, "jetblack_ksql_dbapi", "jetblack"
    ),
}
PULL: dict[str, Reader] = {"ksqlpy pull": Reader(read_pull, True, "ksqlpy")}
INSERTS: dict[str, Reader] = {
    "ksqlpy stream_inserts": Reader(insert_ksqlpy, True, "ksqlpy"),
    "ksqlpy stream_inserts, typed": Reader(insert_ksqlpy_typed, True, "ksqlpy"),
    "ksqlpy.dbapi executemany": Reader(insert_ksqlpy_dbapi, True, "ksqlpy"),
    "ksql 0.10.2 inserts_stream": Reader(insert_peer_ksql, True, "ksql", "ksql"),
    "ksql-python-ng inserts_stream": Reader(insert_peer_ksql, True, "ksql", "ksql-ng"),
    "ksql-python-ng INSERT VALUES": Reader(
        insert_peer_ksql_statements, False, "ksql", "ksql-ng", divide=50, replay=False
    ),
    "ksqldb inserts_stream": Reader(insert_peer_ksqldb, True, "ksqldb", "ksqldb"),
    "jetblack-ksql-dbapi inserts_stream": Reader(
        insert_peer_jetblack, True, "jetblack_ksql_dbapi", "jetblack"
    ),
    "jetblack-ksql-dbapi executemany": Reader(
        insert_peer_jetblack_dbapi, False, "jetblack_ksql_dbapi", "jetblack", replay=False
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
    reader = TABLES[kind][name]
    try:
        if reader.peer:
            importlib.metadata.version(PEERS[reader.peer])  # the right one of the "ksql"s
        __import__(reader.module)
    except ImportError:  # PackageNotFoundError is one
        print(json.dumps({"missing": PEERS.get(reader.peer, reader.module)}))
        return
    cpu, wall = time.process_time(), time.perf_counter()
    rows = reader.function(url, n, reader.http2)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    result = {"rows": rows, "cpu": cpu, "wall": wall, "rss_mib": _peak_rss_kib() / 1024}
    print(json.dumps({**result, "ended_by": ENDED_BY[0][:60]} if ENDED_BY else result))


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


Figures = dict[str, tuple[float, float]]
"""Reader name -> (wall rows/s, client CPU ns per row), medians."""


def report(
    kind: str,
    title: str,
    url: str,
    n: int,
    runs: int,
    peers: dict[str, str],
    *,
    replay: bool = False,
) -> Figures:
    """Measure every reader of ``kind`` and print one table; return the figures."""
    print(f"\n{title}: {n:,} rows, median of {runs} run(s)")
    print(f"{'reader':36} {'rows/s':>10} {'CPU ns/row':>11} {'vs raw':>7} {'peak RSS':>9}")
    figures: Figures = {}
    for name, reader in TABLES[kind].items():
        if replay and not reader.replay:
            continue
        python = peers.get(reader.peer, sys.executable)
        count = max(n // reader.divide, 1)
        # Against the replay server a query's first run records the answer: not timed.
        results = [measure(name, url, count, kind, python) for _ in range(runs + replay)]
        results = results[replay:] if "rows" in results[0] else results
        first = results[0]
        if "missing" in first:
            where = "" if reader.peer in peers else f", or pass --peer {reader.peer}=PYTHON"
            print(f"{name:36} not measured: {first['missing']} is not installed{where}")
            continue
        if "error" in first or not first["rows"]:
            print(f"{name:36} failed: {first.get('error', first.get('ended_by', 'no rows'))[:90]}")
            continue
        wall, cpu = _median(results, "wall"), _median(results, "cpu")
        rows = first["rows"]
        figures[name] = (rows / wall, cpu / max(rows, 1) * 1e9)
        ratio = ""
        if kind == "push":
            raw = figures.get(
                RAW_FOR.get(name, "raw limit, " + ("h2c" if reader.http2 else "HTTP/1.1")),
            )
            ratio = f"{figures[name][1] / raw[1]:.2f}" if raw else ""
        note = "" if rows == count else f"  (counted {rows:,} of {count:,} rows)"
        if not reader.rows:
            note += "  (text, not rows)"
        if "ended_by" in first:
            note += f"  (then raised {first['ended_by']})"
        print(
            f"{name:36} {figures[name][0]:10,.0f} {figures[name][1]:11,.0f} {ratio:>7} "
            f"{_median(results, 'rss_mib'):6.0f} MB{note}"
        )
    _versus_peers(kind, figures)
    return figures


def _versus_peers(kind: str, figures: Figures) -> None:
    """One line: ksqlpy's best against the best peer that hands users rows, on each figure."""
    table = TABLES[kind]
    ours = {name: f for name, f in figures.items() if name.startswith("ksqlpy")}
    theirs = {name: f for name, f in figures.items() if table[name].peer and table[name].rows}
    if not ours or not theirs:
        return
    wall = max(ours.items(), key=lambda item: item[1][0])
    peer_wall = max(theirs.items(), key=lambda item: item[1][0])
    cpu = min(ours.items(), key=lambda item: item[1][1])
    peer_cpu = min(theirs.items(), key=lambda item: item[1][1])
    print(
        f"ksqlpy vs best peer: wall {wall[1][0] / peer_wall[1][0]:.2f}x ({wall[0]} vs "
        f"{peer_wall[0]}); CPU per row {peer_cpu[1][1] / cpu[1][1]:.2f}x less ({cpu[0]} vs "
        f"{peer_cpu[0]})"
    )


def _serve(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def _stop(server: subprocess.Popen[str]) -> None:
    server.kill()
    server.wait(10)
    if server.stdout is not None:
        server.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="push query rows")
    parser.add_argument("--inserts", type=int, default=100_000, help="rows to insert")
    parser.add_argument("--pull", type=int, default=100_000, help="pull query rows")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="an existing server (default: start the local server)")
    parser.add_argument(
        "--only",
        choices=sorted(TABLES),
        action="append",
        help="measure only these tables (repeatable; default: all)",
    )
    parser.add_argument(
        "--no-replay",
        action="store_true",
        help="skip the client-bound tables (the replay server and the ack sink)",
    )
    parser.add_argument(
        "--peer",
        action="append",
        default=[],
        metavar="ID=PYTHON",
        help="the interpreter of a venv holding a peer: ksql (0.10.2, Python 3.9), ksql-ng, "
        "ksqldb, jetblack (Python 3.12); repeatable; by default peers are looked for in this "
        "interpreter (pip install -e '.[bench]')",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="push", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.rows, args.kind)
        return
    peers = dict(item.split("=", 1) for item in args.peer)

    servers = []
    url = args.url
    try:
        if url is None:
            server, url = _serve([sys.executable, "-c", SERVE])
            servers.append(server)
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
        only = set(args.only or TABLES)
        sizes = {"push": args.rows, "pull": args.pull, "insert": args.inserts}
        titles = {
            "push": "push query, from the server",
            "pull": "pull query, from the server",
            "insert": "inserts, into the server",
        }
        for kind in (kind for kind in TABLES if kind in only):
            report(kind, titles[kind], url, sizes[kind], args.runs, peers)
        if not args.no_replay and only & {"push", "insert"}:
            replay, replay_url = _serve([sys.executable, REPLAY, url])
            servers.append(replay)
            titles = {
                "push": "push query, replayed (client-bound: the server's cost taken out)",
                "insert": "inserts, into an ack sink (client-bound: nothing stored)",
            }
            for kind in (kind for kind in titles if kind in only):
                report(kind, titles[kind], replay_url, sizes[kind], args.runs, peers, replay=True)
    finally:
        for server in servers:
            _stop(server)


if __name__ == "__main__":
    main()
