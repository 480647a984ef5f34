"""Full-duplex ``/inserts-stream``: rows go out while their acks come back, on one HTTP/2 request.

httpx sends a whole request body before it reads the response (``http-server-choice.md`` §3), so
the insert stream drives the ``h2`` library itself, on its own connection:

- ``Exchange`` (``_duplex_exchange``) is the sans-IO half: the h2 state machine, the rows
  waiting to be framed, the rows waiting for their ack, and the mapping of every way the
  request can end to one ksqlpy error. It takes bytes in (``incoming``) and hands bytes out
  (``outgoing``); it never touches a socket.
- ``InsertStream`` (a socket and one I/O thread) and ``AsyncInsertStream`` (asyncio streams and a
  reader task) only move bytes between the socket and the exchange, so the twins cannot drift.

Rows are coalesced, never delayed: ``send`` appends the row's line to a buffer and wakes the I/O
side, which frames everything buffered so far (up to the peer's windows and frame size). Rows
sent back to back share DATA frames; a lone row leaves at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterator, Mapping
from typing import Any

from ._config import ClientConfig
from ._duplex_connect import (
    _BUFFER_LIMIT,
    _DEFAULT,
    _READ,
    _connect_error,
    _Counts,
    _each_url,
    _endpoint,
    _no_h2,
    _reason,
    _tls_context,
    connect,
)
from ._duplex_exchange import Exchange, InsertAck
from ._errors import (
    ClientClosedError,
    KsqlTimeoutError,
    ServerUnavailableError,
)
from ._results import InsertsResult

__all__ = ["AsyncInsertStart", "AsyncInsertStream", "Exchange", "InsertAck", "InsertStream"]


class InsertStream(_Counts):
    """A full-duplex insert stream: ``send`` rows whenever you have them, read acks as they come.

    Made by ``Client.insert_stream``; one HTTP/2 request on its own connection, driven by one
    I/O thread. Rows sent back to back share frames; a lone row leaves at once. ``close`` ends
    the request and waits for every ack (at most ``read_timeout`` between two acks).
    """

    def __init__(
        self,
        config: ClientConfig,
        base: str,
        target: str,
        properties: Mapping[str, Any] | None = None,
        *,
        on_close: Callable[[InsertStream], None] | None = None,
    ) -> None:
        self._config = config
        self._on_close = on_close
        base, sock = _each_url(config, base, lambda url: connect(config, url))
        self._x = Exchange(config, base, target, properties)
        self._sock = sock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._woken = False
        self._unsent = bytearray(self._x.start())
        self._stop = False
        self._closed = False
        sock.setblocking(False)
        self._thread = threading.Thread(
            target=self._run, name=f"ksqlpy-inserts-{target}", daemon=True
        )
        self._thread.start()

    # -- the I/O thread ----------------------------------------------------------------------

    def _wake(self) -> None:
        # Called with the lock held: one wake-up byte until the I/O thread takes it.
        if not self._woken:
            self._woken = True
            with contextlib.suppress(BlockingIOError):
                self._wake_w.send(b"\0")

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        sock = self._sock
        selector.register(self._wake_r, selectors.EVENT_READ)
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        x = self._x
        try:
            while True:
                ready = selector.select()
                received: list[bytes] = []
                eof = False
                for key, _ in ready:
                    if key.fileobj is self._wake_r:
                        with contextlib.suppress(BlockingIOError):
                            self._wake_r.recv(4096)
                        continue
                    eof = self._read(received)
                with self._lock:
                    self._woken = False
                    if self._stop:
                        return
                    for data in received:
                        x.incoming(data)
                    if eof:
                        x.lost("the server closed the connection")
                    self._unsent += x.outgoing()
                    self._changed.notify_all()
                    if eof or (x.finished and not self._unsent):
                        return
                if self._unsent:
                    self._write()
                wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if self._unsent else 0)
                selector.modify(sock, wanted)
        except (OSError, ValueError) as error:
            with self._lock:
                x.lost(_reason(error))
                self._changed.notify_all()
        finally:
            selector.close()

    def _read(self, received: list[bytes]) -> bool:
        sock = self._sock
        while True:
            try:
                data = sock.recv(_READ)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return False
            if not data:
                return True
            received.append(data)
            if isinstance(sock, ssl.SSLSocket) and sock.pending():
                continue
            if len(data) < _READ:
                return False

    def _write(self) -> None:
        try:
            sent = self._sock.send(self._unsent)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return
        del self._unsent[:sent]

    # -- the caller's side -------------------------------------------------------------------

    def _check(self) -> None:
        if self._closed:
            raise ClientClosedError(
                f"this insert stream into {self._x.target} is closed; open a new one with "
                "client.insert_stream()"
            )
        if self._x.error is not None:
            raise self._x.error

    def send(self, row: Mapping[str, Any]) -> int:
        """Queue ``row`` for sending now; its seq (0-based). Waits only if 1 MiB is unsent."""
        with self._lock:
            self._check()
            x = self._x
            if len(x.out) > _BUFFER_LIMIT:
                self._wait_until(lambda: len(x.out) <= _BUFFER_LIMIT, "sending")
            seq = x.add(row)
            self._wake()
            return seq

    def flush(self) -> None:
        """Wait until every row sent so far has been handed to the connection."""
        with self._lock:
            self._check()
            self._wake()
            self._wait_until(lambda: not self._x.out and not self._unsent, "flushing")
            self._check()

    def _wait_until(self, done: Callable[[], bool], doing: str) -> None:
        # With the lock held. Flow control may hold rows back: at most read_timeout with no ack.
        x = self._x
        timeout = self._config.read_timeout
        since = time.monotonic()
        while not done() and not x.finished:
            if timeout is None:
                self._changed.wait()
                continue
            left = max(x.last_ack, since) + timeout - time.monotonic()
            if left <= 0:
                error = x.timed_out(timeout)
                self._abort_locked()
                raise error
            self._changed.wait(left)
        if x.error is not None:
            raise x.error

    def poll(self, timeout: float | None = None) -> InsertAck | None:
        """The next ack, waiting at most ``timeout`` seconds (None: until one comes or the end).

        None when the time is up or the stream has ended with every ack read; a refused row
        raises its InsertError, a broken connection ServerUnavailableError.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            x = self._x
            while not x.acks and not x.finished:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._changed.wait(left)
            if x.acks:
                return x.acks.popleft()
            if x.error is not None:
                raise x.error
            return None

    def acks(self) -> Iterator[InsertAck]:
        """Every ack as it arrives, until the stream ends (close it from another thread)."""
        while (ack := self.poll()) is not None:
            yield ack

    def close(self, timeout: float | None = _DEFAULT) -> InsertsResult:
        """End the request and wait for every outstanding ack; the rows inserted.

        ``timeout`` bounds the wait between two acks (default: the client's ``read_timeout``;
        None waits forever). A refused row raises InsertError (``seq``, ``row``), rows never
        acknowledged raise an error naming their seqs. Closing twice does nothing.
        """
        if timeout is _DEFAULT:
            timeout = self._config.read_timeout
        with self._lock:
            if self._closed:
                return InsertsResult(self._x.acked, 1)
            x = self._x
            x.end()
            x.last_ack = max(x.last_ack, time.monotonic())
            self._wake()
            try:
                while not x.finished:
                    if timeout is None:
                        self._changed.wait()
                        continue
                    left = x.last_ack + timeout - time.monotonic()
                    if left <= 0:
                        x.fail(x.timed_out(timeout))
                        break
                    self._changed.wait(left)
            finally:
                self._abort_locked()
            if x.error is not None:
                raise x.error
            return InsertsResult(x.acked, 1)

    def _abort_locked(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop = True
        x = self._x
        self._wake()
        self._lock.release()
        try:
            self._thread.join(5)
            goodbye = bytes(self._unsent) + x.abort()
            with contextlib.suppress(OSError):
                self._sock.setblocking(True)
                self._sock.settimeout(0.5)
                self._sock.sendall(goodbye)
        finally:
            self._lock.acquire()
            for sock in (self._sock, self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    sock.close()
            if self._on_close is not None:
                self._on_close(self)

    def abort(self) -> None:
        """Cancel the request at once without waiting for acks (rows in flight may be lost)."""
        with self._lock:
            self._x.fail(ClientClosedError(f"the inserts into {self._x.target} were aborted"))
            self._abort_locked()

    def __enter__(self) -> InsertStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<InsertStream into {self.target}: {self.acked} of {self.sent} acked{state}>"


# -- the asyncio twin ---------------------------------------------------------------------------


async def _open(config: ClientConfig, base: str) -> tuple[asyncio.StreamReader, Any]:
    host, port, tls = _endpoint(base)
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                host,
                port,
                ssl=_tls_context(config) if tls else None,
                server_hostname=host if tls else None,
            ),
            config.connect_timeout,
        )
    except (OSError, TimeoutError) as error:
        raise _connect_error(error, config, base) from error
    raw = writer.get_extra_info("socket")
    if raw is not None:
        with contextlib.suppress(OSError):
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if tls:
        tls_object = writer.get_extra_info("ssl_object")
        if tls_object is None or tls_object.selected_alpn_protocol() != "h2":
            writer.close()
            raise _no_h2(base)
    return reader, writer


