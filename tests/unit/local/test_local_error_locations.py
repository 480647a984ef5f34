"""ksqlDB's positions and words in the errors of a request: ``line L:C: Syntax Error`` for what its
parser refuses, ``Line: L, Col: C: `` before a statement error about a node (both count in the
request), and the errors of WHERE expressions."""

from __future__ import annotations

import pytest

from ksqlpy.local.engine import Engine
from ksqlpy.local.engine.errors import EngineError
from ksqlpy.local.storage import MemoryLog

A = "CREATE STREAM A (AK INT KEY, Q INT) WITH (kafka_topic='a', partitions=1, format='JSON');"
B = "CREATE STREAM B (BK INT KEY, Q INT) WITH (kafka_topic='b', partitions=1, format='JSON');"


def refusal(sql: str) -> str:
    with pytest.raises(EngineError) as caught:
        Engine(MemoryLog()).execute(sql, {}, {})
    return caught.value.message


def test_a_syntax_error_in_a_later_statement_names_its_line_of_the_request() -> None:
    message = refusal(f"{A}\nCREATE STREAM BAD AS SELECT CAST(Q AS NULL) FROM A;")
    assert message == (
        "line 2:39: Syntax Error\nSyntax error at or near 'NULL' at line 2:39\n"
        "Statement: CREATE STREAM BAD AS SELECT CAST(Q AS NULL) FROM A;"
    )


def test_a_multi_line_statement_shows_the_line_the_error_is_on() -> None:
    message = refusal(
        "CREATE STREAM S (\n  ID INT KEY,\n  V DOUBLE (KEY)\n) WITH (kafka_topic='s');"
    )
    assert message == (
        "line 3:13: Syntax Error\nExpecting {'STRING', INTEGER_VALUE}\nStatement:   V DOUBLE (KEY)"
    )


def test_ksqlpy_describes_errors_ksqldb_gives_no_detail_for() -> None:
    message = refusal("SHOW STREAMS;\nSELECT * FORM A;")
    head, _, rest = message.partition("\n\nStatement: SELECT * FORM A;\n")
    assert head == "line 2:10: Syntax Error"
    assert "at or near 'FORM'" in rest
    assert "^^^^" in rest


def test_run_script_is_an_unknown_statement_to_the_server() -> None:
    message = refusal("RUN SCRIPT '/tmp/setup.sql';")
    assert message.startswith("line 1:1: Syntax Error\nUnknown statement 'RUN'\nDid you mean ")


def test_a_key_column_of_a_table_is_located() -> None:
    message = refusal(
        "SHOW TOPICS;\nCREATE TABLE T (A INT, B INT KEY) WITH (kafka_topic='t', format='JSON');"
    )
    assert message.startswith("Line: 2, Col: 24: Column `B` is a 'KEY' column")


def test_an_unresolved_join_column_is_located() -> None:
    join = "CREATE STREAM J AS SELECT * FROM A X\n  JOIN B Y WITHIN 1 MINUTE ON X.NOPE = Y.BK;"
    assert refusal(f"{A}\n{B}\n{join}") == (
        "Line: 4, Col: 31: JOIN ON column 'X.NOPE' cannot be resolved."
    )


def test_an_ambiguous_column_is_located_and_found_while_preparing() -> None:
    join = "CREATE STREAM J AS SELECT X.AK, Q FROM A X JOIN B Y WITHIN 1 MINUTE ON X.AK = Y.BK;"
    assert refusal(f"{A}\n{B}\n{join}") == (
        "Exception while preparing statement: Line: 3, Col: 33: "
        "Column 'Q' is ambiguous. Could be X.Q or Y.Q."
    )


