"""The local server's wire format as clients written against ksqlDB see it.

Content negotiation (ksqlDB's ``RestApiTest.should{Pull,Push}QueryAllEndpointsDefaultMIME``),
HTTP/1.1 status lines, absolute-form targets, ``Upgrade: h2c`` and one write per element.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import httpx
import pytest

from ksqlpy.local import LocalServer

STREAM = (
    "CREATE STREAM S (ID INT KEY, NAME STRING) "
    "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
    "INSERT INTO S (ID, NAME) VALUES (1, 'a');"
    "INSERT INTO S (ID, NAME) VALUES (2, 'b');"
)
DELIMITED = "application/vnd.ksqlapi.delimited.v1"
V1_JSON = "application/vnd.ksql.v1+json"
PUSH = "SELECT * FROM S EMIT CHANGES LIMIT 2;"
EARLIEST = {"auto.offset.reset": "earliest"}


def _body(path: str, sql: str) -> dict[str, Any]:
    if path == "/query":
        return {"ksql": sql, "streamsProperties": EARLIEST}
    return {"sql": sql, "properties": EARLIEST}


@pytest.mark.parametrize("path", ["/query", "/query-stream"])
@pytest.mark.parametrize("sql", [PUSH, "SELECT * FROM S;"])
def test_star_accept_gets_delimited_rows_on_both_query_endpoints(
    ksql: Any, server: LocalServer, path: str, sql: str
) -> None:
    ksql(STREAM)
    for http2 in (False, True):
        with httpx.Client(base_url=server.url, http1=not http2, http2=http2) as client:
            response = client.post(path, json=_body(path, sql), headers={"Accept": "*/*"})
        assert response.headers["content-type"] == DELIMITED
        header, *rows = response.text.splitlines()
        assert json.loads(header)["columnNames"] == ["ID", "NAME"]
        assert rows == ['[1,"a"]', '[2,"b"]']


def test_query_without_accept_gets_the_streamed_row_array(ksql: Any, server: LocalServer) -> None:
    ksql(STREAM)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        body = json.dumps(_body("/query", PUSH)).encode()
        sock.sendall(
            b"POST /query HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        answer = _read_all(sock)
    assert f"content-type: {V1_JSON}".encode() in answer.lower()
    assert b'{"row":{"columns":[1,"a"]}},\n' in answer


@pytest.mark.parametrize(
    ("accept", "query_type", "stream_type"),
    [
        # q-values rank first, whatever order the client lists them in.
        (f"{DELIMITED};q=0.5, application/json", V1_JSON, "application/json"),
        (f"application/json;q=0.1, {V1_JSON};q=0.9, {DELIMITED};q=0.2", V1_JSON, V1_JSON),
        # Equal q-values: the route's own order (/query: delimited, v1, json;
        # /query-stream: delimited, json, v1).
        (f"application/json, {V1_JSON}", V1_JSON, "application/json"),
        (f"application/json, {V1_JSON}, {DELIMITED}", DELIMITED, DELIMITED),
        ("application/*", DELIMITED, DELIMITED),
        # A more specific entry sets the q-value of its type.
        (f"*/*;q=0.8, {DELIMITED};q=0.1", V1_JSON, "application/json"),
    ],
)
def test_multi_type_accept_is_ranked_by_q_value_then_route_order(
    ksql: Any, http: httpx.Client, accept: str, query_type: str, stream_type: str
) -> None:
    ksql(STREAM)
    headers = {"Accept": accept}
    answered = http.post("/query", json=_body("/query", PUSH), headers=headers)
    assert answered.headers["content-type"] == query_type
    answered = http.post("/query-stream", json=_body("/query-stream", PUSH), headers=headers)
    assert answered.headers["content-type"] == stream_type


def test_an_accept_naming_no_type_of_the_route_is_406(ksql: Any, http: httpx.Client) -> None:
    ksql(STREAM)
    for accept in ("text/html", f"{DELIMITED};q=0"):
        response = http.post("/query-stream", json={"sql": PUSH}, headers={"Accept": accept})
        assert response.status_code == 406
    assert http.get("/info").status_code == 200  # the connection is still good


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _raw(server: LocalServer, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        return _read_all(sock)


def test_http1_status_lines_carry_a_reason_phrase(server: LocalServer) -> None:
    for target, line in (
        (b"/info", b"HTTP/1.1 200 OK\r\n"),
        (b"/nope", b"HTTP/1.1 404 Not Found\r\n"),
        (b"/", b"HTTP/1.1 307 Temporary Redirect\r\n"),
    ):
        answer = _raw(server, b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % target)
        assert answer.startswith(line), answer[:80]
    refused = _raw(
        server,
        b"POST /inserts-stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Length: 2\r\n\r\n{}",
    )
    assert refused.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_an_absolute_form_target_is_routed_by_its_path(ksql: Any, server: LocalServer) -> None:
    ksql(STREAM)
    body = json.dumps(_body("/query-stream", "SELECT * FROM S;")).encode()
    answer = _raw(
        server,
        b"POST http://127.0.0.1:%d/query-stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (server.port, len(body), body),
    )
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'[2,"b"]\n' in answer
    info = _raw(
        server, b"GET http://localhost/info?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert b'"KsqlServerInfo"' in info


def _chunks(answer: bytes) -> list[bytes]:
    """The chunks of a chunked HTTP/1.1 response, as they were framed."""
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    out = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return out
        out.append(rest[:size])
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]


BACKLOG = 300


def _fill_backlog(ksql: Any) -> None:
    ksql(
        "CREATE STREAM B (ID INT KEY, NAME STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='b', VALUE_FORMAT='JSON');"
    )
    ksql("".join(f"INSERT INTO B (ID, NAME) VALUES ({i}, 'n{i}');" for i in range(BACKLOG)))


@pytest.mark.parametrize(
    ("path", "accept", "first"),
    [
        ("/query-stream", None, b'{"queryId"'),
        ("/query", V1_JSON, b'[{"header"'),
        ("/query", DELIMITED, b'{"queryId"'),
    ],
)
def test_every_header_and_row_is_its_own_http1_chunk(
    ksql: Any, server: LocalServer, path: str, accept: str | None, first: bytes
) -> None:
    _fill_backlog(ksql)
    body = json.dumps(_body(path, f"SELECT * FROM B EMIT CHANGES LIMIT {BACKLOG};")).encode()
    extra = b"Accept: %s\r\n" % accept.encode() if accept else b""
    answer = _raw(
        server,
        b"POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%sContent-Length: %d\r\n\r\n%s"
        % (path.encode(), extra, len(body), body),
    )
    chunks = _chunks(answer)
    assert chunks[0].startswith(first)
    lines = [c for c in chunks if c.count(b"\n") == 1 and c.endswith(b"\n")]
    # Every row (and the header) alone in its chunk; only the closing bytes may lack a newline.
    assert len(lines) == BACKLOG + 1, chunks[:3]
    assert len(chunks) - len(lines) <= 1


def test_every_element_of_the_plain_json_array_is_its_own_http1_chunk(
    ksql: Any, server: LocalServer
) -> None:
    # ksqlDB's JsonQueryStreamResponseWriter: "[" + metadata, then "," + row per write, "]".
    _fill_backlog(ksql)
    sql = f"SELECT * FROM B EMIT CHANGES LIMIT {BACKLOG};"
    body = json.dumps(_body("/query-stream", sql)).encode()
    answer = _raw(
        server,
        b"POST /query-stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Accept: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body),
    )
    chunks = _chunks(answer)
    assert chunks[0].startswith(b'[{"queryId"')
    assert chunks[1:] == [b',[%d,"n%d"]' % (i, i) for i in range(BACKLOG)] + [b"]"]
    assert b"x-ksqlpy" not in answer.partition(b"\r\n\r\n")[0].lower()  # the app's marker


class H2Client:
    """A raw HTTP/2 client over one socket: every DATA frame is kept as it arrived."""

    def __init__(self, sock: socket.socket, conn: h2.connection.H2Connection | None = None):
        self.sock = sock
        if conn is None:
            conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
            conn.initiate_connection()
        self.conn = conn
        self.frames: dict[int, list[bytes]] = {}
        self.status: dict[int, int] = {}
        self.ended: set[int] = set()
        self.reset: set[int] = set()
        self.flush()

    def flush(self) -> None:
        self.sock.sendall(self.conn.data_to_send())

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None,
        end: bool = True,
        extra: list[tuple[str, str]] | None = None,
    ) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        headers = [(":method", method), (":path", path), (":scheme", "http"), (":authority", "x")]
        headers += extra or []
        self.conn.send_headers(stream_id, headers, end_stream=body is None and end)
        if body is not None:
            self.conn.send_data(stream_id, body, end_stream=end)
        self.flush()
        return stream_id

    def until_done(self, stream_id: int) -> list[bytes]:
        while stream_id not in self.ended and stream_id not in self.reset:
            data = self.sock.recv(65536)
            assert data, "the server closed the connection"
            self.receive(data)
        return self.frames.get(stream_id, [])

    def receive(self, data: bytes) -> None:
        for event in self.conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                self.status[event.stream_id] = int(dict(event.headers)[b":status"])
            elif isinstance(event, h2.events.DataReceived):
                self.frames.setdefault(event.stream_id, []).append(event.data)
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                self.ended.add(event.stream_id)
            elif isinstance(event, h2.events.StreamReset):
                self.reset.add(event.stream_id)
        self.flush()


def test_every_header_row_and_ack_is_its_own_http2_data_frame(
    ksql: Any, server: LocalServer
) -> None:
    _fill_backlog(ksql)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        client = H2Client(sock)
        sql = f"SELECT * FROM B EMIT CHANGES LIMIT {BACKLOG};"
        query = client.request("POST", "/query-stream", json.dumps(_body("/q", sql)).encode())
        frames = [f for f in client.until_done(query) if f]
        assert frames[0].startswith(b'{"queryId"')
        assert all(f.count(b"\n") == 1 and f.endswith(b"\n") for f in frames)
        assert len(frames) == BACKLOG + 1
        rows = "\n".join(json.dumps({"ID": i, "NAME": "x"}) for i in range(200))
        inserts = client.request("POST", "/inserts-stream", b'{"target":"B"}\n' + rows.encode())
        acks = [f for f in client.until_done(inserts) if f]
        assert [json.loads(f) for f in acks] == [{"seq": i, "status": "ok"} for i in range(200)]


def test_every_json_array_element_is_its_own_http2_data_frame(
    ksql: Any, server: LocalServer
) -> None:
    _fill_backlog(ksql)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        client = H2Client(sock)
        rows = "\n".join(json.dumps({"ID": i, "NAME": "x"}) for i in range(50))
        inserts = client.request(
            "POST",
            "/inserts-stream",
            b'{"target":"B"}\n' + rows.encode(),
            extra=[("accept", "application/json")],
        )
        frames = [f for f in client.until_done(inserts) if f]
        acks = [b'{"seq":%d,"status":"ok"}' % i for i in range(50)]
        # ksqlDB's JsonInsertsStreamResponseWriter: "[" + first ack, "," + each other, "]".
        assert frames == [b"[" + acks[0]] + [b"," + a for a in acks[1:]] + [b"]"]
        # The plain JSON array of a query: one frame per element over HTTP/2 too.
        sql = "SELECT * FROM B EMIT CHANGES LIMIT 3;"
        query = client.request(
            "POST",
            "/query-stream",
            json.dumps(_body("/q", sql)).encode(),
            extra=[("accept", "application/json")],
        )
        frames = [f for f in client.until_done(query) if f]
        assert frames[0].startswith(b'[{"queryId"')
        assert frames[1:] == [b',[0,"n0"]', b',[1,"n1"]', b',[2,"n2"]', b"]"]


def test_an_h2c_upgrade_with_a_body_is_answered_over_http2(ksql: Any, server: LocalServer) -> None:
    ksql(STREAM)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    settings = conn.initiate_upgrade_connection()
    body = b'{"target":"S"}\n{"ID":7,"NAME":"up"}\n'
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /inserts-stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
            b"Upgrade: h2c\r\nHTTP2-Settings: %s\r\nContent-Length: %d\r\n\r\n%s"
            % (settings, len(body), body)
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        client = H2Client(sock, conn)
        acks = client.until_done(1)
        assert client.status[1] == 200
        assert b"".join(acks) == b'{"seq":0,"status":"ok"}\n'
        # The upgraded connection serves further requests over HTTP/2.
        info = client.request("GET", "/info", None)
        assert b"KsqlServerInfo" in b"".join(client.until_done(info))
    query = b'{"sql":"SELECT * FROM S;"}'
    rows = _raw(
        server,
        b"POST /query-stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(query), query),
    )
    assert b'[7,"up"]' in rows


def test_a_refused_insert_over_http2_leaves_the_connection_serving(
    ksql: Any, server: LocalServer
) -> None:
    ksql(STREAM)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        client = H2Client(sock)
        for attempt in range(20):
            # A duplex client: the request stays open while the refusal comes back.
            stream = client.request(
                "POST", "/inserts-stream", b'{"target":"S"}\n{"NAME":"no key"}\n', end=False
            )
            acks = b"".join(client.until_done(stream))
            assert b'"status":"error"' in acks
            try:
                client.conn.send_data(stream, b'{"ID":1,"NAME":"late"}\n' * 50, end_stream=True)
                client.flush()
            except h2.exceptions.StreamClosedError:
                pass  # the client's h2 already counts the stream as closed
            info = client.request("GET", "/info", None)
            assert b"KsqlServerInfo" in b"".join(client.until_done(info)), attempt


@pytest.mark.parametrize(
    ("sql", "suggestion"),
    [("SLECTT * FROM S;", "SELECT"), ("describ S;", "DESCRIBE"), ("SHOWW STREAMS;", "SHOW")],
)
def test_a_mistyped_statement_reads_as_ksqldb_says_it(
    http: httpx.Client, sql: str, suggestion: str
) -> None:
    body = http.post("/ksql", json={"ksql": sql}).json()
    word = sql.split(maxsplit=1)[0]
    # ksqlDB's SyntaxErrorValidator: the unknown word, then the closest statement keyword.
    assert body["message"].startswith(f"line 1:1: Syntax Error\nUnknown statement '{word}'\n")
    assert body["message"].endswith(f"\nStatement: {sql}")
    assert f"\nDid you mean '{suggestion}'?\n" in body["message"]
    assert body["statementText"] == sql


def test_a_body_first_client_hears_a_refusal_in_a_large_inserts_body(
    ksql: Any, server: LocalServer
) -> None:
    ksql(STREAM)
    rows = [json.dumps({"ID": 1, "NAME": "ok"}), json.dumps({"NAME": "no key"})]
    rows += [json.dumps({"ID": i, "NAME": "x" * 40}) for i in range(30_000)]
    body = ("\n".join([json.dumps({"target": "S"}), *rows])).encode()
    with httpx.Client(base_url=server.url, http1=False, http2=True, timeout=20) as h2:
        for target in (b'{"target":"NOPE"}\n', b""):  # a refused target, then a refused row
            answer = h2.post("/inserts-stream", content=target + body if target else body)
            if target:
                assert answer.status_code == 400
            else:
                acks = [json.loads(line) for line in answer.text.splitlines()]
                assert [a["status"] for a in acks] == ["ok", "error"]
            assert h2.get("/info").status_code == 200
