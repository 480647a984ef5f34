"""The storage interface and the values that cross it."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

Headers = tuple[tuple[str, bytes | None], ...]


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a topic partition, as Kafka stores it (key and value are raw bytes)."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """A topic's name, partition count and replication factor."""

    name: str
    partitions: int
    replicas: int = 1


@dataclass(frozen=True, slots=True)
class Pending:
    """A record to append as part of :meth:`Log.commit` (its partition and offset come later)."""

    topic: str
    key: bytes | None
    value: bytes | None
    timestamp: int | None = None
    headers: Headers = ()
    partition: int | None = None


# A consumer group's progress: (topic, partition) -> the next offset to read, as Kafka commits it.
Positions = dict[tuple[str, int], int]


class UnknownTopicError(LookupError):
    """The topic does not exist."""


class TopicExistsError(ValueError):
    """The topic exists already with other settings."""


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash (the Java client's ``Utils.murmur2``), as a signed 32-bit int."""
    length = len(data)
    seed, m, r = 0x9747B28C, 0x5BD1E995, 24
    h = (seed ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = length % 4
    base = length - tail
    if tail == 3:
        h ^= data[base + 2] << 16
    if tail >= 2:
        h ^= data[base + 1] << 8
    if tail >= 1:
        h ^= data[base]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner picks for a non-null key."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class Log(abc.ABC):
    """A set of topics, each a list of partitions of records addressed by offset.

    Reads never block; :meth:`wait` lets a reader sleep until a topic gets new records.
    """

    @abc.abstractmethod
    def create_topic(self, name: str, partitions: int = 1, replicas: int = 1) -> TopicInfo:
        """Create a topic, or return the existing one (a different partition count is an error)."""

    @abc.abstractmethod
    def delete_topic(self, name: str) -> None:
        """Delete a topic and its records."""

    @abc.abstractmethod
    def topic(self, name: str) -> TopicInfo | None:
        """A topic's description, or ``None`` when it does not exist."""

    @abc.abstractmethod
    def topics(self) -> list[TopicInfo]:
        """Every topic, sorted by name."""

    @abc.abstractmethod
    def append(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        timestamp: int | None = None,
        headers: Headers = (),
        partition: int | None = None,
    ) -> Record:
        """Append one record; keyed records go to Kafka's murmur2 partition."""

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        timestamp: int | None = None,
        headers: Headers = (),
        partition: int | None = None,
    ) -> Future[Record]:
        """Start appending one record; the future gives it as stored once the log holds it.

        A writer of many records (``/inserts-stream``) sends them without waiting for each:
        the futures of one partition complete in the order sent, each within the log's own
        time bound (with the record, or with the OSError that kept it out), and a record is
        readable once its future has its result (on Kafka, a moment later when records of
        other writers came first). An error found before anything is sent (an unknown topic)
        raises at once. This default appends at once, for logs whose
        append does not wait on a network.
        """
        stored: Future[Record] = Future()
        stored.set_result(
            self.append(
                topic, key, value, timestamp=timestamp, headers=headers, partition=partition
            )
        )
        return stored

    @abc.abstractmethod
    def read(self, topic: str, partition: int, offset: int, limit: int) -> Sequence[Record]:
        """Up to ``limit`` records of one partition from ``offset`` on."""

    @abc.abstractmethod
    def end_offsets(self, topic: str) -> list[int]:
        """The next offset of every partition of a topic."""

    @abc.abstractmethod
    async def wait(self, topic: str, seen: int, timeout: float) -> int:
        """Sleep until the topic's append counter passes ``seen`` (or timeout); return it."""

    @abc.abstractmethod
    def version(self, topic: str) -> int:
        """A counter that grows with every append to the topic (for :meth:`wait`)."""

    @abc.abstractmethod
    def commit(
        self,
        group: str,
        records: Sequence[Pending],
        positions: Positions,
        *,
        exactly_once: bool = True,
    ) -> list[Record]:
        """Append ``records`` and store ``group``'s ``positions`` as one unit.

        A persistent query commits its output with the input positions that produced it, so a
        restart resumes where the output stops: with ``exactly_once`` a crash leaves both or
        neither (Kafka: one transaction); without it the output may be there without the
        positions (at-least-once, as Kafka Streams' default), never the other way round.
        """

    @abc.abstractmethod
    def committed(self, group: str) -> Positions:
        """The positions ``group`` last committed (empty when it never did)."""

    @abc.abstractmethod
    def delete_group(self, group: str) -> None:
        """Forget a consumer group's positions (its query was terminated)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (files, connections); the default has none."""
