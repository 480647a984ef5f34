"""substitute(): ksqlDB's ${name} rules, escapes, and values that cannot change the statement."""

from __future__ import annotations

import pytest

from ksqlpy.sql import KsqlSyntaxError, parse_one, substitute
from ksqlpy.sql import _nodes as n


def test_identifiers_literals_and_strings_are_substituted() -> None:
    text = "CREATE STREAM ${name} WITH (kafka_topic='${topic}', partitions=${parts});"
    out = substitute(text, {"name": "orders", "topic": "orders_v1", "parts": "3"})
    assert out == "CREATE STREAM orders WITH (kafka_topic='orders_v1', partitions=3);"


def test_names_are_case_insensitive() -> None:
    assert substitute("SELECT * FROM ${Src};", {"SRC": "s"}) == "SELECT * FROM s;"


def test_undefined_variable_is_a_located_error() -> None:
    with pytest.raises(KsqlSyntaxError) as caught:
        substitute("SHOW STREAMS;\nSELECT * FROM ${missing};", {})
    assert (caught.value.line, caught.value.column) == (2, 15)
    assert "undefined variable 'missing'" in str(caught.value)


def test_disabled_substitution_returns_the_text_unchanged() -> None:
    text = "SELECT * FROM ${missing};"
    assert substitute(text, {}, enabled=False) == text


def test_double_dollar_escapes_a_reference() -> None:
    assert substitute("SELECT '$${x}', ${x} FROM s;", {"x": "a"}) == "SELECT '${x}', a FROM s;"


def test_comments_and_quoted_identifiers_are_left_alone() -> None:
    text = "SELECT `${x}` -- ${y}\nFROM s /* ${z} */;"
    assert substitute(text, {}) == text


def test_a_value_cannot_break_out_of_a_string_literal() -> None:
    out = substitute("SELECT * FROM s WHERE k = '${v}';", {"v": "x'; DROP STREAM s; --"})
    tree = parse_one(out)
    assert tree.args["where"].this.expression.name == "x'; DROP STREAM s; --"


@pytest.mark.parametrize(
    "value", ["x; DROP STREAM s", "1 OR 1=1", "a b", "'open", "s -- c", "`x` y", ""]
)
def test_a_value_that_is_not_one_identifier_or_literal_is_refused(value: str) -> None:
    with pytest.raises(KsqlSyntaxError, match="neither an identifier nor a literal"):
        substitute("SELECT * FROM ${v};", {"v": value})


@pytest.mark.parametrize("value", ["orders", "`My Stream`", "'text'", "-1.5", "TRUE", "2E3"])
def test_identifier_and_literal_values_are_accepted(value: str) -> None:
    assert substitute("SELECT ${v} FROM s;", {"v": value}) == f"SELECT {value} FROM s;"


def test_unsubstituted_references_still_parse_as_variables() -> None:
    tree = parse_one("SELECT * FROM ${src} WHERE a = ${v}")
    assert {v.name for v in tree.find_all(n.KsqlVariable)} == {"src", "v"}
