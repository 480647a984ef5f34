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

import contextlib
import math
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING, Any, NoReturn

from sqlglot.tokenizer_core import Token, TokenType

from ._entities import Entity, QueriesList, SourceList, TopicList
from ._errors import (
    AuthenticationError,
    AuthorizationError,
    ClientClosedError,
    ConfigurationError,
    InsertError,
    KsqlError,
    KsqlServerError,
    KsqlStatementError,
    KsqlSyntaxError,
    KsqlTimeoutError,
    NotFoundError,
    ProtocolError,
    ServerUnavailableError,
)
from ._protocol import base64_text, timestamp_text
from ._rows import Row, row_type
from ._statements import SUBSTITUTION, VERBATIM
from ._types import Column, SqlType
from .sql import quote_literal, substitute
from .sql._lex import tokenize

if TYPE_CHECKING:
    from ._client import Client
    from ._results import StreamedQuery

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

# --- exceptions ----------------------------------------------------------------------------------


class Warning(KsqlError):
    """PEP 249's Warning; never raised: ksqlDB's statement warnings are in ``Cursor.entity``."""


class Error(KsqlError):
    """Base of the DB-API errors (also a ``KsqlError``); the ksqlpy error is ``__cause__``.

    ``error_code``, ``http_status``, ``message``, ``statement_text`` and ``entities`` repeat the
    server's fields when the cause carried them (None or ``()`` otherwise); for a refused row of
    ``executemany`` ``seq``, ``row`` and ``acknowledged`` do too.
    """

    error_code: int | None = None
    http_status: int | None = None
    statement_text: str | None = None
    entities: tuple[object, ...] = ()
    seq: int | None = None
    row: object = None
    acknowledged: int | None = None

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InterfaceError(Error):
    """The interface was misused or failed: a closed connection or cursor, bad options."""


class DatabaseError(Error):
    """An error of the database (ksqlDB) itself."""


class DataError(DatabaseError):
    """A value cannot be represented or was refused (a non-finite float, a refused row)."""


class OperationalError(DatabaseError):
    """ksqlDB could not be reached, refused the credentials, or took too long."""


class IntegrityError(DatabaseError):
    """PEP 249's IntegrityError; ksqlDB has no constraints to violate, so never raised."""


class InternalError(DatabaseError):
    """ksqlDB failed inside (a 5xx answer that is not 'unavailable')."""


class ProgrammingError(DatabaseError):
    """The SQL or its use is wrong: rejected statement, unknown source, parameter count."""


class NotSupportedError(DatabaseError):
    """Something ksqlDB or this module does not do (transactions, PRINT)."""


_FIELDS = (
    "error_code",
    "http_status",
    "statement_text",
    "entities",
    "seq",
    "row",
    "acknowledged",
)


def _dbapi_class(error: KsqlError) -> type[Error]:
    status = getattr(error, "http_status", None)
    if isinstance(error, KsqlStatementError) and status is not None and status >= 500:
        return InternalError
    for kind, target in _ERROR_CLASSES:
        if isinstance(error, kind):
            return target
    if isinstance(error, KsqlServerError) and status is not None and status >= 500:
        return InternalError
    return DatabaseError


# Most specific first: InsertError and the others are KsqlServerErrors too.
_ERROR_CLASSES: tuple[tuple[type[KsqlError], type[Error]], ...] = (
    (KsqlStatementError, ProgrammingError),
    (InsertError, DataError),
    (AuthenticationError, OperationalError),
    (AuthorizationError, OperationalError),
    (ServerUnavailableError, OperationalError),
    (KsqlTimeoutError, OperationalError),
    (NotFoundError, ProgrammingError),
    (KsqlSyntaxError, ProgrammingError),
    (ClientClosedError, InterfaceError),
    (ConfigurationError, InterfaceError),
    (ProtocolError, InterfaceError),
)


def _translate(error: KsqlError) -> Error:
    """The DB-API error for a ksqlpy error, carrying its fields (raise it ``from`` the cause)."""
    if isinstance(error, Error):
        return error
    translated = _dbapi_class(error)(str(error))
    for name in _FIELDS:
        if hasattr(error, name):
            setattr(translated, name, getattr(error, name))
    translated.message = getattr(error, "message", str(error))
    return translated


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except Error:
        raise
    except KsqlError as error:
        raise _translate(error) from error


