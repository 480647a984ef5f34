"""A PEP 249 (DB-API 2.0) interface to ksqlDB over the sync ``ksqlpy.Client``.

Small and honest: queries (pull, and push with or without LIMIT) are read lazily through
``Client.stream_query``; statements go through ``Client.execute_statement``; ``executemany`` of a
plain ``INSERT ... VALUES (?, ...)`` uses ``/inserts-stream``. ksqlDB has no transactions, so
``commit()`` does nothing and ``rollback()`` raises NotSupportedError.

>>> from ksqlpy import dbapi
>>> with dbapi.connect("http://localhost:8088") as conn:
...     cur = conn.cursor()
...     cur.execute("SELECT * FROM users WHERE id = ?;", (42,))
...     print(cur.description[0][0], cur.fetchone())

Every error is a DB-API ``Error``, which is also a ``ksqlpy.KsqlError``; the ksqlpy error it
came from is its ``__cause__`` and its server fields (``error_code``, ``statement_text``, ...)
are attributes of the DB-API error too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._binding import bind, literal
from ._cursor import Connection, Cursor
from ._errors import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
    _errors,
)
from ._types import (
    ARRAY,
    BINARY,
    BOOLEAN,
    DATETIME,
    MAP,
    NUMBER,
    ROWID,
    STRING,
    STRUCT,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)

__all__ = [
    "ARRAY",
    "BINARY",
    "BOOLEAN",
    "DATETIME",
    "MAP",
    "NUMBER",
    "ROWID",
    "STRING",
    "STRUCT",
    "Binary",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "apilevel",
    "bind",
    "connect",
    "literal",
    "paramstyle",
    "threadsafety",
]

apilevel = "2.0"
"""The DB-API level this module implements."""
threadsafety = 1
"""Threads may share the module but not connections (a cursor's stream is not thread-safe)."""
paramstyle = "qmark"
"""Placeholders are ``?``, bound client-side as KSQL literals (never inside quotes or comments)."""

DEFAULT_URL = "http://localhost:8088"


def connect(url: str | Sequence[str] = DEFAULT_URL, **client_options: Any) -> Connection:
    """Open a DB-API connection to ksqlDB; ``client_options`` go to ``ksqlpy.Client``.

    >>> from ksqlpy import dbapi
    >>> conn = dbapi.connect("http://localhost:8088",
    ...                      properties={"auto.offset.reset": "earliest"})
    >>> cur = conn.cursor()
    >>> cur.execute("SELECT * FROM pageviews EMIT CHANGES LIMIT ?;", (3,))
    >>> cur.fetchall()
    >>> conn.close()
    """
    from ksqlpy._client import Client

    with _errors():
        client = Client(url, **client_options)
    return Connection(client)
