"""The sans-IO half of the full-duplex insert stream, against an in-memory h2 server."""

from __future__ import annotations

from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import pytest

from ksqlpy import (
    AuthenticationError,
    InsertError,
    KsqlStatementError,
    ProtocolError,
    ServerUnavailableError,
)
from ksqlpy._config import ClientConfig
from ksqlpy._duplex import Exchange, InsertAck
from ksqlpy._protocol import AckStream


class Server:
    """The server side of one connection, in memory: what it received and what it answers."""

    def __init__(self, exchange: Exchange, window: int | None = None) -> None:
        self.x = exchange
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding=None)
        )
        self.conn.initiate_connection()
        if window is not None:
            self.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        self.headers: dict[bytes, bytes] = {}
        self.frames: list[bytes] = []
        self.ended = False
        self.take(exchange.start())
        self.answer()

    def take(self, data: bytes) -> None:
        for event in self.conn.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                self.headers = dict(event.headers)
            elif isinstance(event, h2.events.DataReceived):
                self.frames.append(event.data)
                self.conn.acknowledge_received_data(event.flow_controlled_length, 1)
            elif isinstance(event, h2.events.StreamEnded):
                self.ended = True

    def answer(self) -> None:
        self.x.incoming(self.conn.data_to_send())

    def pump(self) -> None:
        self.take(self.x.outgoing())
        self.answer()

    @property
    def lines(self) -> list[bytes]:
        return b"".join(self.frames).splitlines()


def _exchange(**options: Any) -> Exchange:
    config = ClientConfig.from_options("http://ksqldb:8088/prefix", **options)
    return Exchange(config, config.urls[0], "PV", {"auto.offset.reset": "earliest"})


def test_the_request_carries_the_headers_and_rows_sent_back_to_back_share_one_frame() -> None:
    x = _exchange(auth=("alice", "s3cret"), headers={"X-Trace": "1"})
    server = Server(x)
    for i in range(3):
        assert x.add({"ID": i}) == i
    server.pump()
    assert server.headers[b":path"] == b"/prefix/inserts-stream"
    assert server.headers[b":authority"] == b"ksqldb:8088"
    assert server.headers[b":scheme"] == b"http"
    assert server.headers[b"authorization"].startswith(b"Basic ")
    assert server.headers[b"x-trace"] == b"1"
    assert server.headers[b"content-type"] == b"application/json"
    assert len(server.frames) == 1
    assert server.lines == [
        b'{"target":"PV","properties":{"auto.offset.reset":"earliest"}}',
        b'{"ID":0}',
        b'{"ID":1}',
        b'{"ID":2}',
    ]
    assert not server.ended
    x.end()
    server.pump()
    assert server.ended


def test_acks_arrive_while_the_request_is_open_even_split_inside_a_line() -> None:
    x = _exchange()
    server = Server(x)
    for i in range(3):
        x.add({"ID": i})
    server.pump()
    server.conn.send_headers(1, [(b":status", b"200")])
    server.conn.send_data(1, b'{"status":"ok","seq":0}\n{"status":"ok",')
    server.answer()
    assert list(x.acks) == [InsertAck(0)]
    server.conn.send_data(1, b'"seq":2}\n')
    server.answer()
    assert (x.acked, sorted(x.pending)) == (2, [1])
    assert not x.finished
    server.conn.send_data(1, b'{"status":"ok","seq":1}\n', end_stream=True)
    server.answer()
    assert x.finished
    assert x.error is None
    assert [a.seq for a in x.acks] == [0, 2, 1]


def test_rows_wait_for_the_peers_window_and_leave_when_it_opens() -> None:
    x = _exchange()
    server = Server(x, window=64)
    x.add({"V": "x" * 200})
    server.pump()
    assert sum(map(len, server.frames)) == 64
    assert len(x.out) > 0
    server.conn.increment_flow_control_window(1000, stream_id=1)
    server.conn.increment_flow_control_window(1000)
    server.answer()
    server.pump()
    assert server.lines[-1] == b'{"V":"' + b"x" * 200 + b'"}'
    assert not x.out


