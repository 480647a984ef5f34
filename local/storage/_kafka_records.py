"""What writes to Kafka give back: records as the broker stored them, and their futures."""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass

from ksqlpy.kafka import Delivered

from ._base import Pending, Record
from ._mirror import KafkaStorageError


@dataclass(slots=True)
class Sent:
    """Records queued on a producer: each filled in by its acknowledgement, or an error."""

    out: list[Record | None]
    errors: list[BaseException]

    def records(self, what: str, bootstrap_servers: str) -> list[Record]:
        """Every record as stored (call after a flush), or KafkaStorageError."""
        done = [r for r in self.out if r is not None]
        if self.errors or len(done) < len(self.out):
            reason = self.errors[0] if self.errors else "no acknowledgement"
            raise KafkaStorageError(
                f"cannot write to {what} on Kafka at {bootstrap_servers}: {reason}"
            )
        return done


def stored_record(pending: Pending, delivered: Delivered, stamp: int) -> Record:
    """The record as the broker stored it (its own time when the topic sets it)."""
    when = delivered.timestamp_ms if delivered.timestamp_ms >= 0 else stamp
    return Record(
        pending.topic,
        delivered.partition,
        delivered.offset,
        when,
        pending.key,
        pending.value,
        pending.headers,
    )


def settle(future: Future[Record], outcome: Record | BaseException) -> None:
    """Complete ``future`` unless it was given up already (its producer was closed)."""
    with contextlib.suppress(InvalidStateError):
        if isinstance(outcome, Record):
            future.set_result(outcome)
        else:
            future.set_exception(outcome)


def give_up(futures: set[Future[Record]], message: str) -> None:
    """Fail the records a closed producer left without an answer: their writers stop waiting."""
    for future in list(futures):
        settle(future, KafkaStorageError(message))
    futures.clear()
