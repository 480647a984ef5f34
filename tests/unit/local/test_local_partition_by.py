"""PARTITION BY in CREATE STREAM AS SELECT: the re-keying rules of ksqlDB's PartitionByParams."""

from __future__ import annotations

import re

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError

INPUT = (
    "CREATE STREAM INPUT (ID INT KEY, NAME STRING, AGE INT, "
    "ADDRESS STRUCT<STREET STRING, TOWN STRING>) "
    "WITH (PARTITIONS=1, KAFKA_TOPIC='input', FORMAT='JSON');"
)


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(INPUT)
    runtime.run(
        "INSERT INTO INPUT (ID, NAME, AGE, ADDRESS) "
        "VALUES (10, 'bob', 22, STRUCT(STREET := 'High St', TOWN := 'Oxford'));"
    )
    return runtime


def test_a_value_column_becomes_the_key_and_the_old_key_moves_to_the_value(
    runtime: SmallRuntime,
) -> None:
    runtime.run("CREATE STREAM OUTPUT AS SELECT * FROM INPUT PARTITION BY NAME;")
    assert runtime.schema("OUTPUT") == (
        "NAME STRING KEY, AGE INTEGER, ADDRESS STRUCT<`STREET` STRING, `TOWN` STRING>, ID INTEGER"
    )
    ((key, value),) = runtime.records("OUTPUT")
    assert key == ["bob"]
    assert value == [22, {"STREET": "High St", "TOWN": "Oxford"}, 10]


def test_an_explicit_projection_keeps_its_order_without_the_key(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM OUTPUT AS SELECT ID, NAME, AGE FROM INPUT PARTITION BY AGE;")
    assert runtime.schema("OUTPUT") == "AGE INTEGER KEY, ID INTEGER, NAME STRING"
    assert runtime.records("OUTPUT") == [([22], [10, "bob"])]


@pytest.mark.parametrize(
    ("select", "schema", "key"),
    [
        ("SELECT * FROM INPUT PARTITION BY ABS(AGE)", "KSQL_COL_0 INTEGER KEY", 22),
        ("SELECT ABS(AGE), NAME FROM INPUT PARTITION BY ABS(AGE)", "KSQL_COL_0 INTEGER KEY", 22),
        ("SELECT ABS(AGE) AS K, NAME FROM INPUT PARTITION BY ABS(AGE)", "K INTEGER KEY", 22),
        ("SELECT * FROM INPUT PARTITION BY ADDRESS->TOWN", "TOWN STRING KEY", "Oxford"),
        ("SELECT INPUT.AGE AS A, NAME FROM INPUT PARTITION BY AGE", "A INTEGER KEY", 22),
    ],
)
def test_the_key_column_is_named_as_ksqldb_names_it(
    runtime: SmallRuntime, select: str, schema: str, key: object
) -> None:
    runtime.run(f"CREATE STREAM OUTPUT AS {select};")
    assert runtime.schema("OUTPUT").startswith(schema + ",")
    assert runtime.records("OUTPUT")[0][0] == [key]


def test_partition_by_null_leaves_no_key(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM OUTPUT AS SELECT ID, NAME FROM INPUT PARTITION BY NULL;")
    output = runtime.metastore.source("OUTPUT")
    assert output is not None
    assert output.key_format == "NONE"
    assert runtime.schema("OUTPUT") == "ID INTEGER, NAME STRING"
    assert runtime.records("OUTPUT") == [([], [10, "bob"])]
    with pytest.raises(KsqlStatementError, match="Key format specified for stream without key"):
        runtime.run(
            "CREATE STREAM O2 WITH (KEY_FORMAT='JSON') AS SELECT ID FROM INPUT PARTITION BY NULL;"
        )


def test_several_expressions_make_a_compound_key(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM OUTPUT AS SELECT * FROM INPUT PARTITION BY NAME, AGE;")
    assert runtime.schema("OUTPUT").startswith("NAME STRING KEY, AGE INTEGER KEY,")
    assert runtime.records("OUTPUT")[0][0] == ["bob", 22]


def test_a_record_without_a_value_keeps_the_key_its_old_key_gives(
    runtime: SmallRuntime,
) -> None:
    runtime.run("CREATE STREAM BY_ID AS SELECT * FROM INPUT PARTITION BY ID + 1;")
    runtime.run("CREATE STREAM BY_NAME AS SELECT * FROM INPUT PARTITION BY NAME;")
    source = runtime.metastore.source("INPUT")
    assert source is not None
    runtime.log.append("input", b"7", None)
    runtime.pump()
    assert runtime.records("BY_ID")[-1] == ([8], None)
    assert runtime.records("BY_NAME")[-1] == ([None], None)


@pytest.mark.parametrize(
    ("select", "message"),
    [
        (
            "SELECT NAME, ID FROM INPUT PARTITION BY ABS(AGE)",
            "must include the partitioning expression ABS(INPUT.AGE) in its projection "
            "(eg, SELECT ABS(INPUT.AGE)...)",
        ),
        (
            "SELECT AGE FROM INPUT PARTITION BY ID, NAME",
            "must include the partitioning expressions INPUT.ID and INPUT.NAME",
        ),
        (
            "SELECT NAME, NAME AS NAME2, ID FROM INPUT PARTITION BY NAME",
            "The projection contains a key column (`NAME`) more than once, aliased as: "
            "NAME and NAME2.",
        ),
        (
            "SELECT * FROM INPUT PARTITION BY NOPE",
            "PARTITION BY column 'NOPE' cannot be resolved. 'NOPE' must be a column in the "
            "source schema",
        ),
        ("SELECT * FROM INPUT PARTITION BY NAME, NULL", "multiple columns including NULL"),
    ],
)
def test_refusals(runtime: SmallRuntime, select: str, message: str) -> None:
    with pytest.raises(KsqlStatementError, match=re.escape(message)):
        runtime.run(f"CREATE STREAM OUTPUT AS {select};")


def test_a_key_selected_twice_is_refused_without_partition_by_too(runtime: SmallRuntime) -> None:
    with pytest.raises(KsqlStatementError, match="more than once, aliased as: ID and ID2"):
        runtime.run("CREATE STREAM OUTPUT AS SELECT ID, ID AS ID2, NAME FROM INPUT;")
