"""``AsyncClient`` against the scripted ksqlDB: the same behaviour as ``Client``, awaited."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Coroutine
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest
from fake_ksqldb import COMMAND, HEADER, FakeKsqlDB, Stream, row_line

from ksqlpy import (
    AsyncClient,
    ClientClosedError,
    CommandResult,
    InsertError,
    KsqlError,
    KsqlStatementError,
    ResultTooLargeError,
    ServerUnavailableError,
)

QID = HEADER["queryId"]
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def _client(fake: FakeKsqlDB, **options: Any) -> AsyncClient:
    options.setdefault("backoff", 0)
    return AsyncClient("http://ksqldb:8088", transport=httpx.MockTransport(fake.handle), **options)


def test_statements_queries_and_close_on_exit() -> None:
    fake = FakeKsqlDB()

    async def main() -> None:
        async with _client(fake, auth=("u", "p")) as client:
            result = await client.execute_statement("CREATE STREAM PV (ID INT KEY);")
            assert isinstance(result, CommandResult)
            async with await client.stream_query("SELECT * FROM PV EMIT CHANGES;") as query:
                assert query.query_id == QID
                rows = []
                async for row in query:
                    rows.append(row)
                    if len(rows) == 4:
                        break
            assert rows[1]["AMOUNT"] == Decimal("1.25")
            assert query.closed
            await query.close()
            with pytest.raises(ClientClosedError):
                await query.__anext__()

    run(main())
    assert fake.paths() == ["/ksql", "/query-stream", "/close-query"]
    assert all(r.headers["authorization"].startswith("Basic ") for r in fake.requests)


def test_closing_the_client_closes_open_queries_and_refuses_later_calls() -> None:
    fake = FakeKsqlDB()

    async def main() -> None:
        client = _client(fake)
        query = await client.stream_query("SELECT * FROM PV EMIT CHANGES;")
        await client.close()
        await client.close()
        assert query.closed
        with pytest.raises(ClientClosedError, match="client is closed"):
            await client.server_info()

    run(main())
    assert fake.paths().count("/close-query") == 1


def test_collected_queries_and_their_cap() -> None:
    fake = FakeKsqlDB()

    async def main() -> None:
        async with _client(fake) as client:
            result = await client.execute_query("SELECT * FROM PV;")
            assert [r["ID"] for r in result] == [0, 1]
            with pytest.raises(ResultTooLargeError):
                await client.execute_query("SELECT * FROM PV EMIT CHANGES;", max_rows=5)

    run(main())
    assert fake.paths()[-1] == "/close-query"


async def _drain(query: AsyncIterator[Any], rows: list[Any]) -> None:
    async for row in query:
        rows.append(row)


def test_a_server_that_dies_mid_stream() -> None:
    data = json.dumps(HEADER).encode() + b"\n" + row_line(0)
    broken = httpx.ReadError("connection reset by peer")
    fake = FakeKsqlDB(query=lambda b: httpx.Response(200, stream=Stream([data], fail=broken)))

    async def main() -> list[Any]:
        rows: list[Any] = []
        async with _client(fake) as client:
            query = await client.stream_query("SELECT * FROM PV EMIT CHANGES;")
            with pytest.raises(ServerUnavailableError, match="broke"):
                await _drain(query, rows)
            await query.close()
        return rows

    assert [r[0] for r in run(main())] == [0]


def test_poll_returns_none_on_timeout() -> None:
    fake = FakeKsqlDB()
    fake.query = lambda b: fake.push(rows=1, interval=5.0)

    async def main() -> None:
        async with _client(fake) as client:
            query = await client.stream_query("SELECT * FROM PV EMIT CHANGES;")
            first = await query.poll(2)
            assert first is not None
            started = time.monotonic()
            assert await query.poll(0.1) is None
            assert time.monotonic() - started < 2
            await query.close()

    run(main())
    assert fake.paths()[-1] == "/close-query"


def test_inserts_from_an_async_iterable_and_a_refused_row() -> None:
    fake = FakeKsqlDB()

    async def rows() -> AsyncIterator[dict[str, Any]]:
        for i in range(5):
            yield {"ID": i}

    async def main() -> None:
        async with _client(fake) as client:
            result = await client.stream_inserts("PV", rows(), batch_size=3)
            assert (result.rows, result.requests) == (5, 2)
            await client.insert_into("PV", {"ID": 7})

    run(main())
    assert fake.bodies[1] == [{"target": "PV"}, {"ID": 3}, {"ID": 4}]

    refusing = FakeKsqlDB(
        inserts=lambda lines: httpx.Response(
            200,
            stream=Stream(
                [b'{"status":"error","seq":0,"error_code":40000,"message":"Invalid JSON"}\n']
            ),
        )
    )

    async def refused() -> None:
        async with _client(refusing) as client:
            await client.stream_inserts("PV", [{"ID": 1}])

    with pytest.raises(InsertError, match="Invalid JSON") as caught:
        run(refused())
    assert caught.value.seq == 0


def test_script_errors_and_session_variables() -> None:
    def answer(body: dict[str, Any]) -> httpx.Response:
        if "BAD" in body["ksql"]:
            return httpx.Response(
                400,
                json={
                    "@type": "statement_error",
                    "error_code": 40001,
                    "message": "line 1:1: Syntax Error",
                    "statementText": body["ksql"],
                    "entities": [],
                },
            )
        return httpx.Response(200, json=[COMMAND])

    fake = FakeKsqlDB(ksql=answer)

    async def main() -> None:
        async with _client(fake) as client:
            client.define("x", 1)
            done = await client.execute_script("CREATE STREAM A (I INT);\nCREATE STREAM B (I INT);")
            assert len(done) == 2
            with pytest.raises(KsqlStatementError) as caught:
                await client.execute_script("CREATE STREAM C (I INT);\n  CREATE BAD;")
            assert (caught.value.line, caught.value.column) == (2, 3)

    run(main())
    assert all(b["sessionVariables"] == {"x": 1} for b in fake.bodies)


def test_errors_inside_the_stream_surface_after_the_rows() -> None:
    data = (
        json.dumps(HEADER).encode()
        + b"\n"
        + row_line(0)
        + b'{"@type":"generic_error","error_code":50000,"message":"boom"}\n'
    )
    fake = FakeKsqlDB(query=lambda b: httpx.Response(200, stream=Stream([data])))

    async def main() -> None:
        async with _client(fake) as client:
            query = await client.stream_query("SELECT * FROM PV;")
            assert (await query.__anext__())[0] == 0
            with pytest.raises(KsqlError, match="boom"):
                await query.__anext__()

    run(main())


def test_stream_query_is_both_an_async_context_manager_and_awaitable() -> None:
    fake = FakeKsqlDB()

    async def main() -> None:
        async with _client(fake) as client:
            async with client.stream_query("SELECT * FROM PV EMIT CHANGES;") as query:
                assert (await query.__anext__())[0] == 0
            assert query.closed
            started = await client.stream_query("SELECT * FROM PV LIMIT 2;")
            assert [row[0] async for row in started] == [0, 1]
            await started.close()

    run(main())
    assert fake.paths() == ["/query-stream", "/close-query", "/query-stream"]
