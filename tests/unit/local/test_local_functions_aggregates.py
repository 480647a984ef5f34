"""Aggregates, table functions and the function catalogue, through CREATE ... AS SELECT on the
runtime double (no server)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.planner import plan_select
from ksqlpy.sql import parse_one
from ksqlpy.sql.nodes import KsqlSelect


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID STRING KEY, V INT, W INT, NAME STRING, L ARRAY<INT>, "
        "M ARRAY<STRING>) WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
    )
    return runtime


def insert(runtime: SmallRuntime, *rows: str) -> None:
    for row in rows:
        runtime.run(f"INSERT INTO S (ID, V, W, NAME, L, M) VALUES ('k', {row});")


def last(runtime: SmallRuntime, sql: str, *rows: str) -> Any:
    runtime.run(f"CREATE TABLE T AS SELECT ID, {sql} AS R FROM S GROUP BY ID;")
    insert(runtime, *rows)
    records = runtime.records("T")
    value = records[-1][1]
    return value[0] if value else None


ROWS = (
    "5, 1, 'a', ARRAY[1, 2], ARRAY['x']",
    "9, 2, 'b', ARRAY[3], ARRAY['x', 'y']",
    "NULL, 3, 'c', NULL, NULL",
    "7, 2, 'b', ARRAY[NULL, 4], ARRAY['z']",
)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("TOPK(V, 2)", [9, 7]),
        ("TOPKDISTINCT(W, 5)", [3, 2, 1]),
        ("TOPK(V, NAME, 2)", [{"sort_col": 9, "col0": "b"}, {"sort_col": 7, "col0": "b"}]),
        ("HISTOGRAM(NAME)", {"a": 1, "b": 2, "c": 1}),
        ("SUM_LIST(L)", 10),
        ("STDDEV_SAMPLE(V)", 2.0),
        ("STDDEV_SAMP(V)", 4.0),  # ksqlDB's STDDEV_SAMP gives the sample variance
        ("COLLECT_SET(W)", [1, 2, 3]),
        ("COLLECT_LIST(V)", [5, 9, None, 7]),  # NULLs are collected
    ],
)
def test_aggregates(runtime: SmallRuntime, call: str, expected: Any) -> None:
    assert last(runtime, call, *ROWS) == expected


def test_correlation_is_nan_until_it_can_be_computed(runtime: SmallRuntime) -> None:
    assert math.isnan(last(runtime, "CORRELATION(V, W)", ROWS[0]))
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID STRING KEY, V INT, W INT, NAME STRING, L ARRAY<INT>, "
        "M ARRAY<STRING>) WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
    )
    assert last(runtime, "CORRELATION(V, W)", *ROWS) == pytest.approx(math.sqrt(3) / 2)


def test_aggregate_types(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE T AS SELECT ID, TOPK(V, NAME, 2) A, HISTOGRAM(NAME) B, SUM_LIST(L) C, "
        "CORRELATION(V, W) D FROM S GROUP BY ID;"
    )
    assert runtime.schema("T") == (
        "ID STRING KEY, A ARRAY<STRUCT<`sort_col` INTEGER, `col0` STRING>>, "
        "B MAP<STRING, BIGINT>, C INTEGER, D DOUBLE"
    )


@pytest.fixture
def table_runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE TABLE U (ID STRING PRIMARY KEY, REGION STRING, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='u', VALUE_FORMAT='JSON');"
    )
    return runtime


def test_table_aggregates_take_back_an_updated_row(table_runtime: SmallRuntime) -> None:
    table_runtime.run(
        "CREATE TABLE R AS SELECT REGION, HISTOGRAM(ID) H, ATTR(V) A, STDDEV_SAMPLE(V) S "
        "FROM U GROUP BY REGION;"
    )
    for row in ("'a', 'x', 1", "'b', 'x', 3", "'b', 'x', 1"):
        table_runtime.run(f"INSERT INTO U (ID, REGION, V) VALUES ({row});")
    assert table_runtime.rows("R")[-1] == ["x", {"a": 1, "b": 1}, 1, 0.0]


def test_table_sources_refuse_aggregates_that_cannot_take_back(
    table_runtime: SmallRuntime,
) -> None:
    with pytest.raises(KsqlStatementError, match="TOPK cannot be applied to a table source"):
        table_runtime.run("CREATE TABLE R AS SELECT REGION, TOPK(V, 2) K FROM U GROUP BY REGION;")


def test_delimited_refuses_aggregates_with_a_complex_state() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM D (ID STRING KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='d', VALUE_FORMAT='DELIMITED');"
    )
    with pytest.raises(KsqlStatementError, match="intermediate type that the value format"):
        runtime.run("CREATE TABLE R AS SELECT ID, AVG(V) A FROM D GROUP BY ID;")


# -- table functions ----------------------------------------------------------------------------


def test_explode_gives_a_row_per_element_and_zips_several_calls(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM O AS SELECT ID, EXPLODE(L) E, EXPLODE(M) F, ABS(V) A FROM S;")
    insert(runtime, *ROWS)
    assert [r[1:] for r in runtime.rows("O")] == [
        [1, "x", 5],
        [2, None, 5],
        [3, "x", 9],
        [None, "y", 9],
        [None, "z", 7],
        [4, None, 7],
    ]


def test_cube_explode_gives_every_combination(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM O AS SELECT ID, CUBE_EXPLODE(ARRAY[V, W]) C FROM S;")
    insert(runtime, "1, NULL, 'a', NULL, NULL")
    assert [r[1] for r in runtime.rows("O")] == [[None, None], [1, None]]


def test_table_functions_are_refused_with_aggregates_and_outside_the_select_list(
    runtime: SmallRuntime,
) -> None:
    with pytest.raises(
        KsqlStatementError, match="Table functions cannot be used with aggregations"
    ):
        runtime.run("CREATE TABLE O AS SELECT ID, EXPLODE(L), COUNT(*) FROM S GROUP BY ID;")
    with pytest.raises(KsqlStatementError, match="Table function EXPLODE can only be used"):
        runtime.run("CREATE STREAM O AS SELECT ID FROM S WHERE EXPLODE(L) = 1;")


def test_table_function_refusals_follow_ksqldb(runtime: SmallRuntime) -> None:
    with pytest.raises(KsqlStatementError, match=r"cannot be nested: EXPLODE\(EXPLODE\(\)\)"):
        runtime.run("CREATE STREAM O AS SELECT ID, EXPLODE(EXPLODE(ARRAY[L])) FROM S;")
    with pytest.raises(KsqlStatementError, match="Table functions cannot be used in CASE"):
        runtime.run("CREATE STREAM O AS SELECT ID, CASE WHEN V > 1 THEN EXPLODE(L) END FROM S;")
    runtime.run(
        "CREATE TABLE TT (ID STRING PRIMARY KEY, L ARRAY<INT>) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='tt', VALUE_FORMAT='JSON');"
    )
    with pytest.raises(KsqlStatementError, match="Table source is not supported with table"):
        runtime.run("CREATE TABLE O AS SELECT ID, EXPLODE(L) E FROM TT;")


def test_a_push_query_flattens_table_functions_too(runtime: SmallRuntime) -> None:
    node = parse_one("SELECT ID, EXPLODE(L) AS E, V FROM S EMIT CHANGES;")
    assert isinstance(node, KsqlSelect)
    plan = plan_select(runtime.metastore, node, "q")
    assert plan.projection.names == ["ID", "E", "V"]
    row = ["k", 5, None, None, [1, 2], None]
    assert plan.projection.apply_all(row) == [["k", 1, 5], ["k", 2, 5]]
    assert plan.projection.apply_all(["k", 5, None, None, [], None]) == []


# -- the catalogue ------------------------------------------------------------------------------


def test_show_functions_lists_scalar_table_and_aggregate_functions(runtime: SmallRuntime) -> None:
    entity = runtime.run_entity("SHOW FUNCTIONS;")
    listed = {f["name"]: (f["type"], f["category"]) for f in entity["functions"]}
    assert listed["URL_EXTRACT_HOST"] == ("SCALAR", "URL")
    assert listed["REGEXP_REPLACE"] == ("SCALAR", "REGULAR EXPRESSION")
    assert listed["EXPLODE"] == ("TABLE", "TABLE")
    assert listed["TOPK"] == ("AGGREGATE", "AGGREGATE")
    assert len(listed) == len(entity["functions"])  # each once


def test_describe_function_gives_signatures_and_ksqldb_descriptions(
    runtime: SmallRuntime,
) -> None:
    entity = runtime.run_entity("DESCRIBE FUNCTION array_sort;")
    assert entity["type"] == "SCALAR"
    assert entity["description"].startswith("Sort an array of primitive values")
    assert [f["argumentTypes"] for f in entity["functions"]] == [
        ["ARRAY<T>"],
        ["ARRAY<T>", "VARCHAR"],  # ksqlDB's ParamType spelling
    ]
    entity = runtime.run_entity("DESCRIBE FUNCTION elt;")
    assert entity["functions"][0]["arguments"][-1]["isVariadic"] is True
    entity = runtime.run_entity("DESCRIBE FUNCTION histogram;")
    assert (entity["type"], entity["author"]) == ("AGGREGATE", "Confluent")


def test_constant_parameters_of_aggregates_must_be_literals(runtime: SmallRuntime) -> None:
    with pytest.raises(
        KsqlStatementError,
        match="Parameter 2 passed to function EARLIEST_BY_OFFSET must be a literal constant, "
        "but was expression: 'W'",
    ):
        runtime.run("CREATE TABLE T AS SELECT ID, EARLIEST_BY_OFFSET(V, W) R FROM S GROUP BY ID;")
    with pytest.raises(KsqlStatementError, match="Parameter 2 passed to function TOPK"):
        runtime.run("CREATE TABLE T AS SELECT ID, TOPK(V, W) R FROM S GROUP BY ID;")


def test_aggregates_cannot_be_nested(runtime: SmallRuntime) -> None:
    with pytest.raises(KsqlStatementError, match=r"can not be nested: SUM\(COUNT\(\)\)"):
        runtime.run("CREATE TABLE T AS SELECT ID, SUM(COUNT(V)) R FROM S GROUP BY ID;")


def test_aggregate_calls_are_resolved_against_ksqldb_overloads(runtime: SmallRuntime) -> None:
    with pytest.raises(
        KsqlStatementError, match=r"Function 'sum' does not accept parameters \(STRING\)"
    ):
        runtime.run("CREATE TABLE T AS SELECT ID, SUM(NAME) R FROM S GROUP BY ID;")
    with pytest.raises(KsqlStatementError, match="Function 'histogram' does not accept"):
        runtime.run("CREATE TABLE T AS SELECT ID, HISTOGRAM(V) R FROM S GROUP BY ID;")
    # an INT argument is widened to the DOUBLE overload, as an implicit cast
    runtime.run("CREATE TABLE T AS SELECT ID, AVG(V) A, CORRELATION(V, W) C FROM S GROUP BY ID;")
    assert runtime.schema("T") == "ID STRING KEY, A DOUBLE, C DOUBLE"


def test_describe_function_lists_an_aggregate_s_overloads(runtime: SmallRuntime) -> None:
    entity = runtime.run_entity("DESCRIBE FUNCTION correlation;")
    assert [f["argumentTypes"] for f in entity["functions"]] == [
        ["INT", "INT"],
        ["BIGINT", "BIGINT"],
        ["DOUBLE", "DOUBLE"],
    ]
