"""A typed consumer over kafka-python's ``KafkaConsumer`` and the guarantee-aware consume loop."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, NamedTuple

from kafka import ConsumerRebalanceListener, KafkaConsumer
from kafka.structs import OffsetAndMetadata
from kafka.structs import TopicPartition as _RawTopicPartition

from ksqlpy._errors import BrokerUnavailableError, KafkaError

from ._boundary import (
    CONFIG_ERRORS,
    collect_leaked_sockets,
    config_error,
    connection_settings,
    ensure_reachable,
    reachable,
    translate,
)
from ._guarantees import Guarantee, consumer_settings

log = logging.getLogger("ksqlpy.kafka")


class TopicPartition(NamedTuple):
    """A partition of a topic."""

    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"


@dataclass(frozen=True, slots=True)
class Record:
    """A record read from Kafka."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    headers: tuple[tuple[str, bytes | None], ...] = ()


def headers_of(raw: Any) -> tuple[tuple[str, bytes | None], ...]:
    """kafka-python's record headers as a tuple (a header value may be null)."""
    return tuple((k, None if v is None else bytes(v)) for k, v in raw or ())


def to_record(raw: Any) -> Record:
    """A kafka-python ``ConsumerRecord`` as a :class:`Record` (a header value may be null)."""
    return Record(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        key=raw.key,
        value=raw.value,
        timestamp_ms=raw.timestamp,
        headers=headers_of(raw.headers),
    )


PartitionsCallback = Callable[[frozenset[TopicPartition]], None]


def _partitions(raw: Iterable[Any]) -> frozenset[TopicPartition]:
    return frozenset(TopicPartition(str(tp.topic), int(tp.partition)) for tp in raw)


def _describe(parts: Iterable[TopicPartition]) -> str:
    return "[" + ", ".join(str(p) for p in sorted(parts)) + "]"


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    """Log every assignment change and pass it on to the owner's callbacks."""

    def __init__(
        self, name: str, on_assigned: PartitionsCallback, on_revoked: PartitionsCallback
    ) -> None:
        self.name = name
        self.on_assigned = on_assigned
        self.on_revoked = on_revoked

    def on_partitions_revoked(self, revoked: Any) -> None:
        parts = _partitions(revoked)
        log.info("consumer %s: revoked %s", self.name, _describe(parts))
        self.on_revoked(parts)

    def on_partitions_assigned(self, assigned: Any) -> None:
        parts = _partitions(assigned)
        log.info("consumer %s: assigned %s", self.name, _describe(parts))
        self.on_assigned(parts)

    def on_partitions_lost(self, lost: Any) -> None:
        parts = _partitions(lost)
        log.info("consumer %s: lost %s", self.name, _describe(parts))
        self.on_revoked(parts)


