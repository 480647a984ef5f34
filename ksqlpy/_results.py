"""Query results: streamed (push or pull; the async twin is in ``_async_results``), collected,
and insert summaries.

A streamed query owns one HTTP response. Closing it (explicitly, with ``with``/``async with``, or
by closing its client) tells the server to stop the query with ``/close-query`` and releases the
response, so a query is never left running on the server by accident. httpx does not reset an
HTTP/2 stream when a response is closed early, so ``/close-query`` is what actually stops it.
"""

from __future__ import annotations

import importlib
import queue
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

from ._errors import (
    ClientClosedError,
    KsqlError,
    KsqlTimeoutError,
    NotFoundError,
    ResultTooLargeError,
)
from ._protocol import Request, close_query_request
from ._query_decoders import QueryDecoder
from ._rows import Row
from ._types import Column

if TYPE_CHECKING:
    import httpx

    from ._transport import SyncTransport

__all__ = [
    "END",
    "InsertsResult",
    "QueryResult",
    "StreamState",
    "StreamedQuery",
    "silent_query_error",
]

END = object()
_READER_WAIT = 1.0
"""Seconds ``close()`` waits for the server to end the stream it was asked to stop."""


def silent_query_error(decoder: QueryDecoder, sql: str, idle_timeout: float) -> KsqlTimeoutError:
    """The error for a query whose stream sent nothing for ``idle_timeout`` seconds."""
    return KsqlTimeoutError(
        f"query {decoder.query_id or '(not started)'} ({sql!r}) received nothing from ksqlDB "
        f"for {idle_timeout:g} s (idle_timeout={idle_timeout:g}): the server may have stopped, "
        "frozen or lost the connection; raise idle_timeout= if the query is just quiet"
    )


@dataclass(frozen=True, slots=True)
class InsertsResult:
    """What ``stream_inserts`` did: every row it sent was acknowledged by the server."""

    rows: int
    """How many rows were inserted (and acknowledged)."""
    requests: int
    """How many ``/inserts-stream`` requests carried them."""


