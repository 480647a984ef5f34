"""``ksqlpy.dbapi`` against the embedded server: statements, lazy queries, fast inserts, errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from ksqlpy import Client, InsertError, KsqlError, KsqlStatementError, ServerUnavailableError, dbapi

EARLIEST = {"auto.offset.reset": "earliest"}
CREATE = (
    "CREATE STREAM ORDERS (NAME STRING, ID INT KEY, AMOUNT DECIMAL(10, 2), TS TIMESTAMP, "
    "DAY DATE, BLOB BYTES, TAGS ARRAY<STRING>) "
    "WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1)"
)
TS = datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)
# Implicit column order of an INSERT without columns: key first, then the values.
ROWS = [
    (1, "alice", Decimal("1.50"), TS, date(2024, 1, 2), b"\x00\x01", ["a", "b"]),
    (2, "bob's ?", Decimal("20.00"), None, None, None, []),
    (3, None, None, TS, date(2024, 2, 3), b"", None),
]


@pytest.fixture
def conn(local_ksqldb: Any) -> Iterator[dbapi.Connection]:
    with dbapi.connect(local_ksqldb.url, properties=EARLIEST) as connection:
        connection.cursor().execute(CREATE)
        yield connection


def _description(cursor: dbapi.Cursor) -> tuple[tuple[Any, ...], ...]:
    assert cursor.description is not None, "the statement has no result set"
    return cursor.description


def _running(url: str) -> set[str]:
    with Client(url) as client:
        return {q.id for q in client.list_queries() if q.query_type == "PUSH"}


def test_executemany_streams_the_inserts_and_queries_return_typed_tuples(
    conn: dbapi.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    client = conn.client
    stream_inserts = client.stream_inserts
    describe_source = client.describe_source

    def spy_inserts(target: str, rows: Any, **options: Any) -> Any:
        calls.append(f"inserts-stream {target}")
        return stream_inserts(target, rows, **options)

    def spy_describe(name: str, **options: Any) -> Any:
        calls.append(f"describe {name}")
        return describe_source(name, **options)

    monkeypatch.setattr(client, "stream_inserts", spy_inserts)
    monkeypatch.setattr(client, "describe_source", spy_describe)
    cur = conn.cursor()
    cur.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?);", iter(ROWS))
    assert cur.rowcount == 3
    assert cur.description is None
    assert calls == ["describe ORDERS", "inserts-stream ORDERS"]  # not one INSERT per row

    cur.execute("SELECT ID, NAME, AMOUNT, TS, DAY, BLOB, TAGS FROM ORDERS;")
    assert [d[0] for d in _description(cur)] == [
        "ID",
        "NAME",
        "AMOUNT",
        "TS",
        "DAY",
        "BLOB",
        "TAGS",
    ]
    assert [d[1] for d in _description(cur)] == [
        dbapi.NUMBER,
        dbapi.STRING,
        dbapi.NUMBER,
        dbapi.DATETIME,
        dbapi.DATETIME,
        dbapi.BINARY,
        dbapi.ARRAY,
    ]
    assert (_description(cur))[2][4:6] == (10, 2)
    assert cur.rowcount == -1  # not known before the end
    rows = cur.fetchall()
    assert sorted(rows, key=lambda r: r[0]) == ROWS
    assert all(type(row[2]) in (Decimal, type(None)) for row in rows)
    assert cur.rowcount == 3


def test_executemany_with_columns_and_per_row_statements(conn: dbapi.Connection) -> None:
    cur = conn.cursor()
    cur.executemany("INSERT INTO ORDERS (ID, NAME) VALUES (?, ?)", [(10, "x"), (11, "y")])
    assert cur.rowcount == 2
    # A value that is not a plain placeholder: one INSERT statement per parameter set.
    cur.executemany("INSERT INTO ORDERS (ID, NAME) VALUES (?, UCASE(?))", [(12, "z"), (13, "w")])
    assert cur.rowcount == 2
    cur.executemany("INSERT INTO ORDERS (ID) VALUES (?)", [])
    assert cur.rowcount == 0
    cur.execute("SELECT ID, NAME FROM ORDERS WHERE ID >= ?;", [10])
    assert sorted(cur.fetchall()) == [(10, "x"), (11, "y"), (12, "Z"), (13, "W")]


def test_executemany_checks_the_shape_before_sending(conn: dbapi.Connection) -> None:
    cur = conn.cursor()
    with pytest.raises(dbapi.ProgrammingError, match=r"ORDERS has 7 columns .* 2 placeholders"):
        cur.executemany("INSERT INTO ORDERS VALUES (?, ?)", [(1, "a")])
    with pytest.raises(dbapi.ProgrammingError, match="parameter set 1 has 1 value"):
        cur.executemany("INSERT INTO ORDERS (ID, NAME) VALUES (?, ?)", [(1, "a"), (2,)])
    with pytest.raises(dbapi.ProgrammingError, match="runs statements, not queries"):
        cur.executemany("SELECT * FROM ORDERS WHERE ID = ?;", [(1,)])


def test_a_refused_row_is_a_data_error_with_its_position(conn: dbapi.Connection) -> None:
    cur = conn.cursor()
    rows = [(1, "ok"), (2, "ok"), ("not a number", "bad")]
    with pytest.raises(dbapi.DataError) as caught:
        cur.executemany("INSERT INTO ORDERS (ID, NAME) VALUES (?, ?)", rows)
    assert caught.value.seq == 2
    assert caught.value.row == {"ID": "not a number", "NAME": "bad"}
    assert isinstance(caught.value.__cause__, InsertError)


def test_parameters_are_bound_as_literals_end_to_end(conn: dbapi.Connection) -> None:
    cur = conn.cursor()
    name = "it's a '?' -- not a comment"
    values = (name, Decimal("0.05"), TS, date(2024, 2, 29), b"\xff\x00", ["?", "x"])
    cur.execute(
        "INSERT INTO ORDERS (ID, NAME, AMOUNT, TS, DAY, BLOB, TAGS) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) -- '?'",
        (7, *values),
    )
    assert cur.rowcount == 1
    cur.execute("SELECT NAME, AMOUNT, TS, DAY, BLOB, TAGS FROM ORDERS WHERE NAME = ?", [name])
    assert cur.fetchall() == [values]
    # ksqlDB also compares TIMESTAMP/DATE/TIME columns with such strings; the local server not yet.
    cur.execute("SELECT ID FROM ORDERS WHERE AMOUNT > ? AND AMOUNT < ?;", (0.01, Decimal("0.06")))
    assert cur.fetchall() == [(7,)]
    with pytest.raises(dbapi.ProgrammingError, match=r"2 placeholder.*but 1 parameter"):
        cur.execute("SELECT * FROM ORDERS WHERE ID = ? AND NAME = ?;", (1,))


def test_a_bound_value_is_stored_exactly_even_with_a_variable_reference(
    conn: dbapi.Connection,
) -> None:
    conn.client.define("x", "SUBSTITUTED")
    conn.client.define("target", "ORDERS")
    cur = conn.cursor()
    values = ["${x}", "a $${x} b", "${ x }", "${undefined}"]
    for i, value in enumerate(values):
        # the statement's own ${target} is still substituted; the bound value never is
        cur.execute("INSERT INTO ${target} (ID, NAME) VALUES (?, ?);", (i, value))
    cur.executemany("INSERT INTO ORDERS (ID, NAME) VALUES (?, ?);", [(10, "${x}")])
    cur.execute("SELECT ID, NAME FROM ORDERS EMIT CHANGES LIMIT 5;")
    assert sorted(cur.fetchall()) == [*enumerate(values), (10, "${x}")]
    cur.execute("SELECT ID FROM ${target} WHERE NAME = ? EMIT CHANGES LIMIT 2;", ("${x}",))
    assert sorted(cur.fetchall()) == [(0,), (10,)]


def test_push_query_without_limit_is_fetched_lazily_and_closed_on_the_server(
    local_ksqldb: Any, conn: dbapi.Connection
) -> None:
    cur = conn.cursor()
    cur.executemany("INSERT INTO ORDERS (ID, NAME) VALUES (?, ?)", [(i, f"n{i}") for i in range(5)])
    cur.execute("SELECT ID, NAME FROM ORDERS EMIT CHANGES")
    assert cur.description is not None
    assert cur.fetchone() == (0, "n0")
    assert cur.fetchmany(2) == [(1, "n1"), (2, "n2")]
    cur.arraysize = 2
    assert [row["ID"] for row in cur.fetchmany()] == [3, 4]
    assert cur.rowcount == -1
    assert cur.query_id in _running(local_ksqldb.url)
    cur.close()
    assert _running(local_ksqldb.url) == set()
    with pytest.raises(dbapi.InterfaceError, match="cursor is closed"):
        cur.fetchone()


def test_a_new_execute_or_closing_the_connection_stops_the_push_query(
    local_ksqldb: Any, conn: dbapi.Connection
) -> None:
    cur = conn.cursor()
    cur.execute("SELECT * FROM ORDERS EMIT CHANGES;")
    first = cur.query_id
    cur.execute("SELECT * FROM ORDERS EMIT CHANGES;")
    assert _running(local_ksqldb.url) == {cur.query_id}
    assert cur.query_id != first
    conn.close()
    assert _running(local_ksqldb.url) == set()
    with pytest.raises(dbapi.InterfaceError, match="connection is closed"):
        cur.execute("SHOW STREAMS;")


def test_push_query_with_limit_ends_and_counts_its_rows(conn: dbapi.Connection) -> None:
    cur = conn.cursor()
    cur.executemany("INSERT INTO ORDERS (ID) VALUES (?)", [(i,) for i in range(6)])
    cur.execute("SELECT ID FROM ORDERS EMIT CHANGES LIMIT ?;", (4,))
    assert [row[0] for row in cur] == [0, 1, 2, 3]
    assert cur.rowcount == 4
    assert cur.fetchone() is None
    assert cur.fetchmany(3) == []


def test_statements_have_no_result_set_and_listings_are_rows(conn: dbapi.Connection) -> None:
    cur = conn.cursor()
    cur.execute(
        "CREATE STREAM OTHER (ID INT KEY) "
        "WITH (KAFKA_TOPIC='other', PARTITIONS=1, VALUE_FORMAT='JSON');"
    )
    assert cur.description is None
    assert cur.rowcount == -1
    assert cur.entity is not None
    with pytest.raises(dbapi.ProgrammingError, match="no result set"):
        cur.fetchone()
    cur.execute("SHOW STREAMS")
    assert [d[0] for d in _description(cur)][:2] == ["NAME", "TYPE"]
    assert cur.rowcount == 2
    assert sorted(row["NAME"] for row in cur.fetchall()) == ["ORDERS", "OTHER"]
    with pytest.raises(dbapi.NotSupportedError, match="print_topic"):
        cur.execute("PRINT 'orders' FROM BEGINNING;")


def test_server_errors_map_to_dbapi_classes_with_their_fields(conn: dbapi.Connection) -> None:
    cur = conn.cursor()
    with pytest.raises(dbapi.ProgrammingError) as caught:
        cur.execute("DROP STREAM NOPE")
    error = caught.value
    assert error.error_code == 40001
    assert error.statement_text == "DROP STREAM NOPE;"
    assert isinstance(error.__cause__, KsqlStatementError)
    assert isinstance(error, KsqlError)
    with pytest.raises(dbapi.ProgrammingError, match="NOPE"):
        cur.execute("SELECT * FROM NOPE;")


def test_an_unreachable_server_is_an_operational_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        dbapi.connect(f"http://127.0.0.1:{port}", retries=0, connect_timeout=2) as conn,
        pytest.raises(dbapi.OperationalError) as caught,
    ):
        conn.cursor().execute("SHOW STREAMS;")
    assert isinstance(caught.value.__cause__, ServerUnavailableError)
