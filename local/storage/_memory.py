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


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class MemoryLog(Log):
    """Topics held in memory; safe to append from any thread."""

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
            self._topics[name] = _Topic(info, [[] for _ in range(partitions)])
            return info

    def delete_topic(self, name: str) -> None:
        with self._lock:
            topic = self._topics.pop(name, None)
        if topic is None:
            raise UnknownTopicError(name)
        topic.version += 1
        self._wake_all(topic)

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
            count = state.info.partitions
            if partition is None:
                if key is None:
                    partition = state.next_partition % count
                    state.next_partition += 1
                else:
                    partition = partition_for(key, count)
            elif not 0 <= partition < count:
                raise ValueError(f"partition {partition} out of range for topic '{topic}'")
            records = state.partitions[partition]
            stamp = int(time.time() * 1000) if timestamp is None else timestamp
            record = Record(topic, partition, len(records), stamp, key, value, headers)
            self._persist(record)  # before it is visible: a record that fails is not there
            records.append(record)
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
        # In memory nothing survives a crash, so appending then storing is already one unit.
        written = [
            self.append(
                r.topic,
                r.key,
                r.value,
                timestamp=r.timestamp,
                headers=r.headers,
                partition=r.partition,
            )
            for r in records
        ]
        with self._lock:
            self._groups.setdefault(group, {}).update(positions)
        return written

    def committed(self, group: str) -> Positions:
        with self._lock:
            return dict(self._groups.get(group, {}))

    def delete_group(self, group: str) -> None:
        with self._lock:
            self._groups.pop(group, None)

    def _persist(self, record: Record) -> None:
        """Make ``record`` durable, or raise ``OSError`` (then it is not appended)."""

    def _wake_all(self, state: _Topic) -> None:
        waiters, state.waiters = state.waiters, []
        for future in waiters:
            with contextlib.suppress(RuntimeError):  # the waiter's loop is closed
                future.get_loop().call_soon_threadsafe(_wake, future)

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