class Consumer:
    """A member of a consumer group, subscribed to topics, with offsets committed by the caller.

    Example::

        with Consumer("localhost:9092", ["orders"], group_id="billing") as c:
            consume(c, lambda r: print(r.value), max_records=10)

    The rebalance listener logs assigned/revoked partitions on the ``ksqlpy.kafka`` logger and keeps
    :meth:`assignment` current. Extra keyword arguments go to kafka-python's ``KafkaConsumer``.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Sequence[str] | str,
        *,
        group_id: str,
        guarantee: Guarantee | str = Guarantee.AT_LEAST_ONCE,
        name: str | None = None,
        on_assigned: PartitionsCallback | None = None,
        on_revoked: PartitionsCallback | None = None,
        timeout: float = 10.0,
        auto_offset_reset: str = "earliest",
        **config: Any,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id
        self.guarantee = Guarantee.parse(guarantee)
        self.name = name or group_id
        self.timeout = timeout
        self.topics = [topics] if isinstance(topics, str) else list(topics)
        self._closed = False
        self._quiet_since = time.monotonic()  # when the last records (or a probe) came
        self._broker_lost = False
        self._assignment: frozenset[TopicPartition] = frozenset()
        self._user_assigned = on_assigned
        self._user_revoked = on_revoked
        settings: dict[str, Any] = {
            **connection_settings(bootstrap_servers, timeout),
            "group_id": group_id,
            "client_id": self.name,
            "auto_offset_reset": auto_offset_reset,
        }
        settings.update(consumer_settings(self.guarantee))
        settings.update(config)
        ensure_reachable(bootstrap_servers, timeout)
        with translate(f"joining consumer group '{group_id}'", bootstrap_servers, timeout):
            try:
                self._consumer: Any = KafkaConsumer(**settings)
            except CONFIG_ERRORS as exc:
                raise config_error(exc, "consumer") from exc
            listener = _Listener(self.name, self._assigned, self._revoked)
            self._consumer.subscribe(topics=self.topics, listener=listener)

    def _assigned(self, parts: frozenset[TopicPartition]) -> None:
        self._assignment = self._assignment | parts
        if self._user_assigned is not None:
            self._user_assigned(parts)

    def _revoked(self, parts: frozenset[TopicPartition]) -> None:
        self._assignment = self._assignment - parts
        if self._user_revoked is not None:
            self._user_revoked(parts)

    @property
    def raw(self) -> Any:
        """The underlying kafka-python ``KafkaConsumer`` (untyped)."""
        return self._consumer

    def __enter__(self) -> Consumer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions this member owns right now (as told by the rebalance listener)."""
        return self._assignment

    def poll(self, timeout: float = 1.0, max_records: int | None = None) -> list[Record]:
        """Fetch the next records (an empty list when none arrived within ``timeout`` seconds)."""
        if self._closed:
            raise KafkaError(f"consumer {self.name} is closed; create a new one")
        with translate(
            f"polling consumer group '{self.group_id}'", self.bootstrap_servers, self.timeout
        ):
            batches = self._consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
        if not batches:
            self._check_broker()
            return []
        self._quiet_since = time.monotonic()
        return [to_record(r) for raw_records in batches.values() for r in raw_records]

    def _check_broker(self) -> None:
        # kafka-python polls a dead broker quietly forever (and drops the assignment, so "idle"
        # never starts): after ``timeout`` seconds without records, see whether it is there.
        now = time.monotonic()
        if now - self._quiet_since < self.timeout:
            return
        self._quiet_since = now
        if not reachable(self.bootstrap_servers, min(self.timeout, 2.0)):
            self._broker_lost = True
            raise BrokerUnavailableError(
                self.bootstrap_servers,
                self.timeout,
                f"Kafka at {self.bootstrap_servers} stopped answering consumer group "
                f"'{self.group_id}': no broker accepts a connection",
            )

    def caught_up(self) -> bool:
        """Whether every assigned partition is read up to its end (a ``read_committed`` member:
        up to the last committed transaction); False while nothing is assigned."""
        parts = [_RawTopicPartition(tp.topic, tp.partition) for tp in self._assignment]
        if not parts:
            return False
        wait_ms = int(self.timeout * 1000)
        with translate(
            f"reading the end offsets of group '{self.group_id}'",
            self.bootstrap_servers,
            self.timeout,
        ):
            ends = self._consumer.end_offsets(parts, timeout_ms=wait_ms)
            return all(
                self._consumer.position(tp, timeout_ms=wait_ms) >= int(ends.get(tp, 0))
                for tp in parts
            )

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """Commit ``{partition: next offset to read}`` (or the current positions) synchronously."""
        raw = None
        if offsets is not None:
            if not offsets:
                return
            raw = {
                _RawTopicPartition(tp.topic, tp.partition): OffsetAndMetadata(off, "", -1)
                for tp, off in offsets.items()
            }
        with translate(
            f"committing offsets of group '{self.group_id}'", self.bootstrap_servers, self.timeout
        ):
            self._consumer.commit(offsets=raw)

    def committed(self, tp: TopicPartition) -> int | None:
        """The group's committed offset for ``tp`` (``None`` if it never committed)."""
        with translate(
            f"reading offsets of group '{self.group_id}'", self.bootstrap_servers, self.timeout
        ):
            value = self._consumer.committed(_RawTopicPartition(tp.topic, tp.partition))
        return None if value is None else int(value)

    def seek(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Move the read positions (e.g. back to the start of a batch whose transaction aborted)."""
        for tp, off in offsets.items():
            self._consumer.seek(_RawTopicPartition(tp.topic, tp.partition), off)

    def group_metadata(self) -> Any:
        """The member's group metadata, for ``Producer.send_offsets`` (KIP-447 fencing)."""
        return self._consumer.group_metadata()

    def close(self) -> None:
        """Leave the group (its partitions move to the other members) and close; idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            with translate(f"closing consumer {self.name}", self.bootstrap_servers, self.timeout):
                self._consumer.close(autocommit=False, timeout_ms=int(self.timeout * 1000))
        finally:
            if self._broker_lost:
                collect_leaked_sockets()


def next_offsets(records: Iterable[Record]) -> dict[TopicPartition, int]:
    """The offsets to commit after ``records``: one past the last record of each partition."""
    out: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        if r.offset + 1 > out.get(tp, -1):
            out[tp] = r.offset + 1
    return out


def first_offsets(records: Iterable[Record]) -> dict[TopicPartition, int]:
    """The offset of the first record of each partition in ``records`` (to rewind a batch)."""
    out: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        if tp not in out or r.offset < out[tp]:
            out[tp] = r.offset
    return out


@dataclass(frozen=True, slots=True)
class ConsumeStats:
    """What a consume loop did."""

    records: int
    batches: int
    seconds: float


class _Stopper:
    """Stop conditions shared by the consume loop and the pipeline."""

    def __init__(
        self, max_records: int | None, idle_timeout: float | None, stop: threading.Event | None
    ):
        self.max_records = max_records
        self.idle_timeout = idle_timeout
        self.stop = stop
        self.last_data = time.monotonic()

    def remaining(self, done: int, batch: int) -> int:
        return batch if self.max_records is None else max(0, min(batch, self.max_records - done))

    def should_stop(
        self,
        done: int,
        got_records: bool,
        assigned: bool = True,
        caught_up: Callable[[], bool] | None = None,
    ) -> bool:
        now = time.monotonic()
        # Idle time counts only while partitions are assigned: joining a group can take longer
        # than the idle limit (e.g. while a crashed member's session expires).
        if got_records or not assigned:
            self.last_data = now
        if self.stop is not None and self.stop.is_set():
            return True
        if self.max_records is not None and done >= self.max_records:
            return True
        if self.idle_timeout is None or now - self.last_data < self.idle_timeout:
            return False
        # Idle means caught up: no records for a while *and* nothing left to read (a fetch
        # position still being restored after a rebalance also gives empty polls).
        if caught_up is None or caught_up():
            return True
        self.last_data = now
        return False


def consume(
    consumer: Consumer,
    handler: Callable[[Record], object],
    *,
    max_records: int | None = None,
    idle_timeout: float | None = None,
    stop: threading.Event | None = None,
    batch_size: int = 500,
    poll_timeout: float = 0.2,
) -> ConsumeStats:
    """Call ``handler`` for every record, committing offsets as the consumer's guarantee says.

    At-most-once commits each batch *before* handling it (a crash loses the batch, never repeats
    it); at-least-once commits *after* (a crash repeats the batch, never loses it). Exactly-once
    needs the output to be a Kafka transaction: use :func:`ksqlpy.kafka.pipeline`. Stops after
    ``max_records``, after ``idle_timeout`` seconds with partitions assigned, no records and
    every partition read to its end, or when ``stop`` is set; if ``handler`` raises, nothing more
    is committed and it propagates. A broker that stops answering raises
    BrokerUnavailableError after the consumer's ``timeout``.
    """
    if consumer.guarantee is Guarantee.EXACTLY_ONCE:
        raise ValueError(
            "exactly-once processing needs a transactional sink: use ksqlpy.kafka.pipeline(); "
            "consume() supports at-most-once and at-least-once"
        )
    at_most_once = consumer.guarantee is Guarantee.AT_MOST_ONCE
    stopper = _Stopper(max_records, idle_timeout, stop)
    started = time.monotonic()
    done = batches = 0
    while True:
        records = consumer.poll(poll_timeout, max_records=stopper.remaining(done, batch_size))
        if records:
            batches += 1
            offsets = next_offsets(records)
            if at_most_once:
                consumer.commit(offsets)
            for record in records:
                handler(record)
            if not at_most_once:
                consumer.commit(offsets)
            done += len(records)
        assigned = bool(consumer.assignment())
        if stopper.should_stop(done, bool(records), assigned, consumer.caught_up):
            return ConsumeStats(done, batches, time.monotonic() - started)
