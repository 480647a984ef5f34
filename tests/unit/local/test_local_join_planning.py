"""Join planning: the result's key and columns, and the joins ksqlDB refuses, with its words."""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.planner import plan_select
from ksqlpy.sql import parse_one
from ksqlpy.sql.nodes import KsqlSelect


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    for statement in (
        "CREATE STREAM S1 (ID INT KEY, K INT, V0 INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s1', FORMAT='JSON');",
        "CREATE STREAM S2 (ID INT KEY, V0 INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s2', FORMAT='JSON');",
        "CREATE TABLE T2 (ID INT PRIMARY KEY, V0 INT, F INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t2', FORMAT='JSON');",
        "CREATE TABLE T3 (ID INT PRIMARY KEY, V0 INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t3', FORMAT='JSON');",
        "CREATE TABLE T4 (ID BIGINT PRIMARY KEY, V0 INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t4', FORMAT='JSON');",
        "CREATE TABLE P (ID INT PRIMARY KEY, V0 INT) "
        "WITH (KAFKA_TOPIC='p', FORMAT='JSON', PARTITIONS=2);",
    ):
        runtime.run(statement)
    return runtime


def attempt(runtime: SmallRuntime, sql: str) -> None:
    """Plan a transient SELECT, or run a persistent statement."""
    if sql.startswith("SELECT"):
        node = parse_one(sql)
        assert isinstance(node, KsqlSelect)
        plan_select(runtime.metastore, node, sql)
    else:
        runtime.run(sql)


def refusal(runtime: SmallRuntime, sql: str) -> str:
    with pytest.raises(KsqlStatementError) as caught:
        attempt(runtime, sql)
    return caught.value.message


def test_the_first_viable_key_the_projection_selects_names_the_key(runtime: SmallRuntime) -> None:
    # Columns whose name more than one source has are named ALIAS_COLUMN.
    runtime.run(
        "CREATE STREAM O AS SELECT T3.ID, S1.V0, K FROM S1 JOIN T2 ON S1.ID = T2.ID "
        "JOIN T3 ON S1.ID = T3.ID;"
    )
    assert runtime.schema("O") == "T3_ID INTEGER KEY, S1_V0 INTEGER, K INTEGER"


def test_select_star_qualifies_every_column_and_keeps_other_join_keys(
    runtime: SmallRuntime,
) -> None:
    runtime.run("CREATE STREAM O AS SELECT * FROM S1 JOIN T2 ON S1.ID = T2.ID;")
    assert runtime.schema("O") == (
        "S1_ID INTEGER KEY, S1_K INTEGER, S1_V0 INTEGER, T2_ID INTEGER, T2_V0 INTEGER, T2_F INTEGER"
    )


def test_a_full_outer_join_is_keyed_by_a_synthetic_rowkey(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE O AS SELECT ROWKEY AS ID, T2.V0, T3.V0 AS W FROM T2 FULL OUTER JOIN T3 "
        "ON T2.ID = T3.ID;"
    )
    assert runtime.schema("O") == "ID INTEGER KEY, T2_V0 INTEGER, W INTEGER"
    message = refusal(
        runtime,
        "CREATE TABLE O2 AS SELECT T2.V0 FROM T2 FULL OUTER JOIN T3 ON T2.ID = T3.ID;",
    )
    assert "must include the join expression ROWKEY in its projection" in message
    assert "ROWKEY was added as a synthetic key column" in message


def test_a_missing_key_lists_every_viable_key(runtime: SmallRuntime) -> None:
    message = refusal(
        runtime,
        "CREATE STREAM O AS SELECT S1.V0 FROM S1 JOIN T2 ON S1.ID = T2.ID "
        "JOIN T3 ON T2.ID = T3.ID;",
    )
    assert message.endswith(
        "must include the join expressions S1.ID, T2.ID or T3.ID in its projection "
        "(eg, SELECT S1.ID...)."
    )


def test_a_key_selected_twice_is_refused(runtime: SmallRuntime) -> None:
    message = refusal(
        runtime, "CREATE STREAM O AS SELECT S1.ID, S1.ID AS K2 FROM S1 JOIN T2 ON S1.ID = T2.ID;"
    )
    assert message.startswith(
        "The projection contains a key column (`S1_ID`) more than once, aliased as: K2 and S1_ID."
    )