class QueryResult(Sequence[Row]):
    """The rows of a finished query, collected in a list, with the query's metadata.

    ``rows`` are ``Row`` objects (plain lists in raw mode); ``to_pandas()`` builds a DataFrame
    when pandas is installed.
    """

    __slots__ = ("column_types", "columns", "query_id", "rows")

    def __init__(self, query_id: str | None, columns: tuple[Column, ...], rows: list[Any]) -> None:
        self.query_id = query_id
        self.column_types = columns
        self.columns = tuple(column.name for column in columns)
        self.rows = rows

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Row]: ...
    def __getitem__(self, index: int | slice) -> Row | Sequence[Row]:
        """A row by position (or a slice of rows)."""
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __repr__(self) -> str:
        return (
            f"QueryResult(query_id={self.query_id!r}, columns={self.columns!r}, rows={len(self)})"
        )

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` of the rows, columns named as in ksqlDB (needs pandas)."""
        try:
            pandas = importlib.import_module("pandas")
        except ImportError as error:
            raise KsqlError(
                "to_pandas() needs pandas; install it with 'pip install pandas'"
            ) from error
        return pandas.DataFrame.from_records(
            [tuple(row) for row in self.rows], columns=list(self.columns)
        )


class StreamState:
    """What both streamed-query twins hold: header facts, pending rows, closing state."""

    def __init__(
        self, decoder: QueryDecoder, pending: list[Any], sql: str, idle_timeout: float | None
    ) -> None:
        self._decoder = decoder
        self._pending = pending
        self.sql = sql
        self.idle_timeout = idle_timeout
        self._closed = False
        self._finished = False
        self._stalled = False
        self._started: str | None = None

    @property
    def query_id(self) -> str | None:
        """The server's id of the query (``transient_...`` for push, ``query_...`` for pull)."""
        return self._decoder.query_id

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(column.name for column in self._decoder.columns)

    @property
    def column_types(self) -> tuple[Column, ...]:
        """The columns with their parsed types."""
        return self._decoder.columns

    @property
    def closed(self) -> bool:
        """True once ``close()`` ran (or the client closed)."""
        return self._closed

    @property
    def finished(self) -> bool:
        """True when the server ended the stream (LIMIT reached, pull query done, or closed)."""
        return self._finished

    @property
    def final_message(self) -> str | None:
        """How the server ended the stream: ``Limit Reached`` or ``Query Completed``.

        Only the ``format="json"`` stream says so; the delimited one simply ends.
        """
        return self._decoder.final_message

    @property
    def continuation_token(self) -> str | None:
        """The last continuation token of a scalable push query, when the server sends them."""
        return self._decoder.continuation_token

    def _check(self, how: str) -> None:
        if self._closed:
            raise ClientClosedError(
                f"query {self.query_id} is closed; start a new one with stream_query()"
            )
        if self._started is not None and self._started != how:
            raise KsqlError(
                f"this query is consumed by {self._started}; use either iteration or poll(), "
                "not both"
            )
        self._started = how

    def _needs_close_query(self) -> bool:
        # A stream that went silent ended here, not on the server: stop it there too.
        return (self._stalled or not self._finished) and self.query_id is not None

    def _close_request(self) -> Request:
        # After a silent spell the server may be frozen: give it no longer than it had.
        return close_query_request(
            self.query_id or "", self.idle_timeout if self._stalled else None
        )

    def _failed(self, failure: KsqlError) -> KsqlError:
        self._stalled = isinstance(failure, KsqlTimeoutError) and self.idle_timeout is not None
        return failure

    def _warn_unclosed(self) -> bool:
        # Like an unclosed file: a query dropped while still running may keep running on the
        # server until its client closes. The warning names it; closing needs network I/O,
        # which a garbage collector must not do.
        if getattr(self, "_closed", True) or getattr(self, "_finished", True):
            return False
        warnings.warn(
            f"query {self.query_id} was never closed; use 'with client.stream_query(...)' or "
            "call close(), which stops it on the server",
            ResourceWarning,
            stacklevel=2,
            source=self,
        )
        return True

    def __repr__(self) -> str:
        state = "closed" if self._closed else "finished" if self._finished else "open"
        return f"<{type(self).__name__} {self.query_id} {list(self.columns)} {state}>"


class StreamedQuery(StreamState):
    """A running push or pull query: metadata now, rows as they arrive, closed on exit.

    >>> with client.stream_query("SELECT * FROM pageviews EMIT CHANGES;") as query:
    ...     print(query.query_id, query.columns)
    ...     for row in query:
    ...         print(row["USERID"], row[1])
    ...         break   # leaving the block stops the query on the server
    """

    def __init__(
        self,
        transport: SyncTransport,
        response: httpx.Response,
        chunks: Iterator[bytes],
        decoder: QueryDecoder,
        pending: list[Any],
        sql: str,
        on_close: Callable[[StreamedQuery], None],
        idle_timeout: float | None = None,
    ) -> None:
        super().__init__(decoder, pending, sql, idle_timeout)
        self._transport = transport
        self._response = response
        self._chunks = chunks
        self._on_close = on_close
        self._where = f"the query {decoder.query_id or sql!r}"
        self._rows_iter: Iterator[Any] | None = None
        self._pump: _Pump | None = None
        self._polled: deque[Any] = deque()
        self._lock = threading.Lock()
        self._not_reading = threading.Event()  # cleared while a thread iterates the stream
        self._not_reading.set()
        self._reader: threading.Thread | None = None

    def _batches(self) -> Iterator[list[Any]]:
        if self._pending:
            pending, self._pending = self._pending, []
            yield pending
        decoder = self._decoder
        error: KsqlError | None = decoder.error
        if error is None and not decoder.complete:
            self._reader = threading.current_thread()
            self._not_reading.clear()
            try:
                for chunk in self._chunks:
                    rows = decoder.feed(chunk)
                    if rows:
                        yield rows
                    if decoder.error is not None:
                        break
                else:
                    rows = decoder.feed_eof()
                    if rows:
                        yield rows
            except KsqlError as failure:
                if self._closed:
                    return
                error = self._failed(failure)
            finally:
                self._not_reading.set()
        self._finished = True
        self._response.close()
        error = error or decoder.error
        if error is not None and not self._closed:
            raise error

    def _iterate(self) -> Iterator[Any]:
        # poll() and iteration exclude each other (_check), so rows come from here only.
        for batch in self._batches():
            yield from batch
            if self._closed:
                return

    def __iter__(self) -> Iterator[Row]:
        """The rows, as the server sends them (the same iterator every time)."""
        if self._rows_iter is None:
            self._check("iteration")
            self._rows_iter = self._iterate()
        return self._rows_iter

    def __next__(self) -> Row:
        """The next row (blocks until one arrives; StopIteration when the query ends)."""
        if self._closed:
            self._check("iteration")
        return next(iter(self))

    def batches(self) -> Iterator[list[Row]]:
        """The rows in the batches they arrived in: the fastest way to consume a big stream."""
        self._check("batches")
        return self._batches()

    def poll(self, timeout: float | None = None) -> Row | None:
        """The next row, waiting at most ``timeout`` seconds; None on timeout or at the end.

        A background thread reads the stream from the first call on; ``finished`` tells an end
        from a timeout.
        """
        if self._polled:
            return self._polled.popleft()  # type: ignore[no-any-return]
        self._check("poll()")
        if self._pump is None:
            self._pump = _Pump(self._batches)
        batch = self._pump.get(timeout)
        if not batch:
            return None
        self._polled.extend(batch[1:])
        return batch[0]  # type: ignore[no-any-return]

    def fetchall(self, max_rows: int | None = None) -> list[Row]:
        """Read the stream to its end into a list (ResultTooLargeError past ``max_rows``)."""
        self._check("fetchall()")
        rows: list[Any] = []
        for batch in self._batches():
            rows.extend(batch)
            if max_rows is not None and len(rows) > max_rows:
                self.close()
                raise ResultTooLargeError(
                    f"{self.sql!r} returned more than max_rows={max_rows} rows; the query was "
                    "closed. Add a LIMIT, raise max_rows, or use stream_query() to iterate"
                )
        return rows

    def close(self) -> None:
        """Stop the query on the server (``/close-query``) and release the stream; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        stopped = False
        try:
            if self._needs_close_query():
                try:
                    self._transport.send(self._close_request())
                    stopped = True
                except NotFoundError:
                    stopped = True  # it ended on its own meanwhile
                except KsqlError:
                    pass  # the server is gone: closing the connection below is all we can do
        finally:
            # A thread may be blocked reading this stream (poll()'s pump, or a caller iterating
            # in another thread). Over HTTP/2, closing the response under it makes httpcore
            # forget the stream while the thread keeps reading the connection for it: so first
            # let it read the end the server sends once the query is stopped, and only then
            # release the response.
            wait = _READER_WAIT if stopped else 0.0
            if self._pump is not None:
                self._pump.stop(wait)
            elif self._reader is not threading.current_thread():
                self._not_reading.wait(wait)
            self._response.close()
            self._on_close(self)

    def __enter__(self) -> StreamedQuery:
        return self

    def __del__(self) -> None:
        if self._warn_unclosed():
            self._response.close()  # over HTTP/1.1 this also ends the query on the server

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Pump:
    """A thread reading batches into a bounded queue, so ``poll()`` can wait with a timeout."""

    def __init__(self, source: Callable[[], Iterator[list[Any]]]) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=64)
        self._stopped = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(source,), daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> None:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _run(self, source: Callable[[], Iterator[list[Any]]]) -> None:
        try:
            for batch in source():
                self._put(batch)
                if self._stopped.is_set():
                    return
        except KsqlError as error:
            self._put(error)
            return
        self._put(END)

    def get(self, timeout: float | None) -> list[Any] | None:
        if self._done:
            return None
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is END:
            self._done = True
            return None
        if isinstance(item, KsqlError):
            self._done = True
            raise item
        return item  # type: ignore[no-any-return]

    def stop(self, wait: float) -> None:
        """Let the thread end as soon as its current read returns; wait up to ``wait`` s."""
        self._stopped.set()
        self._thread.join(timeout=wait)
