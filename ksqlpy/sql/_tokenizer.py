"""The ksqlDB dialect's tokenizer: backtick and double-quote identifiers, ksqlDB's keywords."""

from __future__ import annotations

from typing import ClassVar

from sqlglot import tokens
from sqlglot.tokenizer_core import TokenType


class KsqlTokenizer(tokens.Tokenizer):
    """Tokenizer with ksqlDB's lexical rules: backtick/double-quote identifiers, no commands."""

    IDENTIFIERS: ClassVar[list[str | tuple[str, str]]] = ["`", '"']
    QUOTES: ClassVar[list[tuple[str, str] | str]] = ["'"]
    STRING_ESCAPES: ClassVar[list[str]] = ["'"]
    COMMENTS: ClassVar[list[str | tuple[str, str]]] = ["--", ("/*", "*/")]
    # ksqlDB's BRACKETED_COMMENT is '/*' .*? '*/': the first */ ends it.
    NESTED_COMMENTS = False
    # `${name}` is one variable token; '@' may appear inside identifiers.
    VAR_SINGLE_TOKENS: ClassVar[set[str]] = {"{", "}", "@"}
    # SHOW, EXPLAIN ... are ordinary statements here, never swallowed as raw commands.
    COMMANDS: ClassVar[set[TokenType]] = set()

    KEYWORDS: ClassVar[dict[str, TokenType]] = {
        "||": TokenType.DPIPE,
        ">=": TokenType.GTE,
        "<=": TokenType.LTE,
        "<>": TokenType.NEQ,
        "!=": TokenType.NEQ,
        ":=": TokenType.COLON_EQ,
        "->": TokenType.ARROW,
        "=>": TokenType.FARROW,
        "ALL": TokenType.ALL,
        "AND": TokenType.AND,
        "AS": TokenType.ALIAS,
        "BETWEEN": TokenType.BETWEEN,
        "CASE": TokenType.CASE,
        "DISTINCT": TokenType.DISTINCT,
        "ELSE": TokenType.ELSE,
        "END": TokenType.END,
        "ESCAPE": TokenType.ESCAPE,
        "EXISTS": TokenType.EXISTS,
        "FALSE": TokenType.FALSE,
        "FROM": TokenType.FROM,
        "FULL": TokenType.FULL,
        "GROUP BY": TokenType.GROUP_BY,
        "HAVING": TokenType.HAVING,
        "IN": TokenType.IN,
        "INNER": TokenType.INNER,
        "IS": TokenType.IS,
        "JOIN": TokenType.JOIN,
        "LEFT": TokenType.LEFT,
        "LIKE": TokenType.LIKE,
        "LIMIT": TokenType.LIMIT,
        "NOT": TokenType.NOT,
        "NULL": TokenType.NULL,
        "ON": TokenType.ON,
        "OR": TokenType.OR,
        "OUTER": TokenType.OUTER,
        "PARTITION BY": TokenType.PARTITION_BY,
        "RIGHT": TokenType.RIGHT,
        "SELECT": TokenType.SELECT,
        "THEN": TokenType.THEN,
        "TRUE": TokenType.TRUE,
        "VALUES": TokenType.VALUES,
        "WHEN": TokenType.WHEN,
        "WHERE": TokenType.WHERE,
        "WINDOW": TokenType.WINDOW,
        "WITH": TokenType.WITH,
        # types
        "ARRAY": TokenType.ARRAY,
        "BIGINT": TokenType.BIGINT,
        "BOOLEAN": TokenType.BOOLEAN,
        "BYTES": TokenType.VARBINARY,
        "DATE": TokenType.DATE,
        "DECIMAL": TokenType.DECIMAL,
        "DOUBLE": TokenType.DOUBLE,
        "INT": TokenType.INT,
        "INTEGER": TokenType.INT,
        "MAP": TokenType.MAP,
        "STRING": TokenType.TEXT,
        "STRUCT": TokenType.STRUCT,
        "TIME": TokenType.TIME,
        "TIMESTAMP": TokenType.TIMESTAMP,
        "VARCHAR": TokenType.VARCHAR,
    }
