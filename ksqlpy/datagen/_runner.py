"""The generate-and-send loop: pacing, stop conditions, progress line and summary."""

from __future__ import annotations

import random
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO

from ksqlpy._errors import KsqlError

from ._generators import Context
from ._rate import RateLimiter
from ._schema import Schema
from ._sinks import Sink

# Kafka 4.x refuses records stamped more than message.timestamp.after.max.ms (1 h by default)
# in the future, and an idempotent kafka-python producer then fails every later send to that
# partition: record timestamps are clamped a minute below that limit.
MAX_FUTURE_MS = 3_600_000 - 60_000
STOP_WAIT_S = 3.0
"""Seconds an interrupted or failed run waits for outstanding acknowledgements before it closes
the sink, counting every record still unacknowledged as an error."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How many records, how fast, and how they are timed."""

    rate: float | None = None  # records per second; None: as fast as possible
    iterations: int | None = None
    duration: float | None = None  # seconds
    seed: int | None = None  # None: a random seed, reported in the summary
    start_time_ms: int | None = None  # fixed "now" of record 0 (reproducible timestamps)
    time_step_ms: int = 1000  # simulated time between records when start_time_ms is set
    progress: bool = True
    progress_interval: float | None = None  # None: 0.25 s on a terminal, 2 s otherwise


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run did."""

    sent: int
    acked: int
    errors: int
    seconds: float
    seed: int
    stopped_by: str  # "iterations", "duration", "interrupt", "error" (the sink failed)
    target: str
    last_error: str | None = None

    @property
    def rate(self) -> float:
        """Records sent per second."""
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """One line for humans."""
        text = (
            f"sent {self.sent:,}, acked {self.acked:,}, errors {self.errors:,} in "
            f"{self.seconds:.2f} s ({self.rate:,.0f} records/s) to {self.target}; "
            f"seed {self.seed}; stopped by {self.stopped_by}"
        )
        if self.last_error:
            text += f"; last error: {self.last_error}"
        return text


class _Progress:
    def __init__(self, sink: Sink, out: TextIO, interval: float | None, enabled: bool) -> None:
        self.sink = sink
        self.out = out
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (0.25 if self.tty else 2.0)
        self.enabled = enabled
        self.last_time = time.monotonic()
        self.last_sent = 0
        self.shown = False

    def show(self, now: float) -> None:
        sent = self.sink.sent
        rate = (sent - self.last_sent) / max(now - self.last_time, 1e-9)
        self.last_time, self.last_sent = now, sent
        text = (
            f"sent {sent:,}  acked {self.sink.acked:,}  errors {self.sink.errors:,}  "
            f"rate {rate:,.0f}/s"
        )
        if self.tty:
            self.out.write("\r\x1b[2K" + text)
        else:
            self.out.write(text + "\n")
        self.out.flush()
        self.shown = True

    def end(self) -> None:
        if self.tty and self.shown:
            self.out.write("\n")
            self.out.flush()


def run(
    schema: Schema,
    sink: Sink,
    options: RunOptions,
    *,
    stop: threading.Event | None = None,
    out: TextIO | None = None,
) -> RunSummary:
    """Generate records from ``schema`` into ``sink`` until a stop condition; flush; summarise.

    Stops after ``iterations`` records, after ``duration`` seconds, when ``stop`` is set (the
    CLI sets it on Ctrl-C) or when the sink fails (it says so, or raises KsqlError, e.g. when
    the broker is gone). A finished run flushes the sink; an interrupted or failed one (or a
    flush that fails) waits ``STOP_WAIT_S`` at most, then closes the sink, which counts what it
    could not deliver as errors. Either way the summary's counts are exact: every record it
    counts as acknowledged is in the destination, and ``sent == acked + errors``. Example::

        schema = quickstart("people")
        summary = run(schema, PrintSink(key_encoder(schema), value_encoder(schema, "json")),
                      RunOptions(iterations=3, seed=1, progress=False))
    """
    err = out or sys.stderr
    seed = options.seed if options.seed is not None else secrets.randbits(31)
    make = schema.generator(random.Random(seed))
    limiter = RateLimiter(options.rate) if options.rate else None
    progress = _Progress(sink, err, options.progress_interval, options.progress)
    ts_field = schema.timestamp
    fixed_time = options.start_time_ms
    step = options.time_step_ms
    iterations = options.iterations
    ctx = Context()
    send = sink.send
    clock, wall = time.monotonic, time.time
    started = clock()
    deadline = started + options.duration if options.duration is not None else None
    next_progress = started + progress.interval if progress.enabled else float("inf")
    index = 0
    stopped_by = "iterations"
    limit = -1 if iterations is None else iterations
    # Unpaced runs look at the clock, the stop flag and the progress line every 64 records
    # only: per record, those checks would cost ~5% of the throughput.
    mask = 0 if limiter is not None else 63
    uses_time = schema.uses_time or ts_field is not None
    now = started
    now_ms = 0
    failure: str | None = None
    try:
        while index != limit:
            if limiter is not None:
                now = limiter.wait()
            if not index & mask:
                if limiter is None:
                    now = clock()
                if deadline is not None and now >= deadline:
                    stopped_by = "duration"
                    break
                if stop is not None and stop.is_set():
                    stopped_by = "interrupt"
                    break
                if sink.failed:
                    stopped_by = "error"
                    break
                if now >= next_progress:
                    progress.show(now)
                    next_progress = now + progress.interval
            ctx.index = index
            if uses_time:
                now_ms = int(wall() * 1000)
                ctx.now_ms = now_ms if fixed_time is None else fixed_time + index * step
            record = make(ctx)
            timestamp = None
            if ts_field is not None:
                value = record[ts_field]
                if value is not None:
                    timestamp = min(int(value), now_ms + MAX_FUTURE_MS)
            send(record, timestamp)
            index += 1
    except KsqlError as exc:  # the sink cannot go on, e.g. the broker is gone
        stopped_by, failure = "error", " ".join(str(exc).split())
    closing = _finish(sink, stopped_by in ("interrupt", "error"))
    failure = failure or closing
    seconds = clock() - started
    if progress.enabled and progress.shown:
        progress.show(clock())
    progress.end()
    return RunSummary(
        sent=sink.sent,
        acked=sink.acked,
        errors=sink.errors,
        seconds=seconds,
        seed=seed,
        stopped_by=stopped_by,
        target=sink.target,
        last_error=failure or sink.last_error,
    )


def _finish(sink: Sink, stopping: bool) -> str | None:
    """Flush a finished run; close a stopping one (or one whose flush failed), in bounded time.

    Returns why the sink could not deliver everything, if it could not.
    """
    if not stopping:
        try:
            sink.flush()
            return None
        except KsqlError:
            pass  # closing below counts what the flush could not deliver
    try:
        sink.close(STOP_WAIT_S)
    except KsqlError as exc:
        return " ".join(str(exc).split())
    return None
