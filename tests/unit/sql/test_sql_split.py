"""split(): statements with their exact text and position; tricky separators never split."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksqlpy.sql import KsqlSyntaxError, Statement, split


def texts(script: str) -> list[str]:
    return [s.text for s in split(script)]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("SET 'a'=';'; SHOW STREAMS;", ["SET 'a'=';'", "SHOW STREAMS"]),
        ("SELECT `a;b` FROM s;SHOW TOPICS;", ["SELECT `a;b` FROM s", "SHOW TOPICS"]),
        ('SELECT "x;y" FROM s; LIST STREAMS;', ['SELECT "x;y" FROM s', "LIST STREAMS"]),
        ("SHOW STREAMS -- a ; comment\n;", ["SHOW STREAMS"]),
        ("SHOW /* ; */ STREAMS;", ["SHOW /* ; */ STREAMS"]),
        ("SET 'it''s;x'='1';", ["SET 'it''s;x'='1'"]),
        (";;  ; SHOW STREAMS;;", ["SHOW STREAMS"]),
        ("", []),
        ("  -- only a comment\n", []),
    ],
)
def test_semicolons_inside_quotes_and_comments_do_not_split(
    script: str, expected: list[str]
) -> None:
    assert texts(script) == expected


def test_trailing_statement_without_semicolon_is_reported() -> None:
    statements = split("SHOW STREAMS;\nSHOW TABLES")
    assert [s.terminated for s in statements] == [True, False]
    assert statements[-1].text == "SHOW TABLES"


def test_positions_point_at_the_first_character() -> None:
    script = (
        "-- header\nCREATE STREAM s (id INT KEY)\n  WITH (kafka_topic='s');\n\n   SHOW STREAMS;"
    )
    first, second = split(script)
    assert (first.line, first.column) == (2, 1)
    assert (second.line, second.column) == (5, 4)
    assert script[first.start : first.end] == first.text
    assert first.text.endswith("kafka_topic='s')")
    assert second.sql == "SHOW STREAMS;"


def test_text_is_exactly_as_written() -> None:
    script = "select\ta ,\r\n  b   from s;"
    assert texts(script) == ["select\ta ,\r\n  b   from s"]


def test_windows_line_endings_count_one_line() -> None:
    statements = split("SHOW STREAMS;\r\nSHOW TABLES;\r\n  SHOW TOPICS;")
    assert [(s.line, s.column) for s in statements] == [(1, 1), (2, 1), (3, 3)]


@pytest.mark.parametrize(
    ("script", "line", "column", "what"),
    [
        ("SHOW STREAMS;\nSET 'a'='b;", 2, 9, "string"),
        ("SELECT `abc FROM s;", 1, 8, "quoted identifier"),
        ("SHOW STREAMS; /* never closed ;", 1, 15, "comment"),
    ],
)
def test_unterminated_quote_or_comment_is_a_syntax_error(
    script: str, line: int, column: int, what: str
) -> None:
    with pytest.raises(KsqlSyntaxError) as caught:
        split(script)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert what in str(caught.value)
    assert caught.value.snippet.splitlines()[-1].endswith("^")


_word = st.sampled_from(["SHOW STREAMS", "SELECT a FROM s", "SET 'k'='v'", "DESCRIBE x"])
_literal = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20).map(
    lambda s: "'" + s.replace("'", "''") + "'"
)
_comment = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=20
).map(lambda s: f"-- {s}\n")
_block = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20).map(
    lambda s: "/* " + s.replace("*/", "") + " */"
)


@st.composite
def statements(draw: st.DrawFn) -> str:
    head = draw(_word)
    tail = draw(st.lists(st.one_of(_literal, _comment, _block), max_size=3))
    return " ".join([head, *tail])


@given(st.lists(statements(), min_size=1, max_size=6))
def test_split_finds_every_statement_whatever_literals_and_comments_hold(
    parts: list[str],
) -> None:
    script = ";\n".join(parts) + ";"
    found = split(script)
    assert len(found) == len(parts)
    for statement, part in zip(found, parts, strict=True):
        assert part.startswith(statement.text)
        assert script[statement.start : statement.end] == statement.text
        assert isinstance(statement, Statement)
