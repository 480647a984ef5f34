"""``stream_inserts`` without I/O: rows in batches, one ``/inserts-stream`` request per batch.

``batch_flow`` is the whole decision logic of one batch -- open the request, read its acks, and
when the request breaks, probe the server with an empty request to learn why -- as a generator
that yields what to do (``OpenBatch``, ``ReadAcks``, ``Probe``) and is sent each outcome back
(errors are thrown in). ``Client`` and ``AsyncClient`` only perform those steps, the way httpx's
twins drive ``Auth.auth_flow``, so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol

from . import _protocol as proto
from ._config import ClientConfig
from ._errors import KsqlError, KsqlServerError, KsqlTimeoutError, ServerUnavailableError

__all__ = [
    "REQUEST",
    "OpenBatch",
    "Probe",
    "ReadAcks",
    "async_batches",
    "batch_flow",
    "batches",
    "check_batch_size",
]

REQUEST = proto.Request("POST", proto.INSERTS_STREAM, streaming=True)
"""Every batch and probe is one streamed ``POST /inserts-stream``."""

PROBES = 2
"""Zero-row requests sent to learn why an insert request broke (the first may reuse the dead
connection)."""


@dataclass(frozen=True, slots=True)
class OpenBatch:
    """Open the ``/inserts-stream`` request with this body; send back the response."""

    body: list[bytes]


@dataclass(frozen=True, slots=True)
class ReadAcks:
    """Feed the response's body to ``take`` until it says done, then close the response."""

    response: Any
    decoder: proto.AckDecoder

    def take(self, chunk: bytes | None) -> bool:
        """Read one chunk of acks (None: the body ended); True once no more are needed."""
        if chunk is None:
            self.decoder.feed_eof()
            return True
        self.decoder.feed(chunk)
        return self.decoder.error is not None  # a refused row ends the batch


@dataclass(frozen=True, slots=True)
class Probe:
    """Open a request with the head only, then close it (its error, if any, is thrown in)."""

    head: bytes


Step = OpenBatch | ReadAcks | Probe


class Link(Protocol):
    """What the flow's messages need to know of a transport, read when an error happens."""

    @property
    def base(self) -> str:
        """The URL requests go to now."""

    config: ClientConfig
    http1_fallback: bool


def batch_flow(
    target: str, head: bytes, batch: list[Mapping[str, Any]], sent: int, link: Link
) -> Generator[Step, Any, None]:
    """Insert ``batch`` (rows ``sent`` onwards of the stream) in one request, with its acks."""
    decoder = proto.AckDecoder(len(batch), batch, offset=sent, where=f"the inserts into {target}")
    end = sent + len(batch)
    try:
        response = yield OpenBatch([head, *proto.encode_rows(batch)])
    except ServerUnavailableError as broken:
        reason = yield from _probe(head)
        raise reason or _broken(broken, target, sent, len(batch), link.http1_fallback) from broken
    except KsqlTimeoutError as late:
        raise _ack_timeout(late, target, sent, end, link) from late
    try:
        yield ReadAcks(response, decoder)
    except KsqlTimeoutError as late:
        raise _ack_timeout(late, target, sent + decoder.acknowledged, end, link) from late
    if decoder.error is not None:
        raise decoder.error


def _probe(head: bytes) -> Generator[Step, Any, KsqlError | None]:
    # The server may have answered an error (unknown target, bad credentials, ...) and closed
    # the stream, or the whole connection, while rows were still being sent; ask again with no
    # rows (on a new connection if need be) to learn its reason.
    for _ in range(PROBES):
        try:
            yield Probe(head)
        except ServerUnavailableError:
            continue
        except KsqlServerError as refused:
            return refused
        break
    return None


def _broken(
    broken: ServerUnavailableError, target: str, sent: int, count: int, http1_only: bool
) -> ServerUnavailableError:
    detail = (
        f"{broken}\nwhile sending rows {sent} to {sent + count - 1} of the inserts into "
        f"{target}: the {sent} rows before them were acknowledged; some of these may have "
        "been inserted"
    )
    if http1_only:
        detail += (
            "\nthis server (or a proxy in front of it) speaks only HTTP/1.1, and "
            "/inserts-stream needs HTTP/2; insert with execute_statement('INSERT INTO ... "
            "VALUES (...);') instead, or reach ksqlDB without the proxy"
        )
    return ServerUnavailableError(broken.message, detail=detail)


def _ack_timeout(
    late: KsqlTimeoutError, target: str, acked: int, sent: int, link: Link
) -> KsqlTimeoutError:
    # A connect timeout (nothing sent) keeps its own message.
    if "could not connect" in str(late):
        return late
    return proto.ack_timeout_error(link.base, link.config.read_timeout, target, acked, sent)


def check_batch_size(batch_size: int) -> None:
    """Refuse a batch size that is not a positive int."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise KsqlError(f"batch_size must be a positive int, got {batch_size!r}")


def batches(rows: Iterable[Mapping[str, Any]], batch_size: int) -> Iterator[list[Any]]:
    """``rows`` in lists of ``batch_size``, read lazily."""
    iterator = iter(rows)
    while batch := list(islice(iterator, batch_size)):
        yield batch


async def async_batches(
    rows: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]], batch_size: int
) -> AsyncIterator[list[Any]]:
    """``rows`` (an iterable or an async iterable) in lists of ``batch_size``, read lazily."""
    if isinstance(rows, AsyncIterable):
        batch: list[Mapping[str, Any]] = []
        async for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch
    else:
        for chunk in batches(rows, batch_size):
            yield chunk
