"""Push queries under faults: closing returns at once, and a silent stream can be bounded.

A closed query must leave no reader behind (a thread blocked in an HTTP/2 read used to hold
``close()`` for 5 s), and ``idle_timeout`` must turn a frozen server, or a server whose query
failed without ending its HTTP/2 stream, into a KsqlTimeoutError that names the query.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from h2_fake import FakeH2Server

from ksqlpy import AsyncClient, Client, KsqlError, KsqlServerError, KsqlTimeoutError

EARLIEST = {"auto.offset.reset": "earliest"}
HANG = 2.0
"""Seconds after which a close counts as hung (the bench measures the real latency)."""
ROUNDS = 8
"""The stuck reader showed in about a quarter of closes: eight rounds catch it."""


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from ksqlpy.local import LocalServer

    with LocalServer() as running, Client(running.url) as client:
        client.execute_statement(
            "CREATE STREAM PV (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='pv', "
            "VALUE_FORMAT='JSON', PARTITIONS=1);"
        )
        client.stream_inserts("PV", ({"ID": i, "V": "x"} for i in range(3)))
        yield running


def _readers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.is_alive()}


def _gone(client: Client, query_id: str | None) -> bool:
    return all(q.id != query_id for q in client.list_queries())


@pytest.mark.parametrize("http2", [True, False], ids=["h2c", "http1"])
@pytest.mark.parametrize("how", ["poll", "iteration"])
def test_closing_a_push_query_returns_at_once_and_leaves_no_reader(
    server: Any, http2: bool, how: str
) -> None:
    with Client(server.url, http2=http2) as client:
        for _ in range(ROUNDS):
            before = _readers()
            query = client.stream_query("SELECT * FROM PV EMIT CHANGES;", EARLIEST)
            if how == "poll":
                assert query.poll(timeout=10) is not None
                query.poll(timeout=0.05)  # the reader is now blocked waiting for more
            else:
                assert next(iter(query)) is not None
            started = time.monotonic()
            query.close()
            took = time.monotonic() - started
            assert took < HANG, f"close() took {took:.2f} s"
            assert _readers() <= before, "a reader thread outlived close()"
            assert _gone(client, query.query_id)


@pytest.mark.parametrize("http2", [True, False], ids=["h2c", "http1"])
def test_closing_an_async_push_query_returns_at_once(server: Any, http2: bool) -> None:
    async def main() -> list[float]:
        took = []
        async with AsyncClient(server.url, http2=http2) as client:
            for _ in range(ROUNDS):
                query = await client.stream_query("SELECT * FROM PV EMIT CHANGES;", EARLIEST)
                assert await query.poll(timeout=10) is not None
                await query.poll(timeout=0.05)
                started = time.monotonic()
                await query.close()
                took.append(time.monotonic() - started)
                assert all(q.id != query.query_id for q in await client.list_queries())
        return took

    assert max(asyncio.run(main())) < HANG


def test_without_idle_timeout_a_quiet_push_query_keeps_waiting(server: Any) -> None:
    with (
        Client(server.url) as client,
        client.stream_query("SELECT * FROM PV EMIT CHANGES;") as query,
    ):
        time.sleep(1.2)
        assert query.poll(timeout=0.3) is None
        assert not query.finished


@pytest.mark.parametrize("bad", [0, -1, "5", True])
def test_a_bad_idle_timeout_is_refused_before_anything_is_sent(server: Any, bad: Any) -> None:
    with Client(server.url) as client, pytest.raises(KsqlError, match="idle_timeout"):
        client.stream_query("SELECT * FROM PV EMIT CHANGES;", idle_timeout=bad)
    assert _gone_all(server)


def _gone_all(server: Any) -> bool:
    with Client(server.url) as client:
        return not [q for q in client.list_queries() if q.id.startswith("transient")]


def _read_to_the_end(query: Any, how: str) -> None:
    if how == "poll":
        while query.poll(timeout=0.2) is not None or not query.finished:
            pass
    else:
        list(query)


async def _aread_to_the_end(query: Any) -> None:
    async for _ in query:
        pass


def _frozen_query(fake: FakeH2Server, how: str) -> tuple[KsqlError, float]:
    """Start a query on ``fake`` with idle_timeout=0.5, read it until it fails; error, seconds."""

    def sync() -> KsqlError:
        with Client(fake.url, retries=0) as client:
            query = client.stream_query("SELECT * FROM FROZEN EMIT CHANGES;", idle_timeout=0.5)
            with query, pytest.raises(KsqlTimeoutError) as caught:
                _read_to_the_end(query, how)
            return caught.value

    async def asynchronous() -> KsqlError:
        async with (
            AsyncClient(fake.url, retries=0) as client,
            client.stream_query("SELECT * FROM FROZEN EMIT CHANGES;", idle_timeout=0.5) as query,
        ):
            with pytest.raises(KsqlTimeoutError) as caught:
                await _aread_to_the_end(query)
            return caught.value

    started = time.monotonic()
    error = asyncio.run(asynchronous()) if how == "async" else sync()
    return error, time.monotonic() - started


@pytest.mark.parametrize("how", ["iteration", "poll", "async"])
def test_idle_timeout_names_the_query_of_a_frozen_server(how: str) -> None:
    with FakeH2Server("frozen-query") as fake:
        error, took = _frozen_query(fake, how)
    assert "transient_FROZEN_1" in str(error)
    assert "SELECT * FROM FROZEN EMIT CHANGES;" in str(error)
    assert "idle_timeout=0.5" in str(error)
    # 0.5 s of silence, then close-query to a frozen server bounded by the same 0.5 s
    assert took < 5


def test_a_query_failing_on_the_server_mid_stream_does_not_hang_an_http2_client(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ksqlpy.local.engine import transient

    async def fail(self: Any, limit: int) -> Any:
        raise RuntimeError("the query broke on the server")

    with Client(server.url) as client:
        query = client.stream_query("SELECT * FROM PV EMIT CHANGES;", EARLIEST, idle_timeout=1)
        with query:
            assert query.poll(timeout=10) is not None
            monkeypatch.setattr(transient.RunningQuery, "next_batch", fail)
            client.insert_into("PV", {"ID": 9, "V": "after"})
            started = time.monotonic()
            # The server ends the stream with its error (ksqlDB's error element); the client
            # raises it at once instead of waiting out idle_timeout.
            with pytest.raises(KsqlServerError, match="the query broke on the server"):
                _read_to_the_end(query, "poll")
            assert time.monotonic() - started < 5


@pytest.mark.parametrize("http2", [True, False], ids=["h2c", "http1"])
def test_closing_from_another_thread_ends_the_iterating_one_at_once(
    server: Any, http2: bool
) -> None:
    with Client(server.url, http2=http2) as client:
        for _ in range(ROUNDS // 2):
            query = client.stream_query("SELECT * FROM PV EMIT CHANGES;", EARLIEST)
            seen: list[Any] = []
            reader = threading.Thread(target=seen.extend, args=(query,), daemon=True)
            reader.start()
            deadline = time.monotonic() + 10
            while len(seen) < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.05)  # the reader now waits in a read for rows that will not come
            started = time.monotonic()
            query.close()
            assert time.monotonic() - started < HANG
            reader.join(HANG)
            assert not reader.is_alive(), "the iterating thread is still blocked in a read"
            assert len(seen) >= 3
