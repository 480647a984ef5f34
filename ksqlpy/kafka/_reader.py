"""A group-less reader of explicitly assigned partitions (no rebalances, no committed offsets)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, TypeVar

from kafka import KafkaConsumer
from kafka.structs import TopicPartition as _RawTopicPartition

from ksqlpy._errors import KafkaError

from ._boundary import (
    build_client,
    collect_leaked_sockets,
    connection_settings,
    translate,
)
from ._consumer import Record, TopicPartition, headers_of

T = TypeVar("T")
Headers = tuple[tuple[str, bytes | None], ...]
RecordMaker = Callable[[str, int, int, int, bytes | None, bytes | None, Headers], T]


def _record(
    topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int,
    key: bytes | None,
    value: bytes | None,
    headers: Headers,
) -> Record:
    return Record(topic, partition, offset, key, value, timestamp_ms, headers)


def _raw(parts: Iterable[TopicPartition]) -> list[Any]:
    return [_RawTopicPartition(tp.topic, tp.partition) for tp in parts]


class PartitionReader:
    """Read the partitions it is told to, from the positions it is told to.

    Example::

        with PartitionReader("localhost:9092") as reader:
            reader.assign([TopicPartition("orders", 0)], from_beginning=True)
            records = reader.poll(0.5)

    Unlike :class:`Consumer` it joins no group: what it reads is chosen by the caller, as a
    mirror or a replay needs. ``read_committed`` (the default) hides records of aborted and
    open transactions. Not thread-safe: use it from one thread.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        isolation_level: str = "read_committed",
        timeout: float = 10.0,
        **config: Any,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout
        self._closed = False
        self._assigned: frozenset[TopicPartition] = frozenset()
        settings: dict[str, Any] = {
            **connection_settings(bootstrap_servers, timeout),
            "group_id": None,
            "enable_auto_commit": False,
            "isolation_level": isolation_level,
            "auto_offset_reset": "earliest",
            "request_timeout_ms": max(int(timeout * 1000), 1000),
            "client_id": "ksqlpy-reader",
        }
        settings.update(config)
        self._consumer: Any = build_client(
            KafkaConsumer, settings, "connecting the reader", "reader", timeout
        )

    def __enter__(self) -> PartitionReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise KafkaError("this PartitionReader is closed; create a new one")

    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions being read."""
        return self._assigned

    def assign(self, parts: Iterable[TopicPartition], *, from_beginning: bool = False) -> None:
        """Read exactly ``parts`` from now on; partitions new to the set start at their beginning
        when ``from_beginning`` (else at their end), the others keep their positions."""
        self._check_open()
        wanted = frozenset(parts)
        new = wanted - self._assigned
        with translate("assigning partitions", self.bootstrap_servers, self.timeout):
            self._consumer.assign(_raw(sorted(wanted)))
            if new and from_beginning:
                self._consumer.seek_to_beginning(*_raw(sorted(new)))
            elif new:
                self._consumer.seek_to_end(*_raw(sorted(new)))
        self._assigned = wanted

    def poll(self, timeout: float = 0.1, max_records: int | None = None) -> list[Record]:
        """The next records of the assigned partitions (empty when none came within ``timeout``)."""
        return self.poll_as(_record, timeout, max_records)

    def poll_as(
        self, make: RecordMaker[T], timeout: float = 0.1, max_records: int | None = None
    ) -> list[T]:
        """:meth:`poll`, each record built by ``make(topic, partition, offset, timestamp_ms,
        key, value, headers)``: a caller with a record type of its own builds it only once."""
        self._check_open()
        if not self._assigned:
            return []
        with translate("reading records", self.bootstrap_servers, self.timeout):
            batches = self._consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
        return [
            make(
                r.topic,
                r.partition,
                r.offset,
                r.timestamp,
                r.key,
                r.value,
                headers_of(r.headers) if r.headers else (),
            )
            for raw_records in batches.values()
            for r in raw_records
        ]

    def position(self, tp: TopicPartition) -> int | None:
        """The offset of the next record to read (past transaction markers), if known yet.

        Never waits: a position still being looked up reads as ``None``.
        """
        self._check_open()
        with translate("reading a position", self.bootstrap_servers, self.timeout):
            value = self._consumer.position(_RawTopicPartition(tp.topic, tp.partition), 0)
        return None if value is None else int(value)

    def end_offsets(self, parts: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """Each partition's end: with ``read_committed``, the last stable offset."""
        self._check_open()
        raw = _raw(parts)
        if not raw:
            return {}
        with translate("reading end offsets", self.bootstrap_servers, self.timeout):
            ends = self._consumer.end_offsets(raw, timeout_ms=int(self.timeout * 1000))
        return {TopicPartition(tp.topic, tp.partition): int(off) for tp, off in ends.items()}

    def close(self) -> None:
        """Close the connection; closing twice is a no-op."""
        if self._closed:
            return
        self._closed = True
        try:
            with translate("closing the reader", self.bootstrap_servers, self.timeout):
                self._consumer.close(autocommit=False, timeout_ms=int(self.timeout * 1000))
        finally:
            # A reader lives as long as its server and outlives broker outages, whose failed
            # reconnects kafka-python leaves to the garbage collector.
            collect_leaked_sockets()
