"""The rows of one ``/inserts-stream`` in flight: acknowledged in order, as each is stored.

ksqlDB's InsertsSubscriber sends each row to its producer without waiting and acks it when the
producer's callback comes; here the acks also keep the order of the rows. A row refused before
it was sent waits its turn the same way, so the rows before it are answered first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from concurrent.futures import Future
from typing import Any

from .wire import insert_ack, insert_error

_log = logging.getLogger("ksqlpy.local.http")

# ksqlDB's answer to a row it could not store.
INSERTS_FAILED = "Error in processing inserts. Check server logs for details."


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class InsertWindow:
    """Up to ``limit`` rows sent and not answered yet, oldest first."""

    def __init__(self, target: str, limit: int) -> None:
        self.target = target
        self.limit = limit
        self._rows: deque[tuple[int, Future[Any] | str]] = deque()
        # Set once an error line is out: the stream ends there, later rows get no answer.
        self.ended = False
        self._waiter: tuple[Future[Any], asyncio.Future[None]] | None = None

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def full(self) -> bool:
        """Whether the next row must wait for an answer first (memory stays bounded)."""
        return len(self._rows) >= self.limit

    def sent(self, seq: int, stored: Future[Any]) -> None:
        """Row ``seq`` is on its way; ``stored`` completes once it is stored."""
        self._rows.append((seq, stored))

    def refused(self, seq: int, code: int, message: str) -> None:
        """Row ``seq`` was refused: its error line goes out after the rows before it."""
        self._rows.append((seq, insert_error(seq, code, message)))

    def answers(self) -> list[str]:
        """The lines of the oldest rows that have their outcome, in order; an error line ends
        the stream (what was in flight behind it is never acknowledged)."""
        out: list[str] = []
        while self._rows and not self.ended:
            seq, row = self._rows[0]
            if isinstance(row, str):
                out.append(row)
                self.ended = True
                break
            if not row.done():
                break
            self._rows.popleft()
            error = row.exception()
            if error is None:
                out.append(insert_ack(seq))
                continue
            _log.error("insert into %s failed: %s", self.target, error)
            out.append(insert_error(seq, 50000, INSERTS_FAILED))
            self.ended = True
        return out

    def oldest(self) -> asyncio.Future[None] | None:
        """A future of the running loop done once the oldest row has its outcome (``None`` when
        nothing is in flight). Never cancels the row itself, which another thread completes."""
        if not self._rows or self.ended:
            return None
        _, row = self._rows[0]
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        if isinstance(row, str) or row.done():
            waiter.set_result(None)
            return waiter
        if self._waiter is not None and self._waiter[0] is row:
            return self._waiter[1]  # one callback per row, however often the caller asks
        self._waiter = (row, waiter)

        def woken(_: Future[Any]) -> None:
            with contextlib.suppress(RuntimeError):  # the server stopped meanwhile
                loop.call_soon_threadsafe(_wake, waiter)

        row.add_done_callback(woken)
        return waiter
