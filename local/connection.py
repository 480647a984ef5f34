"""Connections of the local server: hypercorn's HTTP/1.1 and HTTP/2 protocols, adjusted to what
ksqlDB (Vert.x) puts on the wire, under an accept loop of our own.

What differs from plain ``hypercorn.asyncio.serve``:
- a line of a response body is never shared with another line in one HTTP/1.1 chunk or one
  HTTP/2 DATA frame: ksqlDB writes every header line, row and ack on its own, and clients that
  parse one JSON value per chunk or frame exist. The app still hands over many lines per send
  (one send per row costs more than the rest of a query); the cut happens here, in C-speed
  splits and one socket write per batch;
- HTTP/1.1 status lines carry the reason phrase (``HTTP/1.1 200 OK``);
- ``Upgrade: h2c`` is honoured on a request with a body (the body is read over HTTP/1.1, then
  the answer comes over HTTP/2, as Vert.x does);
- request data for an HTTP/2 stream whose answer already ended (an error before the body was
  read) is acknowledged and dropped, instead of breaking or stalling the connection and every
  other request on it;
- a connection the client closed is closed at once (no CLOSE-WAIT until the keep-alive ends).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import struct
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import h2.events
import h2.exceptions
import h11
from hypercorn.asyncio.task_group import TaskGroup
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config
from hypercorn.events import Closed, Event, RawData
from hypercorn.protocol.events import Body, EndBody, Response
from hypercorn.protocol.events import Event as StreamEvent
from hypercorn.protocol.h2 import H2Protocol
from hypercorn.protocol.h11 import H2CProtocolRequiredError, H2ProtocolAssumedError, H11Protocol
from hypercorn.typing import AppWrapper, ConnectionState, LifespanState
from hypercorn.utils import parse_socket_addr
from priority.priority import MissingStreamError

from .wire import ELEMENT_END, ELEMENTS_HEADER

# Bytes taken from an HTTP/2 stream's buffer per pass of the sender (each line its own frame).
H2_PASS_BYTES = 1 << 18
# The largest body of an ``Upgrade: h2c`` request kept until the switch.
UPGRADE_BODY_BYTES = 64 << 20


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode("latin-1")
    except ValueError:
        return b""


def _lines(data: bytes) -> list[bytes]:
    """``data`` cut after every newline (the last piece may lack one)."""
    parts = data.split(b"\n")
    last = parts.pop()
    out = [part + b"\n" for part in parts]
    if last:
        out.append(last)
    return out


_END = ELEMENT_END.encode()


def _unmarked(event: Response) -> tuple[Response, bool]:
    """The response without ``ELEMENTS_HEADER``, and whether it had it."""
    headers = [h for h in event.headers if (h[0].lower(), h[1]) != ELEMENTS_HEADER]
    if len(headers) == len(event.headers):
        return event, False
    return dataclasses.replace(event, headers=headers), True


def _pieces(data: bytes, marks: list[int]) -> list[bytes]:
    """``data`` cut after every newline and at every mark (offsets where a write ended)."""
    if not marks:
        return _lines(data)
    out: list[bytes] = []
    start = 0
    for mark in [*marks, len(data)]:
        if mark > start:
            out += _lines(data[start:mark])
            start = mark
    return out


class _BodyBeforeUpgrade:
    """Stands in for the HTTP/1.1 stream of an ``Upgrade: h2c`` request that has a body: it
    keeps the body, then asks for the switch to HTTP/2 once the body is complete."""

    idle = False

    def __init__(self, protocol: _H11, request: h11.Request) -> None:
        self.protocol = protocol
        self.request = request
        self.body: list[bytes] = []
        self.size = 0

    async def handle(self, event: StreamEvent) -> None:
        if isinstance(event, Body):
            self.body.append(bytes(event.data))
            self.size += len(event.data)
            if self.size > UPGRADE_BODY_BYTES:  # no answer can follow: the connection ends
                await self.protocol.send(Closed())
        elif isinstance(event, EndBody):
            await self.protocol.switch_to_h2c(self.request, b"".join(self.body))


class _UpgradeWithBody(H2CProtocolRequiredError):
    def __init__(self, data: bytes, request: h11.Request, body: bytes) -> None:
        super().__init__(data, request)
        self.body = body


class _H11(H11Protocol):
    """hypercorn's HTTP/1.1 with reason phrases, one chunk per line and h2c upgrades with a body."""

    chunked = False
    _pending_upgrade: h11.Request | None = None

    async def _send_h11_event(self, event: Any) -> None:
        if isinstance(event, (h11.Response, h11.InformationalResponse)) and not event.reason:
            event = type(event)(
                status_code=event.status_code,
                headers=event.headers,
                http_version=event.http_version,
                reason=_reason(event.status_code),
            )
        if isinstance(event, h11.Response):
            try:
                data = self.connection.send(event)
            except h11.LocalProtocolError:
                if self.connection.their_state != h11.ERROR:
                    raise
                return
            # h11 frames the body in chunks when the response has no length (HTTP/1.1 only).
            self.chunked = b"\r\ntransfer-encoding: chunked\r\n" in data.lower()
            await self.send(RawData(data=data))
            return
        await super()._send_h11_event(event)

    elements = False  # the response being sent ends its elements with ELEMENT_END

    async def stream_send(self, event: StreamEvent) -> None:
        if isinstance(event, Response):
            event, self.elements = _unmarked(event)
        elif isinstance(event, Body):
            if self.chunked and self.connection.our_state is h11.SEND_BODY:
                # Chunks written here rather than through h11, which keeps no state for them.
                parts = event.data.split(_END) if self.elements else [event.data]
                framed = b"".join(
                    b"%x\r\n%s\r\n" % (len(line), line) for part in parts for line in _lines(part)
                )
                await self.send(RawData(data=framed))
                return
            if self.elements:
                event = dataclasses.replace(event, data=event.data.replace(_END, b""))
        await super().stream_send(event)

    async def _check_protocol(self, event: h11.Request) -> None:
        upgrade = b""
        has_body = False
        for name, value in event.headers:
            if name == b"upgrade":
                upgrade = value.strip().lower()
            elif name in (b"content-length", b"transfer-encoding"):
                has_body = value.strip() != b"0"
        if upgrade == b"h2c" and has_body:
            self._pending_upgrade = event
            return
        await super()._check_protocol(event)

    async def _create_stream(self, request: h11.Request) -> None:
        if self._pending_upgrade is request:
            self._pending_upgrade = None
            self.stream = _BodyBeforeUpgrade(self, request)  # type: ignore[assignment]
            return
        await super()._create_stream(request)

    async def switch_to_h2c(self, request: h11.Request, body: bytes) -> None:
        """Answer 101 and hand the connection (and this request) over to HTTP/2."""
        await self._send_h11_event(
            h11.InformationalResponse(
                status_code=101,
                headers=[
                    *self.config.response_headers("h11"),
                    (b"connection", b"upgrade"),
                    (b"upgrade", b"h2c"),
                ],
            )
        )
        self.stream = None
        raise _UpgradeWithBody(self.connection.trailing_data[0], request, body)


