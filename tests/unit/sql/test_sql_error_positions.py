"""Where parse errors and parsed nodes are located, and ksqlDB's parser's wording of the error."""

from __future__ import annotations

import pytest

from ksqlpy.sql import KsqlSyntaxError, location, parse_one


def _error(sql: str, line: int = 1, column: int = 1) -> KsqlSyntaxError:
    with pytest.raises(KsqlSyntaxError) as caught:
        parse_one(sql, line=line, column=column)
    return caught.value


@pytest.mark.parametrize(
    ("sql", "column", "near", "ksqldb"),
    [
        # The first type parameter that is neither a number nor STRING.
        ("CREATE TABLE t (v VARCHAR (PRIMARY)) WITH (kafka_topic='t');", 28, "PRIMARY",
         "Expecting {'STRING', INTEGER_VALUE}"),
        ("CREATE STREAM s (d DECIMAL(4, x)) WITH (kafka_topic='s');", 31, "x",
         "Expecting {'STRING', INTEGER_VALUE}"),
        # A complete column followed by something else than ',' or ')'.
        ("CREATE STREAM s (a INT(STRING) (KEY)) WITH (kafka_topic='s');", 32, "(",
         "Expecting {',', ')'}"),
        # Alternatives of a rule that none fits: ksqlDB's "Syntax error at or near".
        ("ASSERT NOTHING x;", 8, "NOTHING", "Syntax error at or near 'NOTHING' at line 1:8"),
        ("SELECT CAST(a AS NULL) FROM s EMIT CHANGES;", 18, "NULL",
         "Syntax error at or near 'NULL' at line 1:18"),
        # A tuple: ANTLR reads `(b` as a bracketed expression and misses ')' at the ','.
        ("SELECT x, (a, b) FROM s EMIT CHANGES;", 13, ",", "missing ')' at ','"),
    ],
)  # fmt: skip
def test_errors_sit_at_the_token_ksqldb_names_with_its_detail(
    sql: str, column: int, near: str, ksqldb: str
) -> None:
    error = _error(sql)
    assert (error.line, error.column, error.near, error.ksqldb) == (1, column, near, ksqldb)
    assert error.snippet.splitlines()[1].index("^") == column - 1


def test_nested_struct_and_map_types_are_not_type_parameters() -> None:
    tree = parse_one(
        "CREATE STREAM s (m MAP<STRING, STRUCT<a DECIMAL(3, 1), b INT>>, v VARCHAR(STRING))"
        " WITH (kafka_topic='s');"
    )
    assert tree is not None


def test_errors_of_a_statement_cut_from_a_script_count_from_the_script() -> None:
    # The statement starts at line 4, column 3: only its first line is shifted sideways.
    first_line = _error("ASSERT NOTHING x;", line=4, column=3)
    assert (first_line.line, first_line.column) == (4, 10)
    assert first_line.ksqldb == "Syntax error at or near 'NOTHING' at line 4:10"
    later_line = _error("SELECT a,\n  CAST(a AS NULL) FROM s EMIT CHANGES;", line=4, column=3)
    assert (later_line.line, later_line.column) == (5, 13)


def test_nodes_know_where_they_start_in_the_script() -> None:
    tree = parse_one("SELECT s.a, 42\n  , b FROM s EMIT CHANGES;", line=2, column=5)
    assert [location(e) for e in tree.expressions] == [(2, 12), (2, 17), (3, 5)]


def test_a_node_without_tokens_of_its_own_has_no_location() -> None:
    tree = parse_one("SHOW STREAMS;")
    assert location(tree) is None
