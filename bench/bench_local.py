"""Benchmark of the embedded ksqlDB-compatible server (``ksqlpy-local``), run in its own process.

    python bench/bench_local.py [--rows 1000000] [--runs 3]

Prints a table of medians: push-query delivery (rows/s to a raw httpx reader, delimited and JSON,
HTTP/1.1 and HTTP/2) next to the raw limit (hypercorn streaming the same pre-encoded lines from
memory) and the per-row limit (decoding the stored value, projecting and encoding the output line
in one process, nothing else), ``/inserts-stream`` rows/s, persistent queries in records/s (a
filter+project CSAS and a GROUP BY COUNT CTAS, in process), pull-query key-lookup latency p50/p99
on a 100k-key SOURCE table, the memory of 100 idle push queries, and start-up time to the first
/healthcheck 200.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ksqlpy import Client
from ksqlpy.local.engine import Engine
from ksqlpy.local.engine.planner import plan_select
from ksqlpy.local.storage import MemoryLog
from ksqlpy.local.wire import RowEncoder
from ksqlpy.sql import parse_one
from ksqlpy.sql.nodes import KsqlSelect

ROW = "ID INT KEY, NAME STRING, PRICE DOUBLE, QTY BIGINT, OK BOOLEAN"
TABLE_ROW = ROW.replace("KEY", "PRIMARY KEY")
TARGETS = {
    "push rows/s": 100_000,
    "inserts rows/s": 50_000,
    "pull p99 ms": 5.0,
    "start-up s": 1.0,
}


@contextmanager
def server(argv: list[str] | None = None) -> Iterator[tuple[str, subprocess.Popen[str], float]]:
    """Start ``ksqlpy-local --port 0``; yield its URL, process and start-up seconds."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ksqlpy.local.cli", "--port", "0", *(argv or [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    match = re.search(r"(http://\S+)", proc.stdout.readline())
    if match is None:
        proc.kill()
        raise SystemExit("the local server did not start")
    url = match.group(1)
    while httpx.get(url + "/healthcheck").status_code != 200:
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    try:
        yield url, proc, elapsed
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def rss_mib(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def ksql(client: httpx.Client, text: str) -> None:
    response = client.post("/ksql", json={"ksql": text})
    response.raise_for_status()


def insert(url: str, target: str, rows: int, chunk: int = 100_000) -> float:
    """Insert rows through /inserts-stream over HTTP/2; return rows/s."""
    started = time.perf_counter()
    with httpx.Client(base_url=url, http1=False, http2=True, timeout=600) as client:
        for first in range(0, rows, chunk):
            lines = [json.dumps({"target": target})]
            lines += [
                json.dumps(
                    {"ID": i, "NAME": f"name-{i}", "PRICE": i * 0.5, "QTY": i * 3, "OK": i % 2 == 0}
                )
                for i in range(first, min(first + chunk, rows))
            ]
            acks = client.post("/inserts-stream", content="\n".join(lines).encode()).text
            if acks.count('"ok"') != len(lines) - 1:
                raise SystemExit(f"inserts failed: {acks[-300:]}")
    return rows / (time.perf_counter() - started)


def read_push(url: str, rows: int, accept: str | None, http2: bool) -> float:
    """Read a LIMITed push query from the beginning with a raw httpx reader; return rows/s."""
    headers = {"Accept": accept} if accept else {}
    body = {
        "sql": f"SELECT * FROM S EMIT CHANGES LIMIT {rows};",
        "properties": {"auto.offset.reset": "earliest"},
    }
    count = 0
    started = time.perf_counter()
    with (
        httpx.Client(base_url=url, http1=not http2, http2=http2, timeout=600) as client,
        client.stream("POST", "/query-stream", json=body, headers=headers) as response,
    ):
        for chunk in response.iter_bytes():
            count += chunk.count(b"\n") if accept is None else chunk.count(b"],[")
    elapsed = time.perf_counter() - started
    if accept is None and count < rows:
        raise SystemExit(f"push query returned {count} lines, expected {rows}")
    return rows / elapsed


def read_push_client(url: str, rows: int) -> float:
    """The same push query read row by row through ksqlpy's own Client (HTTP/1.1, delimited):
    httpx plus the client's decoding and Row building."""
    count = 0
    started = time.perf_counter()
    with (
        Client(url, http2=False, read_timeout=600) as client,
        client.stream_query(
            f"SELECT * FROM S EMIT CHANGES LIMIT {rows};", {"auto.offset.reset": "earliest"}
        ) as query,
    ):
        for _ in query:
            count += 1
    if count != rows:
        raise SystemExit(f"push query returned {count} rows, expected {rows}")
    return rows / (time.perf_counter() - started)


def read_push_socket(url: str, rows: int) -> float:
    """The same push query read from a plain socket over HTTP/1.1 (no HTTP parsing, newlines
    counted): what the server delivers, apart from the cost of a client's per-chunk parsing."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps(
        {
            "sql": f"SELECT * FROM S EMIT CHANGES LIMIT {rows};",
            "properties": {"auto.offset.reset": "earliest"},
        }
    ).encode()
    count = 0
    started = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=600) as sock:
        sock.sendall(
            b"POST /query-stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        while data := sock.recv(1 << 20):
            count += data.count(b"\n")
    elapsed = time.perf_counter() - started
    # Header lines and chunk framing add newlines; the rows are what is measured.
    if count < rows:
        raise SystemExit(f"push query returned {count} lines, expected {rows}")
    return rows / elapsed


RAW_APP = textwrap.dedent(
    """
    import asyncio, sys
    from hypercorn.asyncio import serve
    from hypercorn.config import Config
    ROWS = int(sys.argv[1])
    LINE = b'[1234567,"name-1234567",617283.5,3703701,false]\\n'
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        if scope["method"] == "GET":
            await send({"type": "http.response.body", "body": b"ok"})
            return
        batch = LINE * 500
        for _ in range(ROWS // 500):
            await send({"type": "http.response.body", "body": batch, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    config = Config()
    config.bind = ["127.0.0.1:" + sys.argv[2]]
    config.accesslog = None
    asyncio.run(serve(app, config))
    """
)


def read_raw_limit(rows: int, http2: bool) -> float:
    """The ceiling: hypercorn streaming pre-encoded rows, read by the same raw reader."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(RAW_APP)
    port = str(18000 + os.getpid() % 1000)
    proc = subprocess.Popen([sys.executable, handle.name, str(rows), port])
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(500):
            try:
                httpx.get(url)
                break
            except httpx.TransportError:
                time.sleep(0.01)
        count = 0
        started = time.perf_counter()
        with (
            httpx.Client(base_url=url, http1=not http2, http2=http2, timeout=600) as client,
            client.stream("POST", "/", content=b"{}") as response,
        ):
            for chunk in response.iter_bytes():
                count += chunk.count(b"\n")
        return count / (time.perf_counter() - started)
    finally:
        proc.terminate()
        proc.wait(10)
        os.unlink(handle.name)


def pull_latency(url: str, keys: int, lookups: int) -> tuple[float, float]:
    """p50 and p99 (ms) of pull-query key lookups on a SOURCE table of ``keys`` rows."""
    timings = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for i in range(lookups):
            key = (i * 7919) % keys
            started = time.perf_counter()
            response = client.post("/query", json={"ksql": f"SELECT * FROM T WHERE ID = {key};"})
            timings.append((time.perf_counter() - started) * 1000)
            if f"[{key}," not in response.text:
                raise SystemExit(f"lookup of {key} failed: {response.text[:200]}")
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


def idle_push_memory(url: str, pid: int, queries: int) -> float:
    """MiB the server grows by while ``queries`` push queries sit open with nothing to send."""
    before = rss_mib(pid)
    clients = []
    streams = []
    for _ in range(queries):
        client = httpx.Client(base_url=url, timeout=60)
        response = client.send(
            client.build_request(
                "POST", "/query-stream", json={"sql": "SELECT * FROM S EMIT CHANGES;"}
            ),
            stream=True,
        )
        next(response.iter_lines())
        clients.append(client)
        streams.append(response)
    time.sleep(0.5)
    grown = rss_mib(pid) - before
    for response, client in zip(streams, clients, strict=True):
        response.close()
        client.close()
    return grown


def engine_with_rows(rows: int) -> Engine:
    """An in-process engine whose stream S holds ``rows`` JSON records."""
    engine = Engine(MemoryLog())
    engine.execute(
        f"CREATE STREAM S ({ROW}) WITH (KAFKA_TOPIC='s', FORMAT='JSON', PARTITIONS=1);", {}, {}
    )
    for i in range(rows):
        value = {"NAME": f"name-{i}", "PRICE": i * 0.5, "QTY": i * 3, "OK": i % 2 == 0}
        engine.log.append("s", str(i).encode(), json.dumps(value).encode(), partition=0)
    return engine


def per_row_limit(rows: int) -> float:
    """Rows/s of the unavoidable work of a push query in one process: decode the stored record,
    project the row, encode its output line."""
    engine = engine_with_rows(rows)
    select = parse_one("SELECT * FROM S EMIT CHANGES;")
    assert isinstance(select, KsqlSelect)
    plan = plan_select(engine.metastore, select, "SELECT * FROM S EMIT CHANGES;")
    encode, row, project = (
        RowEncoder(plan.projection.types).encode,
        plan.reader.row,
        plan.projection.apply,
    )
    records = engine.log.read("s", 0, 0, rows)
    started = time.perf_counter()
    for record in records:
        decoded = row(record)
        assert decoded is not None
        encode(project(decoded)) + "\n"
    return rows / (time.perf_counter() - started)


def persistent_rate(rows: int, statement: str) -> float:
    """Records/s of a persistent query catching up on ``rows`` stored records, in process."""
    engine = engine_with_rows(rows)
    started = time.perf_counter()
    engine.execute(statement, {}, {})  # the engine pumps the new query to the end of S
    return rows / (time.perf_counter() - started)


def median_of(runs: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keys", type=int, default=100_000)
    args = parser.parse_args()
    results: list[tuple[str, float, str]] = []

    startups = []
    for _ in range(args.runs):
        with server() as (_url, _proc, elapsed):
            startups.append(elapsed)
    results.append(
        ("start-up s (spawn to /healthcheck 200)", statistics.median(startups), "start-up s")
    )

    with server() as (url, proc, _):
        with httpx.Client(base_url=url, timeout=60) as client:
            ksql(
                client,
                f"CREATE STREAM S ({ROW}) WITH (KAFKA_TOPIC='s', FORMAT='JSON', PARTITIONS=1);",
            )
            ksql(
                client,
                f"CREATE SOURCE TABLE T ({TABLE_ROW}) "
                "WITH (KAFKA_TOPIC='t', FORMAT='JSON', PARTITIONS=1);",
            )
        results.append(
            (
                "inserts rows/s (/inserts-stream, HTTP/2)",
                insert(url, "S", args.rows),
                "inserts rows/s",
            )
        )
        insert(url, "T", args.keys)
        limit = {}
        for label, accept, http2 in (
            ("delimited, HTTP/1.1", None, False),
            ("delimited, HTTP/2", None, True),
            ("JSON array, HTTP/1.1", "application/json", False),
        ):
            rate = median_of(args.runs, lambda a=accept, h=http2: read_push(url, args.rows, a, h))
            results.append((f"push rows/s ({label})", rate, "push rows/s"))
            if accept is None:
                limit[http2] = median_of(args.runs, lambda h=http2: read_raw_limit(args.rows, h))
                results.append(
                    (f"  raw limit ({label}): hypercorn + same reader", limit[http2], "")
                )
                results.append((f"  ratio to raw limit ({label})", rate / limit[http2], ""))
        results.append(
            (
                "push rows/s (delimited, HTTP/1.1, ksqlpy Client rows)",
                median_of(args.runs, lambda: read_push_client(url, args.rows)),
                "",
            )
        )
        results.append(
            (
                "push rows/s (delimited, HTTP/1.1, socket reader)",
                median_of(args.runs, lambda: read_push_socket(url, args.rows)),
                "",
            )
        )
        push = next(value for name, value, _ in results if name.startswith("push rows/s"))
        row_limit = median_of(args.runs, lambda: per_row_limit(args.rows))
        results.append(
            ("per-row limit rows/s (decode, project, encode; in process)", row_limit, "")
        )
        results.append(
            ("  ratio of push (delimited, HTTP/1.1) to per-row limit", push / row_limit, "")
        )
        for label, statement in (
            (
                "CSAS filter+project records/s",
                "CREATE STREAM F AS SELECT ID, NAME FROM S WHERE QTY > 10;",
            ),
            (
                "CTAS GROUP BY COUNT records/s",
                "CREATE TABLE C AS SELECT OK, COUNT(*) AS N FROM S GROUP BY OK;",
            ),
        ):
            rate = median_of(args.runs, lambda st=statement: persistent_rate(args.rows, st))
            results.append((f"{label} (in process)", rate, ""))
        p50, p99 = pull_latency(url, args.keys, 2000)
        results.append((f"pull key lookup p50 ms ({args.keys} keys)", p50, ""))
        results.append((f"pull key lookup p99 ms ({args.keys} keys)", p99, "pull p99 ms"))
        results.append(
            ("memory of 100 idle push queries MiB", idle_push_memory(url, proc.pid, 100), "")
        )
        results.append(("server RSS after all of the above MiB", rss_mib(proc.pid), ""))

    width = max(len(name) for name, _, _ in results)
    print(f"{'measure':<{width}}  {'median':>12}  target")
    for name, value, target_key in results:
        target = TARGETS.get(target_key)
        shown = f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
        if target is None:
            verdict = ""
        elif target_key.endswith(("ms", " s")):
            verdict = f"< {target:g} {'ok' if value < target else 'MISSED'}"
        else:
            verdict = f">= {target:,} {'ok' if value >= target else 'MISSED'}"
        print(f"{name:<{width}}  {shown:>12}  {verdict}")


if __name__ == "__main__":
    main()
