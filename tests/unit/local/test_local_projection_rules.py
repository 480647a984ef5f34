"""How a query's projection becomes its result's columns, as ksqlDB's planner decides: which
GROUP BY expressions must be selected (once each), ``*`` and ``base->*`` expanded, the names
ksqlDB generates for unaliased expressions, and the sources it refuses to group."""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.functions.string import _substring
from ksqlpy.local.engine.runtime import Session


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM ORDERS (SHOP INT KEY, ITEM STRING, QTY INT, "
        "DETAIL STRUCT<COLOUR STRING, `size cm` INT, QTY INT>) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='orders', FORMAT='JSON');"
    )
    runtime.run(
        "INSERT INTO ORDERS (ROWTIME, SHOP, ITEM, QTY, DETAIL) "
        "VALUES (1, 7, 'kettle', 2, STRUCT(COLOUR := 'red', `size cm` := 20, QTY := 9));"
    )
    return runtime


def _refusal(runtime: SmallRuntime, sql: str) -> str:
    with pytest.raises(KsqlStatementError) as caught:
        runtime.run(sql)
    return caught.value.message


# -- GROUP BY keys ------------------------------------------------------------------------------


def test_a_grouping_expression_missing_from_the_projection_is_named(runtime: SmallRuntime) -> None:
    message = _refusal(
        runtime, "CREATE TABLE T AS SELECT COUNT(*) AS ITEM FROM ORDERS GROUP BY item;"
    )
    assert message == (
        "Key missing from projection (ie, SELECT). \nThe query used to build `T` must include "
        "the grouping expression ITEM in its projection (eg, SELECT ITEM...)."
    )


def test_every_missing_grouping_expression_is_named(runtime: SmallRuntime) -> None:
    message = _refusal(
        runtime, "CREATE TABLE T AS SELECT SUM(QTY) FROM ORDERS GROUP BY SHOP, ITEM, QTY * 2;"
    )
    assert "Keys missing from projection" in message
    assert "the grouping expressions SHOP, ITEM and (QTY * 2) in its projection" in message
    assert "(eg, SELECT SHOP, ITEM, (QTY * 2)...)" in message


def test_a_grouping_expression_selected_twice_is_refused_before_the_key_format(
    runtime: SmallRuntime,
) -> None:
    message = _refusal(
        runtime,
        "CREATE TABLE T WITH (KEY_FORMAT='KAFKA') AS "
        "SELECT ITEM AS A, ITEM AS B, COUNT(*) FROM ORDERS GROUP BY ITEM;",
    )
    assert message.startswith("The projection contains a key column more than once: `A` and `B`.")


def test_a_parenthesised_selection_matches_its_grouping_expression(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE T AS SELECT (QTY + SHOP) AS TOTAL, MAX(QTY + SHOP) AS TOP "
        "FROM ORDERS GROUP BY QTY + SHOP;"
    )
    assert runtime.schema("T") == "TOTAL INTEGER KEY, TOP INTEGER"
    assert runtime.records("T") == [([9], [9])]


def test_a_repeated_grouping_expression_is_refused_as_written_with_its_source(
    runtime: SmallRuntime,
) -> None:
    message = _refusal(
        runtime, "CREATE TABLE T AS SELECT ITEM, COUNT(*) FROM ORDERS GROUP BY item, ORDERS.ITEM;"
    )
    assert message == "Duplicate GROUP BY expression: ORDERS.ITEM"


def test_a_table_needs_a_group_by_to_aggregate(runtime: SmallRuntime) -> None:
    message = _refusal(runtime, "CREATE TABLE T AS SELECT COUNT(*), MAX(QTY) FROM ORDERS;")
    assert message == (
        "CREATE TABLE AS SELECT statement does not support aggregate function "
        "[COUNT(ROWTIME), MAX(QTY)] without a GROUP BY clause."
    )


def test_star_in_an_aggregation_selects_every_column_when_all_are_grouped(
    runtime: SmallRuntime,
) -> None:
    runtime.run(
        "CREATE STREAM PAIRS (A INT KEY, B STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='pairs', FORMAT='JSON');"
    )
    runtime.run("INSERT INTO PAIRS (A, B) VALUES (1, 'x');")
    runtime.run("CREATE TABLE T AS SELECT *, COUNT(*) FROM PAIRS GROUP BY B, A;")
    assert runtime.schema("T") == "B STRING KEY, A INTEGER KEY, KSQL_COL_0 BIGINT"
    assert runtime.records("T") == [(["x", 1], [1])]


def test_star_in_an_aggregation_names_the_columns_left_ungrouped(runtime: SmallRuntime) -> None:
    message = _refusal(runtime, "CREATE TABLE T AS SELECT *, COUNT(*) FROM ORDERS GROUP BY SHOP;")
    assert message.startswith(
        "Non-aggregate SELECT expression(s) not part of GROUP BY: ITEM, QTY, DETAIL"
    )


