"""Benchmark of closing a push query: how long ``close()`` takes, sync and async, h2c and HTTP/1.1.

Run ``python bench/bench_push_close.py`` from the repository root (``--closes 50`` for a quick
look, ``--url`` for a running server). It starts the local server in its own process, and for
each way of reading a push query (iteration, ``poll()`` with its reader thread, async ``poll()``)
and each HTTP version it opens a query, reads a row, lets the reader block waiting for the next
one, and times ``close()``. The table gives p50 and p99 of the close, and the ratio of the p50 to
the median of one plain request round trip (``/close-query`` of an unknown id) measured in the
same run: a close costs about one round trip. The target is p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial

from ksqlpy import AsyncClient, Client, NotFoundError

SERVE = (
    "import time\n"
    "from ksqlpy.local import LocalServer\n"
    "server = LocalServer().start()\n"
    "print(server.url, flush=True)\n"
    "time.sleep(24 * 3600)\n"
)
SQL = "SELECT * FROM BENCH_CLOSE EMIT CHANGES;"
EARLIEST = {"auto.offset.reset": "earliest"}
TARGET_MS = 100.0


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _sync(url: str, http2: bool, how: str, closes: int) -> list[float]:
    took = []
    with Client(url, http2=http2) as client:
        for _ in range(closes):
            query = client.stream_query(SQL, EARLIEST)
            if how == "poll":
                query.poll(timeout=10)
                query.poll(timeout=0.01)  # its reader thread now waits for the next row
            else:
                next(iter(query))
            started = time.perf_counter()
            query.close()
            took.append(time.perf_counter() - started)
    return took


def _async(url: str, http2: bool, closes: int) -> list[float]:
    async def main() -> list[float]:
        took = []
        async with AsyncClient(url, http2=http2) as client:
            for _ in range(closes):
                query = await client.stream_query(SQL, EARLIEST)
                await query.poll(timeout=10)
                await query.poll(timeout=0.01)
                started = time.perf_counter()
                await query.close()
                took.append(time.perf_counter() - started)
        return took

    return asyncio.run(main())


def _round_trip(url: str, http2: bool, times: int) -> list[float]:
    took = []
    with Client(url, http2=http2) as client:
        for _ in range(times):
            started = time.perf_counter()
            with contextlib.suppress(NotFoundError):
                client.terminate_push_query("transient_NO_SUCH_QUERY")
            took.append(time.perf_counter() - started)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--closes", type=int, default=200, help="closes per row (default 200)")
    parser.add_argument("--url", help="a running ksqlDB-compatible server (default: start one)")
    args = parser.parse_args()
    if args.closes < 2:
        parser.error("--closes must be at least 2")
    child = None
    url = args.url
    if url is None:
        child = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        url = child.stdout.readline().strip()
    try:
        with Client(url) as client:
            client.execute_statement(
                "CREATE STREAM IF NOT EXISTS BENCH_CLOSE (ID INT KEY, V STRING) WITH "
                "(KAFKA_TOPIC='bench_close', VALUE_FORMAT='JSON', PARTITIONS=1);"
            )
            client.insert_into("BENCH_CLOSE", {"ID": 1, "V": "x"})
        print(f"\npush-query close latency: {args.closes} closes per row, server {url}")
        print(f"{'reader':24} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'p50/RTT':>8}  target")
        for http2, label in ((True, "h2c"), (False, "http1")):
            rtt = statistics.median(_round_trip(url, http2, args.closes))
            rows: list[tuple[str, Callable[[], list[float]]]] = [
                (f"sync iteration {label}", partial(_sync, url, http2, "iter", args.closes)),
                (f"sync poll {label}", partial(_sync, url, http2, "poll", args.closes)),
                (f"async poll {label}", partial(_async, url, http2, args.closes)),
            ]
            print(f"{'round trip ' + label:24} {rtt * 1e3:8.2f}")
            for name, run in rows:
                took = run()
                p50, p99 = statistics.median(took), _p(took, 0.99)
                verdict = "ok" if p99 * 1e3 < TARGET_MS else "MISSED"
                print(
                    f"{name:24} {p50 * 1e3:8.2f} {p99 * 1e3:8.2f} {max(took) * 1e3:8.2f} "
                    f"{p50 / rtt:8.2f}  {verdict}"
                )
    finally:
        if child is not None:
            child.kill()
            child.wait(10)
            if child.stdout is not None:
                child.stdout.close()


if __name__ == "__main__":
    main()