def test_a_foreign_key_join_is_keyed_by_the_left_table(runtime: SmallRuntime) -> None:
    runtime.run("CREATE TABLE O AS SELECT T2.ID AS ID, F, T3.V0 FROM T2 JOIN T3 ON T2.F = T3.ID;")
    assert runtime.schema("O") == "ID INTEGER KEY, F INTEGER, T3_V0 INTEGER"
    message = refusal(runtime, "CREATE TABLE O2 AS SELECT T3.V0 FROM T2 JOIN T3 ON T2.F = T3.ID;")
    assert message == (
        "Primary key column missing in projection. For foreign-key table-table joins, the "
        "projection must include all primary key columns from the left input table (`T2`). "
        "Missing column: `ID`."
    )


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "SELECT * FROM T2 JOIN S1 ON T2.ID = S1.ID EMIT CHANGES;",
            "Invalid join order: table-stream joins are not supported; only stream-table joins. "
            "Got T2 [INNER] JOIN S1.",
        ),
        (
            "SELECT * FROM S1 FULL OUTER JOIN T2 ON S1.ID = T2.ID EMIT CHANGES;",
            "Invalid join type: full-outer join not supported for stream-table join. "
            "Got S1 [FULL] OUTER JOIN T2.",
        ),
        (
            "SELECT * FROM S1 JOIN T2 ON S1.ID = T2.V0 EMIT CHANGES;",
            "Invalid join condition: stream-table joins require to join on the table's primary "
            "key. Got S1.ID = T2.V0.",
        ),
        (
            "SELECT * FROM T2 JOIN T3 ON T2.ID = T3.V0 EMIT CHANGES;",
            "Invalid join condition: table-table joins require to join on the primary key of the "
            "right input table. Got T2.ID = T3.V0.",
        ),
        (
            "SELECT * FROM T2 JOIN T4 ON T2.ID = T4.ID EMIT CHANGES;",
            "Invalid join condition: types don't match. Got T2.ID{INTEGER} = T4.ID{BIGINT}.",
        ),
        (
            "SELECT * FROM T2 FULL OUTER JOIN T3 ON T2.F = T3.ID EMIT CHANGES;",
            "Invalid join type: full-outer join not supported for foreign-key table-table join. "
            "Got T2 [FULL] OUTER JOIN T3.",
        ),
        (
            "SELECT * FROM T2 RIGHT JOIN T3 ON T2.F = T3.ID EMIT CHANGES;",
            "RIGHT OUTER JOIN on a foreign key is not supported",
        ),
        (
            "SELECT * FROM T2 JOIN T3 ON T2.ID = T3.ID JOIN T4 ON T3.V0 = T4.ID EMIT CHANGES;",
            "Invalid join condition: foreign-key table-table joins are not supported as part of "
            "n-way joins. Got T3.V0 = T4.ID.",
        ),
        (
            "SELECT * FROM S1 JOIN S2 ON S1.ID = S2.ID EMIT CHANGES;",
            "Stream-Stream joins must have a WITHIN clause specified. None was provided.",
        ),
        (
            "SELECT * FROM S1 JOIN T2 WITHIN 1 SECOND ON S1.ID = T2.ID EMIT CHANGES;",
            "A window definition was provided for a Stream-Table join.",
        ),
        (
            "SELECT * FROM S1 JOIN T2 ON S1.ID = 0 EMIT CHANGES;",
            "Invalid comparison expression '0' in join '(S1.ID = 0)'. Each side of the join "
            "comparision must contain references from exactly one source.",
        ),
        (
            "SELECT * FROM S1 JOIN T2 ON S1.ID = NULL EMIT CHANGES;",
            "Invalid comparison expression 'null' in join '(S1.ID = null)'.",
        ),
        (
            "SELECT * FROM S1 JOIN T2 ON S1.ID = S1.K EMIT CHANGES;",
            "Each side of the join must reference exactly one source and not the same source. "
            "Left side references `S1` and right references `S1`",
        ),
        (
            "SELECT * FROM S1 JOIN T2 ON S1.ID = T2.ID JOIN T3 ON S1.ID = T2.ID EMIT CHANGES;",
            "A join criteria is expected to reference the source (`T3`) in the FROM clause, "
            "instead the right source references `T2` and the left source references `S1`",
        ),
        (
            "SELECT * FROM S1 JOIN T2 ON S1.ID = T2.ID AND S1.K = T2.ID EMIT CHANGES;",
            "Invalid join condition: joins on multiple conditions are not yet supported. "
            "Got ((S1.ID = T2.ID) AND (S1.K = T2.ID)).",
        ),
        (
            "SELECT * FROM S1 JOIN T2 ON S1.ID = T2.ID JOIN T2 ON S1.K = T2.ID EMIT CHANGES;",
            "N-way joins do not support multiple occurrences of the same source. Source: 'T2'.",
        ),
        (
            "SELECT * FROM S1 JOIN S1 WITHIN 1 SECOND ON S1.ID = S1.ID EMIT CHANGES;",
            "Can not join 'S1' to 'S1': self joins are not yet supported.",
        ),
        (
            "SELECT * FROM S1 JOIN T2 ON S1.NOPE = T2.ID EMIT CHANGES;",
            "Line: 1, Col: 29: JOIN ON column 'S1.NOPE' cannot be resolved.",
        ),
        (
            "SELECT * FROM S1 JOIN T2 ON S1.ID = NOPE.ID EMIT CHANGES;",
            "Failed to prepare statement: 'NOPE' is not a valid stream/table name or alias.",
        ),
        (
            "SELECT * FROM T2 JOIN T3 ON T2.ID = T3.ID JOIN T4 ON T2.V0 + 1 = T4.ID EMIT CHANGES;",
            "Invalid join condition: foreign-key table-table joins are not supported",
        ),
    ],
)
def test_refused_joins_have_ksqldb_messages(runtime: SmallRuntime, sql: str, message: str) -> None:
    assert refusal(runtime, sql).startswith(message)


