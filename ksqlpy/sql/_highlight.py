"""Tokens for syntax highlighting: every character of the input in exactly one token."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlglot.errors import TokenError
from sqlglot.tokenizer_core import Token, TokenType

from ._lex import DIALECT, find_unterminated


class TokenKind(enum.Enum):
    """What a highlighted token is."""

    KEYWORD = "keyword"
    TYPE = "type"
    IDENTIFIER = "identifier"
    QUOTED_IDENTIFIER = "quoted_identifier"
    STRING = "string"
    NUMBER = "number"
    VARIABLE = "variable"
    OPERATOR = "operator"
    PUNCTUATION = "punctuation"
    COMMENT = "comment"
    WHITESPACE = "whitespace"
    ERROR = "error"
    """An unterminated string, quoted identifier or comment: the rest of the text."""


@dataclass(frozen=True, slots=True)
class SqlToken:
    """A slice ``text[start:end]`` of the input and its kind."""

    kind: TokenKind
    text: str
    start: int
    end: int


# ksqlDB's keywords (SqlBase.g4), less ID: it names columns far more often than schemas.
KEYWORDS = frozenset(
    {
        "ADD",
        "ADVANCE",
        "ALL",
        "ALTER",
        "AND",
        "ANALYZE",
        "AS",
        "ASSERT",
        "AT",
        "BEGINNING",
        "BETWEEN",
        "BY",
        "CASE",
        "CAST",
        "CATALOG",
        "CHANGES",
        "COLUMN",
        "COLUMNS",
        "CONNECTOR",
        "CONNECTORS",
        "CREATE",
        "DAY",
        "DAYS",
        "DEFINE",
        "DELETE",
        "DESCRIBE",
        "DISTINCT",
        "DROP",
        "ELSE",
        "EMIT",
        "END",
        "ESCAPE",
        "EXISTS",
        "EXPLAIN",
        "EXPORT",
        "EXTENDED",
        "FALSE",
        "FINAL",
        "FROM",
        "FULL",
        "FUNCTION",
        "FUNCTIONS",
        "GRACE",
        "GROUP",
        "HAVING",
        "HEADER",
        "HEADERS",
        "HOPPING",
        "HOUR",
        "HOURS",
        "IF",
        "IN",
        "INNER",
        "INSERT",
        "INTERVAL",
        "INTO",
        "IS",
        "JOIN",
        "KEY",
        "LEFT",
        "LIKE",
        "LIMIT",
        "LIST",
        "LOAD",
        "MATERIALIZED",
        "MILLISECOND",
        "MILLISECONDS",
        "MINUTE",
        "MINUTES",
        "MONTH",
        "MONTHS",
        "NAMESPACE",
        "NOT",
        "NULL",
        "ON",
        "OR",
        "OUTER",
        "PARTITION",
        "PARTITIONS",
        "PAUSE",
        "PERIOD",
        "PLUGINS",
        "PRIMARY",
        "PRINT",
        "PROPERTIES",
        "QUERIES",
        "QUERY",
        "RENAME",
        "REPLACE",
        "RESET",
        "RESUME",
        "RETENTION",
        "RIGHT",
        "RUN",
        "SAMPLE",
        "SCHEMA",
        "SCRIPT",
        "SECOND",
        "SECONDS",
        "SELECT",
        "SESSION",
        "SET",
        "SHOW",
        "SINK",
        "SIZE",
        "SOURCE",
        "STREAM",
        "STREAMS",
        "SUBJECT",
        "SYSTEM",
        "TABLE",
        "TABLES",
        "TERMINATE",
        "THEN",
        "TIMEOUT",
        "TO",
        "TOPIC",
        "TOPICS",
        "TRUE",
        "TUMBLING",
        "TYPE",
        "TYPES",
        "UNDEFINE",
        "UNSET",
        "VALUES",
        "VARIABLE",
        "VARIABLES",
        "VIEW",
        "WHEN",
        "WHERE",
        "WINDOW",
        "WITH",
        "WITHIN",
        "YEAR",
        "YEARS",
        "ZONE",
    }
)

TYPES = frozenset(
    {
        "ARRAY",
        "BIGINT",
        "BOOLEAN",
        "BYTES",
        "DATE",
        "DECIMAL",
        "DOUBLE",
        "INT",
        "INTEGER",
        "MAP",
        "STRING",
        "STRUCT",
        "TIME",
        "TIMESTAMP",
        "VARCHAR",
    }
)

# Token types whose kind does not depend on the text.
_KINDS_BY_TYPE = {
    TokenType.STRING: TokenKind.STRING,
    TokenType.NUMBER: TokenKind.NUMBER,
    TokenType.IDENTIFIER: TokenKind.QUOTED_IDENTIFIER,
    **dict.fromkeys(
        (TokenType.L_PAREN, TokenType.R_PAREN, TokenType.L_BRACKET, TokenType.R_BRACKET),
        TokenKind.PUNCTUATION,
    ),
    **dict.fromkeys((TokenType.COMMA, TokenType.SEMICOLON, TokenType.DOT), TokenKind.PUNCTUATION),
}
# Words, by their upper-cased text.
_KINDS_BY_WORD = {
    **dict.fromkeys(KEYWORDS, TokenKind.KEYWORD),
    **dict.fromkeys(TYPES, TokenKind.TYPE),
}


def _kind(token: Token) -> TokenKind:
    kind = _KINDS_BY_TYPE.get(token.token_type)
    if kind is not None:
        return kind
    word = token.text.upper()
    kind = _KINDS_BY_WORD.get(word)
    if kind is not None:
        return kind
    if word.startswith("${"):
        return TokenKind.VARIABLE
    if token.token_type == TokenType.VAR or word[:1].isalpha() or word[:1] == "_":
        return TokenKind.IDENTIFIER
    return TokenKind.OPERATOR


def _gap(text: str, start: int, end: int, out: list[SqlToken]) -> None:
    """Whitespace and comments between two tokens."""
    i = start
    while i < end:
        if text.startswith("--", i):
            stops = [p for p in (text.find("\n", i, end), text.find("\r", i, end)) if p >= 0]
            j = min(stops) if stops else end
            kind = TokenKind.COMMENT
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2, end)
            j = end if j < 0 else j + 2
            kind = TokenKind.COMMENT
        else:
            found = [p for p in (text.find("--", i, end), text.find("/*", i, end)) if p >= 0]
            j = min(found) if found else end
            kind = TokenKind.WHITESPACE if text[i:j].isspace() else TokenKind.ERROR
        out.append(SqlToken(kind, text[i:j], i, j))
        i = j


def tokenize(text: str) -> list[SqlToken]:
    """Tokens covering all of ``text`` for highlighting; never raises.

    An unterminated quote or comment (usual while typing) becomes one ERROR token running to
    the end of the text.

    >>> [(t.kind.value, t.text) for t in tokenize("SELECT 'a'") if t.kind.value != "whitespace"]
    [('keyword', 'SELECT'), ('string', "'a'")]
    """
    limit = len(text)
    try:
        tokens = DIALECT.tokenize(text)
    except TokenError:
        found = find_unterminated(text)
        limit = found[0] if found else 0
        try:
            tokens = DIALECT.tokenize(text[:limit])
        except TokenError:
            tokens, limit = [], 0
    out: list[SqlToken] = []
    pos = 0
    for token in tokens:
        start, end = token.start, token.end + 1
        if start > pos:
            _gap(text, pos, start, out)
        out.append(SqlToken(_kind(token), text[start:end], start, end))
        pos = end
    if limit > pos:
        _gap(text, pos, limit, out)
    if limit < len(text):
        out.append(SqlToken(TokenKind.ERROR, text[limit:], limit, len(text)))
    return out
