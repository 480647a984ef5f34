"""Kafka topics copied into memory by a background reader, so the engine's reads never block.

One thread owns a group-less ``read_committed`` reader assigned every partition of every topic
touched so far. A topic's first touch waits (bounded) until the reader reached the end offsets
the topic had then. Records the server writes itself are inserted at once when they extend a
partition's copy without a gap; otherwise the writer waits for the reader to bring them, so
the copy of a partition is always a gap-free prefix of what a ``read_committed`` consumer sees.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ksqlpy._errors import KafkaError
from ksqlpy.kafka import PartitionReader, TopicPartition

from ._base import Record

log = logging.getLogger("ksqlpy.local.storage")

POLL_S = 0.05
# A broker holds an empty fetch this long: also how late a new assignment is noticed.
FETCH_WAIT_MS = 50


@dataclass(slots=True)
class _Partition:
    records: list[Record] = field(default_factory=list)
    # The reader's position: every visible record before it is in ``records``.
    fetched: int = 0

    @property
    def end(self) -> int:
        return self.records[-1].offset + 1 if self.records else 0


@dataclass(slots=True)
class MirroredTopic:
    """One topic's copy: its partitions, an append counter and the asyncio waiters."""

    name: str
    parts: list[_Partition]
    version: int = 0
    waiters: list[asyncio.Future[None]] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    targets: dict[int, int] = field(default_factory=dict)
    assigned: bool = False


@dataclass(slots=True)
class _Request:
    add: bool
    topic: MirroredTopic
    done: threading.Event = field(default_factory=threading.Event)