# --- type objects and constructors ---------------------------------------------------------------


class _TypeObject:
    """A DB-API type object: equal to every ``description`` type code of its KSQL base types."""

    __slots__ = ("name", "names")

    def __init__(self, name: str, *names: str) -> None:
        self.name = name
        self.names = frozenset(names)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _TypeObject):
            return self.names == other.names
        if isinstance(other, str):
            return _base_name(other) in self.names
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.names)

    def __repr__(self) -> str:
        return f"<dbapi type {self.name}: {', '.join(sorted(self.names)) or 'none'}>"


def _base_name(type_code: str) -> str:
    for stop in ("(", "<"):
        cut = type_code.find(stop)
        if cut >= 0:
            type_code = type_code[:cut]
    return type_code.strip().upper()


STRING = _TypeObject("STRING", "STRING", "VARCHAR")
"""Text columns (``STRING``)."""
BINARY = _TypeObject("BINARY", "BYTES")
"""Binary columns (``BYTES``)."""
NUMBER = _TypeObject("NUMBER", "INTEGER", "INT", "BIGINT", "DOUBLE", "DECIMAL")
"""Numeric columns (``INTEGER``, ``BIGINT``, ``DOUBLE``, ``DECIMAL(p, s)``)."""
DATETIME = _TypeObject("DATETIME", "TIMESTAMP", "DATE", "TIME")
"""Temporal columns (``TIMESTAMP``, ``DATE``, ``TIME``)."""
ROWID = _TypeObject("ROWID")
"""Row ids: ksqlDB has none, so no type code equals it."""
BOOLEAN = _TypeObject("BOOLEAN", "BOOLEAN")
"""``BOOLEAN`` columns (an extension of PEP 249)."""
ARRAY = _TypeObject("ARRAY", "ARRAY")
"""``ARRAY<...>`` columns (an extension of PEP 249)."""
MAP = _TypeObject("MAP", "MAP")
"""``MAP<...>`` columns (an extension of PEP 249)."""
STRUCT = _TypeObject("STRUCT", "STRUCT")
"""``STRUCT<...>`` columns (an extension of PEP 249)."""

Date = date
"""Build a DATE value: ``Date(2024, 1, 31)``."""
Time = time
"""Build a TIME value: ``Time(12, 30, 0)``."""
Timestamp = datetime
"""Build a TIMESTAMP value (naive means UTC): ``Timestamp(2024, 1, 31, 12, 30)``."""
Binary = bytes
"""Build a BYTES value: ``Binary(b"...")``."""


def DateFromTicks(ticks: float) -> date:
    """The UTC date of a POSIX timestamp (ksqlDB keeps time in UTC)."""
    return datetime.fromtimestamp(ticks, UTC).date()


def TimeFromTicks(ticks: float) -> time:
    """The UTC time of day of a POSIX timestamp (ksqlDB keeps time in UTC)."""
    return datetime.fromtimestamp(ticks, UTC).time()


def TimestampFromTicks(ticks: float) -> datetime:
    """The aware UTC datetime of a POSIX timestamp, as query results give TIMESTAMPs."""
    return datetime.fromtimestamp(ticks, UTC)


def _describe(columns: Sequence[Column]) -> tuple[tuple[Any, ...], ...]:
    """PEP 249 ``description`` 7-tuples for result columns.

    The type code is ksqlDB's spelling of the type (``"DECIMAL(10, 2)"``), which compares equal
    to its type object (``NUMBER``); precision and scale are set for DECIMAL only.
    """
    return tuple(
        (
            column.name,
            str(column.type),
            None,
            None,
            column.type.precision,
            column.type.scale,
            None,
        )
        for column in columns
    )


# --- literals and parameter binding --------------------------------------------------------------


def _number(value: float | Decimal) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DataError(f"ksqlDB has no literal for the float {value!r}")
        return repr(value)
    if not value.is_finite():
        raise DataError(f"ksqlDB has no literal for {value!r}")
    return format(value, "f")


def _timestamp(value: datetime) -> str:
    return quote_literal(timestamp_text(value))  # the text inserts send: UTC, no zone


