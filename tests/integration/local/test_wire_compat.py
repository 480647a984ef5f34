"""The local server's wire format as clients written against ksqlDB see it.

Content negotiation (ksqlDB's ``RestApiTest.should{Pull,Push}QueryAllEndpointsDefaultMIME``),
HTTP/1.1 status lines, absolute-form targets, ``Upgrade: h2c`` and one write per element.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest

from ksqlpy.local import LocalServer

STREAM = (
    "CREATE STREAM S (ID INT KEY, NAME STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
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
