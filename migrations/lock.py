"""The migrations lock, kept in the metadata stream so that it needs ksqlDB alone.

A runner appends a CLAIM row and reads the stream's lock rows back up to its own claim; the
stream has one partition, so every runner sees the same order and ``plan.lock_state`` names the
same winner. The winner renews its lease with HEARTBEAT rows and ends with RELEASE; a crashed
winner's lease runs out after ``ttl`` seconds, or ``unlock`` breaks it at once.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from ksqlpy._errors import MigrationError, MigrationLockedError

from .metadata import Metadata
from .plan import LockEvent, LockEventKind, LockState, lock_state

Clock = Callable[[], int]


def wall_clock_ms() -> int:
    """Milliseconds since the epoch, as ksql-migrations stamps its rows."""
    return time.time_ns() // 1_000_000


def runner_id() -> str:
    """Who is running: ``user@host pid N #nonce`` (the nonce tells two runs of one pid apart)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()} #{secrets.token_hex(4)}"


def when(ms: int) -> str:
    """An epoch-ms instant for messages (UTC, to the second)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class Lock:
    """The lock as one runner holds it; a context manager that always releases."""

    def __init__(
        self,
        metadata: Metadata,
        holder: str,
        ttl: float,
        command: str = "",
        clock: Clock = wall_clock_ms,
    ) -> None:
        self.metadata = metadata
        self.holder = holder
        self.ttl_ms = max(int(ttl * 1000), 1)
        self.command = command
        self.clock = clock
        self.until_ms = 0
        self.held = False

    def state(self) -> LockState:
        """Who holds the lock now (a scan of the stream's lock rows)."""
        return lock_state(self.metadata.lock_events())

    def acquire(self) -> None:
        """Claim the lock or raise MigrationLockedError naming the holder; never waits for it."""
        now = self.clock()
        self.refuse_if_held(self.state(), now)
        claim = self._event(LockEventKind.CLAIM, now)
        self.metadata.write([claim.row()])
        events = self._read_through(claim)
        winner = lock_state(events)
        if winner.holder != self.holder:
            # Another claim landed first: the stream's order decides, for every runner alike.
            self.refuse_if_held(replace(winner, until_ms=max(winner.until_ms, now)), now)
        self.held = True
        self.until_ms = claim.until_ms

    def refuse_if_held(self, state: LockState, now: int) -> None:
        """MigrationLockedError when ``state`` is another runner's live lock."""
        if state.holder is not None and state.holder != self.holder and state.live(now):
            doing = f" ({state.command})" if state.command else ""
            raise MigrationLockedError(
                f"another migrations run holds the lock: {state.holder}{doing}, since "
                f"{when(state.since_ms)}, lease until {when(state.until_ms)}; wait for it to end. "
                "If that run is gone, its lease runs out by itself, or break it now with "
                "'ksqlpy-migrations unlock'",
                state.holder,
                state.since_ms,
            )

    def _read_through(self, claim: LockEvent) -> list[LockEvent]:
        # Our own claim may take a moment to show in a scan; everything before it shows with it.
        deadline = time.monotonic() + self.metadata.settle_timeout
        delay = 0.01
        while True:
            events = self.metadata.lock_events()
            for index, event in enumerate(events):
                if event == claim:
                    return events[: index + 1]
            if time.monotonic() > deadline:
                raise MigrationError(
                    f"the lock claim written to {self.metadata.names.stream} did not show up "
                    f"within {self.metadata.settle_timeout:g} s; is the stream's topic readable?"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def renew(self) -> None:
        """Extend the lease when a third of it is gone; raise if the lock was taken away."""
        if not self.held:
            return
        now = self.clock()
        if self.until_ms - now > self.ttl_ms * 2 // 3:
            return
        self.check()
        beat = self._event(LockEventKind.HEARTBEAT, now)
        self.metadata.write([beat.row()])
        self.until_ms = beat.until_ms

    def check(self) -> None:
        """MigrationLockedError unless this runner still holds the lock."""
        state = self.state()
        if state.holder != self.holder:
            self.held = False
            other = state.holder or "nobody (it was broken with 'unlock')"
            raise MigrationLockedError(
                f"this run lost the migrations lock, now held by {other}; stopped before the "
                "next migration",
                state.holder or "",
                state.since_ms,
            )

    def release(self) -> None:
        """Give the lock back (best effort: a lease runs out anyway)."""
        if not self.held:
            return
        self.held = False
        self.metadata.write([self._event(LockEventKind.RELEASE, self.clock()).row()])

    def break_(self, reason: str) -> LockState:
        """Break whoever holds the lock (``unlock``/``abort``); returns what was broken."""
        state = self.state()
        if state.holder is not None:
            event = LockEvent(
                LockEventKind.BREAK,
                self.holder,
                self.clock(),
                0,
                target=state.holder,
                command=reason,
            )
            self.metadata.write([event.row()])
        return state

    def _event(self, kind: LockEventKind, now: int) -> LockEvent:
        return LockEvent(kind, self.holder, now, now + self.ttl_ms, command=self.command)

    def __enter__(self) -> Lock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        # Best effort: the lease runs out by itself, and the original error matters more.
        with contextlib.suppress(MigrationError):
            self.release()