@pytest.mark.parametrize(
    ("number", "column", "refusal_text"),
    [
        ("99999999999999999999", 31, "Invalid numeric literal: 99999999999999999999"),
        ("-9223372036854775809", 31, "Invalid numeric literal: -9223372036854775809"),
        ("2.5E308", 31, "Number overflows DOUBLE: 2.5E308"),
        ("-3E400", 31, "Number overflows DOUBLE: -3E400"),
    ],
)
def test_numbers_out_of_range_fail_to_prepare_where_ksqldb_says(
    number: str, column: int, refusal_text: str
) -> None:
    # ksqlDB's column is one past the literal's first character (its sign, if any).
    message = refusal(f"{A}\nCREATE STREAM C AS SELECT AK, {number} FROM A;")
    assert message == f"Failed to prepare statement: line 2:{column + 1}: {refusal_text}"


# -- errors in WHERE, worded as ksqlDB's FilterTypeValidator wraps its type checker's -------------


def test_arithmetic_on_non_numbers_in_where_is_an_error_in_the_where_expression() -> None:
    message = refusal(f"{A}\nCREATE STREAM C AS SELECT * FROM A WHERE (Q > 1) + 2.50;")
    assert message == (
        "Error in WHERE expression: Error processing expression: ((Q > 1) + 2.50). "
        "Unsupported arithmetic types. BOOLEAN DECIMAL"
    )


def test_a_join_where_names_columns_as_the_joined_row_does() -> None:
    b_text = B.replace("Q INT", "Q STRING")
    join = (
        "CREATE STREAM J AS SELECT * FROM A X JOIN B Y WITHIN 1 MINUTE ON X.AK = Y.BK "
        "WHERE X.Q < Y.Q;"
    )
    assert refusal(f"{A}\n{b_text}\n{join}").startswith(
        "Error in WHERE expression: Cannot compare X_Q (INTEGER) to Y_Q (STRING) with LESS_THAN."
    )


def test_an_aggregate_in_where_is_refused_for_its_arguments_first() -> None:
    windowed = (
        "CREATE TABLE W AS SELECT AK, COUNT(*) FROM A WINDOW TUMBLING (SIZE 1 MINUTE) "
        "WHERE MAX(WINDOWSTART) > 0 GROUP BY AK;"
    )
    assert refusal(f"{A}\n{windowed}") == "Error in WHERE expression: Unknown column WINDOWSTART."


def test_a_pull_query_between_bounds_of_another_type_is_an_invalid_expression() -> None:
    engine = Engine(MemoryLog())
    engine.execute(
        "CREATE TABLE T (ID INT PRIMARY KEY, NAME STRING) "
        "WITH (kafka_topic='t', partitions=1, format='JSON');"
        "CREATE TABLE V AS SELECT * FROM T;",
        {},
        {},
    )
    with pytest.raises(EngineError) as caught:
        engine.open_query("SELECT * FROM V WHERE NAME BETWEEN 'a' AND 7;", {}, {})
    assert caught.value.message == (
        "Invalid expression: Cannot compare NAME (STRING) to 7 (INTEGER) with LESS_THAN_OR_EQUAL."
    )


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("CREATE STREAM C AS SELECT AK, NOPE FROM A;", "Line: 2, Col: 31: SELECT column 'NOPE'"),
        (
            "CREATE STREAM C AS SELECT * FROM A WHERE\n Q > NOPE;",
            "Line: 3, Col: 6: WHERE column 'NOPE'",
        ),
    ],
)
def test_an_unknown_column_is_located_with_the_clause_named(statement: str, message: str) -> None:
    assert refusal(f"{A}\n{statement}") == f"{message} cannot be resolved."


def test_a_window_without_group_by_is_located_at_its_kind() -> None:
    message = refusal(f"{A}\nCREATE STREAM C AS SELECT * FROM A WINDOW SESSION (5 MINUTES);")
    assert message == "Line: 2, Col: 43: WINDOW clause requires a GROUP BY clause."


def test_inserting_into_an_unknown_stream_is_found_while_preparing() -> None:
    # ksqlDB locates it 12 columns right of where the statement starts, whatever the spacing.
    message = refusal(f"{A}\n   INSERT  INTO  NOWHERE SELECT * FROM A;")
    assert message == (
        "Exception while preparing statement: Line: 2, Col: 16: Source `NOWHERE` does not exist."
    )
