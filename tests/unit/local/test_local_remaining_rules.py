"""ksqlDB's general rules behind a few single conformance cases: pull-query row order and
header schema, and what a query does with a bad record time."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import pytest

from ksqlpy.local.engine import Engine
from ksqlpy.local.engine.errors import EngineError, KsqlStatementError
from ksqlpy.local.engine.rows import key_serde, value_serde
from ksqlpy.local.engine.transient import RunningQuery, TablePullQuery
from ksqlpy.local.entities import entity
from ksqlpy.local.storage import MemoryLog, partition_for


def engine_with(sql: str) -> Engine:
    engine = Engine(MemoryLog(), config={})
    engine.restore()
    engine.execute(sql, {}, {})
    return engine


def produce(engine: Engine, name: str, *rows: tuple[list[Any], list[Any]]) -> None:
    """Write (key columns, value columns) records to a source's topic."""
    source = engine.metastore.source(name)
    assert source is not None
    for key, value in rows:
        engine.log.append(
            source.topic, key_serde(source).serialize(key), value_serde(source).serialize(value)
        )


def pull(engine: Engine, sql: str) -> tuple[str, list[list[Any]]]:
    query = engine.open_query(sql, {}, {})
    assert isinstance(query, TablePullQuery)
    schema = query.header_v1["schema"]
    batch = asyncio.run(query.next_batch(100))
    assert batch is not None
    return schema, batch[0]


def test_a_table_scan_with_limit_keeps_the_first_rows_in_key_byte_order() -> None:
    engine = engine_with(
        "CREATE SOURCE TABLE T (K STRING PRIMARY KEY, N INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', FORMAT='JSON');"
    )
    produce(engine, "T", (["pear"], [1]), (["apple"], [2]), (["fig"], [3]), (["banana"], [4]))
    _, rows = pull(engine, "SELECT * FROM T LIMIT 2;")
    assert rows == [["apple", 2], ["banana", 4]]
    _, rows = pull(engine, "SELECT K FROM T;")
    assert rows == [["apple"], ["banana"], ["fig"], ["pear"]]


def test_a_pull_header_lists_explicit_columns_in_select_order_and_star_by_namespace() -> None:
    engine = engine_with(
        "CREATE SOURCE TABLE T (K INT PRIMARY KEY, V STRING, H BYTES HEADER('h')) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', FORMAT='JSON');"
    )
    produce(engine, "T", ([1], ["a"]))
    schema, rows = pull(engine, "SELECT V, ROWTIME, K FROM T WHERE K = 1;")
    assert schema == "`V` STRING, `ROWTIME` BIGINT, `K` INTEGER KEY"
    assert [rows[0][0], rows[0][2]] == ["a", 1]
    schema, _ = pull(engine, "SELECT * FROM T;")
    assert schema == "`K` INTEGER KEY, `H` BYTES HEADER('h'), `V` STRING"


def test_every_window_of_a_key_lands_in_the_partition_of_the_key_alone() -> None:
    engine = engine_with(
        "CREATE STREAM S (K INT KEY, V INT) "
        "WITH (PARTITIONS=4, KAFKA_TOPIC='s', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');"
        "CREATE TABLE W AS SELECT K, COUNT(*) AS N FROM S "
        "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY K;"
    )
    for k, time in [(1, 0), (1, 1500), (1, 3200), (2, 100), (2, 2100)]:
        engine.log.append("s", struct.pack(">i", k), b'{"V": 0}', timestamp=time)
    engine.pump()
    placed: dict[int, set[int]] = {}
    for partition in range(4):
        for record in engine.log.read("W", partition, 0, 100):
            assert record.key is not None
            key = struct.unpack(">i", record.key[:4])[0]
            placed.setdefault(key, set()).add(partition)
    assert placed == {
        1: {partition_for(struct.pack(">i", 1), 4)},
        2: {partition_for(struct.pack(">i", 2), 4)},
    }


def test_a_scalable_push_query_drops_records_without_a_key_or_a_value() -> None:
    engine = Engine(MemoryLog(), config={"ksql.query.push.v2.enabled": "true"})
    engine.restore()
    engine.execute(
        "CREATE STREAM S (K INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
        "CREATE STREAM C AS SELECT * FROM S;",
        {},
        {},
    )
    query = engine.open_query("SELECT * FROM C EMIT CHANGES;", {}, {})
    assert isinstance(query, RunningQuery)
    assert query.query_id.startswith("SCALABLE_PUSH_QUERY_")
    for key, value in [(None, b'{"V": 1}'), (b"2", None), (b"3", b'{"V": 3}')]:
        engine.log.append("C", key, value)
    rows, _ = query._collect(10)
    assert rows == [[3, 3]]


