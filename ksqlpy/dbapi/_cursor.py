"""The DB-API connection and cursor over one ``ksqlpy.Client``."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, NoReturn

from sqlglot.tokenizer_core import Token, TokenType

from ksqlpy._entities import Entity
from ksqlpy._rows import Row, row_type
from ksqlpy._statements import SUBSTITUTION, VERBATIM
from ksqlpy.sql import substitute

from ._binding import _check_params, _fast_insert, _FastInsert, _key, _tokens, bind
from ._errors import InterfaceError, NotSupportedError, ProgrammingError, _errors
from ._types import _LISTINGS, _PSEUDO_COLUMNS, _describe

if TYPE_CHECKING:
    from ksqlpy._client import Client
    from ksqlpy._results import StreamedQuery


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
