"""Splitting a script into statements, with their exact text and where they start."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot.tokenizer_core import Token, TokenType

from ._lex import line_start, tokenize


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a script, as written.

    ``text`` runs from the statement's first token to its last one (the ``;`` and the comments
    before the statement are not part of it); ``start``/``end`` are the offsets of that slice
    (end exclusive) and ``line``/``column`` (1-based) locate its first character.
    ``terminated`` is False for a trailing statement that has no ``;``.
    """

    text: str
    line: int
    column: int
    start: int
    end: int
    terminated: bool = True

    @property
    def sql(self) -> str:
        """The statement with its terminating semicolon, as a server expects it."""
        return f"{self.text};"


def split(script: str) -> list[Statement]:
    """Split ``script`` into statements at the semicolons that end them.

    Semicolons inside string literals, quoted identifiers and ``--`` / ``/* */`` comments do not
    split; empty statements (``;;``) are skipped; a trailing statement without ``;`` is returned
    with ``terminated=False``. An unterminated quote or comment raises KsqlSyntaxError.

    >>> [s.text for s in split("SET 'a'=';';\\n-- ;\\nSHOW STREAMS")]
    ["SET 'a'=';'", 'SHOW STREAMS']
    >>> split("SHOW STREAMS")[0].terminated
    False
    """
    statements: list[Statement] = []
    first = last = None
    for token in tokenize(script):
        if token.token_type == TokenType.SEMICOLON:
            if first is not None and last is not None:
                statements.append(_statement(script, first, last, True))
            first = last = None
            continue
        if first is None:
            first = token
        last = token
    if first is not None and last is not None:
        statements.append(_statement(script, first, last, False))
    return statements


def _statement(script: str, first: Token, last: Token, terminated: bool) -> Statement:
    start, end = first.start, last.end + 1
    # The token knows its line; only the column needs the text.
    column = start - line_start(script, start) + 1
    return Statement(script[start:end], first.line, column, start, end, terminated)