def _time(value: time) -> str:
    if value.utcoffset() is not None:
        raise DataError(f"ksqlDB's TIME has no time zone; pass a naive time, not {value!r}")
    return quote_literal(value.isoformat(timespec="milliseconds"))


def _base64(value: bytes | bytearray | memoryview) -> str:
    return quote_literal(base64_text(value))


def _array(value: Sequence[Any]) -> str:
    return "ARRAY[" + ", ".join(literal(item) for item in value) + "]"


def _map(value: Mapping[Any, Any]) -> str:
    return "MAP(" + ", ".join(f"{literal(k)} := {literal(v)}" for k, v in value.items()) + ")"


# Order matters: bool before int, datetime before date (each is a subclass of the next).
_LITERALS: tuple[tuple[type[Any] | tuple[type[Any], ...], Callable[[Any], str]], ...] = (
    (type(None), lambda _: "NULL"),
    (bool, quote_literal),
    (int, quote_literal),
    ((float, Decimal), _number),
    (str, quote_literal),
    ((bytes, bytearray, memoryview), _base64),
    (datetime, _timestamp),
    (date, lambda value: quote_literal(value.isoformat())),
    (time, _time),
    ((list, tuple), _array),
    (Mapping, _map),
)
_LITERAL_BY_TYPE: dict[type[Any], Callable[[Any], str]] = {}


def literal(value: Any) -> str:
    """``value`` as a KSQL literal: what a ``?`` bound to it becomes.

    None -> ``NULL``, bool -> ``TRUE``/``FALSE``, numbers as written (Decimal exact), str quoted,
    bytes as base64 text, date/time/datetime as ISO text (datetime in UTC, naive means UTC),
    list/tuple -> ``ARRAY[...]``, dict -> ``MAP(k := v, ...)``.

    >>> literal(["it's", None])
    "ARRAY['it''s', NULL]"
    """
    render = _LITERAL_BY_TYPE.get(type(value))
    if render is None:
        for kind, candidate in _LITERALS:
            if isinstance(value, kind):
                render = _LITERAL_BY_TYPE[type(value)] = candidate
                break
        else:
            raise ProgrammingError(
                f"cannot bind a {type(value).__name__} as a ksqlDB value; use None, bool, int, "
                "float, Decimal, str, bytes, date, time, datetime, list or dict"
            )
    return render(value)


def _tokens(sql: str) -> list[Token]:
    with _errors():
        return tokenize(sql)


def _placeholders(tokens: Sequence[Token]) -> list[Token]:
    """The ``?`` tokens among ``tokens`` (never one inside a literal, identifier or comment)."""
    return [token for token in tokens if token.token_type == TokenType.PLACEHOLDER]


def _check_params(params: Any) -> Sequence[Any]:
    if params is None:
        return ()
    if isinstance(params, (str, bytes, Mapping)) or not isinstance(params, Sequence):
        raise ProgrammingError(
            f"parameters must be a sequence (a tuple or list) for the '?' placeholders, "
            f"not a {type(params).__name__}"
        )
    return params


def bind(sql: str, params: Sequence[Any] | None, tokens: Sequence[Token] | None = None) -> str:
    """``sql`` with each ``?`` placeholder replaced by the literal of the next parameter.

    Question marks inside string literals, quoted identifiers and comments stay as written; a
    wrong number of parameters raises ProgrammingError naming both counts.

    >>> bind("SELECT * FROM t WHERE a = ? AND b = '?';", ["x"])
    "SELECT * FROM t WHERE a = 'x' AND b = '?';"
    """
    values = _check_params(params)
    marks = _placeholders(tokens if tokens is not None else _tokens(sql))
    if len(marks) != len(values):
        raise ProgrammingError(
            f"the statement has {len(marks)} placeholder(s) but {len(values)} parameter(s) were "
            "given"
        )
    if not marks:
        return sql
    pieces: list[str] = []
    done = 0
    for mark, value in zip(marks, values, strict=True):
        pieces.append(sql[done : mark.start])
        pieces.append(literal(value))
        done = mark.end + 1
    pieces.append(sql[done:])
    return "".join(pieces)


