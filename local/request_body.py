"""Request bodies of the local server: read within size and time limits, parsed into JSON
objects, and cut into the lines of an inserts stream, with ksqlDB's error bodies for what fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from .wire import KsqlHttpError, dumps, generic_error, http_error

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]

# Requests larger than this are refused before they are parsed; so is an inserts-stream line.
MAX_BODY_BYTES = 8 * 1024 * 1024
# A request body (other than an inserts stream) must arrive within this long.
BODY_TIMEOUT_S = 30.0

# A \uD800-\uDFFF escape: json.loads pairs valid surrogates, so any left alone are lone ones.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class Disconnected(Exception):
    """The client went away before the request body was read."""


async def read_body(receive: Receive, timeout: float = BODY_TIMEOUT_S) -> bytes:
    """The whole request body; 413 when too large, 408 when it trickles in too slowly."""
    try:
        async with asyncio.timeout(timeout):
            return await _read_all(receive)
    except TimeoutError:
        raise KsqlHttpError(
            408, generic_error(40800, f"The request body did not arrive within {timeout:g} s")
        ) from None


async def _read_all(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        more = message.get("more_body", False)
        if size > MAX_BODY_BYTES:
            # Read the rest (up to a hard cap) so the client gets the answer, not a reset.
            chunks.clear()
            if not more or size > 8 * MAX_BODY_BYTES:
                raise KsqlHttpError(
                    413,
                    generic_error(41300, f"Request body is larger than {MAX_BODY_BYTES} bytes"),
                )
            continue
        chunks.append(chunk)
        if not more:
            return b"".join(chunks)


async def drain(
    receive: Receive, limit: int = 8 * MAX_BODY_BYTES, timeout: float = BODY_TIMEOUT_S
) -> None:
    """Read and drop the rest of a request body (up to ``limit`` bytes or ``timeout`` seconds).

    Clients that send the whole body before reading the answer (httpx) read it only then.
    """
    size = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while size <= limit:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                size += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return


def parse_json(text: bytes) -> Any:
    """JSON text as a value; ``ValueError`` with a reason for anything ksqlDB would refuse
    (bad syntax, nesting too deep for the parser, a string holding a lone surrogate)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("nesting is too deep") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    if _SURROGATE_ESCAPE.search(text):
        try:
            dumps(value).encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start : exc.end]
            raise ValueError(
                f"a string holds a lone surrogate ({bad.encode('unicode-escape').decode()})"
            ) from None
    return value


def json_object(body: bytes) -> dict[str, Any]:
    """A request body that must be one JSON object."""
    try:
        value = parse_json(body or b"null")
    except ValueError as exc:
        raise http_error(40000, f"Invalid JSON in request: {exc}") from exc
    if not isinstance(value, dict):
        raise http_error(40000, "Invalid JSON in request: expected a JSON object")
    return value


def object_field(request: dict[str, Any], key: str) -> dict[str, Any]:
    """An optional object field of a request (``{}`` when absent)."""
    value = request.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise http_error(40000, f"Invalid JSON in request: '{key}' must be an object")
    return value


class LineTooLong(Exception):
    """A line of an inserts stream passed :data:`MAX_BODY_BYTES`."""


class Lines:
    """Cuts a body that arrives in chunks into lines; each byte is scanned once."""

    def __init__(self, limit: int = MAX_BODY_BYTES) -> None:
        self.limit = limit
        self._pieces: list[bytes] = []  # the line not finished yet
        self._size = 0

    def feed(self, chunk: bytes, more: bool) -> list[bytes]:
        """The lines that ``chunk`` completes (the last one too when ``more`` is false)."""
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if lines and self._pieces:
            lines[0] = b"".join([*self._pieces, lines[0]])
            self._pieces, self._size = [], 0
        if tail:
            self._pieces.append(tail)
            self._size += len(tail)
        if any(len(line) > self.limit for line in lines) or self._size > self.limit:
            raise LineTooLong(f"An inserts-stream line is longer than {self.limit} bytes")
        if not more and self._pieces:
            lines.append(b"".join(self._pieces))
            self._pieces, self._size = [], 0
        return lines
