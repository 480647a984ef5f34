"""ksqlDB's SQL: parse, split, classify, substitute, quote and format statements.

The dialect is a sqlglot dialect registered as ``ksql`` (``sqlglot.parse_one(sql, read="ksql")``
works without importing this package). Everything here is pure: text in, values out.

>>> from ksqlpy.sql import split, classify
>>> [classify(s).name for s in split("CREATE STREAM s (id INT KEY) WITH (kafka_topic='s');"
...                                    "SELECT * FROM s EMIT CHANGES;")]
['CREATE_SOURCE', 'PUSH_QUERY']
"""

from __future__ import annotations

from ksqlpy._errors import KsqlSyntaxError

from ._classify import StatementKind, classify
from ._highlight import SqlToken, TokenKind, tokenize
from ._locate import location
from ._parse import format, parse, parse_one
from ._quote import quote_identifier, quote_literal
from ._session import SessionChange, session_change
from ._split import Statement, split
from ._substitute import substitute
from .dialect import KSQL

__all__ = [
    "KSQL",
    "KsqlSyntaxError",
    "SessionChange",
    "SqlToken",
    "Statement",
    "StatementKind",
    "TokenKind",
    "classify",
    "format",
    "location",
    "parse",
    "parse_one",
    "quote_identifier",
    "quote_literal",
    "session_change",
    "split",
    "substitute",
    "tokenize",
]