def test_a_refused_row_is_an_insert_error_with_its_seq_and_row() -> None:
    x = _exchange()
    server = Server(x)
    x.add({"ID": 1})
    x.add({"ID": "bad"})
    server.pump()
    server.conn.send_headers(1, [(b":status", b"200")])
    server.conn.send_data(
        1,
        b'{"status":"ok","seq":0}\n{"@type":"InsertError","error_code":40000,'
        b'"message":"Can\'t coerce","status":"error","seq":1}\n',
        end_stream=True,
    )
    server.answer()
    assert isinstance(x.error, InsertError)
    assert (x.error.seq, x.error.row, x.error.acknowledged) == (1, {"ID": "bad"}, 1)
    assert x.finished


@pytest.mark.parametrize(
    ("status", "body", "kind", "text"),
    [
        (
            b"400",
            b'{"@type":"statement_error","error_code":40001,"message":"Cannot insert values '
            b'into an unknown stream/table: `NOPE`","statementText":""}',
            KsqlStatementError,
            "unknown stream/table: `NOPE`",
        ),
        (b"401", b"", AuthenticationError, "answered 401"),
    ],
)
def test_an_error_status_maps_to_the_usual_error(
    status: bytes, body: bytes, kind: type[Exception], text: str
) -> None:
    x = _exchange()
    server = Server(x)
    server.conn.send_headers(1, [(b":status", status)])
    server.conn.send_data(1, body, end_stream=True)
    server.conn.reset_stream(1, h2.errors.ErrorCodes.NO_ERROR)  # a reset after the answer
    server.answer()
    assert isinstance(x.error, kind)
    assert text in str(x.error)


def test_a_reset_or_goaway_names_the_rows_not_acknowledged() -> None:
    x = _exchange()
    server = Server(x)
    for i in range(3):
        x.add({"ID": i})
    server.pump()
    server.conn.send_headers(1, [(b":status", b"200")])
    server.conn.send_data(1, b'{"status":"ok","seq":0}\n')
    server.conn.reset_stream(1, h2.errors.ErrorCodes.INTERNAL_ERROR)
    server.answer()
    assert isinstance(x.error, ServerUnavailableError)
    assert "reset the request (HTTP/2 error INTERNAL_ERROR)" in str(x.error)
    assert "1 of the 3 rows sent were acknowledged; not acknowledged: 1, 2" in str(x.error)

    x = _exchange()
    server = Server(x)
    server.conn.close_connection(h2.errors.ErrorCodes.NO_ERROR)
    server.answer()
    assert "closed the HTTP/2 connection" in str(x.error)


def test_a_response_that_ends_without_every_ack_lists_the_missing_rows() -> None:
    x = _exchange()
    server = Server(x)
    for i in range(3):
        x.add({"ID": i})
    x.end()
    server.pump()
    server.conn.send_headers(1, [(b":status", b"200")])
    server.conn.send_data(1, b'{"status":"ok","seq":1}', end_stream=True)  # no final newline
    server.answer()
    assert isinstance(x.error, ProtocolError)
    assert "acknowledging 1 of 3 rows; not acknowledged: 0, 2" in str(x.error)


def test_an_http1_answer_or_a_lost_connection_says_what_happened() -> None:
    x = _exchange()
    x.start()
    x.incoming(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
    assert isinstance(x.error, ServerUnavailableError)
    assert "needs HTTP/2" in str(x.error)

    x = _exchange()
    server = Server(x)
    x.add({"ID": 1})
    server.pump()
    server.conn.send_headers(1, [(b":status", b"200")])
    server.answer()
    x.lost("connection reset")
    assert isinstance(x.error, ServerUnavailableError)
    assert "broke during the inserts into PV (connection reset)" in str(x.error)
    assert "not acknowledged: 0" in str(x.error)


def test_the_ack_stream_decoder_finds_ok_and_error_acks_and_refuses_garbage() -> None:
    decoder = AckStream()
    assert decoder.feed(b'{"seq":0,"status":"ok"}\n{"seq":1,') == ([0], None)
    ok, refused = decoder.feed(b'"status":"error","message":"no"}\n{"seq":2,"status":"ok"}\n')
    assert ok == []
    assert refused is not None
    assert refused["seq"] == 1
    with pytest.raises(ProtocolError, match="malformed ack"):
        AckStream().feed(b"<html>\n")
    with pytest.raises(ProtocolError, match="not UTF-8"):
        AckStream().feed(b"\xff\n")
