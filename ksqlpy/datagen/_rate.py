"""Steady pacing: a token bucket that releases one record every ``1/rate`` seconds."""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimiter:
    """Release calls at a steady ``rate`` per second.

    The n-th call of :meth:`wait` returns at ``start + n/rate``. When the caller falls behind (a
    slow broker), it may catch up by at most ``burst`` records (default: 0.1 s worth, at least
    10), so the long-run rate never exceeds ``rate`` and a pause never turns into a flood.
    Sleeps shorter than a millisecond are skipped and accumulated, so high rates do not pay one
    ``sleep`` call per record.
    """

    __slots__ = ("_clock", "_count", "_interval", "_max_lag", "_sleep", "_start", "rate")

    def __init__(
        self,
        rate: float,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._interval = 1.0 / rate
        records = max(10, int(rate / 10)) if burst is None else max(1, burst)
        self._max_lag = records * self._interval
        self._clock = clock
        self._sleep = sleep
        self._start: float | None = None
        self._count = 0

    def wait(self) -> float:
        """Block until the next record may go; return the clock's time then."""
        now = self._clock()
        if self._start is None:
            self._start = now
        # start + n*interval rather than a running sum: no drift over millions of records.
        due = self._start + self._count * self._interval
        if due - now > 0.001:
            self._sleep(due - now)
            now = self._clock()
        elif now - due > self._max_lag:
            self._start += now - self._max_lag - due  # forgive the rest of the stall
        self._count += 1
        return now
