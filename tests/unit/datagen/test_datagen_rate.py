"""The steady pacing of ksqlpy-datagen, on a fake clock."""

from __future__ import annotations

import pytest

from ksqlpy.datagen import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_steady_rate_releases_exactly_rate_times_seconds() -> None:
    clock = FakeClock()
    limiter = RateLimiter(500, clock=clock, sleep=clock.sleep)
    released = 0
    while limiter.wait() < 100.0 + 5.0 - 1e-9:
        released += 1
    assert released == 2500


def test_a_stall_allows_only_a_bounded_catch_up() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, burst=5, clock=clock, sleep=clock.sleep)
    limiter.wait()
    clock.now += 10.0  # the broker stalled for 10 s: 1000 records behind schedule
    clock.sleeps.clear()
    for _ in range(6):
        limiter.wait()
    assert clock.sleeps == []  # the late record and five more go at once...
    limiter.wait()
    assert len(clock.sleeps) == 1  # ...then pacing resumes instead of a 1000-record flood


def test_short_sleeps_are_batched_at_high_rates() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100_000, clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        limiter.wait()
    assert len(clock.sleeps) < 200
    assert clock.now == pytest.approx(100.0 + 999 / 100_000, abs=0.0011)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)
