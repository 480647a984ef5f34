"""End-to-end client scenarios, shared by the local-server run and the real-ksqlDB run.

Each test gets a ``target`` (URL and client options) from its directory's conftest; every test
uses fresh stream names, so the scenarios can share one server.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any

import pytest

from ksqlpy import (
    AsyncClient,
    Client,
    CommandResult,
    InsertError,
    KsqlStatementError,
    NotFoundError,
    SqlType,
)

__all__ = [
    "Target",
    "client",
    "names",
    "test_a_push_query_of_100k_rows_streams_them_all",
    "test_async_client_streams_inserts_and_closes",
    "test_closing_mid_stream_removes_the_query_on_the_server",
    "test_errors_carry_the_server_fields",
    "test_every_type_round_trips_through_inserts_and_a_push_query",
    "test_execute_script_applies_set_and_define_to_later_statements",
    "test_metadata_helpers",
    "test_poll_and_terminate_push_query_from_another_client",
    "test_pull_query_on_a_source_table",
    "test_refused_rows_are_reported_with_their_sequence_number",
]


@dataclass(frozen=True)
class Target:
    """How to reach the server under test: URL, client options, a label, the server if local."""

    url: str
    options: dict[str, Any]
    variant: str
    server: Any


@pytest.fixture
def client(target: Target) -> Iterator[Client]:
    """A sync client for the target, closed after the test."""
    with Client(target.url, **target.options) as c:
        yield c


@pytest.fixture
def names() -> Iterator[str]:
    """A fresh upper-case suffix for stream, table and topic names."""
    return iter(f"C{uuid.uuid4().hex[:10].upper()}_{i}" for i in range(100))


EARLIEST = {"auto.offset.reset": "earliest"}


def _stream(client: Client, name: str, columns: str, partitions: int = 1) -> None:
    result = client.execute_statement(
        f"CREATE STREAM {name} ({columns}) WITH (KAFKA_TOPIC='{name.lower()}', "
        f"VALUE_FORMAT='JSON', PARTITIONS={partitions});"
    )
    assert isinstance(result, CommandResult)
    assert result.status == "SUCCESS"


def test_every_type_round_trips_through_inserts_and_a_push_query(
    client: Client, names: Iterator[str]
) -> None:
    name = next(names)
    _stream(
        client,
        name,
        "K STRING KEY, D DECIMAL(10, 2), TS TIMESTAMP, DT DATE, TM TIME, B BYTES, "
        "A ARRAY<STRING>, M MAP<STRING, INT>, S STRUCT<X INT, Y STRING, Z DECIMAL(4, 1)>, "
        "DB DOUBLE, BO BOOLEAN, BI BIGINT",
    )
    row = {
        "K": "k1",
        "D": Decimal("12.34"),
        "TS": datetime(2024, 1, 2, 10, 0, 0, 123000, tzinfo=UTC),
        "DT": date(2024, 1, 2),
        "TM": dtime(10, 15, 30),
        "B": b"\x00\xff",
        "A": ["a", None],
        "M": {"x": 1},
        "S": {"X": 1, "Y": "y", "Z": Decimal("1.5")},
        "DB": 1.5,
        "BO": True,
        "BI": 2**40,
    }
    client.insert_into(name, row)
    result = client.execute_query(f"SELECT * FROM {name} EMIT CHANGES LIMIT 1;", EARLIEST)
    assert result.query_id
    assert [c.type for c in result.column_types][:2] == [
        SqlType("STRING"),
        SqlType("DECIMAL", precision=10, scale=2),
    ]
    assert result.rows[0].as_dict() == row


def test_a_push_query_of_100k_rows_streams_them_all(client: Client, names: Iterator[str]) -> None:
    name = next(names)
    _stream(client, name, "ID BIGINT KEY, NAME STRING, AMOUNT DECIMAL(10, 2)")
    n = 100_000
    rows = ({"ID": i, "NAME": f"n{i}", "AMOUNT": Decimal(i) / 100} for i in range(n))
    assert client.stream_inserts(name, rows).rows == n
    seen = 0
    total = Decimal(0)
    with client.stream_query(f"SELECT * FROM {name} EMIT CHANGES LIMIT {n};", EARLIEST) as q:
        for batch in q.batches():
            seen += len(batch)
            total += sum(row[2] for row in batch)
        assert q.finished
    assert seen == n
    assert total == sum(Decimal(i) / 100 for i in range(n))


def _running(client: Client, query_id: str | None) -> bool:
    return any(q.id == query_id for q in client.list_queries())


def _wait_until_gone(client: Client, query_id: str | None) -> None:
    deadline = time.monotonic() + 10
    while _running(client, query_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(client, query_id)


def test_closing_mid_stream_removes_the_query_on_the_server(
    client: Client, names: Iterator[str]
) -> None:
    name = next(names)
    _stream(client, name, "ID INT KEY, V STRING")
    client.stream_inserts(name, ({"ID": i, "V": "x"} for i in range(50)))
    with client.stream_query(f"SELECT * FROM {name} EMIT CHANGES;", EARLIEST) as query:
        first = [row for _, row in zip(range(10), query, strict=False)]
        assert len(first) == 10
        assert _running(client, query.query_id)
    assert query.closed
    _wait_until_gone(client, query.query_id)


def test_poll_and_terminate_push_query_from_another_client(
    client: Client, target: Target, names: Iterator[str]
) -> None:
    name = next(names)
    _stream(client, name, "ID INT KEY, V STRING")
    with client.stream_query(f"SELECT * FROM {name} EMIT CHANGES;") as query:
        assert query.poll(timeout=0.3) is None  # nothing yet: poll gives up, stream stays
        client.insert_into(name, {"ID": 1, "V": "late"})
        row = query.poll(timeout=10)
        assert row is not None
        assert row["V"] == "late"
        with Client(target.url, **target.options) as other:
            other.terminate_push_query(query.query_id or "")
            with pytest.raises(NotFoundError):
                other.terminate_push_query(query.query_id or "")
        deadline = time.monotonic() + 10
        while not query.finished and time.monotonic() < deadline:
            query.poll(timeout=0.2)
        assert query.finished


def test_pull_query_on_a_source_table(client: Client, names: Iterator[str]) -> None:
    name = next(names)
    client.execute_statement(
        f"CREATE SOURCE TABLE {name} (ID INT PRIMARY KEY, V STRING) WITH "
        f"(KAFKA_TOPIC='{name.lower()}', VALUE_FORMAT='JSON', PARTITIONS=1);"
    )
    client.stream_inserts(name, [{"ID": 1, "V": "a"}, {"ID": 2, "V": "b"}, {"ID": 1, "V": "c"}])
    deadline = time.monotonic() + 10
    while True:
        result = client.execute_query(f"SELECT * FROM {name} WHERE ID = 1;")
        if (result.rows and result.rows[0]["V"] == "c") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [tuple(r) for r in result.rows] == [(1, "c")]
    everything = client.execute_query(f"SELECT * FROM {name};")
    assert sorted(tuple(r) for r in everything) == [(1, "c"), (2, "b")]


def test_metadata_helpers(client: Client, names: Iterator[str]) -> None:
    name = next(names)
    _stream(client, name, "ID INT KEY, V STRING")
    assert name in {s.name for s in client.list_streams()}
    assert name.lower() in {t.name for t in client.list_topics()}
    source = client.describe_source(name)
    assert [(f.name, f.key) for f in source.fields] == [("ID", True), ("V", False)]
    assert source.topic == name.lower()
    assert client.server_info().version
    assert client.health().is_healthy
    assert client.cluster_status().hosts
    assert any(f.name == "ABS" for f in client.list_functions())
    assert client.describe_function("ABS").name == "ABS"
    assert any(p.name.endswith("auto.offset.reset") for p in client.list_properties().properties)
    type_name = next(names)
    client.execute_statement(f"CREATE TYPE {type_name} AS STRUCT<CITY STRING>;")
    assert str(client.list_types()[type_name]) == "STRUCT<`CITY` STRING>"
    client.define("who", "me")
    assert client.list_variables()["who"] == "me"


def test_errors_carry_the_server_fields(client: Client, names: Iterator[str]) -> None:
    missing = next(names)
    with pytest.raises(KsqlStatementError) as caught:
        client.execute_statement(f"DROP STREAM {missing};")
    assert caught.value.error_code == 40001
    assert caught.value.http_status == 400
    assert missing in caught.value.message
    with pytest.raises(KsqlStatementError):
        client.stream_query(f"SELECT * FROM {missing} EMIT CHANGES;")
    with pytest.raises(KsqlStatementError, match=missing):
        client.insert_into(missing, {"ID": 1})


def test_refused_rows_are_reported_with_their_sequence_number(
    client: Client, names: Iterator[str]
) -> None:
    name = next(names)
    _stream(client, name, "ID INT KEY, V STRING")
    rows: list[dict[str, Any]] = [{"ID": 1, "V": "a"}, {"ID": "not a number", "V": "b"}]
    with pytest.raises(InsertError) as caught:
        client.stream_inserts(name, rows)
    assert caught.value.seq == 1
    assert caught.value.row == {"ID": "not a number", "V": "b"}
    assert caught.value.acknowledged == 1


def test_execute_script_applies_set_and_define_to_later_statements(
    client: Client, names: Iterator[str]
) -> None:
    name = next(names)
    done = client.execute_script(
        f"DEFINE topic = '{name.lower()}';\n"
        f"CREATE STREAM {name} (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='${{topic}}', "
        "VALUE_FORMAT='JSON', PARTITIONS=1);\n"
        f"INSERT INTO {name} (ID, V) VALUES (1, 'one');\n"
    )
    assert len(done) == 1
    assert client.describe_source(name).topic == name.lower()
    with pytest.raises(KsqlStatementError) as caught:
        client.execute_script(f"SHOW STREAMS;\n\nDROP STREAM {next(names)};\nSHOW TOPICS;")
    assert (caught.value.line, caught.value.column) == (3, 1)
    assert len(caught.value.entities) == 1


def test_async_client_streams_inserts_and_closes(target: Target, names: Iterator[str]) -> None:
    name = next(names)

    async def main() -> list[Any]:
        async with AsyncClient(target.url, **target.options) as client:
            await client.execute_statement(
                f"CREATE STREAM {name} (ID INT KEY, V STRING) WITH (KAFKA_TOPIC="
                f"'{name.lower()}', VALUE_FORMAT='JSON', PARTITIONS=1);"
            )

            async def rows() -> Any:
                for i in range(1000):
                    yield {"ID": i, "V": str(i)}

            assert (await client.stream_inserts(name, rows(), batch_size=300)).requests == 4
            got = []
            async with client.stream_query(
                f"SELECT * FROM {name} EMIT CHANGES;", EARLIEST
            ) as query:
                async for row in query:
                    got.append(row)
                    if len(got) == 1000:
                        break
                query_id = query.query_id
            queries = await client.list_queries()
            deadline = time.monotonic() + 10
            while any(q.id == query_id for q in queries) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                queries = await client.list_queries()
            assert all(q.id != query_id for q in queries)
            return got

    got = asyncio.run(main())
    assert [row["ID"] for row in got] == list(range(1000))