class KafkaStorageError(OSError):
    """Kafka could not store or serve what was asked (a broker gone, a transaction refused)."""


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Mirror:
    """The in-memory copy of the touched topics, fed by one background reader thread."""

    def __init__(self, bootstrap_servers: str, *, timeout: float, catch_up_timeout: float) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout
        self.catch_up_timeout = catch_up_timeout
        self._topics: dict[str, MirroredTopic] = {}
        self._lock = threading.Lock()
        self._moved = threading.Condition(self._lock)
        self._requests: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._reader = PartitionReader(
            bootstrap_servers, timeout=timeout, fetch_max_wait_ms=FETCH_WAIT_MS
        )
        self._thread = threading.Thread(target=self._run, name="ksqlpy-kafka-mirror", daemon=True)
        self._thread.start()
        self._said_error_at = 0.0
        self._failure: BaseException | None = None

    # -- the engine's side ----------------------------------------------------------------------

    def get(self, name: str) -> MirroredTopic | None:
        """The copy of ``name`` if it was touched already (it may still be catching up)."""
        return self._topics.get(name)

    def ensure(self, name: str, partitions: int) -> MirroredTopic:
        """The copy of ``name``, made on its first touch: waits until it holds what the topic
        held then (at most ``catch_up_timeout`` s; then it goes on filling in the background)."""
        if self._failure is not None:
            raise KafkaStorageError(
                f"the reader of Kafka at {self.bootstrap_servers} stopped: {self._failure}"
            )
        with self._lock:
            topic = self._topics.get(name)
            if topic is None:
                topic = MirroredTopic(name, [_Partition() for _ in range(partitions)])
                self._topics[name] = topic
                self._requests.put(_Request(True, topic))
        if not topic.ready.wait(self.catch_up_timeout):
            log.warning(
                "topic '%s' is still being read from Kafka at %s after %g s; its records "
                "arrive as they come",
                name,
                self.bootstrap_servers,
                self.catch_up_timeout,
            )
            topic.ready.set()
        return topic

    def drop(self, name: str) -> None:
        """Forget a topic's copy (it was deleted); its readers and waiters are woken."""
        with self._lock:
            topic = self._topics.pop(name, None)
        if topic is None:
            return
        request = _Request(False, topic)
        self._requests.put(request)
        request.done.wait(self.timeout)
        topic.version += 1
        self._wake_all(topic)

    def insert_written(self, records: Sequence[Record], *, wait: bool = True) -> None:
        """Make records this server wrote visible: at once when they extend their partition's
        copy, else once the reader brought what lies before them (a bounded wait, or none
        without ``wait``: the reader brings them in a few milliseconds)."""
        late: dict[tuple[str, int], int] = {}
        touched: set[str] = set()
        with self._lock:
            for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
                topic = self._topics.get(record.topic)
                if topic is None or record.partition >= len(topic.parts):
                    continue
                part = topic.parts[record.partition]
                if record.offset < part.end:
                    continue  # the reader was first
                if record.offset in (part.end, part.fetched):
                    part.records.append(record)
                    part.fetched = max(part.fetched, record.offset + 1)
                    touched.add(record.topic)
                else:
                    key = (record.topic, record.partition)
                    late[key] = max(late.get(key, 0), record.offset)
            for name in touched:
                self._topics[name].version += 1
            deadline = time.monotonic() + self.timeout
            while late and wait and not self._stop.is_set():
                late = {k: v for k, v in late.items() if self._missing(k, v)}
                left = deadline - time.monotonic()
                if not late or left <= 0:
                    break
                self._moved.wait(min(left, 0.5))
        for name in touched:
            topic = self._topics.get(name)
            if topic is not None:
                self._wake_all(topic)
        if late and wait:
            log.warning(
                "records written to %s are not back from Kafka at %s after %g s yet",
                ", ".join(f"{t}-{p}" for t, p in late),
                self.bootstrap_servers,
                self.timeout,
            )

    def _missing(self, key: tuple[str, int], offset: int) -> bool:
        topic = self._topics.get(key[0])
        return topic is not None and topic.parts[key[1]].end <= offset

    def read(self, topic: MirroredTopic, partition: int, offset: int, limit: int) -> list[Record]:
        """Up to ``limit`` records with offsets from ``offset`` on (Kafka offsets have gaps)."""
        records = topic.parts[partition].records
        start = bisect.bisect_left(records, offset, key=lambda r: r.offset)
        return records[start : start + limit]

    @staticmethod
    def end_offsets(topic: MirroredTopic) -> list[int]:
        """One past the last copied record of each partition: ``read`` reaches it."""
        return [part.end for part in topic.parts]

    async def wait(self, topic: MirroredTopic, seen: int, timeout: float) -> int:
        """Sleep until the topic's counter passes ``seen`` (or timeout); return it."""
        if topic.version != seen:
            return topic.version
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            topic.waiters.append(future)
        try:
            await asyncio.wait({future}, timeout=timeout)
        finally:
            with self._lock, contextlib.suppress(ValueError):
                topic.waiters.remove(future)
        return topic.version

    def _wake_all(self, topic: MirroredTopic) -> None:
        with self._lock:
            waiters, topic.waiters = topic.waiters, []
        for future in waiters:
            with contextlib.suppress(RuntimeError):  # the waiter's loop is closed
                future.get_loop().call_soon_threadsafe(_wake, future)

    def close(self) -> None:
        """Stop the reader thread and close its connection (bounded); idempotent."""
        self._stop.set()
        self._thread.join(self.timeout)
        with self._lock:
            self._moved.notify_all()

    # -- the reader thread ----------------------------------------------------------------------

    def _run(self) -> None:
        reader = self._reader
        try:
            while not self._stop.is_set():
                self._apply_requests(reader)
                if not reader.assignment():
                    self._stop.wait(POLL_S)
                    continue
                try:
                    records = reader.poll_as(Record, POLL_S)
                    positions = {tp: reader.position(tp) for tp in reader.assignment()}
                except KafkaError as exc:
                    self._say(exc)
                    self._stop.wait(0.5)
                    continue
                self._take(records, positions)
        except Exception as exc:  # a fault of ours: said once, and no reader waits in vain
            self._failure = exc
            log.exception("the reader of Kafka at %s stopped", self.bootstrap_servers)
            for topic in list(self._topics.values()):
                topic.ready.set()
        finally:
            with contextlib.suppress(KafkaError):
                reader.close()

    def _say(self, exc: KafkaError) -> None:
        now = time.monotonic()
        if now - self._said_error_at > 30:
            self._said_error_at = now
            log.warning("reading from Kafka at %s: %s", self.bootstrap_servers, exc)

    def _apply_requests(self, reader: PartitionReader) -> None:
        while True:
            try:
                request = self._requests.get_nowait()
            except queue.Empty:
                return
            topic = request.topic
            parts = {TopicPartition(topic.name, p) for p in range(len(topic.parts))}
            try:
                if request.add:
                    reader.assign(reader.assignment() | parts, from_beginning=True)
                    ends = reader.end_offsets(parts)
                    topic.targets = {tp.partition: end for tp, end in ends.items() if end > 0}
                    topic.assigned = True
                    if not topic.targets:
                        topic.ready.set()
                else:
                    reader.assign(reader.assignment() - parts)
            except KafkaError as exc:
                self._say(exc)
                topic.ready.set()  # its records come when the broker answers again
            request.done.set()

    def _take(self, records: Iterable[Record], positions: dict[TopicPartition, int | None]) -> None:
        touched: set[str] = set()
        with self._lock:
            for raw in records:
                topic = self._topics.get(raw.topic)
                if topic is None or raw.partition >= len(topic.parts):
                    continue
                part = topic.parts[raw.partition]
                if raw.offset >= part.end:
                    part.records.append(raw)
                    touched.add(raw.topic)
            for tp, position in positions.items():
                topic = self._topics.get(tp.topic)
                if topic is None or position is None or tp.partition >= len(topic.parts):
                    continue
                part = topic.parts[tp.partition]
                part.fetched = max(part.fetched, position)
            for name in touched:
                self._topics[name].version += 1
            for topic in self._topics.values():
                if (
                    topic.assigned
                    and not topic.ready.is_set()
                    and all(topic.parts[p].fetched >= end for p, end in topic.targets.items())
                ):
                    topic.ready.set()
            self._moved.notify_all()
        for name in touched:
            topic = self._topics.get(name)
            if topic is not None:
                self._wake_all(topic)
