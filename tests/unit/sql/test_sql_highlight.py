"""tokenize(): tokens for highlighting cover the text exactly and never raise while typing."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from ksqlpy.sql import TokenKind, tokenize

K = TokenKind


def kinds(text: str) -> list[tuple[TokenKind, str]]:
    return [(t.kind, t.text) for t in tokenize(text) if t.kind is not K.WHITESPACE]


def test_kinds_of_a_typical_statement() -> None:
    text = "CREATE STREAM s (id INT KEY) WITH (kafka_topic='t'); -- done"
    assert kinds(text) == [
        (K.KEYWORD, "CREATE"),
        (K.KEYWORD, "STREAM"),
        (K.IDENTIFIER, "s"),
        (K.PUNCTUATION, "("),
        (K.IDENTIFIER, "id"),
        (K.TYPE, "INT"),
        (K.KEYWORD, "KEY"),
        (K.PUNCTUATION, ")"),
        (K.KEYWORD, "WITH"),
        (K.PUNCTUATION, "("),
        (K.IDENTIFIER, "kafka_topic"),
        (K.OPERATOR, "="),
        (K.STRING, "'t'"),
        (K.PUNCTUATION, ")"),
        (K.PUNCTUATION, ";"),
        (K.COMMENT, "-- done"),
    ]


def test_quoted_identifiers_numbers_variables_and_block_comments() -> None:
    assert kinds("SELECT `My Col`, 1.5, ${v} /* c */ FROM s") == [
        (K.KEYWORD, "SELECT"),
        (K.QUOTED_IDENTIFIER, "`My Col`"),
        (K.PUNCTUATION, ","),
        (K.NUMBER, "1.5"),
        (K.PUNCTUATION, ","),
        (K.VARIABLE, "${v}"),
        (K.COMMENT, "/* c */"),
        (K.KEYWORD, "FROM"),
        (K.IDENTIFIER, "s"),
    ]


def test_unterminated_string_while_typing_becomes_an_error_token() -> None:
    assert kinds("SELECT * FROM s WHERE a = 'abc")[-1] == (K.ERROR, "'abc")


def test_multi_word_keywords_keep_their_original_spacing() -> None:
    text = "SELECT a FROM s GROUP   BY a"
    assert "".join(t.text for t in tokenize(text)) == text


@given(st.text(max_size=200))
def test_tokens_cover_any_text_exactly(text: str) -> None:
    tokens = tokenize(text)
    assert "".join(t.text for t in tokens) == text
    assert all(text[t.start : t.end] == t.text for t in tokens)


def test_a_2000_character_statement_tokenizes_well_under_10_ms() -> None:
    columns = ", ".join(f"col_{i} STRUCT<a INT, b ARRAY<STRING>>" for i in range(60))
    text = f"CREATE STREAM s ({columns}) WITH (kafka_topic='s', value_format='JSON');"[:2000]
    assert len(text) == 2000
    best = min(_timed(text) for _ in range(7))
    assert best < 0.010, f"{best * 1000:.2f} ms"


def _timed(text: str) -> float:
    start = time.perf_counter()
    tokenize(text)
    return time.perf_counter() - start
