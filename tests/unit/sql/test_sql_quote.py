"""quote_literal / quote_identifier: whatever the input, one token with exactly that value."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlglot import exp

from ksqlpy.sql import parse, quote_identifier, quote_literal, split

HOSTILE = [
    "'",
    "''",
    "x'; DROP STREAM s; --",
    "' OR '1'='1",
    "\\'; SHOW STREAMS; --",
    "`",
    "``; DROP TABLE t",
    '"',
    "a;b",
    "/* ",
    "*/",
    "-- comment",
    "${var}",
    "line\nbreak\r\n",
    "nul\x00char",
    "emoji \U0001f600 and ümlaut",
    " ",
]


def _where_value(sql: str) -> exp.Expr:
    (tree,) = parse(sql)
    return tree.args["where"].this.expression


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_stay_one_literal(value: str) -> None:
    sql = f"SELECT * FROM s WHERE a = {quote_literal(value)};"
    assert len(split(sql)) == 1
    literal = _where_value(sql)
    assert isinstance(literal, exp.Literal)
    assert literal.is_string
    assert literal.name == value


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_one_identifier(name: str) -> None:
    sql = f"SELECT {quote_identifier(name)} FROM {quote_identifier(name)};"
    assert len(split(sql)) == 1
    (tree,) = parse(sql)
    column = tree.expressions[0]
    assert isinstance(column, exp.Column)
    assert column.this.quoted
    assert column.name == name
    assert tree.args["from_"].this.name == name


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_any_string_round_trips_through_a_literal(value: str) -> None:
    assert _where_value(f"SELECT * FROM s WHERE a = {quote_literal(value)}").name == value


@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1))
def test_any_name_round_trips_through_an_identifier(name: str) -> None:
    (tree,) = parse(f"SELECT {quote_identifier(name)} FROM s")
    assert tree.expressions[0].name == name


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "NULL"),
        (True, "TRUE"),
        (False, "FALSE"),
        (42, "42"),
        (-7, "-7"),
        (1.5, "1.5"),
        (Decimal("12.340"), "12.340"),
        ("it's", "'it''s'"),
    ],
)
def test_python_values_become_ksql_literals(value: object, text: str) -> None:
    assert quote_literal(value) == text  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [math.nan, math.inf, Decimal("NaN")])
def test_non_finite_numbers_are_refused(value: float | Decimal) -> None:
    with pytest.raises(ValueError, match="no literal"):
        quote_literal(value)


def test_unsupported_types_and_empty_names_are_refused() -> None:
    with pytest.raises(TypeError):
        quote_literal(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        quote_identifier("")
