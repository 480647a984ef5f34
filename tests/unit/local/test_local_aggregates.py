"""Aggregate functions as ksqlDB's UDAFs answer them, through a CREATE TABLE AS SELECT."""

from __future__ import annotations

from typing import Any

import pytest
from runtime_double import SmallRuntime


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
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
