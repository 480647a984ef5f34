"""The planner: FROM resolution, projections, pull-query rules and persistent pipelines."""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.join import JoinPipeline
from ksqlpy.local.engine.persistent import QueryPipeline
from ksqlpy.local.engine.planner import plan_persistent, plan_select
from ksqlpy.local.engine.transient import key_lookups
from ksqlpy.sql import parse_one
from ksqlpy.sql.nodes import KsqlSelect


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM PV (USERID STRING KEY, PAGEID STRING, N INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='pv', VALUE_FORMAT='JSON');"
    )
    runtime.run(
        "CREATE SOURCE TABLE USERS (ID STRING PRIMARY KEY, NAME STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='users', VALUE_FORMAT='JSON');"
    )
    runtime.run(
        "CREATE TABLE PLAIN (ID STRING PRIMARY KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='plain', VALUE_FORMAT='JSON');"
    )
    return runtime


def select(sql: str) -> KsqlSelect:
    node = parse_one(sql)
    assert isinstance(node, KsqlSelect)
    return node


def test_select_star_lays_out_keys_then_values(runtime: SmallRuntime) -> None:
    plan = plan_select(runtime.metastore, select("SELECT * FROM PV EMIT CHANGES;"), "q")
    assert plan.push
    assert plan.projection.names == ["USERID", "PAGEID", "N"]
    assert [str(t) for t in plan.projection.types] == ["STRING", "STRING", "INTEGER"]
    assert plan.projection.key_flags == [True, False, False]


def test_expressions_get_ksql_col_names_and_their_types(runtime: SmallRuntime) -> None:
    plan = plan_select(
        runtime.metastore, select("SELECT N + 1, UCASE(PAGEID), N AS M FROM PV EMIT CHANGES;"), "q"
    )
    assert plan.projection.names == ["KSQL_COL_0", "KSQL_COL_1", "M"]
    assert [str(t) for t in plan.projection.types] == ["INTEGER", "STRING", "INTEGER"]
    assert plan.projection.apply(["u", "home", 4, 0, 0, 0]) == [5, "HOME", 4]


def test_unqualified_and_aliased_names_resolve_to_one_source(runtime: SmallRuntime) -> None:
    plan = plan_select(
        runtime.metastore, select("SELECT P.N FROM PV P WHERE P.N > 1 EMIT CHANGES;"), "q"
    )
    assert plan.where is not None
    assert plan.where(["u", "p", 2, 0, 0, 0]) is True
    assert plan.where(["u", "p", 1, 0, 0, 0]) is False


def test_an_unknown_source_or_column_is_refused_with_ksql_words(runtime: SmallRuntime) -> None:
    with pytest.raises(KsqlStatementError, match="NOPE does not exist"):
        plan_select(runtime.metastore, select("SELECT * FROM NOPE EMIT CHANGES;"), "q")
    with pytest.raises(KsqlStatementError, match="WHERE column 'X' cannot be resolved"):
        plan_select(runtime.metastore, select("SELECT * FROM PV WHERE X = 1 EMIT CHANGES;"), "q")
    with pytest.raises(KsqlStatementError, match="WHERE column 'X' cannot be resolved"):
        plan_select(runtime.metastore, select("SELECT * FROM USERS WHERE X = 1;"), "q")


def test_pull_queries_refuse_what_ksqldb_refuses(runtime: SmallRuntime) -> None:
    refusals = {
        "SELECT USERID, COUNT(*) FROM PV GROUP BY USERID;": "don't support GROUP BY",
        "SELECT * FROM PV LIMIT -1;": "negative integers in the LIMIT clause",
        "SELECT ROWOFFSET FROM PV;": "columns in SELECT clauses: `ROWOFFSET`",
        "SELECT * FROM PLAIN;": "The `PLAIN` table isn't queryable",
    }
    for sql, message in refusals.items():
        with pytest.raises(KsqlStatementError, match=message):
            plan_select(runtime.metastore, select(sql), "q")


def test_a_pull_query_on_a_source_table_is_planned(runtime: SmallRuntime) -> None:
    plan = plan_select(runtime.metastore, select("SELECT * FROM USERS WHERE ID = 'a';"), "q")
    assert not plan.push
    assert plan.source.name == "USERS"
    assert plan.header_v1("id")["schema"] == "`ID` STRING KEY, `NAME` STRING"