def _identifier(token: Token) -> str | None:
    """A source or column name as ksqlDB resolves it (unquoted names are upper-cased)."""
    if token.token_type == TokenType.IDENTIFIER:
        return token.text
    if "${" in token.text:  # a session variable: only the server knows its value
        return None
    if token.token_type == TokenType.VAR or token.text.replace("_", "").isalnum():
        return token.text.upper()
    return None


def _key(name: str) -> str:
    """A name as ``/inserts-stream`` reads it: backticked unless upper-casing would keep it."""
    return name if name == name.upper() else "`" + name.replace("`", "``") + "`"


class _FastInsert:
    """``INSERT INTO target [(columns)] VALUES (?, ...)``: what ``/inserts-stream`` can carry."""

    __slots__ = ("columns", "target", "width")

    def __init__(self, target: str, columns: list[str] | None, width: int) -> None:
        self.target = target
        self.columns = columns
        self.width = width


def _fast_insert(tokens: Sequence[Token]) -> _FastInsert | None:
    """The target, columns and width of a plain all-placeholder INSERT ... VALUES, else None."""
    items = list(tokens)
    if items and items[-1].token_type == TokenType.SEMICOLON:
        items.pop()
    words = [token.text.upper() for token in items[:2]]
    if len(items) < 6 or words != ["INSERT", "INTO"]:
        return None
    target = _identifier(items[2])
    if target is None:
        return None
    pos = 3
    columns: list[str] | None = None
    if items[pos].token_type == TokenType.L_PAREN:
        names, pos = _list(items, pos + 1, _identifier)
        if names is None:
            return None
        columns = names
    if pos >= len(items) or items[pos].token_type != TokenType.VALUES:
        return None
    if pos + 1 >= len(items) or items[pos + 1].token_type != TokenType.L_PAREN:
        return None
    marks, end = _list(
        items, pos + 2, lambda t: "?" if t.token_type == TokenType.PLACEHOLDER else None
    )
    if marks is None or end != len(items):
        return None
    return _FastInsert(target, columns, len(marks))


def _list(
    items: Sequence[Token], pos: int, item: Callable[[Token], str | None]
) -> tuple[list[str] | None, int]:
    """The items of ``a, b, c)`` starting at ``pos`` (after the ``(``) and the position after."""
    found: list[str] = []
    while pos + 1 < len(items):
        value = item(items[pos])
        if value is None:
            return None, pos
        found.append(value)
        follow = items[pos + 1].token_type
        pos += 2
        if follow == TokenType.R_PAREN:
            return found, pos
        if follow != TokenType.COMMA:
            return None, pos
    return None, pos


# --- listings: statements whose entity reads naturally as rows ----------------------------------

_TEXT, _FLAG = SqlType("STRING"), SqlType("BOOLEAN")
# Never part of an INSERT without a column list (older servers list them in DESCRIBE).
_PSEUDO_COLUMNS = frozenset({"ROWTIME", "ROWPARTITION", "ROWOFFSET"})


def _columns(*spec: tuple[str, SqlType]) -> tuple[Column, ...]:
    return tuple(Column(name, sql_type) for name, sql_type in spec)


_SOURCE_COLUMNS = _columns(
    ("NAME", _TEXT),
    ("TYPE", _TEXT),
    ("TOPIC", _TEXT),
    ("KEY_FORMAT", _TEXT),
    ("VALUE_FORMAT", _TEXT),
    ("IS_WINDOWED", _FLAG),
)
_TOPIC_COLUMNS = _columns(("NAME", _TEXT), ("PARTITIONS", SqlType("INTEGER")))
_QUERY_COLUMNS = _columns(
    ("ID", _TEXT), ("QUERY_TYPE", _TEXT), ("STATE", _TEXT), ("QUERY_STRING", _TEXT)
)


def _source_rows(entity: Any) -> list[tuple[Any, ...]]:
    return [
        (s.name, s.type, s.topic, s.key_format, s.value_format, s.is_windowed)
        for s in entity.sources
    ]


def _topic_rows(entity: Any) -> list[tuple[Any, ...]]:
    return [(t.name, len(t.replica_info)) for t in entity.topics]


def _query_rows(entity: Any) -> list[tuple[Any, ...]]:
    return [(q.id, q.query_type, q.state, q.query_string) for q in entity.queries]