def test_inputs_must_be_co_partitioned_unless_on_a_foreign_key(runtime: SmallRuntime) -> None:
    message = refusal(
        runtime, "CREATE TABLE O AS SELECT T2.ID, P.V0 FROM T2 JOIN P ON T2.ID = P.ID;"
    )
    assert message == (
        "Can't join `T2` with `P` since the number of partitions don't match. `T2` partitions "
        "= 1; `P` partitions = 2. Please repartition either one so that the number of "
        "partitions match."
    )
    runtime.run("CREATE TABLE O AS SELECT T2.ID AS ID, P.V0 AS V FROM T2 JOIN P ON T2.F = P.ID;")
    assert runtime.schema("O") == "ID INTEGER KEY, V INTEGER"


def test_windowed_and_unwindowed_sources_do_not_join(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE STREAM W (ID INT KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='w', FORMAT='JSON', "
        "WINDOW_TYPE='TUMBLING', WINDOW_SIZE='1 SECOND');"
    )
    assert refusal(runtime, "SELECT * FROM W JOIN T2 ON W.ID = T2.ID EMIT CHANGES;") == (
        "Can not join windowed source to non-windowed source.\n`W` is TUMBLING windowed\n"
        "`T2` is not windowed"
    )


def test_a_repartition_on_a_map_is_refused(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE STREAM M (ID INT KEY, L MAP<STRING, INT>) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='m', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM N (ID INT KEY, R MAP<STRING, INT>) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='n', FORMAT='JSON');"
    )
    message = refusal(runtime, "SELECT * FROM M JOIN N WITHIN 1 SECOND ON M.L = N.R EMIT CHANGES;")
    assert "Key column name: `M_L`. Column type: MAP<STRING, INTEGER>." in message


def test_projection_errors_are_worded_as_ksqldb_words_them(runtime: SmallRuntime) -> None:
    assert refusal(
        runtime, "CREATE STREAM O AS SELECT S1.ID, NOPE FROM S1 JOIN T2 ON S1.ID = T2.ID;"
    ) == ("Line: 1, Col: 34: SELECT column 'NOPE' cannot be resolved.")
    assert refusal(
        runtime,
        "CREATE STREAM O AS SELECT S1.ID, S1.ROWTIME AS ROWTIME FROM S1 JOIN T2 ON S1.ID = T2.ID;",
    ) == ("Reserved column name in select: `ROWTIME`. Please remove or alias the column.")


def test_select_star_of_windowed_sources_includes_their_window_bounds(
    runtime: SmallRuntime,
) -> None:
    for name in ("X", "Y"):
        runtime.run(
            f"CREATE STREAM {name} (K INT KEY, V INT) "
            "WITH (PARTITIONS=1, KAFKA_TOPIC='{name.lower()}', "
            "FORMAT='JSON', WINDOW_TYPE='TUMBLING', WINDOW_SIZE='2 SECONDS');"
        )
    runtime.run("CREATE STREAM O AS SELECT * FROM X JOIN Y WITHIN 1 MINUTE ON X.K = Y.K;")
    assert runtime.schema("O") == (
        "X_K INTEGER KEY, X_WINDOWSTART BIGINT, X_WINDOWEND BIGINT, X_V INTEGER, Y_K INTEGER, "
        "Y_WINDOWSTART BIGINT, Y_WINDOWEND BIGINT, Y_V INTEGER"
    )


def test_select_star_of_a_join_includes_each_sides_header_columns(runtime: SmallRuntime) -> None:
    for name, header in (("HL", "abc"), ("HR", "def")):
        runtime.run(
            f"CREATE STREAM {name} (A INT KEY, B INT, C BYTES HEADER('{header}')) "
            f"WITH (PARTITIONS=1, KAFKA_TOPIC='{name.lower()}', VALUE_FORMAT='JSON');"
        )
    runtime.run("CREATE STREAM O AS SELECT * FROM HL JOIN HR WITHIN 10 SECONDS ON HL.A = HR.A;")
    assert runtime.schema("O") == (
        "HL_A INTEGER KEY, HL_B INTEGER, HL_C BYTES, HR_A INTEGER, HR_B INTEGER, HR_C BYTES"
    )
    runtime.log.append(
        "hl", b"\x00\x00\x00\x07", b'{"B":1}', timestamp=10, headers=(("abc", b"!"),)
    )
    runtime.log.append(
        "hr", b"\x00\x00\x00\x07", b'{"B":2}', timestamp=11, headers=(("def", b"#"),)
    )
    runtime.pump()
    assert runtime.records("O") == [([7], [1, b"!", 7, 2, b"#"])]
