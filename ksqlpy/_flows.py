"""Drivers of the sans-IO flows: each multi-step operation is a generator written once.

A flow yields what to do next and is sent the outcome (or thrown the error); ``drive`` performs
the steps with the blocking client and ``adrive`` with the async one (scripts: ``Core``'s calls;
insert batches: ``_inserts``' steps), as httpx's twins drive
``Auth.auth_flow``. ``header_flow`` decides when a query has started (its header, or its error)
from the chunks ``read_header``/``aread_header`` feed it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, TypeVar

from ._errors import KsqlError
from ._query_decoders import QueryDecoder

__all__ = ["adrive", "aread_header", "drive", "header_flow", "read_header"]

S = TypeVar("S")
T = TypeVar("T")


def drive(flow: Generator[S, Any, T], perform: Callable[[S], Any]) -> T:
    """Run a flow with the blocking client: each step it yields is performed, and its result
    (or its KsqlError) sent back in; the flow's return value is the result."""
    try:
        step = next(flow)
        while True:
            try:
                result = perform(step)
            except KsqlError as error:
                step = flow.throw(error)
            else:
                step = flow.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def adrive(flow: Generator[S, Any, T], perform: Callable[[S], Awaitable[Any]]) -> T:
    """``drive`` for the async client."""
    try:
        step = next(flow)
        while True:
            try:
                result = await perform(step)
            except KsqlError as error:
                step = flow.throw(error)
            else:
                step = flow.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def header_flow(decoder: QueryDecoder) -> Generator[None, bytes | None, list[Any]]:
    """Read a query's reply up to its header: sent each chunk of the body (None at its end).

    Returns the rows that arrived with the header; raises the query's error when it failed
    before its header (a refused statement, an unknown source).
    """
    pending: list[Any] = []
    while not decoder.has_header and decoder.error is None:
        chunk = yield
        if chunk is None:
            pending.extend(decoder.feed_eof())
            break
        pending.extend(decoder.feed(chunk))
    if decoder.error is not None and not decoder.has_header:
        raise decoder.error
    return pending


def _feed(flow: Generator[None, bytes | None, list[Any]], chunk: bytes | None) -> list[Any] | None:
    """Send one chunk in; the flow's result once it has one."""
    try:
        flow.send(chunk)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    return None


def read_header(decoder: QueryDecoder, chunks: Iterator[bytes]) -> list[Any]:
    """Drive ``header_flow`` with a blocking body; later chunks stay in ``chunks``."""
    flow = header_flow(decoder)
    next(flow)
    for chunk in chunks:
        pending = _feed(flow, chunk)
        if pending is not None:
            return pending
    return _feed(flow, None) or []


async def aread_header(decoder: QueryDecoder, chunks: AsyncIterator[bytes]) -> list[Any]:
    """``read_header`` for an async body."""
    flow = header_flow(decoder)
    next(flow)
    async for chunk in chunks:
        pending = _feed(flow, chunk)
        if pending is not None:
            return pending
    return _feed(flow, None) or []