# Entity class -> (columns, rows): SHOW/LIST STREAMS, TABLES, TOPICS and QUERIES as result sets.
_LISTINGS: dict[type[Entity], tuple[tuple[Column, ...], Callable[[Any], list[tuple[Any, ...]]]]] = {
    SourceList: (_SOURCE_COLUMNS, _source_rows),
    TopicList: (_TOPIC_COLUMNS, _topic_rows),
    QueriesList: (_QUERY_COLUMNS, _query_rows),
}


# --- connection and cursor -----------------------------------------------------------------------


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
    from ._client import Client

    with _errors():
        client = Client(url, **client_options)
    return Connection(client)


class Connection:
    """A DB-API connection: owns one ``ksqlpy.Client``; a context manager that closes it.

    ksqlDB has no transactions: ``commit()`` does nothing and ``rollback()`` raises
    NotSupportedError. Leaving a ``with`` block closes the connection (and its cursors).
    """

    def __init__(self, client: Client) -> None:
        self._client = client
        self._closed = False
        self._cursors: weakref.WeakSet[Cursor] = weakref.WeakSet()

    @property
    def client(self) -> Client:
        """The ``ksqlpy.Client`` underneath, for what DB-API cannot express (an extension)."""
        self._check()
        return self._client

    @property
    def closed(self) -> bool:
        """True once ``close()`` ran."""
        return self._closed

    def _check(self) -> None:
        if self._closed:
            raise InterfaceError("the connection is closed; open a new one with dbapi.connect()")

    def cursor(self) -> Cursor:
        """A new cursor on this connection."""
        self._check()
        cursor = Cursor(self)
        self._cursors.add(cursor)
        return cursor

    def commit(self) -> None:
        """Do nothing: every ksqlDB statement takes effect when it runs (no transactions)."""
        self._check()

    def rollback(self) -> NoReturn:
        """Raise NotSupportedError: ksqlDB has no transactions, so nothing can be undone."""
        self._check()
        raise NotSupportedError(
            "ksqlDB has no transactions: each statement took effect when it ran, so there is "
            "nothing to roll back"
        )

    def close(self) -> None:
        """Close every cursor (stopping their queries) and the client; closing twice is a no-op."""
        if self._closed:
            return
        self._closed = True
        try:
            for cursor in list(self._cursors):
                cursor.close()
        finally:
            self._client.close()

    def __enter__(self) -> Connection:
        self._check()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<ksqlpy.dbapi.Connection {self._client.url} {state}>"