def test_kafka_formatted_values_cannot_be_grouped() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM RAW (K STRING KEY, V STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='raw', VALUE_FORMAT='KAFKA', KEY_FORMAT='KAFKA');"
    )
    message = _refusal(
        runtime,
        "CREATE TABLE T WITH (VALUE_FORMAT='JSON') AS SELECT V, COUNT(*) FROM RAW R GROUP BY V;",
    )
    assert message.startswith(
        "Source(s) R are using the 'KAFKA' value format. This format does not yet support GROUP BY."
    )


# -- struct fields as columns -------------------------------------------------------------------


def test_struct_all_makes_a_column_of_each_field(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM T AS SELECT SHOP, DETAIL->* FROM ORDERS;")
    assert runtime.schema("T") == "SHOP INTEGER KEY, COLOUR STRING, size cm INTEGER, QTY INTEGER"
    assert runtime.rows("T") == [[7, "red", 20, 9]]


def test_struct_all_fields_can_clash_with_selected_columns(runtime: SmallRuntime) -> None:
    message = _refusal(runtime, "CREATE STREAM T AS SELECT SHOP, QTY, DETAIL->* FROM ORDERS;")
    assert message.startswith("Duplicate value columns found in schema: `QTY`")


def test_struct_all_of_a_nested_struct_reads_the_innermost_fields() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM DEEP (ID INT KEY, OUTER_S STRUCT<INNER_S STRUCT<X INT, Y STRING>>) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='deep', FORMAT='JSON');"
    )
    runtime.run(
        "INSERT INTO DEEP (ID, OUTER_S) VALUES (3, STRUCT(INNER_S := STRUCT(X := 4, Y := 'y')));"
    )
    runtime.run("CREATE STREAM T AS SELECT ID, OUTER_S->INNER_S->* FROM DEEP;")
    assert runtime.schema("T") == "ID INTEGER KEY, X INTEGER, Y STRING"
    assert runtime.rows("T") == [[3, 4, "y"]]


def test_struct_all_can_feed_an_existing_stream(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE STREAM FLAT (SHOP INT KEY, COLOUR STRING, `size cm` INT, QTY INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='flat', FORMAT='JSON');"
    )
    runtime.run("INSERT INTO FLAT SELECT SHOP, DETAIL->* FROM ORDERS;")
    assert runtime.rows("FLAT") == [[7, "red", 20, 9]]


# -- generated names ----------------------------------------------------------------------------


def test_a_struct_field_clashing_with_a_column_is_numbered(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM T AS SELECT SHOP, QTY, DETAIL->QTY, DETAIL->QTY + 0 FROM ORDERS;")
    assert runtime.schema("T") == "SHOP INTEGER KEY, QTY INTEGER, QTY_1 INTEGER, KSQL_COL_0 INTEGER"


def test_generated_names_skip_those_the_source_uses() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM G (KSQL_COL_1 INT KEY, KSQL_COL_0 INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='g', FORMAT='JSON');"
    )
    runtime.run("CREATE STREAM T AS SELECT KSQL_COL_1, ABS(KSQL_COL_0), KSQL_COL_0 * 2 FROM G;")
    assert runtime.schema("T") == "KSQL_COL_1 INTEGER KEY, KSQL_COL_2 INTEGER, KSQL_COL_3 INTEGER"


# -- functions the projections above lean on ----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "length", "expected"),
    [(0, 3, "ket"), (1, 3, "ket"), (-3, 2, "tl"), (10, 2, ""), (-10, 2, "ke")],
)
def test_substring_reads_position_zero_as_the_first_character(
    start: int, length: int, expected: str
) -> None:
    assert _substring("kettle", start, length) == expected


def test_struct_all_works_in_a_join(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE SHOPS (ID INT PRIMARY KEY, INFO STRUCT<CITY STRING, STAFF INT>) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='shops', FORMAT='JSON');"
    )
    runtime.run(
        "INSERT INTO SHOPS (ROWTIME, ID, INFO) VALUES (0, 7, STRUCT(CITY := 'Oslo', STAFF := 3));"
    )
    runtime.run(
        "CREATE STREAM T AS SELECT O.SHOP, S.INFO->*, O.QTY * 2 "
        "FROM ORDERS O JOIN SHOPS S ON O.SHOP = S.ID;"
    )
    assert runtime.schema("T") == "SHOP INTEGER KEY, CITY STRING, STAFF INTEGER, KSQL_COL_0 INTEGER"
    assert runtime.rows("T") == [[7, "Oslo", 3, 4]]


# -- window bounds ------------------------------------------------------------------------------


def test_a_window_bound_may_be_qualified_by_its_source(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE T AS SELECT SHOP, ORDERS.WINDOWSTART + 1 AS AFTER, COUNT(*) AS N "
        "FROM ORDERS WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY SHOP;"
    )
    assert runtime.records("T") == [([7, 0, 10000], [1, 1])]


def test_an_unqualified_window_bound_over_a_join_is_unresolved(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE SHOPS (ID INT PRIMARY KEY, CITY STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='shops', FORMAT='JSON');"
    )
    message = _refusal(
        runtime,
        "CREATE TABLE T AS SELECT S.CITY, COUNT(*) AS N, WINDOWEND AS UNTIL "
        "FROM ORDERS O JOIN SHOPS S ON O.SHOP = S.ID "
        "WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY S.CITY;",
    )
    assert message == "SELECT column 'WINDOWEND' cannot be resolved."


