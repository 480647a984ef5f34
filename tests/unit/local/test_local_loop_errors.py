"""The embedded server's event-loop exception handler: shutdown noise is dropped, running out of
descriptors is said once, anything else is reported as asyncio reports it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from ksqlpy.local.server import _LoopErrors


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    made = asyncio.new_event_loop()
    yield made
    made.close()


def test_an_accept_retry_after_the_listener_closed_is_not_reported(
    loop: asyncio.AbstractEventLoop, caplog: pytest.LogCaptureFixture
) -> None:
    # asyncio retries accepting a second after EMFILE; a server stopped meanwhile closed the
    # socket, and the retry fails on its descriptor (-1).
    _LoopErrors()(
        loop,
        {
            "message": "Exception in callback BaseSelectorEventLoop._start_serving(<function>)",
            "exception": ValueError("Invalid file descriptor: -1"),
        },
    )
    assert caplog.records == []


def test_running_out_of_descriptors_is_said_once(
    loop: asyncio.AbstractEventLoop, caplog: pytest.LogCaptureFixture
) -> None:
    errors = _LoopErrors()
    context = {
        "message": "socket.accept() out of system resource",
        "exception": OSError(24, "Too many open files"),
    }
    errors(loop, context)
    errors(loop, context)
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["cannot accept connections"]


def test_other_errors_are_reported(
    loop: asyncio.AbstractEventLoop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "asyncio")
    _LoopErrors()(loop, {"message": "Exception in callback f()", "exception": ValueError("x")})
    assert [r.name for r in caplog.records] == ["asyncio"]
