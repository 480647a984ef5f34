"""The sans-IO half of the full-duplex ``/inserts-stream``: the h2 state machine, the rows
waiting to be framed and to be acknowledged, and every way the request can end mapped to one
ksqlpy error. Bytes in (``incoming``), bytes out (``outgoing``); it never touches a socket."""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions

from . import _protocol as proto
from ._config import ClientConfig
from ._errors import (
    KsqlError,
    KsqlTimeoutError,
    ProtocolError,
    ServerUnavailableError,
)

_HTTP2_HINT = (
    "/inserts-stream needs HTTP/2: this server (or a proxy in front of it) may speak only "
    "HTTP/1.1; insert with execute_statement('INSERT INTO ... VALUES (...);') instead"
)
_KEPT_ACKS = 1 << 16
"""Unread acks kept for ``poll``/``acks``; older unread ones are dropped (``acked`` counts all)."""
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "host"})


@dataclass(frozen=True, slots=True)
class InsertAck:
    """The server's acknowledgement of one row of an insert stream: the row's 0-based ``seq``."""

    seq: int


class Exchange:
    """One ``/inserts-stream`` request on its own HTTP/2 connection, without I/O.

    ``error`` is set (and ``finished``) once the request has ended badly; ``finished`` alone
    means the server ended its response and every row sent was acknowledged.
    """

    def __init__(
        self,
        config: ClientConfig,
        base: str,
        target: str,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        parts = urlsplit(base)
        self.base = base
        self.target = target
        self.where = f"the inserts into {target}"
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding=None)
        )
        self.stream_id = 1
        authority = parts.netloc.rpartition("@")[2]
        headers = [
            (b":method", b"POST"),
            (b":scheme", parts.scheme.encode()),
            (b":authority", authority.encode()),
            (b":path", (parts.path + proto.INSERTS_STREAM).encode()),
            (b"content-type", proto.JSON.encode()),
        ]
        for name, value in config.headers.items():
            if name.lower() not in _HOP_BY_HOP:
                headers.append((name.lower().encode(), value.encode()))
        self._headers = headers
        self.out = bytearray(proto.inserts_head(target, properties))
        self.sent = 0
        self.acked = 0
        self.pending: dict[int, object] = {}
        self.acks: collections.deque[InsertAck] = collections.deque(maxlen=_KEPT_ACKS)
        self.status: int | None = None
        self.error: KsqlError | None = None
        self.finished = False
        self.ending = False
        self._ended = False
        self._error_body = bytearray()
        self._error_length: int | None = None
        self._first = True
        self._decoder = proto.AckStream(self.where)
        self.last_ack = time.monotonic()

    # -- rows out ----------------------------------------------------------------------------

    def start(self) -> bytes:
        """The connection preface and the request headers."""
        self.conn.initiate_connection()
        self.conn.send_headers(self.stream_id, self._headers)
        return self.conn.data_to_send()

    def add(self, row: Mapping[str, Any]) -> int:
        """Buffer one row; its seq."""
        self.out += proto.encode_row(row)
        seq = self.sent
        self.pending[seq] = row
        self.sent += 1
        return seq

    def end(self) -> None:
        """End the request once the buffered rows are out."""
        self.ending = True

    def outgoing(self) -> bytes:
        """Frame what the windows allow of the buffered rows; bytes for the socket."""
        conn = self.conn
        if not self.finished and not self._ended:
            try:
                while self.out:
                    room = min(
                        conn.local_flow_control_window(self.stream_id), conn.max_outbound_frame_size
                    )
                    if room <= 0:
                        break
                    chunk = bytes(self.out[:room])
                    del self.out[:room]
                    conn.send_data(self.stream_id, chunk)
                if self.ending and not self.out:
                    conn.end_stream(self.stream_id)
                    self._ended = True
            except h2.exceptions.StreamClosedError:
                # The server ended or reset the stream; incoming() says why.
                self.out.clear()
            except h2.exceptions.ProtocolError as error:
                self.fail(ProtocolError(f"cannot send {self.where} over HTTP/2: {error}"))
        return conn.data_to_send()

    def abort(self) -> bytes:
        """Cancel the request (RST_STREAM) and say goodbye (GOAWAY); bytes for the socket."""
        with contextlib.suppress(h2.exceptions.ProtocolError):
            if not self.finished:
                self.conn.reset_stream(self.stream_id, h2.errors.ErrorCodes.CANCEL)
            self.conn.close_connection()
        self.finished = True
        return self.conn.data_to_send()

    # -- acks in -----------------------------------------------------------------------------

    def incoming(self, data: bytes) -> None:
        """Feed bytes read from the socket."""
        if self.finished:
            return
        if self._first:
            self._first = False
            # h2 would wait for the rest of a "frame" that long: an HTTP/1.x answer to our preface.
            if data.startswith(b"HTTP/1."):
                self.fail(self._broken("the server answered in HTTP/1.1", http1=True))
                return
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as error:
            if self.status is None:
                self.fail(self._broken(f"not an HTTP/2 answer: {error}", http1=True))
            else:
                self.fail(ProtocolError(f"ksqlDB broke HTTP/2 during {self.where}: {error}"))
            return
        for event in events:
            if self.over:  # (a property: mypy would narrow self.finished to False here)
                break
            if isinstance(event, h2.events.DataReceived):
                self.conn.acknowledge_received_data(event.flow_controlled_length, self.stream_id)
                if self.status == 200:
                    self._acks(event.data)
                else:
                    self._error_body += event.data
                    # A server may answer an error at once and end the response only when the
                    # request ends: with the whole error body here, say it now.
                    if self._error_length is not None and (
                        len(self._error_body) >= self._error_length
                    ):
                        self._response_ended()
            elif isinstance(event, h2.events.ResponseReceived):
                self.status = _status(event.headers)
                self._error_length = _content_length(event.headers)
            elif isinstance(event, h2.events.StreamEnded):
                self._response_ended()
            elif isinstance(event, h2.events.StreamReset):
                self.fail(self._broken(f"the server reset the request ({_code(event)})"))
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.fail(self._broken(f"the server closed the HTTP/2 connection ({_code(event)})"))

    def _acks(self, data: bytes, *, final: bool = False) -> None:
        try:
            ok, refused = self._decoder.feed(data, final=final)
        except ProtocolError as error:
            self.fail(error)
            return
        pending = self.pending
        for seq in ok:
            if pending.pop(seq, pending) is pending:
                self.fail(ProtocolError(f"{self.where} acknowledged row {seq}, not pending"))
                return
            self.acked += 1
            self.acks.append(InsertAck(seq))
        if ok:
            self.last_ack = time.monotonic()
        if refused is not None:
            failed = refused.get("seq")
            row = pending.get(failed) if isinstance(failed, int) else None
            self.fail(proto.insert_refused(refused, row, acknowledged=self.acked, where=self.where))

    def _response_ended(self) -> None:
        if self.status != 200:
            where = f"POST {proto.INSERTS_STREAM} at {self.base}"
            self.fail(proto.error_from_body(self.status, bytes(self._error_body), where=where))
            return
        self._acks(b"", final=True)
        if self.error is None and self.pending:
            self.fail(
                ProtocolError(
                    f"{self.where} ended after acknowledging {self.acked} of {self.sent} rows; "
                    f"not acknowledged: {proto.seq_list(self.pending)}. Those rows may not have "
                    "been inserted"
                )
            )
        self.finished = True

    def lost(self, reason: str) -> None:
        """The connection closed or failed before the response ended."""
        if not self.finished:
            self.fail(self._broken(reason, http1=self.status is None))

    def fail(self, error: KsqlError) -> None:
        """End the exchange with ``error`` (the first one wins)."""
        if self.error is None and not (self.finished and not self.pending):
            self.error = error
        self.finished = True

    def timed_out(self, timeout: float | None) -> KsqlTimeoutError:
        """The error for ``timeout`` seconds without an ack while rows were pending."""
        return KsqlTimeoutError(
            f"ksqlDB at {self.base} sent no insert ack for {timeout} s: {self.acked} of the "
            f"{self.sent} rows sent to {self.target} were acknowledged; not acknowledged: "
            f"{proto.seq_list(self.pending)} (they may or may not have been inserted); raise "
            "read_timeout= (None waits forever) or check the server's load"
        )

    def _broken(self, reason: str, *, http1: bool = False) -> ServerUnavailableError:
        detail = (
            f"the connection to ksqlDB at {self.base} broke during {self.where} ({reason}); "
            f"{self.acked} of the {self.sent} rows sent were acknowledged"
        )
        if self.pending:
            detail += (
                f"; not acknowledged: {proto.seq_list(self.pending)} (they may or may not have "
                "been inserted)"
            )
        if http1:
            detail += f"\n{_HTTP2_HINT}"
        return ServerUnavailableError(reason, detail=detail)

    @property
    def over(self) -> bool:
        """The request has ended (``finished``), well or badly."""
        return self.finished


def _status(headers: list[tuple[bytes, bytes]]) -> int:
    for name, value in headers:
        if name == b":status":
            return int(value)
    return 0


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _code(event: h2.events.StreamReset | h2.events.ConnectionTerminated) -> str:
    code = event.error_code
    return f"HTTP/2 error {getattr(code, 'name', code)}"


# -- connections --------------------------------------------------------------------------------