class AsyncInsertStream(_Counts):
    """The asyncio twin of ``InsertStream``: awaitable ``send``/``poll``/``close``, ``async for``.

    Made by ``await AsyncClient.insert_stream(...)``; a reader task takes the acks as they come,
    and rows buffered by ``send`` leave as soon as the event loop runs.
    """

    def __init__(
        self,
        config: ClientConfig,
        exchange: Exchange,
        reader: asyncio.StreamReader,
        writer: Any,
        on_close: Callable[[AsyncInsertStream], None] | None = None,
    ) -> None:
        self._config = config
        self._x = exchange
        self._reader = reader
        self._writer = writer
        self._on_close = on_close
        self._closed = False
        self._scheduled = False
        self._changed = asyncio.Event()
        writer.write(exchange.start())
        self._task = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(
        cls,
        config: ClientConfig,
        base: str,
        target: str,
        properties: Mapping[str, Any] | None = None,
        *,
        on_close: Callable[[AsyncInsertStream], None] | None = None,
    ) -> AsyncInsertStream:
        """Connect and start the request (``AsyncClient.insert_stream`` calls this)."""
        order = list(config.urls)
        start = order.index(base) if base in order else 0
        order = order[start:] + order[:start]
        for i, url in enumerate(order):
            try:
                reader, writer = await _open(config, url)
            except (ServerUnavailableError, KsqlTimeoutError):
                if i == len(order) - 1:
                    raise
                continue
            exchange = Exchange(config, url, target, properties)
            return cls(config, exchange, reader, writer, on_close)
        raise AssertionError("unreachable")

    def _signal(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _pump(self) -> None:
        self._scheduled = False
        if self._writer.is_closing():
            return
        data = self._x.outgoing()
        if data:
            self._writer.write(data)

    async def _read(self) -> None:
        x = self._x
        try:
            while not x.finished:
                data = await self._reader.read(_READ)
                if not data:
                    x.lost("the server closed the connection")
                    break
                x.incoming(data)
                self._pump()
                self._signal()
        except (OSError, ssl.SSLError) as error:
            x.lost(_reason(error))
        finally:
            self._signal()

    async def _wait(self, timeout: float | None) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    def _check(self) -> None:
        if self._closed:
            raise ClientClosedError(
                f"this insert stream into {self._x.target} is closed; open a new one with "
                "client.insert_stream()"
            )
        if self._x.error is not None:
            raise self._x.error

    async def send(self, row: Mapping[str, Any]) -> int:
        """Queue ``row``; its seq. It leaves when the loop next runs (at once if 1 MiB waits)."""
        self._check()
        seq = self._x.add(row)
        await self._after_add()
        return seq

    async def _after_add(self) -> None:
        x = self._x
        if len(x.out) > _BUFFER_LIMIT:
            self._pump()
            await self._drain()
            await self._wait_for(lambda: len(x.out) <= _BUFFER_LIMIT)
        elif not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._pump)

    async def _drain(self) -> None:
        try:
            await self._writer.drain()
        except (OSError, ssl.SSLError) as error:
            self._x.lost(_reason(error))
            self._check()

    async def _wait_for(self, done: Callable[[], bool]) -> None:
        x = self._x
        timeout = self._config.read_timeout
        since = time.monotonic()
        while not done() and not x.finished:
            left = None if timeout is None else max(x.last_ack, since) + timeout - time.monotonic()
            if left is not None and left <= 0:
                error = x.timed_out(timeout)
                await self._shut()
                raise error
            await self._wait(left)
        self._check()

    async def flush(self) -> None:
        """Wait until every row sent so far has been handed to the connection."""
        self._check()
        self._pump()
        await self._wait_for(lambda: not self._x.out)
        await self._drain()

    async def poll(self, timeout: float | None = None) -> InsertAck | None:
        """The next ack, waiting at most ``timeout`` seconds; None when time is up or at the end."""
        x = self._x
        deadline = None if timeout is None else time.monotonic() + timeout
        while not x.acks and not x.finished:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            await self._wait(left)
        if x.acks:
            return x.acks.popleft()
        if x.error is not None:
            raise x.error
        return None

    async def acks(self) -> AsyncIterator[InsertAck]:
        """Every ack as it arrives, until the stream ends (close it from another task)."""
        while (ack := await self.poll()) is not None:
            yield ack

    def __aiter__(self) -> AsyncIterator[InsertAck]:
        return self.acks()

    async def close(self, timeout: float | None = _DEFAULT) -> InsertsResult:
        """End the request and wait for every outstanding ack (see ``InsertStream.close``)."""
        if timeout is _DEFAULT:
            timeout = self._config.read_timeout
        if self._closed:
            return InsertsResult(self._x.acked, 1)
        x = self._x
        x.end()
        x.last_ack = max(x.last_ack, time.monotonic())
        try:
            self._pump()
            while not x.finished:
                left = None if timeout is None else x.last_ack + timeout - time.monotonic()
                if left is not None and left <= 0:
                    x.fail(x.timed_out(timeout))
                    break
                await self._wait(left)
        finally:
            await self._shut()
        if x.error is not None:
            raise x.error
        return InsertsResult(x.acked, 1)

    async def _shut(self) -> None:
        if self._closed:
            return
        self._closed = True
        x = self._x
        goodbye = x.abort() if not x.finished else b""
        writer = self._writer
        try:
            if goodbye and not writer.is_closing():
                writer.write(goodbye)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError, ssl.SSLError):
                await self._task
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1)
        finally:
            if self._on_close is not None:
                self._on_close(self)

    async def abort(self) -> None:
        """Cancel the request at once without waiting for acks (rows in flight may be lost)."""
        if not self._closed:
            self._x.fail(ClientClosedError(f"the inserts into {self._x.target} were aborted"))
        await self._shut()

    async def __aenter__(self) -> AsyncInsertStream:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is None:
            await self.close()
        else:
            await self.abort()

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<AsyncInsertStream into {self.target}: {self.acked} of {self.sent} acked{state}>"


class AsyncInsertStart:
    """What ``AsyncClient.insert_stream`` returns: ``async with`` it, or ``await`` it.

    ``async with client.insert_stream(target) as stream`` opens the stream and closes it on exit
    (waiting for every ack; an exception in the block aborts it instead);
    ``stream = await client.insert_stream(target)`` only opens it.
    """

    __slots__ = ("_start", "_stream")

    def __init__(self, start: Coroutine[Any, Any, AsyncInsertStream]) -> None:
        self._start = start
        self._stream: AsyncInsertStream | None = None

    def __await__(self) -> Generator[Any, None, AsyncInsertStream]:
        return self._start.__await__()

    async def __aenter__(self) -> AsyncInsertStream:
        self._stream = await self._start
        return self._stream

    async def __aexit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if self._stream is not None:
            await self._stream.__aexit__(kind, *exc)
