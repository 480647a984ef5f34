"""A replay server for client benchmarks: the shared server's cost taken out of the figures.

Run ``python bench/replay_server.py UPSTREAM_URL``; it prints its own URL and serves until
killed. A query (any POST to ``/query`` or ``/query-stream``) is forwarded to the upstream
server the first time it is seen; the answer's bytes are kept in memory and every later request
with the same path, ``Accept`` header and body gets them again, sent in large chunks, over
HTTP/1.1 or HTTP/2 as the client asks. ``/inserts-stream`` acknowledges every row at once
without storing it, and ``/close-query`` answers 200. Anything else is forwarded.

So a reader's wall time measures the reader, which the real server (same bytes, but computed
per row) hides: against the local server every client reads at that server's pace.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from hypercorn.asyncio import serve
from hypercorn.config import Config

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Key = tuple[str, str, str, bytes]
"""A request as the replay tells requests apart: method, path, Accept header, body."""
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
"""A recorded answer: status, headers kept, body."""

CHUNK = 256 * 1024
"""Bytes per body send: large sends keep the server's per-send cost out of the figures."""


class Replay:
    """ASGI app: recorded answers for queries, an instant ack sink for inserts."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.recorded: dict[Key, Answer] = {}
        self.locks: dict[Key, asyncio.Lock] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        if scope["path"] == "/inserts-stream":
            await self.sink(receive, send)
            return
        body = await _body(receive)
        if scope["path"] == "/close-query":
            await _answer(send, 200, [], b"")
            return
        headers = {name.decode().lower(): value.decode() for name, value in scope["headers"]}
        key = (scope["method"], scope["path"], headers.get("accept", ""), body)
        if scope["path"] not in ("/query", "/query-stream"):
            await _answer(send, *await self.forward(key, headers))
            return
        async with self.locks.setdefault(key, asyncio.Lock()):
            if key not in self.recorded:
                self.recorded[key] = await self.forward(key, headers)
        await _answer(send, *self.recorded[key])

    async def forward(self, key: Key, headers: dict[str, str]) -> Answer:
        """The upstream server's whole answer to a request (read to its end)."""
        method, path, _, body = key
        sent: dict[str, str] = {
            name: headers[name] for name in ("accept", "content-type") if name in headers
        }
        async with httpx.AsyncClient(timeout=None) as client:
            response = await client.request(
                method, self.upstream + path, content=body, headers=sent
            )
        kept = [
            (name.encode(), value.encode())
            for name, value in response.headers.items()
            if name.lower() == "content-type"
        ]
        return response.status_code, kept, response.content

    async def sink(self, receive: Receive, send: Send) -> None:
        """``/inserts-stream`` that acks each row as it arrives (after the target line)."""
        await send({"type": "http.response.start", "status": 200, "headers": []})
        seq = 0
        header = True
        rest = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            more = message.get("more_body", False)
            lines = (rest + message.get("body", b"")).split(b"\n")
            rest = lines.pop() if more else b""
            count = sum(1 for line in lines if line.strip())
            if header and count:
                header = False
                count -= 1
            if count:
                acks = b"".join(b'{"seq":%d,"status":"ok"}\n' % i for i in range(seq, seq + count))
                seq += count
                await send({"type": "http.response.body", "body": acks, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


async def _body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts)


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    for start in range(0, len(body), CHUNK):
        chunk = body[start : start + CHUNK]
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def main(upstream: str) -> None:
    # Bind first, so the port is known before hypercorn serves on the socket.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.set_inheritable(True)
    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = None
    config.errorlog = None
    config.keep_alive_timeout = 3600
    config.keep_alive_max_requests = 1 << 31
    config.h2_max_inbound_frame_size = 1 << 20
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    await serve(Replay(upstream), config)  # type: ignore[arg-type]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "upstream", help="the server whose answers to record, e.g. http://127.0.0.1:8088"
    )
    asyncio.run(main(parser.parse_args().upstream))