# -- key column order ---------------------------------------------------------------------------


def _two_keys() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM PEOPLE (ID INT KEY, AGE INT KEY, NAME STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='people', FORMAT='JSON');"
    )
    runtime.run("INSERT INTO PEOPLE (ID, AGE, NAME) VALUES (1, 30, 'ann');")
    return runtime


def test_selected_key_columns_keep_the_source_order() -> None:
    runtime = _two_keys()
    runtime.run("CREATE STREAM T AS SELECT NAME, AGE, ID FROM PEOPLE;")
    assert runtime.schema("T") == "ID INTEGER KEY, AGE INTEGER KEY, NAME STRING"
    assert runtime.records("T") == [([1, 30], ["ann"])]


def test_the_new_planner_keeps_key_columns_in_projection_order() -> None:
    runtime = _two_keys()
    session = Session({"ksql.new.query.planner.enabled": "true"}, {})
    runtime.run("CREATE STREAM T AS SELECT NAME, AGE, ID FROM PEOPLE;", session)
    assert runtime.schema("T") == "AGE INTEGER KEY, ID INTEGER KEY, NAME STRING"
    assert runtime.records("T") == [([30, 1], ["ann"])]


def test_the_new_planner_drops_key_columns_left_unselected() -> None:
    runtime = _two_keys()
    session = Session({"ksql.new.query.planner.enabled": "true"}, {})
    runtime.run("CREATE STREAM T AS SELECT NAME FROM PEOPLE;", session)
    assert runtime.schema("T") == "NAME STRING"
    assert runtime.records("T") == [([], ["ann"])]
    message = _refusal(runtime, "CREATE STREAM U AS SELECT NAME FROM PEOPLE;")
    assert message.startswith("Keys missing from projection (ie, SELECT).")


def test_star_after_partitioning_a_join_lays_each_source_out_as_ksqldb_does() -> None:
    runtime = SmallRuntime()
    for name, columns in (("LEFT_S", "K INT KEY, P INT"), ("RIGHT_S", "J INT KEY, Q INT")):
        runtime.run(
            f"CREATE STREAM {name} ({columns}) "
            f"WITH (PARTITIONS=1, KAFKA_TOPIC='{name.lower()}', FORMAT='JSON');"
        )
    runtime.run(
        "CREATE STREAM T AS SELECT * FROM LEFT_S L JOIN RIGHT_S R WITHIN 1 MINUTE "
        "ON L.K = R.J PARTITION BY R.Q;"
    )
    assert runtime.schema("T") == (
        "R_Q INTEGER KEY, L_P INTEGER, L_ROWTIME BIGINT, L_ROWPARTITION INTEGER, "
        "L_ROWOFFSET BIGINT, L_K INTEGER, R_ROWTIME BIGINT, R_ROWPARTITION INTEGER, "
        "R_ROWOFFSET BIGINT, R_J INTEGER"
    )


def test_an_unknown_column_inside_an_aggregate_in_where_is_reported_first(
    runtime: SmallRuntime,
) -> None:
    message = _refusal(
        runtime,
        "CREATE TABLE T AS SELECT SHOP, COUNT(*) AS N FROM ORDERS "
        "WINDOW TUMBLING (SIZE 1 MINUTE) WHERE MAX(WINDOWSTART) > 0 GROUP BY SHOP;",
    )
    assert message == "Error in WHERE expression: Unknown column WINDOWSTART."


# -- the statement quoted in a sink format's refusal ----------------------------------------------


def test_a_sink_format_refusal_quotes_the_sanitized_statement(runtime: SmallRuntime) -> None:
    message = _refusal(
        runtime,
        "CREATE TABLE T WITH (KEY_FORMAT='KAFKA') AS SELECT shop, item, qty * 2, "
        "COUNT(*) FROM ORDERS o WHERE qty > 1 GROUP BY shop, item, qty * 2;",
    )
    assert message.startswith("Key format does not support schema.\nformat: KAFKA\n")
    assert message.endswith(
        "\nStatement: CREATE TABLE T WITH (KEY_FORMAT='KAFKA') AS SELECT\n"
        "  O.SHOP SHOP,\n  O.ITEM ITEM,\n  (O.QTY * 2) KSQL_COL_0,\n  COUNT(*) KSQL_COL_1\n"
        "FROM ORDERS O\nWHERE (O.QTY > 1)\nGROUP BY O.SHOP, O.ITEM, (O.QTY * 2)\nEMIT CHANGES"
    )


def test_kafka_formatted_values_cannot_be_joined(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE RAW (K INT PRIMARY KEY, V STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='raw', VALUE_FORMAT='KAFKA', KEY_FORMAT='KAFKA');"
    )
    message = _refusal(
        runtime,
        "CREATE STREAM T WITH (VALUE_FORMAT='JSON') AS SELECT O.SHOP, R.V "
        "FROM ORDERS O JOIN RAW R ON O.SHOP = R.K;",
    )
    assert message.startswith(
        "Source(s) R are using the 'KAFKA' value format. This format does not yet support JOIN."
    )
