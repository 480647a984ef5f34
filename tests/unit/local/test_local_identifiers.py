"""Identifiers resolve by ksqlDB's case rules wherever an expression is matched to another:
unquoted names are upper-cased, backticked ones kept, qualifiers optional on one source."""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID INT KEY, `Name` STRING, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
    )
    runtime.run("INSERT INTO S (ROWTIME, ID, `Name`, V) VALUES (2, 1, 'a', 5);")
    return runtime


@pytest.mark.parametrize(
    ("select", "schema"),
    [
        ("SELECT ID, COUNT(*) AS C FROM S GROUP BY id", "ID INTEGER KEY, C BIGINT"),
        ("SELECT id, COUNT(*) AS C FROM S GROUP BY ID", "ID INTEGER KEY, C BIGINT"),
        ("SELECT s.v, COUNT(*) AS C FROM S GROUP BY V", "V INTEGER KEY, C BIGINT"),
        ("SELECT V AS K, count(*) AS C FROM S GROUP BY S.v", "K INTEGER KEY, C BIGINT"),
        ("SELECT v + 1, COUNT(*) AS C FROM S GROUP BY V + 1", "KSQL_COL_0 INTEGER KEY, C BIGINT"),
        ("SELECT `Name`, COUNT(*) AS C FROM S GROUP BY `Name`", "Name STRING KEY, C BIGINT"),
    ],
)
def test_group_by_matches_select_items_by_what_they_name(
    runtime: SmallRuntime, select: str, schema: str
) -> None:
    runtime.run(f"CREATE TABLE T AS {select};")
    assert runtime.schema("T") == schema
    assert len(runtime.records("T")) == 1


def test_having_matches_aggregates_and_keys_whatever_their_case(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE T AS SELECT v, COUNT(*) AS C FROM S GROUP BY V "
        "HAVING count(*) > 0 AND s.V > 1;"
    )
    assert runtime.records("T") == [([5], [1])]


def test_an_unquoted_name_does_not_match_a_mixed_case_column(runtime: SmallRuntime) -> None:
    with pytest.raises(KsqlStatementError, match="'NAME' cannot be resolved"):
        runtime.run("CREATE TABLE T AS SELECT Name, COUNT(*) AS C FROM S GROUP BY Name;")


def test_a_tombstone_of_an_aliased_group_key_keeps_its_key(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE U (UID INT PRIMARY KEY, LABEL STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='u', FORMAT='JSON');"
    )
    runtime.run("INSERT INTO U (ROWTIME, UID, LABEL) VALUES (1, 1, 'one');")
    runtime.run("CREATE TABLE BY_LABEL AS SELECT label AS L, COUNT(*) AS C FROM U GROUP BY LABEL;")
    runtime.log.append("u", b"1", None)
    runtime.pump()
    assert runtime.records("BY_LABEL")[-1][0] == ["one"]


def test_join_keys_match_the_projection_whatever_their_case(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE U (uid INT PRIMARY KEY, label STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='u', FORMAT='JSON');"
    )
    runtime.run("CREATE STREAM J AS SELECT s.id, u.label FROM S s JOIN U u ON S.ID = u.UID;")
    assert runtime.schema("J") == "ID INTEGER KEY, LABEL STRING"


def test_group_by_keys_follow_the_group_by_order(runtime: SmallRuntime) -> None:
    runtime.run("CREATE TABLE T AS SELECT V, ID, COUNT(*) AS C FROM S GROUP BY ID, V;")
    assert runtime.schema("T") == "ID INTEGER KEY, V INTEGER KEY, C BIGINT"
    assert runtime.records("T") == [([1, 5], [1])]
