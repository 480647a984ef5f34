"""Aggregate functions as ksqlDB's UDAFs answer them, through a CREATE TABLE AS SELECT."""

from __future__ import annotations

from typing import Any

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID STRING KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
    )
    return runtime


def results(runtime: SmallRuntime, call: str, values: list[int | None]) -> list[Any]:
    runtime.run(f"CREATE TABLE T AS SELECT ID, {call} AS R FROM S GROUP BY ID;")
    for value in values:
        literal = "NULL" if value is None else str(value)
        runtime.run(f"INSERT INTO S (ID, V) VALUES ('k', {literal});")
    return [value[0] if value else None for _, value in runtime.records("T")]


@pytest.mark.parametrize(
    ("call", "values", "expected"),
    [
        ("LATEST_BY_OFFSET(V)", [12, None, 13], [12, 12, 13]),
        ("LATEST_BY_OFFSET(V, false)", [12, None, 13], [12, None, 13]),
        ("LATEST_BY_OFFSET(V, 2)", [12, None, 13, 14], [[12], [12], [12, 13], [13, 14]]),
        ("LATEST_BY_OFFSET(V, 2, false)", [12, None, 13], [[12], [12, None], [None, 13]]),
        ("EARLIEST_BY_OFFSET(V)", [None, 13, 14], [None, 13, 13]),
        ("EARLIEST_BY_OFFSET(V, 2)", [None, 13, 14, 15], [[], [13], [13, 14], [13, 14]]),
        ("EARLIEST_BY_OFFSET(V, 2, false)", [None, 13, 14], [[None], [None, 13], [None, 13]]),
    ],
)
def test_by_offset_gives_a_value_or_an_array_of_n(
    runtime: SmallRuntime, call: str, values: list[int | None], expected: list[Any]
) -> None:
    assert results(runtime, call, values) == expected


def test_by_offset_with_n_is_an_array_column(runtime: SmallRuntime) -> None:
    runtime.run("CREATE TABLE T AS SELECT ID, LATEST_BY_OFFSET(V, 3) AS R FROM S GROUP BY ID;")
    assert runtime.schema("T") == "ID STRING KEY, R ARRAY<INTEGER>"


@pytest.fixture
def table_runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE TABLE T (ID STRING PRIMARY KEY, REGION STRING, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', VALUE_FORMAT='JSON');"
    )
    return runtime


def upsert(runtime: SmallRuntime, key: str, region: str | None, value: int = 1) -> None:
    if region is None:
        runtime.log.append("t", key.encode(), None)
        runtime.pump()
    else:
        runtime.run(f"INSERT INTO T (ID, REGION, V) VALUES ('{key}', '{region}', {value});")


def test_a_table_aggregation_takes_back_updated_and_deleted_rows(
    table_runtime: SmallRuntime,
) -> None:
    table_runtime.run("CREATE TABLE C AS SELECT REGION, COUNT(*) AS N FROM T GROUP BY REGION;")
    upsert(table_runtime, "1", "r0")
    upsert(table_runtime, "2", "r1")
    upsert(table_runtime, "1", "r1")  # moves from r0 to r1: r0 goes back to 0
    upsert(table_runtime, "2", None)  # deleted: r1 goes down
    assert table_runtime.records("C") == [
        (["r0"], [1]),
        (["r1"], [1]),
        (["r0"], [0]),
        (["r1"], [2]),
        (["r1"], [1]),
    ]


def test_an_update_within_a_group_is_one_change(table_runtime: SmallRuntime) -> None:
    table_runtime.run("CREATE TABLE S AS SELECT REGION, SUM(V) AS TOTAL FROM T GROUP BY REGION;")
    upsert(table_runtime, "1", "r0", 10)
    upsert(table_runtime, "1", "r0", 20)
    upsert(table_runtime, "1", None)
    assert table_runtime.records("S") == [(["r0"], [10]), (["r0"], [20]), (["r0"], [0])]


def test_having_removes_a_group_that_empties(table_runtime: SmallRuntime) -> None:
    table_runtime.run(
        "CREATE TABLE C AS SELECT REGION, COUNT(*) AS N FROM T GROUP BY REGION HAVING COUNT(*) > 0;"
    )
    upsert(table_runtime, "1", "r0")
    upsert(table_runtime, "1", None)
    assert table_runtime.records("C") == [(["r0"], [1]), (["r0"], None)]


def test_aggregates_that_cannot_take_back_a_row_are_refused_on_tables(
    table_runtime: SmallRuntime,
) -> None:
    with pytest.raises(
        KsqlStatementError,
        match="The aggregation functions LATEST_BY_OFFSET and MAX cannot be applied to a table",
    ):
        table_runtime.run(
            "CREATE TABLE X AS SELECT REGION, LATEST_BY_OFFSET(V), MAX(V), COUNT(*) "
            "FROM T GROUP BY REGION;"
        )
    with pytest.raises(KsqlStatementError, match="Windowing not supported for table"):
        table_runtime.run(
            "CREATE TABLE X AS SELECT REGION, COUNT(*) FROM T "
            "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY REGION;"
        )


def test_an_int_sum_wraps_on_overflow_as_java_int_does(runtime: SmallRuntime) -> None:
    assert results(runtime, "SUM(V)", [2147483647, 1, 5]) == [
        2147483647,
        -2147483648,
        -2147483643,
    ]


def test_a_session_closes_a_gap_after_its_end_plus_grace(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE T AS SELECT ID, MAX(V) AS M FROM S "
        "WINDOW SESSION (30 SECONDS, GRACE PERIOD 1 MINUTE) GROUP BY ID;"
    )
    # Stream time 100010: sessions ending before 100010 - 60000 - 30000 = 10010 are closed.
    for value, time in ((0, 0), (1, 100010), (5, 10009), (6, 10010)):
        runtime.run(f"INSERT INTO S (ID, V, ROWTIME) VALUES ('k', {value}, {time});")
    windows = [(key[1:], value) for key, value in runtime.records("T")]
    assert windows == [
        ([0, 0], [0]),
        ([100010, 100010], [1]),
        # 10009 came too late; 10010 did not, yet the closed session at 0 takes no merge.
        ([10010, 10010], [6]),
    ]
