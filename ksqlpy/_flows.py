"""Drivers of the sans-IO flows: each multi-step operation is a generator written once.

A flow yields what to do next and is sent the outcome (or thrown the error); ``drive`` performs
the steps with the blocking client and ``adrive`` with the async one, as httpx's twins drive
``Auth.auth_flow``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

from ._core import Call
from ._errors import KsqlError

__all__ = ["adrive", "drive"]

T = TypeVar("T")


def drive(flow: Generator[Call[Any], Any, T], run: Callable[[Call[Any]], Any]) -> T:
    """Run a flow of ``Core`` with the sync client: each call it yields is run, and its result
    (or its KsqlError) sent back in."""
    try:
        call = next(flow)
        while True:
            try:
                result = run(call)
            except KsqlError as error:
                call = flow.throw(error)
            else:
                call = flow.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def adrive(
    flow: Generator[Call[Any], Any, T], run: Callable[[Call[Any]], Awaitable[Any]]
) -> T:
    """``drive`` for the async client."""
    try:
        call = next(flow)
        while True:
            try:
                result = await run(call)
            except KsqlError as error:
                call = flow.throw(error)
            else:
                call = flow.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
