"""A scripted stand-in for ksqlDB behind ``httpx.MockTransport``, answering with the wire shapes of
the REST reference (written here by hand, not copied), so client behaviour is testable without a
server. Push queries stream until ``/close-query`` names them, as on a real server.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

Handler = Callable[[httpx.Request], httpx.Response]

COMMAND = {
    "@type": "currentStatus",
    "statementText": "CREATE STREAM PV (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='pv');",
    "commandId": "stream/`PV`/create",
    "commandStatus": {"status": "SUCCESS", "message": "Stream created", "queryId": None},
    "commandSequenceNumber": 2,
    "warnings": [],
}
HEADER: dict[str, Any] = {
    "queryId": "transient_PV_2719453310383459392",
    "columnNames": ["ID", "AMOUNT", "TS"],
    "columnTypes": ["INTEGER", "DECIMAL(10, 2)", "TIMESTAMP"],
}


def row_line(i: int) -> bytes:
    return b'[%d,%d.25,"2024-01-02T10:00:00.000"]\n' % (i, i)


class Stream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body: fixed chunks, then optionally endless rows until stopped, or a failure."""

    def __init__(
        self,
        chunks: list[bytes],
        *,
        until: threading.Event | None = None,
        fail: Exception | None = None,
        interval: float = 0.005,
    ) -> None:
        self.chunks = chunks
        self.until = until
        self.fail = fail
        self.interval = interval
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        i = 1000
        while self.until is not None and not self.until.is_set() and not self.closed:
            time.sleep(self.interval)
            yield row_line(i)
            i += 1
        if self.fail is not None:
            raise self.fail

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        i = 1000
        while self.until is not None and not self.until.is_set() and not self.closed:
            await asyncio.sleep(self.interval)
            yield row_line(i)
            i += 1
        if self.fail is not None:
            raise self.fail

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class FakeKsqlDB:
    """Routes by path; every request is recorded in ``requests`` (method, URL, headers, body)."""

    requests: list[httpx.Request] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    ksql: Callable[[dict[str, Any]], httpx.Response] | None = None
    query: Callable[[dict[str, Any]], httpx.Response] | None = None
    inserts: Callable[[list[dict[str, Any]]], httpx.Response] | None = None
    info: Callable[[], httpx.Response] | None = None
    open_queries: dict[str, threading.Event] = field(default_factory=dict)
    fail_connect: set[str] = field(default_factory=set)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host in self.fail_connect:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        body = request.read()
        path = request.url.path
        if path == "/inserts-stream":
            lines = [json.loads(line) for line in body.split(b"\n") if line]
            self.bodies.append(lines)
            return (self.inserts or self.default_inserts)(lines)
        parsed: dict[str, Any] = json.loads(body) if body else {}
        self.bodies.append(parsed)
        if path == "/ksql":
            return (self.ksql or (lambda b: httpx.Response(200, json=[COMMAND])))(parsed)
        if path == "/query-stream":
            return (self.query or self.default_query)(parsed)
        if path == "/close-query":
            event = self.open_queries.pop(parsed["queryId"], None)
            if event is None:
                return httpx.Response(
                    400,
                    json={
                        "@type": "generic_error",
                        "error_code": 40000,
                        "message": f"No query with id {parsed['queryId']}",
                    },
                )
            event.set()
            return httpx.Response(200)
        if path == "/info":
            if self.info is not None:
                return self.info()
            return httpx.Response(
                200,
                json={
                    "KsqlServerInfo": {
                        "version": "8.4.0",
                        "kafkaClusterId": "c",
                        "ksqlServiceId": "default_",
                        "serverStatus": "RUNNING",
                    }
                },
            )
        return httpx.Response(404, text="Not Found")

    def push(self, rows: int = 3, **options: Any) -> httpx.Response:
        """A push query that streams ``rows`` rows, then more until closed."""
        event = threading.Event()
        self.open_queries[str(HEADER["queryId"])] = event
        first = json.dumps(HEADER).encode() + b"\n" + b"".join(row_line(i) for i in range(rows))
        return httpx.Response(200, stream=Stream([first], until=event, **options))

    def default_query(self, body: dict[str, Any]) -> httpx.Response:
        if "EMIT CHANGES" in body["sql"] and "LIMIT" not in body["sql"]:
            return self.push()
        data = json.dumps(HEADER).encode() + b"\n" + row_line(0) + row_line(1)
        return httpx.Response(200, stream=Stream([data[:10], data[10:]]))

    def default_inserts(self, lines: list[dict[str, Any]]) -> httpx.Response:
        acks = b"".join(b'{"seq":%d,"status":"ok"}\n' % i for i in range(len(lines) - 1))
        return httpx.Response(200, stream=Stream([acks]))

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]
