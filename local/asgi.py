"""ASGI plumbing the routes share: the message types, request headers, whole answers and
the watch for a client that leaves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from .wire import JSON, dumps

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def is_http2(scope: Scope) -> bool:
    """Whether the request came over HTTP/2."""
    return str(scope.get("http_version", "1.1")).startswith("2")


async def respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: str | None = JSON,
    extra: Iterable[tuple[str, str]] = (),
    *,
    more_body: bool = False,
) -> None:
    """A whole answer; with ``more_body`` the response stays open (the caller ends it)."""
    headers = [(b"content-length", str(len(body)).encode())]
    if content_type:
        headers.append((b"content-type", content_type.encode()))
    headers += [(k.encode(), v.encode()) for k, v in extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": more_body})


async def respond_json(send: Send, status: int, value: Any) -> None:
    """A whole JSON answer, written as ksqlDB writes JSON."""
    await respond(send, status, dumps(value).encode())


async def watch_disconnect(receive: Receive, on_disconnect: Callable[[], None]) -> None:
    """Call ``on_disconnect`` when the client goes away."""
    # The only reliable sign that a streaming client left: servers swallow later send() calls.
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            on_disconnect()
            return