class Cursor:
    """A DB-API cursor: runs one statement at a time and fetches a query's rows lazily.

    Rows are ``ksqlpy.Row`` objects: tuples (as PEP 249 asks) that also answer by column name.
    """

    arraysize: int
    """How many rows ``fetchmany()`` returns by default (1)."""

    def __init__(self, connection: Connection) -> None:
        self.arraysize = 1
        self._connection = connection
        self._closed = False
        self._query: StreamedQuery | None = None
        self._rows: Iterator[Row] | None = None
        self._description: tuple[tuple[Any, ...], ...] | None = None
        self._rowcount = -1
        self._fetched = 0
        self._entity: Entity | None = None

    @property
    def connection(self) -> Connection:
        """The connection this cursor belongs to."""
        return self._connection

    @property
    def description(self) -> tuple[tuple[Any, ...], ...] | None:
        """One 7-tuple per result column (name, type_code, ...), or None after a statement."""
        return self._description

    @property
    def rowcount(self) -> int:
        """Rows fetched once a query ended, rows inserted, or -1 when not known (yet)."""
        return self._rowcount

    @property
    def query_id(self) -> str | None:
        """The server's id of the running or last query (an extension), else None."""
        return self._query.query_id if self._query is not None else None

    @property
    def entity(self) -> Entity | None:
        """The typed entity the last statement returned (an extension), e.g. a CommandResult."""
        return self._entity

    @property
    def closed(self) -> bool:
        """True once the cursor or its connection was closed."""
        return self._closed or self._connection.closed

    def _check(self) -> None:
        if self._connection.closed:
            raise InterfaceError("the connection is closed; open a new one with dbapi.connect()")
        if self._closed:
            raise InterfaceError("the cursor is closed; get a new one with connection.cursor()")

    def _reset(self) -> None:
        query, self._query = self._query, None
        self._rows = None
        self._description = None
        self._rowcount = -1
        self._fetched = 0
        self._entity = None
        if query is not None:
            with _errors():
                query.close()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        """Run one statement or query, binding ``params`` to its ``?`` placeholders.

        A query's rows are then fetched lazily; a previous query of this cursor is closed first.
        Returns the cursor, so ``cursor.execute(...).fetchall()`` works.
        """
        self._check()
        self._reset()
        tokens = _tokens(sql)
        word = _first_word(tokens)
        statement = _terminated(sql, tokens)
        properties = None
        if params:
            # Bound values are data: the server must not substitute a ${x} in them. So the
            # statement's own ${x} references are substituted here, with the server's rules,
            # and the bound statement is sent with substitution off.
            substituted = self._substitute(statement)
            if substituted != statement:
                statement, tokens = substituted, _tokens(substituted)
            properties = VERBATIM
        text = bind(statement, params, tokens)
        _HANDLERS.get(word, Cursor._statement)(self, text, word, properties)
        return self

    def _substitute(self, statement: str) -> str:
        if "${" not in statement:
            return statement
        client = self._connection.client
        setting = client._core.properties.get(SUBSTITUTION, True)  # the session's SET
        with _errors():
            return substitute(
                statement, client.variables(), enabled=str(setting).lower() != "false"
            )

    def _statement(self, text: str, word: str, properties: Mapping[str, Any] | None) -> None:
        with _errors():
            entity = self._connection.client.execute_statement(text, properties)
        self._entity = entity
        listing = _LISTINGS.get(type(entity)) if entity is not None else None
        if listing is not None:
            columns, rows_of = listing
            make = row_type(columns)
            rows = [make(values) for values in rows_of(entity)]
            self._description = _describe(columns)
            self._rows = iter(rows)
            self._rowcount = len(rows)
        elif word == "INSERT" and entity is None:  # INSERT ... VALUES: one row
            self._rowcount = 1

    def _select(self, text: str, word: str, properties: Mapping[str, Any] | None) -> None:
        with _errors():
            query = self._connection.client.stream_query(text, properties)
        self._query = query
        self._description = _describe(query.column_types)
        self._rows = iter(query)

    def _print(self, text: str, word: str, properties: Mapping[str, Any] | None) -> NoReturn:
        raise NotSupportedError(
            "PRINT shows a topic's records, not a result set; use "
            "connection.client.print_topic(...) instead"
        )

    def executemany(self, sql: str, seq_of_params: Iterable[Sequence[Any]]) -> Cursor:
        """Run a statement once per parameter set; a plain ``INSERT ... VALUES (?, ...)`` streams.

        When every value of the INSERT is a placeholder, the rows go over ``/inserts-stream`` in
        batches (read lazily) instead of one statement per row; ``rowcount`` is the rows inserted.
        """
        self._check()
        self._reset()
        tokens = _tokens(sql)
        if _first_word(tokens) in ("SELECT", "PRINT"):
            raise ProgrammingError(
                "executemany() runs statements, not queries; use execute() for a query"
            )
        shape = _fast_insert(tokens)
        if shape is not None:
            self._stream_inserts(shape, seq_of_params)
            return self
        total = 0
        for params in seq_of_params:
            self.execute(sql, params)
            total = -1 if total < 0 or self._rowcount < 0 else total + self._rowcount
        self._rowcount = total
        return self

    def _stream_inserts(self, shape: _FastInsert, seq_of_params: Iterable[Sequence[Any]]) -> None:
        rows = iter(seq_of_params)
        first = next(rows, None)
        if first is None:
            self._rowcount = 0
            return
        client = self._connection.client
        names = shape.columns
        if names is None:
            with _errors():
                described = client.describe_source(_key(shape.target))
            # As ksqlDB does for INSERT without columns: keys, then values; no header columns.
            fields = [f for f in described.fields if not f.header and f.name not in _PSEUDO_COLUMNS]
            names = [f.name for f in fields if f.key] + [f.name for f in fields if not f.key]
            what = f"{shape.target} has {len(names)} columns ({', '.join(names)})"
        else:
            what = f"the INSERT names {len(names)} columns"
        if len(names) != shape.width:
            raise ProgrammingError(f"{what} but VALUES has {shape.width} placeholders")
        keys = [_key(name) for name in names]
        with _errors():
            try:
                result = client.stream_inserts(_key(shape.target), _insert_rows(keys, first, rows))
            except TypeError as error:  # a value the JSON encoder cannot send
                raise ProgrammingError(str(error)) from error
        self._rowcount = result.rows

    def fetchone(self) -> Row | None:
        """The next row, or None when the query ended (waits for a push query's next row)."""
        rows = self._source()
        with _errors():
            row = next(rows, None)
        if row is None:
            self._finish()
            return None
        self._fetched += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[Row]:
        """Up to ``size`` (default ``arraysize``) rows; fewer only when the query ended."""
        count = self.arraysize if size is None else size
        if count < 0:
            raise ProgrammingError(f"fetchmany() needs a size of 0 or more, not {count}")
        rows = self._source()
        with _errors():
            batch = list(islice(rows, count))
        self._fetched += len(batch)
        if len(batch) < count:
            self._finish()
        return batch

    def fetchall(self) -> list[Row]:
        """Every remaining row (on a push query without LIMIT this waits for ever)."""
        rows = self._source()
        with _errors():
            batch = list(rows)
        self._fetched += len(batch)
        self._finish()
        return batch

    def _source(self) -> Iterator[Row]:
        self._check()
        if self._rows is None:
            raise ProgrammingError(
                "no result set to fetch from: execute() a query (SELECT) or a SHOW/LIST first"
            )
        return self._rows

    def _finish(self) -> None:
        if self._query is not None:
            self._rowcount = self._fetched
            with _errors():
                self._query.close()  # ended already: this only releases it

    def __iter__(self) -> Iterator[Row]:
        """Iterate the remaining rows."""
        return self

    def __next__(self) -> Row:
        """The next row (StopIteration when the query ended)."""
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def setinputsizes(self, sizes: Any) -> None:
        """Do nothing (allowed by PEP 249): values are rendered as literals whatever their size."""

    def setoutputsize(self, size: Any, column: int | None = None) -> None:
        """Do nothing (allowed by PEP 249): ksqlDB values arrive whole."""

    def close(self) -> None:
        """Stop a running query on the server and close the cursor; closing twice is a no-op."""
        if self._closed:
            return
        self._closed = True
        self._reset()

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _insert_rows(
    keys: list[str], first: Sequence[Any], rest: Iterator[Sequence[Any]]
) -> Iterator[dict[str, Any]]:
    width = len(keys)
    for index, params in enumerate(_chain_one(first, rest)):
        # Runs once per row: tuples and lists skip the (slower) abstract Sequence check.
        values = params if params.__class__ in (tuple, list) else _check_params(params)
        if len(values) != width:
            raise ProgrammingError(
                f"parameter set {index} has {len(values)} value(s) but the INSERT has {width} "
                "placeholders"
            )
        yield dict(zip(keys, values, strict=False))  # the width was checked just above


def _chain_one(first: Sequence[Any], rest: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    yield first
    yield from rest


def _first_word(tokens: Sequence[Token]) -> str:
    return tokens[0].text.upper() if tokens else ""


def _terminated(sql: str, tokens: Sequence[Token]) -> str:
    """``sql`` ending its one statement with ``;`` (the offsets of ``tokens`` stay valid).

    More than one statement is a ProgrammingError: DB-API runs one statement per execute().
    """
    ends = [i for i, token in enumerate(tokens) if token.token_type == TokenType.SEMICOLON]
    if not tokens or (ends and ends[0] == 0):
        raise ProgrammingError("there is no statement to execute")
    if len(ends) > 1 or (ends and ends[0] != len(tokens) - 1):
        raise ProgrammingError(
            "execute() runs one statement; run a script with connection.client.execute_script()"
        )
    if ends:
        return sql
    end = tokens[-1].end + 1  # before any trailing comment, which would swallow the ';'
    return f"{sql[:end]};{sql[end:]}"


# First word of a statement -> how the cursor runs it; anything else goes to /ksql.
_HANDLERS: dict[str, Callable[[Cursor, str, str, Mapping[str, Any] | None], None]] = {
    "SELECT": Cursor._select,
    "PRINT": Cursor._print,
}
