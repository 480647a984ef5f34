"""The in-memory log: lists of records per partition, waiters woken on append."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ._base import (
    Headers,
    Log,
    Pending,
    Positions,
    Record,
    TopicExistsError,
    TopicInfo,
    UnknownTopicError,
    partition_for,
)


@dataclass(slots=True)
class _Topic:
    info: TopicInfo
    partitions: list[list[Record]]
    version: int = 0
    next_partition: int = 0
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@dataclass(frozen=True, slots=True)
class TopicDeleted:
    """A change: a topic and its records are gone."""

    name: str


@dataclass(frozen=True, slots=True)
class Batch:
    """A change: records appended, with a consumer group's positions when it is a commit."""

    records: list[Record]
    group: str | None = None
    positions: Positions | None = None


@dataclass(frozen=True, slots=True)
class GroupDeleted:
    """A change: a consumer group's positions are forgotten."""

    group: str


# Every change of a log's content, in the order it happens (a subclass makes each durable).
Change = TopicInfo | TopicDeleted | Batch | GroupDeleted


class MemoryLog(Log):
    """Topics held in memory; safe to append from any thread.

    Every change goes through :meth:`_persist` (under the lock, before it is visible), so a
    subclass that stores changes keeps them in the order they happened.
    """

    def __init__(self) -> None:
        self._topics: dict[str, _Topic] = {}
        self._lock = threading.Lock()
        self._groups: dict[str, Positions] = {}

    def create_topic(self, name: str, partitions: int = 1, replicas: int = 1) -> TopicInfo:
        with self._lock:
            existing = self._topics.get(name)
            if existing is not None:
                if existing.info.partitions != partitions:
                    raise TopicExistsError(
                        f"A Kafka topic with the name '{name}' already exists, with different "
                        f"partition/replica configuration than required. KSQL expects "
                        f"{partitions} partitions (topic has {existing.info.partitions})"
                    )
                return existing.info
            info = TopicInfo(name, partitions, replicas)
            self._persist(info)
            self._apply(info)
            return info

    def delete_topic(self, name: str) -> None:
        with self._lock:
            if name not in self._topics:
                raise UnknownTopicError(name)
            self._persist(TopicDeleted(name))
            touched = self._apply(TopicDeleted(name))
        self._wake(touched)

    def topic(self, name: str) -> TopicInfo | None:
        found = self._topics.get(name)
        return found.info if found else None

    def topics(self) -> list[TopicInfo]:
        return [t.info for _, t in sorted(self._topics.items())]

    def _get(self, name: str) -> _Topic:
        try:
            return self._topics[name]
        except KeyError:
            raise UnknownTopicError(name) from None

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
        with self._lock:
            state = self._get(topic)
            partition = self._partition(state, key, partition)
            stamp = int(time.time() * 1000) if timestamp is None else timestamp
            offset = len(state.partitions[partition])
            record = Record(topic, partition, offset, stamp, key, value, headers)
            self._persist(Batch([record]))  # before it is visible: a record that fails is not
            state.partitions[partition].append(record)
            state.version += 1
        self._wake_all(state)
        return record

    def commit(
        self,
        group: str,
        records: Sequence[Pending],
        positions: Positions,
        *,
        exactly_once: bool = True,
    ) -> list[Record]:
        # One change: stored whole or not at all (a subclass persists it as one unit).
        with self._lock:
            batch = Batch(self._placed(records), group, dict(positions))
            self._persist(batch)
            touched = self._apply(batch)
        self._wake(touched)
        return batch.records

    def committed(self, group: str) -> Positions:
        with self._lock:
            return dict(self._groups.get(group, {}))

    def delete_group(self, group: str) -> None:
        with self._lock:
            if group in self._groups:
                self._persist(GroupDeleted(group))
                self._apply(GroupDeleted(group))

    def _placed(self, pending: Sequence[Pending]) -> list[Record]:
        """Records with their partition and offset, as appending them in order would place
        them (raises for an unknown topic or a partition out of range)."""
        ahead: dict[tuple[str, int], int] = {}
        now: int | None = None
        out = []
        for item in pending:
            state = self._get(item.topic)
            partition = self._partition(state, item.key, item.partition)
            place = (item.topic, partition)
            offset = len(state.partitions[partition]) + ahead.get(place, 0)
            ahead[place] = ahead.get(place, 0) + 1
            stamp = item.timestamp
            if stamp is None:
                now = now or int(time.time() * 1000)
                stamp = now
            out.append(
                Record(item.topic, partition, offset, stamp, item.key, item.value, item.headers)
            )
        return out

    def _restore(self, item: Pending) -> None:
        """Append one record read back from storage (its partition and time are known)."""
        state = self._get(item.topic)
        partition = self._partition(state, item.key, item.partition)
        records = state.partitions[partition]
        stamp = item.timestamp or 0
        offset = len(records)
        records.append(
            Record(item.topic, partition, offset, stamp, item.key, item.value, item.headers)
        )
        state.version += 1

    @staticmethod
    def _partition(state: _Topic, key: bytes | None, partition: int | None) -> int:
        """The partition a record goes to: as given, else by key, else round robin."""
        count = state.info.partitions
        if partition is None:
            if key is None:
                partition = state.next_partition % count
                state.next_partition += 1
                return partition
            return partition_for(key, count)
        if not 0 <= partition < count:
            raise ValueError(f"partition {partition} out of range for topic '{state.info.name}'")
        return partition

    def _apply(self, change: Change) -> list[_Topic]:
        """Make a change visible (the lock is held); return the topics whose readers to wake."""
        if isinstance(change, TopicInfo):
            partitions: list[list[Record]] = [[] for _ in range(change.partitions)]
            self._topics[change.name] = _Topic(change, partitions)
            return []
        if isinstance(change, TopicDeleted):
            gone = self._topics.pop(change.name)
            gone.version += 1
            return [gone]
        if isinstance(change, GroupDeleted):
            self._groups.pop(change.group, None)
            return []
        touched: dict[str, _Topic] = {}
        for record in change.records:
            state = self._topics[record.topic]
            state.partitions[record.partition].append(record)
            state.version += 1
            touched[record.topic] = state
        if change.group is not None:
            self._groups.setdefault(change.group, {}).update(change.positions or {})
        return list(touched.values())

    def _persist(self, change: Change) -> None:
        """Make ``change`` durable, or raise ``OSError`` (then it does not happen)."""

    def _wake(self, topics: list[_Topic]) -> None:
        for state in topics:
            self._wake_all(state)

    def _wake_all(self, state: _Topic) -> None:
        waiters, state.waiters = state.waiters, []
        for future in waiters:
            with contextlib.suppress(RuntimeError):  # the waiter's loop is closed
                future.get_loop().call_soon_threadsafe(_resolve, future)

    def read(self, topic: str, partition: int, offset: int, limit: int) -> Sequence[Record]:
        records = self._get(topic).partitions[partition]
        return records[offset : offset + limit]

    def end_offsets(self, topic: str) -> list[int]:
        return [len(p) for p in self._get(topic).partitions]

    def version(self, topic: str) -> int:
        found = self._topics.get(topic)
        return found.version if found else -1

    async def wait(self, topic: str, seen: int, timeout: float) -> int:
        state = self._topics.get(topic)
        if state is None or state.version != seen:
            return state.version if state else -1
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            state.waiters.append(future)
        try:
            await asyncio.wait({future}, timeout=timeout)
        finally:
            with self._lock, contextlib.suppress(ValueError):
                state.waiters.remove(future)
        return state.version
