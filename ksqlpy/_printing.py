"""``PRINT 'topic'``: a topic's records as the text lines ksqlDB renders, streamed.

ksqlDB answers PRINT on ``/query-stream`` with plain lines (``Key format: ...``, ``Value format:
...``, then ``rowtime: ..., key: ..., value: ..., partition: N`` per record) rather than rows, so
it has its own small result type. Leaving the ``with`` block (or ``close()``) ends it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any


def _lines(buffer: bytearray, chunk: bytes) -> list[str]:
    """Complete lines of ``buffer + chunk`` (the rest stays in ``buffer``)."""
    buffer += chunk
    *complete, rest = bytes(buffer).split(b"\n")
    buffer[:] = rest
    return [line.decode("utf-8", "replace") for line in complete if line.strip()]


class PrintedTopic:
    """The lines of a running ``PRINT``, as they arrive.

    >>> with client.print_topic("PRINT 'pageviews' FROM BEGINNING LIMIT 3;") as printed:
    ...     for line in printed:
    ...         print(line)
    """

    def __init__(self, response: Any, chunks: Iterator[bytes]) -> None:
        self._response = response
        self._chunks = chunks
        self._buffer = bytearray()
        self.closed = False

    def __iter__(self) -> Iterator[str]:
        for chunk in self._chunks:
            yield from _lines(self._buffer, chunk)
        if self._buffer.strip():
            yield self._buffer.decode("utf-8", "replace")
            self._buffer.clear()

    def close(self) -> None:
        """Stop printing; a second call does nothing."""
        if not self.closed:
            self.closed = True
            self._response.close()

    def __enter__(self) -> PrintedTopic:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncPrintedTopic:
    """The ``async`` twin of :class:`PrintedTopic`.

    >>> async with await client.print_topic("PRINT 'pageviews' LIMIT 3;") as printed:
    ...     async for line in printed:
    ...         print(line)
    """

    def __init__(self, response: Any, chunks: AsyncIterator[bytes]) -> None:
        self._response = response
        self._chunks = chunks
        self._buffer = bytearray()
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[str]:
        async for chunk in self._chunks:
            for line in _lines(self._buffer, chunk):
                yield line
        if self._buffer.strip():
            yield self._buffer.decode("utf-8", "replace")
            self._buffer.clear()

    async def close(self) -> None:
        """Stop printing; a second call does nothing."""
        if not self.closed:
            self.closed = True
            await self._response.aclose()

    async def __aenter__(self) -> AsyncPrintedTopic:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
