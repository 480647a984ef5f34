"""Highlighting: the shell's lexer colours by ksqlpy's KSQL tokens, line by line."""

from __future__ import annotations

from prompt_toolkit.document import Document

from ksqlpy.repl.lexer import KsqlLexer


def styled(text: str) -> list[list[tuple[str, str]]]:
    get_line = KsqlLexer().lex_document(Document(text))
    return [[(style, part) for style, part, *_ in get_line(i)] for i in range(text.count("\n") + 1)]


def test_ksql_keywords_types_strings_and_variables() -> None:
    (line,) = styled("SELECT CAST(x AS BIGINT) FROM s WHERE v = '${y}' EMIT CHANGES;")
    by_text = {part: style for style, part in line}
    assert by_text["SELECT"] == by_text["EMIT"] == by_text["CHANGES"] == "class:sql.keyword"
    assert by_text["BIGINT"] == "class:sql.type"
    assert by_text["'${y}'"] == "class:sql.string"
    assert by_text["x"] == "class:sql.identifier"


def test_a_string_across_lines_stays_a_string_on_each_line() -> None:
    lines = styled("INSERT INTO s VALUES ('a\nb');")
    assert ("class:sql.string", "'a") in lines[0]
    assert ("class:sql.string", "b'") in lines[1]


def test_unterminated_quote_while_typing_is_an_error_token_not_a_crash() -> None:
    (line,) = styled("SELECT 'abc")
    assert line[-1] == ("class:sql.error", "'abc")


def test_comment_and_text_are_kept_whole() -> None:
    text = "-- note\nSHOW STREAMS;"
    lines = styled(text)
    assert lines[0] == [("class:sql.comment", "-- note")]
    assert "".join(part for _, part in lines[1]) == "SHOW STREAMS;"
