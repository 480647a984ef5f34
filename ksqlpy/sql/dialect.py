"""The ksqlDB dialect for sqlglot: its tokenizer (``_tokenizer``), parser (``_parse_base`` for
tokens, literals and expressions, ``_parse_statements`` for statements, the dispatch table here)
and generator (``_generator``).

Statements are dispatched on their first word to KSQL-specific parse methods (ksqlDB's grammar is
small and differs from ANSI SQL at the statement level); expressions reuse sqlglot's expression
parser with ksqlDB's operators (``->``, ``=>`` lambdas, ``MAP(k := v)``, ``STRUCT(a := v)``).
The grammar followed is ksqlDB's ``SqlBase.g4``.

>>> import sqlglot
>>> sqlglot.parse_one("SELECT s->a FROM t EMIT CHANGES;", read="ksql").sql("ksql")
'SELECT s->a FROM t EMIT CHANGES'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy
from sqlglot.tokenizer_core import TokenType

from ._generator import KsqlGenerator
from ._parse_base import END_OF_INPUT, NO_VIABLE
from ._parse_statements import KsqlStatementParser
from ._tokenizer import KsqlTokenizer

__all__ = ["END_OF_INPUT", "KSQL", "NO_VIABLE"]


class KsqlParser(KsqlStatementParser):
    """Parser for ksqlDB statements: the first word of a statement picks its parse method."""

    # Dispatch table: first word of a statement -> parse method (the word is consumed).
    STATEMENTS: ClassVar[dict[str, Callable[[KsqlParser], exp.Expr]]] = {
        "SELECT": lambda self: self._parse_ksql_query(),
        "CREATE": lambda self: self._parse_ksql_create(),
        "INSERT": lambda self: self._parse_ksql_insert(),
        "DROP": lambda self: self._parse_ksql_drop(),
        "ALTER": lambda self: self._parse_ksql_alter(),
        "SHOW": lambda self: self._parse_ksql_show(),
        "LIST": lambda self: self._parse_ksql_show(),
        "DESCRIBE": lambda self: self._parse_ksql_describe(),
        "EXPLAIN": lambda self: self._parse_ksql_explain(),
        "TERMINATE": lambda self: self._parse_ksql_terminate(),
        "PAUSE": lambda self: self._parse_ksql_pause_resume(),
        "RESUME": lambda self: self._parse_ksql_pause_resume(),
        "PRINT": lambda self: self._parse_ksql_print(),
        "SET": lambda self: self._parse_ksql_set(),
        "UNSET": lambda self: self._parse_ksql_unset(),
        "DEFINE": lambda self: self._parse_ksql_define(),
        "UNDEFINE": lambda self: self._parse_ksql_undefine(),
        "RUN": lambda self: self._parse_ksql_run_script(),
        "ASSERT": lambda self: self._parse_ksql_assert(),
    }

    def _parse_statement(self) -> exp.Expr | None:
        curr = self._curr
        if not curr:
            return None
        if curr.token_type == TokenType.SEMICOLON:
            # sqlglot gives a `;` that carries a comment a chunk of its own: not a statement.
            self._advance()
            return None
        handler = None
        if curr.token_type not in self.TEXT_MATCH_EXCLUDED_TOKENS:
            handler = self.STATEMENTS.get(curr.text.upper())
        if handler is None:
            raise self._error(f"Unknown statement '{curr.text}'")
        comments = curr.comments
        self._advance()
        stmt = handler(self)
        if comments:
            stmt.add_comments(comments, prepend=True)
        return stmt


class KSQL(Dialect):
    """ksqlDB's SQL as a sqlglot dialect, registered under the name ``ksql``."""

    NORMALIZATION_STRATEGY = NormalizationStrategy.UPPERCASE
    # The grammar's DIGIT_IDENTIFIER: `1abc` is a name, not `1 AS abc`.
    IDENTIFIERS_CAN_START_WITH_DIGIT = True
    SUPPORTS_USER_DEFINED_TYPES = True
    # Subscripts are kept exactly as written (ksqlDB arrays are 1-based and accept negative
    # indexes); an offset here would make sqlglot rewrite the literals in the tree.
    INDEX_OFFSET = 0

    Tokenizer = KsqlTokenizer
    Parser = KsqlParser
    Generator = KsqlGenerator
