"""The async streamed query: ``async for``, ``await poll()``, ``async with`` over one HTTP
response, closed on the server with ``/close-query`` as its sync twin in ``_results`` is."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any

from ._errors import KsqlError, NotFoundError, ResultTooLargeError
from ._query_decoders import QueryDecoder
from ._results import END, StreamState
from ._rows import Row

if TYPE_CHECKING:
    import httpx

    from ._transport import AsyncTransport

__all__ = ["AsyncQueryStart", "AsyncStreamedQuery"]


class AsyncQueryStart:
    """What ``AsyncClient.stream_query`` returns: ``async with`` it, or ``await`` it.

    ``async with client.stream_query(sql) as query`` starts the query and closes it on exit;
    ``query = await client.stream_query(sql)`` only starts it.
    """

    __slots__ = ("_query", "_start")

    def __init__(self, start: Coroutine[Any, Any, AsyncStreamedQuery]) -> None:
        self._start = start
        self._query: AsyncStreamedQuery | None = None

    def __await__(self) -> Generator[Any, None, AsyncStreamedQuery]:
        return self._start.__await__()

    async def __aenter__(self) -> AsyncStreamedQuery:
        self._query = await self._start
        return self._query

    async def __aexit__(self, *exc: object) -> None:
        if self._query is not None:
            await self._query.close()


class AsyncStreamedQuery(StreamState):
    """The ``async`` twin of ``StreamedQuery``: ``async for``, ``await poll()``, ``async with``.

    >>> async with client.stream_query("SELECT * FROM pageviews EMIT CHANGES;") as query:
    ...     async for row in query:
    ...         print(row.as_dict())
    """

    def __init__(
        self,
        transport: AsyncTransport,
        response: httpx.Response,
        chunks: AsyncIterator[bytes],
        decoder: QueryDecoder,
        pending: list[Any],
        sql: str,
        on_close: Callable[[AsyncStreamedQuery], None],
        idle_timeout: float | None = None,
    ) -> None:
        super().__init__(decoder, pending, sql, idle_timeout)
        self._transport = transport
        self._response = response
        self._chunks = chunks
        self._on_close = on_close
        self._where = f"the query {decoder.query_id or sql!r}"
        self._rows_iter: AsyncIterator[Any] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[Any] | None = None
        self._polled: deque[Any] = deque()
        self._pump_done = False

    async def _batches(self) -> AsyncIterator[list[Any]]:
        if self._pending:
            pending, self._pending = self._pending, []
            yield pending
        decoder = self._decoder
        error: KsqlError | None = decoder.error
        if error is None and not decoder.complete:
            try:
                eof = True
                async for chunk in self._chunks:
                    rows = decoder.feed(chunk)
                    if rows:
                        yield rows
                    if decoder.error is not None:
                        eof = False
                        break
                if eof:
                    rows = decoder.feed_eof()
                    if rows:
                        yield rows
            except KsqlError as failure:
                if self._closed:
                    return
                error = self._failed(failure)
        self._finished = True
        await self._response.aclose()
        error = error or decoder.error
        if error is not None and not self._closed:
            raise error

    async def _iterate(self) -> AsyncIterator[Any]:
        # poll() and iteration exclude each other (_check), so rows come from here only.
        async for batch in self._batches():
            for row in batch:
                yield row
            if self._closed:
                return

    def __aiter__(self) -> AsyncIterator[Row]:
        """The rows, as the server sends them (the same iterator every time)."""
        if self._rows_iter is None:
            self._check("iteration")
            self._rows_iter = self._iterate()
        return self._rows_iter

    async def __anext__(self) -> Row:
        """The next row; StopAsyncIteration when the query ends."""
        if self._closed:
            self._check("iteration")
        return await self.__aiter__().__anext__()

    def batches(self) -> AsyncIterator[list[Row]]:
        """The rows in the batches they arrived in: the fastest way to consume a big stream."""
        self._check("batches")
        return self._batches()

    async def _pump_run(self) -> None:
        assert self._queue is not None
        try:
            async for batch in self._batches():
                await self._queue.put(batch)
        except KsqlError as error:
            await self._queue.put(error)
            return
        await self._queue.put(END)

    async def _next_pumped(self, timeout: float | None) -> list[Any] | None:
        assert self._queue is not None
        if self._pump_done:
            return None
        try:
            item = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None
        if item is END:
            self._pump_done = True
            return None
        if isinstance(item, KsqlError):
            self._pump_done = True
            raise item
        return item  # type: ignore[no-any-return]

    async def poll(self, timeout: float | None = None) -> Row | None:
        """The next row, waiting at most ``timeout`` seconds; None on timeout or at the end."""
        if self._polled:
            return self._polled.popleft()  # type: ignore[no-any-return]
        self._check("poll()")
        if self._queue is None:
            self._queue = asyncio.Queue(maxsize=64)
            self._pump = asyncio.get_running_loop().create_task(self._pump_run())
        batch = await self._next_pumped(timeout)
        if not batch:
            return None
        self._polled.extend(batch[1:])
        return batch[0]  # type: ignore[no-any-return]

    async def fetchall(self, max_rows: int | None = None) -> list[Row]:
        """Read the stream to its end into a list (ResultTooLargeError past ``max_rows``)."""
        self._check("fetchall()")
        rows: list[Any] = []
        async for batch in self._batches():
            rows.extend(batch)
            if max_rows is not None and len(rows) > max_rows:
                await self.close()
                raise ResultTooLargeError(
                    f"{self.sql!r} returned more than max_rows={max_rows} rows; the query was "
                    "closed. Add a LIMIT, raise max_rows, or use stream_query() to iterate"
                )
        return rows

    async def close(self) -> None:
        """Stop the query on the server (``/close-query``) and release the stream; idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._needs_close_query():
                try:
                    await self._transport.send(self._close_request())
                except NotFoundError:
                    pass  # it ended on its own meanwhile
                except KsqlError:
                    pass  # the server is gone: closing the connection below is all we can do
        finally:
            if self._pump is not None and not self._pump.done():
                self._pump.cancel()
                with contextlib.suppress(asyncio.CancelledError, KsqlError):
                    await self._pump
            await self._response.aclose()
            self._on_close(self)

    async def __aenter__(self) -> AsyncStreamedQuery:
        return self

    def __del__(self) -> None:
        self._warn_unclosed()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
