"""Which WHERE clauses a pull query over a table may have (ksqlDB's QueryFilterNode rules)."""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.planner import plan_select
from ksqlpy.local.engine.pull_filter import PullOptions, disjuncts
from ksqlpy.sql import parse_one
from ksqlpy.sql.nodes import KsqlSelect

NO_SCAN = PullOptions(table_scan=False, range_scan=True)


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE SOURCE TABLE T (ID STRING PRIMARY KEY, N INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', VALUE_FORMAT='JSON');"
    )
    runtime.run(
        "CREATE SOURCE TABLE I (ID INT PRIMARY KEY, N INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='i', VALUE_FORMAT='JSON');"
    )
    runtime.run(
        "CREATE SOURCE TABLE M (A STRING PRIMARY KEY, B INT PRIMARY KEY, N INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='m', FORMAT='JSON');"
    )
    return runtime


def plan(runtime: SmallRuntime, sql: str, options: PullOptions = NO_SCAN) -> None:
    node = parse_one(sql)
    assert isinstance(node, KsqlSelect)
    plan_select(runtime.metastore, node, sql, options)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("N = 100", "WHERE clause missing key column for disjunct: (N = 100)"),
        ("ID != 'a'", "Bound on key columns '[`ID` STRING KEY]' must currently be '='. "),
        ("'0' < ID AND ID < '9'", "cannot be combined with other comparisons such as an IN"),
        (
            "ID = CAST(N AS STRING)",
            "A comparison must be between a key column and a resolvable expression.",
        ),
        ("'x' LIKE 'x'", "Like condition must be between strings"),
        ("ID <= 'a' OR ID >= 'c'", "Query requires table scan to be enabled"),
    ],
)
def test_without_table_scans_only_key_lookups_and_one_string_range_run(
    runtime: SmallRuntime, where: str, message: str
) -> None:
    with pytest.raises(KsqlStatementError) as raised:
        plan(runtime, f"SELECT * FROM T WHERE {where};")
    assert message in raised.value.message


def test_key_lookups_and_a_string_range_are_allowed_without_table_scans(
    runtime: SmallRuntime,
) -> None:
    plan(runtime, "SELECT * FROM T WHERE ID = 'a' OR ID IN ('b', 'c');")
    plan(runtime, "SELECT * FROM T WHERE ID >= 'a';")
    plan(runtime, "SELECT * FROM M WHERE A = 'x' AND B = 1;")
    with pytest.raises(KsqlStatementError, match="Query requires table scan"):
        plan(runtime, "SELECT * FROM I WHERE ID >= 1;")  # a range needs a STRING key
    with pytest.raises(KsqlStatementError, match="Multi-column sources must specify every key"):
        plan(runtime, "SELECT * FROM M WHERE A = 'x';")


def test_with_table_scans_anything_runs_but_key_values_are_still_checked(
    runtime: SmallRuntime,
) -> None:
    plan(runtime, "SELECT * FROM T WHERE N > 1 OR ID != 'a';", PullOptions())
    with pytest.raises(
        KsqlStatementError, match=r"Primary key columns can not be NULL: \(ID = null\)"
    ):
        plan(runtime, "SELECT * FROM I WHERE ID IN (NULL);", PullOptions())
    with pytest.raises(
        KsqlStatementError, match="'10' can not be converted to the type of the key"
    ):
        plan(runtime, "SELECT * FROM I WHERE ID IN ('10', 8);", PullOptions())


def test_in_and_between_become_disjuncts_of_equalities_and_bounds() -> None:
    where = parse_one("SELECT * FROM T WHERE (ID IN (1, 2) AND N = 3) OR ID BETWEEN 4 AND 5;")
    shapes = [[type(leaf).__name__ for leaf in d] for d in disjuncts(where.args["where"].this)]
    assert shapes == [["EQ", "EQ"], ["EQ", "EQ"], ["GTE", "LTE"]]


def test_a_pull_limit_can_be_disabled(runtime: SmallRuntime) -> None:
    plan(runtime, "SELECT * FROM T LIMIT 1;", PullOptions())
    with pytest.raises(KsqlStatementError, match="LIMIT clause in pull queries is currently"):
        plan(runtime, "SELECT * FROM T LIMIT 1;", PullOptions(limit=False))