def test_decimal_bounds_are_ksqldbs_with_no_upper_limit_on_precision() -> None:
    engine = engine_with(
        "CREATE STREAM WIDE (V DECIMAL(45, 40)) WITH (KAFKA_TOPIC='w', PARTITIONS=1, FORMAT='JSON')"
    )
    for declared, message in [
        ("DECIMAL(0, 0)", "DECIMAL precision must be >= 1: DECIMAL(0,0)"),
        ("DECIMAL(3, 4)", "DECIMAL precision must be >= scale: DECIMAL(3,4)"),
    ]:
        with pytest.raises(KsqlStatementError) as raised:
            engine.execute(
                f"CREATE STREAM BAD (V {declared}) "
                "WITH (KAFKA_TOPIC='b', PARTITIONS=1, FORMAT='JSON');",
                {},
                {},
            )
        assert raised.value.message == message


def test_a_windowed_source_needs_a_key_column() -> None:
    engine = engine_with("")
    with pytest.raises(KsqlStatementError) as raised:
        engine.execute(
            "CREATE STREAM W (V INT) "
            "WITH (KAFKA_TOPIC='w', PARTITIONS=1, FORMAT='JSON', WINDOW_TYPE='HOPPING', "
            "WINDOW_SIZE='5 SECONDS');",
            {},
            {},
        )
    assert raised.value.message == "Windowed sources require a key column."
    assert engine.metastore.source("W") is None


def test_the_collect_limits_are_read_from_the_statements_settings() -> None:
    engine = Engine(MemoryLog(), config={"ksql.functions.collect_set.limit": "2"})
    engine.restore()
    engine.execute(
        "CREATE STREAM S (K INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
        "CREATE TABLE A AS SELECT K, COLLECT_SET(V) AS SETS, COLLECT_LIST(V) AS LISTS "
        "FROM S GROUP BY K;",
        {},
        {},
    )
    engine.execute(
        "CREATE TABLE B AS SELECT K, COLLECT_LIST(V) AS LISTS FROM S GROUP BY K;",
        {"ksql.functions.collect_list.limit": 1},
        {},
    )
    for v in (5, 5, 6, 7):
        engine.execute(f"INSERT INTO S (K, V) VALUES (1, {v});", {}, {})
    assert pull(engine, "SELECT SETS, LISTS FROM A WHERE K = 1;")[1] == [[[5, 6], [5, 5, 6, 7]]]
    assert pull(engine, "SELECT LISTS FROM B WHERE K = 1;")[1] == [[[5]]]


@pytest.mark.parametrize("throw", [True, False])
def test_an_unparsable_record_time_fails_the_query_only_when_configured(throw: bool) -> None:
    engine = Engine(MemoryLog(), config={"ksql.timestamp.throw.on.invalid": str(throw).lower()})
    engine.restore()
    engine.execute(
        "CREATE STREAM S (K INT KEY, T STRING, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', "
        "FORMAT='JSON', TIMESTAMP='T', TIMESTAMP_FORMAT='yyyy-MM-dd');"
        "CREATE STREAM C AS SELECT K, V FROM S;",
        {},
        {},
    )
    engine.log.append("s", b"1", b'{"T": "1969-12-31"}')  # before 1970: skipped either way
    engine.log.append("s", b"2", b'{"T": "someday"}')
    engine.log.append("s", b"3", b'{"T": "2024-01-02"}')
    engine.pump()
    (shown,) = engine.execute("EXPLAIN CSAS_C_2;", {}, {})
    description = entity(shown)["queryDescription"]
    written = [r.key for r in engine.log.read("C", 0, 0, 10)]
    if throw:
        assert description["state"] == "ERROR"
        (error,) = description["queryErrors"]
        assert (
            "Fatal user code error in TimestampExtractor callback for record"
            in (error["errorMessage"])
        )
        assert written == []
    else:
        assert (description["state"], description["queryErrors"]) == ("RUNNING", [])
        assert written == [b"3"]


def test_a_push_query_ends_with_the_error_when_a_record_time_cannot_be_extracted() -> None:
    engine = Engine(MemoryLog(), config={"ksql.timestamp.throw.on.invalid": "true"})
    engine.restore()
    engine.execute(
        "CREATE STREAM S (K INT KEY, T STRING) WITH (PARTITIONS=1, KAFKA_TOPIC='s', "
        "FORMAT='JSON', TIMESTAMP='T', TIMESTAMP_FORMAT='yyyy-MM-dd');",
        {},
        {},
    )
    engine.log.append("s", b"1", b'{"T": "never"}')
    query = engine.open_query(
        "SELECT * FROM S EMIT CHANGES;", {"auto.offset.reset": "earliest"}, {}
    )
    assert isinstance(query, RunningQuery)
    with pytest.raises(EngineError, match="Fatal user code error in TimestampExtractor"):
        asyncio.run(query.next_batch(10))
