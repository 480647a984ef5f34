"""ksqlDB's general rules behind a few single conformance cases: pull-query row order and
header schema, and what a query does with a bad record time."""

from __future__ import annotations

import asyncio
from typing import Any

from ksqlpy.local.engine import Engine
from ksqlpy.local.engine.rows import key_serde, value_serde
from ksqlpy.local.engine.transient import TablePullQuery
from ksqlpy.local.storage import MemoryLog


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