_FRAME_HEAD = struct.Struct(">I")


class _H2(H2Protocol):
    """hypercorn's HTTP/2 with one DATA frame per line (or per write that ends without a
    newline, as a plain JSON array's elements do) and no connection loss on late data."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per stream: bytes written by the app so far, bytes framed so far, and the stream
        # offsets where a write ended without a newline (a frame must end there too).
        self._written: dict[int, int] = {}
        self._framed: dict[int, int] = {}
        self._ends: dict[int, collections.deque[int]] = {}
        self._elements: set[int] = set()  # streams whose elements end with ELEMENT_END

    async def stream_send(self, event: StreamEvent) -> None:
        if isinstance(event, Response):
            event, marked = _unmarked(event)
            if marked:
                self._elements.add(event.stream_id)
        elif isinstance(event, Body) and event.data:
            sid = event.stream_id
            written = self._written.get(sid, 0)
            ends = self._ends.setdefault(sid, collections.deque())
            data = event.data
            if sid in self._elements:
                parts = data.split(_END)
                for part in parts[:-1]:
                    written += len(part)
                    ends.append(written)
                written += len(parts[-1])
                data = b"".join(parts)
                event = dataclasses.replace(event, data=data)
            else:
                written += len(data)
            if not data.endswith(b"\n"):
                ends.append(written)
            self._written[sid] = written
            if not data:
                return
        await super().stream_send(event)

    def _marks(self, stream_id: int, size: int) -> list[int]:
        """Write ends inside the next ``size`` bytes of the stream, relative to its start."""
        ends = self._ends.get(stream_id)
        start = self._framed.get(stream_id, 0)
        marks = []
        while ends and ends[0] <= start + size:
            marks.append(ends.popleft() - start)
        self._framed[stream_id] = start + size
        return marks

    def _forget(self, stream_id: int) -> None:
        for table in (self._written, self._framed, self._ends):
            table.pop(stream_id, None)
        self._elements.discard(stream_id)

    async def initiate_with_body(
        self, headers: list[tuple[bytes, bytes]], settings: bytes, body: bytes
    ) -> None:
        """Take over an upgraded connection whose first request (stream 1) had a body."""
        self.connection.initiate_upgrade_connection(settings)
        await self._flush()
        event = h2.events.RequestReceived(stream_id=1, headers=headers)
        await self._create_stream(event)
        if body:
            await self.streams[1].handle(Body(stream_id=1, data=body))
        await self.streams[1].handle(EndBody(stream_id=1))
        self.task_group.spawn(self.send_task)

    async def _send_data(self, stream_id: int) -> None:
        try:
            buffer = self.stream_buffers[stream_id]
            room = min(self.connection.local_flow_control_window(stream_id), H2_PASS_BYTES)
            data = bytes(buffer.buffer[: max(0, room)])
            if len(data) < len(buffer.buffer):
                # Whole lines (or writes) only, unless one fills the room.
                ends = self._ends.get(stream_id)
                start = self._framed.get(stream_id, 0)
                cut = data.rfind(b"\n") + 1
                for end in ends or ():
                    if end - start > len(data):
                        break
                    cut = max(cut, end - start)
                data = data[:cut] if cut else data
            data = await buffer.pop(len(data))
            if data:
                # h2 does the flow-control bookkeeping; the frames go out one per line.
                limit = self.connection.max_outbound_frame_size
                before = self.connection.data_to_send()
                for start in range(0, len(data), limit):
                    self.connection.send_data(stream_id, data[start : start + limit])
                self.connection.data_to_send()
                marks = self._marks(stream_id, len(data))
                await self.send(RawData(data=before + self._frames(stream_id, data, marks)))
            else:
                self.priority.block(stream_id)
            if buffer.complete:
                self.connection.end_stream(stream_id)
                await self._flush()
                del self.stream_buffers[stream_id]
                self.priority.remove_stream(stream_id)
                self._forget(stream_id)
        except (h2.exceptions.StreamClosedError, KeyError, h2.exceptions.ProtocolError):
            # The stream or connection closed while this waited: drop what was left.
            self._forget(stream_id)
            if stream_id in self.stream_buffers:
                await self.stream_buffers.pop(stream_id).close()
            with contextlib.suppress(MissingStreamError):
                self.priority.remove_stream(stream_id)

    def _frames(self, stream_id: int, data: bytes, marks: list[int]) -> bytes:
        limit = self.connection.max_outbound_frame_size
        tail = b"\x00\x00" + _FRAME_HEAD.pack(stream_id)  # type DATA, no flags, stream id
        out = []
        for line in _pieces(data, marks):
            for start in range(0, len(line), limit):
                piece = line[start : start + limit]
                out.append(_FRAME_HEAD.pack(len(piece))[1:] + tail + piece)
        return b"".join(out)

    async def _handle_events(self, events: list[h2.events.Event]) -> None:
        kept: list[h2.events.Event] = []
        for event in events:
            if not isinstance(event, (h2.events.DataReceived, h2.events.StreamEnded)):
                kept.append(event)
                continue
            if kept and event.stream_id not in self.streams:
                # Its request may be among the events not handled yet.
                await super()._handle_events(kept)
                kept = []
            if event.stream_id in self.streams:
                kept.append(event)
            elif isinstance(event, h2.events.DataReceived):
                self._late_data(event)
        await super()._handle_events(kept)

    async def _close_stream(self, stream_id: int) -> None:
        stream = self.streams.get(stream_id)
        if stream is not None:
            _release(stream)
        await super()._close_stream(stream_id)

    def _late_data(self, event: h2.events.DataReceived) -> None:
        # The answer already ended (an error while the client still sends): the data is
        # dropped but acknowledged, so a client that sends its whole body before reading the
        # answer (httpx) can finish, and the connection's other streams keep flowing.
        with contextlib.suppress(h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            self.connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)


def _release(stream: object) -> None:
    """Drop what an ended stream's app left unread. hypercorn hands request data to the app
    through a bounded queue and waits while it is full: once the app has answered and gone (an
    error before the body was read), nothing empties it, and the connection's reader would wait
    forever, stalling every stream of the connection."""
    queue = getattr(getattr(stream, "app_put", None), "__self__", None)
    if isinstance(queue, asyncio.Queue):
        while not queue.empty():
            queue.get_nowait()


class _Protocols:
    """Picks HTTP/1.1 or HTTP/2 for a connection and switches on prior knowledge or upgrade."""

    def __init__(self, *args: Any, alpn: str | None) -> None:
        self.args = args
        self.protocol: _H11 | _H2 = _H2(*args) if alpn == "h2" else _H11(*args)

    async def initiate(self) -> None:
        await self.protocol.initiate()

    async def handle(self, event: Event) -> None:
        try:
            await self.protocol.handle(event)
        except H2ProtocolAssumedError as error:
            self.protocol = _H2(*self.args)
            await self.protocol.initiate()
            if error.data:
                await self.protocol.handle(RawData(data=error.data))
        except _UpgradeWithBody as error:
            self.protocol = _H2(*self.args)
            await self.protocol.initiate_with_body(error.headers, error.settings, error.body)
            if error.data:
                await self.protocol.handle(RawData(data=error.data))
        except H2CProtocolRequiredError as error:
            self.protocol = _H2(*self.args)
            await self.protocol.initiate(error.headers, error.settings)
            if error.data:
                await self.protocol.handle(RawData(data=error.data))


class Connection(TCPServer):
    """One client connection, run with the protocols above."""

    async def run(self) -> None:
        sock = self.writer.get_extra_info("socket")
        try:
            client = parse_socket_addr(sock.family, sock.getpeername())
            server = parse_socket_addr(sock.family, sock.getsockname())
            tls = self.writer.get_extra_info("ssl_object")
            alpn = tls.selected_alpn_protocol() if tls is not None else "http/1.1"
            async with TaskGroup(self.loop) as task_group:
                self._task_group = task_group
                self.protocol = _Protocols(  # type: ignore[assignment]
                    self.app,
                    self.config,
                    self.context,
                    task_group,
                    ConnectionState(self.state),
                    tls is not None,
                    client,
                    server,
                    self.protocol_send,
                    alpn=alpn,
                )
                await self.protocol.initiate()
                await self.idle_task.restart(task_group, self._idle_timeout)
                await self._read_data()
                # The client is gone: requests in flight were told (http.disconnect); nothing
                # is left to wait for, so the socket closes now rather than at the keep-alive.
                await self.idle_task.stop()
        except OSError:
            pass
        finally:
            await self._close()


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def connection_handler(
    app: AppWrapper,
    config: Config,
    context: WorkerContext,
    tasks: set[asyncio.Task[None]],
    writers: set[asyncio.StreamWriter],
) -> Handler:
    """The ``asyncio.start_server`` callback: one :class:`Connection` per client. ``writers``
    holds every open connection's writer from the moment it is accepted (this part runs at
    once, in the protocol's ``connection_made``), so a server that stops can close a connection
    whose task was cancelled before it ever ran (it would close nothing itself)."""
    state: LifespanState = {}

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        loop = asyncio.get_running_loop()
        try:
            await Connection(app, loop, config, context, state, reader, writer)
        finally:
            writers.discard(writer)

    def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Awaitable[None]:
        writers.add(writer)
        return run(reader, writer)

    return handle


__all__ = ["Connection", "connection_handler"]