def test_key_lookups_pin_equalities_and_in_lists(runtime: SmallRuntime) -> None:
    users = runtime.metastore.source("USERS")
    assert users is not None

    def where(sql: str) -> object:
        return select(f"SELECT * FROM USERS WHERE {sql};").args["where"].this

    assert key_lookups(where("ID = 'a'"), users) == [("a",)]
    assert key_lookups(where("ID IN ('a', 'b') AND NAME = 'x'"), users) == [("a",), ("b",)]
    assert key_lookups(where("NAME = 'x'"), users) is None  # a scan
    assert key_lookups(where("ID = NAME"), users) is None  # not a constant


def test_persistent_plans_use_the_same_from_resolution(runtime: SmallRuntime) -> None:
    source, pipeline = plan_persistent(runtime.metastore, select("SELECT * FROM PV;"))
    assert source.name == "PV"
    assert isinstance(pipeline, QueryPipeline)
    with pytest.raises(KsqlStatementError, match="NOPE does not exist"):
        plan_persistent(runtime.metastore, select("SELECT * FROM NOPE;"))
    source, pipeline = plan_persistent(
        runtime.metastore,
        select("SELECT P.USERID, U.NAME FROM PV P JOIN USERS U ON P.USERID = U.ID;"),
    )
    assert source.name == "PV"
    assert isinstance(pipeline, JoinPipeline)


def test_grouped_queries_plan_an_aggregation(runtime: SmallRuntime) -> None:
    _, pipeline = plan_persistent(
        runtime.metastore, select("SELECT USERID, COUNT(*) AS C FROM PV GROUP BY USERID;")
    )
    assert pipeline.aggregator is not None
    assert [(o.name, str(o.type), o.key) for o in pipeline.outputs] == [
        ("USERID", "STRING", True),
        ("C", "BIGINT", False),
    ]


def test_a_negative_push_limit_is_refused_not_a_crash(runtime: SmallRuntime) -> None:
    with pytest.raises(KsqlStatementError, match="LIMIT must not be negative"):
        plan_select(runtime.metastore, select("SELECT * FROM PV EMIT CHANGES LIMIT -2;"), "q")
    plan = plan_select(runtime.metastore, select("SELECT * FROM PV EMIT CHANGES LIMIT 2;"), "q")
    assert plan.limit == 2


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM PV WINDOW TUMBLING (SIZE 1 SECOND);", "WINDOW clause requires a GROUP BY"),
        ("SELECT USERID, ROWTIME FROM PV;", "Reserved column name in select: `ROWTIME`"),
        ("SELECT USERID, N AS ROWOFFSET FROM PV;", "`ROWOFFSET` is a reserved column name"),
        ("SELECT USERID, NOPE FROM PV;", "SELECT column 'NOPE' cannot be resolved"),
        ("SELECT X.* FROM PV;", "'X' is not a valid stream/table name or alias"),
        ("SELECT PV.* FROM PV P;", "'PV' is not a valid stream/table name or alias"),
        ("SELECT USERID, CAST(PAGEID AS ARRAY<INT>) FROM PV;", "Invalid Select: Cast of STRING"),
        (
            "SELECT PAGEID, SUM(N) FROM PV GROUP BY PAGEID HAVING SUM(n) > '1';",
            "Error in HAVING expression: Cannot compare SUM\\(N\\) \\(INTEGER\\) to '1'",
        ),
        (
            "SELECT PAGEID, userid, n + 1, COUNT(*) FROM PV GROUP BY PAGEID;",
            "not part of GROUP BY: USERID, \\(N \\+ 1\\)\nEither add the column",
        ),
        (
            "SELECT PAGEID, COUNT(*) FROM PV GROUP BY PAGEID HAVING n > 1;",
            "Non-aggregate HAVING expression not part of GROUP BY: N",
        ),
        (
            "SELECT USERID, CASE WHEN N > 1 THEN NULL END AS C FROM PV;",
            "All case branches have NULL type",
        ),
    ],
)
def test_persistent_queries_are_refused_with_ksqldbs_words(
    runtime: SmallRuntime, sql: str, message: str
) -> None:
    with pytest.raises(KsqlStatementError, match=message):
        plan_persistent(runtime.metastore, select(sql))
