"""The log on a real Kafka cluster: every topic is a Kafka topic, read through an in-memory mirror.

Writes go to the broker with acks=all (keys placed by murmur2 as the Java client places them;
tombstones as null values): ``append`` returns once the record is stored and readable, ``send``
at once with a future, so a writer can keep many records in flight. A query's output and its
consumer group's positions are committed as one Kafka transaction (transactional id = the
group), so a crashed server that restarts neither repeats nor skips.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TypeVar

from ksqlpy._errors import (
    BrokerUnavailableError,
    InvalidTopicNameError,
    KafkaError,
    ReplicationFactorError,
    TopicNotFoundError,
)
from ksqlpy._errors import TopicExistsError as KafkaTopicExistsError
from ksqlpy.kafka import Delivered, Producer, TopicPartition, check_topic_name
from ksqlpy.kafka import TopicInfo as KafkaTopicInfo

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
from ._kafka_commit import WAIT_S, Committer
from ._kafka_connect import connect_admin, reachable
from ._kafka_records import Sent, give_up, settle, stored_record
from ._mirror import KafkaStorageError, Mirror, MirroredTopic

log = logging.getLogger("ksqlpy.local.storage")

T = TypeVar("T")
CONNECT_TIMEOUT_S = 30.0
# A name looked up and not found is not asked for again sooner than this.
MISS_TTL_S = 0.5
# How long closing waits for a commit in progress (one Kafka holds is left behind).
CLOSE_COMMITS_S = 2.0
# A transaction's states between its commit (or abort) and its markers' being written.
_PREPARED = ("PrepareCommit", "PrepareAbort")


class TopicCreationError(ValueError):
    """The broker refused to create a topic (its reason in ksqlDB's words)."""


def _info(raw: KafkaTopicInfo) -> TopicInfo:
    return TopicInfo(raw.name, raw.partition_count, raw.replication_factor)


def _exists_error(name: str, asked: int, info: TopicInfo) -> TopicExistsError:
    return TopicExistsError(
        f"A Kafka topic with the name '{name}' already exists, with different partition/replica "
        f"configuration than required. KSQL expects {asked} partitions (topic has "
        f"{info.partitions})"
    )


class KafkaLog(Log):
    """Topics on the Kafka cluster at ``bootstrap_servers``.

    ``connect_timeout`` bounds the wait for a broker at start; ``timeout`` each request after;
    ``catch_up_timeout`` the first read of a topic, which copies what it holds into memory;
    ``commit_wait`` how long a persistent query's commit is waited for before it goes on in the
    background (see ``_kafka_commit``).
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        timeout: float = 10.0,
        catch_up_timeout: float = 30.0,
        commit_wait: float = WAIT_S,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout
        self._admin = connect_admin(bootstrap_servers, connect_timeout, timeout)
        self._admin_lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._infos: dict[str, TopicInfo] = {}
        self._misses: dict[str, float] = {}
        self._next_partition: dict[str, int] = {}
        self._transactional: dict[str, Producer] = {}
        self._committer = Committer(
            self._commit_now, lambda: reachable(bootstrap_servers), wait=commit_wait
        )
        self._closed = False
        try:
            self._producer = self._new_producer()
            self._producer_failed = False
            # The futures of records on the shared producer still waiting for their answer.
            self._unanswered: set[Future[Record]] = set()
            self._mirror = Mirror(
                bootstrap_servers, timeout=timeout, catch_up_timeout=catch_up_timeout
            )
        except KafkaError:
            self._admin.close()
            raise

    # -- topics ---------------------------------------------------------------------------------

    def _cluster(self, action: str, call: Callable[[], T]) -> T:
        with self._admin_lock:
            try:
                return call()
            except (InvalidTopicNameError, ReplicationFactorError, TopicNotFoundError):
                raise
            except KafkaError as exc:
                raise KafkaStorageError(
                    f"{action} on Kafka at {self.bootstrap_servers}: {exc}"
                ) from exc

    def topic(self, name: str) -> TopicInfo | None:
        found = self._infos.get(name)
        if found is not None:
            return found
        missed = self._misses.get(name)
        if missed is not None and time.monotonic() - missed < MISS_TTL_S:
            return None
        try:
            check_topic_name(name)
        except InvalidTopicNameError:
            return None  # no such topic can exist; creating it says why
        try:
            raw = self._cluster("describing a topic", lambda: self._admin.describe_topic(name))
        except TopicNotFoundError:
            self._misses[name] = time.monotonic()
            return None
        info = self._infos[name] = _info(raw)
        self._misses.pop(name, None)
        return info

    def topics(self) -> list[TopicInfo]:
        found = self._cluster("listing topics", self._admin.describe_topics)
        infos = {t.name: _info(t) for t in found}
        self._infos = infos
        return [infos[n] for n in sorted(infos)]

    def create_topic(self, name: str, partitions: int = 1, replicas: int = 1) -> TopicInfo:
        existing = self.topic(name)
        if existing is None:
            try:
                raw = self._cluster(
                    "creating a topic",
                    lambda: self._admin.create_topic(name, partitions, replicas),
                )
            except (InvalidTopicNameError, ReplicationFactorError) as exc:
                raise TopicCreationError(
                    f"Failed to guarantee existence of topic {name}: {exc}"
                ) from exc
            except KafkaStorageError as exc:
                if not isinstance(exc.__cause__, KafkaTopicExistsError):
                    raise
                raw = self._cluster("describing a topic", lambda: self._admin.describe_topic(name))
            existing = self._infos[name] = _info(raw)
            self._misses.pop(name, None)
        if existing.partitions != partitions:
            raise _exists_error(name, partitions, existing)
        return existing

    def delete_topic(self, name: str) -> None:
        try:
            self._cluster("deleting a topic", lambda: self._admin.delete_topic(name))
        except TopicNotFoundError:
            raise UnknownTopicError(name) from None
        finally:
            self._infos.pop(name, None)
            self._mirror.drop(name)
        # Kafka deletes in the background: a topic re-created at once must not find the old one.
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            listed = self._cluster("listing topics", self._admin.list_topics)
            if name not in listed:
                break
            time.sleep(0.05)

    def _mirrored(self, name: str) -> MirroredTopic:
        found = self._mirror.get(name)
        if found is not None:
            return found
        info = self.topic(name)
        if info is None:
            raise UnknownTopicError(name)
        return self._mirror.ensure(name, info.partitions)

    # -- reads ----------------------------------------------------------------------------------

    def read(self, topic: str, partition: int, offset: int, limit: int) -> Sequence[Record]:
        return self._mirror.read(self._mirrored(topic), partition, offset, limit)

    def end_offsets(self, topic: str) -> list[int]:
        return self._mirror.end_offsets(self._mirrored(topic))

    def version(self, topic: str) -> int:
        try:
            return self._mirrored(topic).version
        except UnknownTopicError:
            return -1

    async def wait(self, topic: str, seen: int, timeout: float) -> int:
        found = self._mirror.get(topic)
        if found is None:
            return self.version(topic)
        return await self._mirror.wait(found, seen, timeout)

    # -- writes ---------------------------------------------------------------------------------

    def _partition(self, topic: str, key: bytes | None, partition: int | None) -> int:
        info = self.topic(topic)
        if info is None:
            raise UnknownTopicError(topic)
        count = info.partitions
        if partition is not None:
            if not 0 <= partition < count:
                raise ValueError(f"partition {partition} out of range for topic '{topic}'")
            return partition
        if key is not None:
            return partition_for(key, count)
        turn = self._next_partition.get(topic, 0)
        self._next_partition[topic] = turn + 1
        return turn % count

    def _placed(self, pending: Pending) -> tuple[int, int]:
        """Where and when a record goes: its partition and timestamp (now when not given)."""
        self._mirrored(pending.topic)
        stamp = int(time.time() * 1000) if pending.timestamp is None else pending.timestamp
        return self._partition(pending.topic, pending.key, pending.partition), stamp

    def _send_all(self, producer: Producer, records: Sequence[Pending]) -> Sent:
        """Queue ``records`` on ``producer``; the result fills in as the broker acknowledges."""
        sent = Sent([None] * len(records), [])
        out, errors = sent.out, sent.errors
        for index, pending in enumerate(records):
            partition, stamp = self._placed(pending)

            def done(
                delivered: Delivered | None,
                error: BaseException | None,
                index: int = index,
                pending: Pending = pending,
                stamp: int = stamp,
            ) -> None:
                if delivered is None:
                    errors.append(error or KafkaStorageError("not delivered"))
                    return
                out[index] = stored_record(pending, delivered, stamp)

            producer.send(
                pending.topic,
                pending.value,
                key=pending.key,
                headers=pending.headers or None,
                partition=partition,
                timestamp_ms=stamp,
                on_delivery=done,
            )
        return sent

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
        pending = Pending(topic, key, value, timestamp, headers, partition)
        stored: Future[Record] = Future()

        def delivered(delivery: Delivered | None, error: BaseException | None) -> None:
            # On kafka-python's I/O thread: no wait here (a record behind a gap in the mirror
            # is brought by its reader a moment later).
            unanswered.discard(stored)
            if delivery is None:
                self._producer_failed = True
                settle(stored, self._write_error(topic, error))
                return
            record = stored_record(pending, delivery, stamp)
            self._mirror.insert_written([record], wait=False)
            settle(stored, record)

        with self._write_lock:
            where, stamp = self._placed(pending)
            try:
                producer = self._shared_producer()
                unanswered = self._unanswered
                unanswered.add(stored)
                producer.send(
                    topic,
                    value,
                    key=key,
                    headers=headers or None,
                    partition=where,
                    timestamp_ms=stamp,
                    on_delivery=delivered,
                )
            except KafkaError as exc:
                self._unanswered.discard(stored)
                self._producer_failed = True
                raise self._write_error(topic, exc) from exc
        return stored

    def _write_error(self, topic: str, reason: object) -> KafkaStorageError:
        return KafkaStorageError(
            f"cannot write to topic '{topic}' on Kafka at {self.bootstrap_servers}: {reason}"
        )

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
        sent = self.send(
            topic, key, value, timestamp=timestamp, headers=headers, partition=partition
        )
        deadline = time.monotonic() + self.timeout + 1.0  # the producer answers first
        while True:
            try:
                record = sent.result(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
                break
            except TimeoutError as exc:
                # A broker that went away never answers: say so within a second, not after
                # the whole request timeout.
                gone = not reachable(self.bootstrap_servers)
                if gone or time.monotonic() >= deadline:
                    self._producer_failed = True
                    reason = (
                        "the broker does not accept connections"
                        if gone
                        else f"no acknowledgement within {self.timeout:g} s"
                    )
                    raise self._write_error(topic, reason) from exc
        # Whoever appends one record reads it next: it waits until the mirror has it.
        self._mirror.insert_written([record])
        return record

    def commit(
        self,
        group: str,
        records: Sequence[Pending],
        positions: Positions,
        *,
        exactly_once: bool = True,
    ) -> list[Record]:
        if not records and not positions:
            return []
        offsets = {TopicPartition(t, p): offset for (t, p), offset in positions.items()}
        # In order after the group's earlier batches, off this thread when Kafka is slow: a
        # batch the broker cannot take waits for it (the query's positions move on; a crash
        # meanwhile resumes from the last commit).
        return self._committer.commit(group, (list(records), offsets, exactly_once))

    def _commit_now(
        self,
        group: str,
        records: list[Pending],
        offsets: dict[TopicPartition, int],
        exactly_once: bool,
    ) -> list[Record]:
        """Commit one batch (on the group's committer thread) or raise KafkaStorageError."""
        if exactly_once:
            # The group's own producer: no lock shared with the server's other writes, which a
            # transaction held up by the broker would otherwise hold up too.
            written = self._commit_transaction(group, records, offsets)
        else:
            written = self._commit_shared(group, records, offsets)
        # A query's output follows a transaction marker: waiting for the reader to step over
        # it would double the cost of a commit, and the output is there a moment later.
        self._mirror.insert_written(written, wait=not exactly_once)
        return written

    def _commit_shared(
        self, group: str, records: list[Pending], offsets: dict[TopicPartition, int]
    ) -> list[Record]:
        """At-least-once: the output on the shared producer, then the positions. The write lock
        is held only to queue the records: the waits after it (a broker that answers slowly or
        not at all) must not hold up the server's own writes."""
        try:
            with self._write_lock:
                producer = self._shared_producer()
                sent = self._send_all(producer, records)
            producer.flush(self.timeout)
            written = sent.records(f"the output of '{group}'", self.bootstrap_servers)
            self._cluster(
                "committing offsets",
                lambda: self._admin.set_group_offsets(group, offsets),
            )
        except KafkaError as exc:
            self._producer_failed = True
            raise KafkaStorageError(
                f"cannot commit the output of '{group}' on Kafka at {self.bootstrap_servers}: {exc}"
            ) from exc
        return written

    def _new_producer(self) -> Producer:
        # Every record gets its answer within the timeout (the producer's own bound is about
        # twice it): half of it for one request, the rest for a retry.
        wait_ms = int(self.timeout * 1000)
        return Producer(
            self.bootstrap_servers,
            timeout=self.timeout,
            linger_ms=0,
            request_timeout_ms=max(wait_ms // 2, 500),
            delivery_timeout_ms=max(wait_ms, 1000),
        )

    def _shared_producer(self) -> Producer:
        """The non-transactional producer; a new one after a failure (the write lock held):
        records a broker outage left unacknowledged would otherwise hold the old one up."""
        if self._producer_failed:
            if not reachable(self.bootstrap_servers):
                # A new producer would wait for the cluster's metadata as long as a request may
                # take; with nothing listening, refuse the write now.
                raise BrokerUnavailableError(
                    self.bootstrap_servers, self.timeout, "the broker does not accept connections"
                )
            fresh = self._new_producer()
            old, self._producer, self._producer_failed = self._producer, fresh, False
            orphans, self._unanswered = self._unanswered, set()
            with contextlib.suppress(KafkaError):
                old.close(timeout=0)
            give_up(orphans, f"no acknowledgement from Kafka at {self.bootstrap_servers}")
        return self._producer

    def _commit_transaction(
        self, group: str, records: Sequence[Pending], offsets: dict[TopicPartition, int]
    ) -> list[Record]:
        try:
            fresh = group not in self._transactional
            producer = self._transactional_producer(group)
            if fresh and offsets and self._settled(group, offsets):
                # A new producer settles the group's last transaction: an earlier attempt at
                # this batch whose commit failed here may have completed on the broker (its
                # answer lost in an outage). Writing the batch again would repeat it.
                log.warning("the output of '%s' was committed before the outage ended", group)
                return []
            producer.begin()
            try:
                sent = self._send_all(producer, records)
                # The bounded flush first: kafka-python waits for the offsets without a bound,
                # so they are sent once the broker has shown it is there.
                producer.flush(self.timeout)
                written = sent.records(f"the output of '{group}'", self.bootstrap_servers)
                if offsets:
                    producer.send_offsets(offsets, group)
                producer.commit()
            except BaseException:
                # With the broker gone an abort would only wait its timeout out: the next
                # producer of this transactional id aborts the transaction instead.
                if reachable(self.bootstrap_servers):
                    with contextlib.suppress(KafkaError):
                        producer.abort()
                raise
        except (KafkaError, KafkaStorageError) as exc:
            self._drop_producer(group)
            if isinstance(exc, KafkaStorageError):
                raise
            raise KafkaStorageError(
                f"cannot commit the output of '{group}' on Kafka at {self.bootstrap_servers}: {exc}"
            ) from exc
        return written

    def _settled(self, group: str, offsets: dict[TopicPartition, int]) -> bool:
        """Whether the group's committed positions already reach a batch's."""
        found = self._admin.group_offsets(group)
        return all(found.get(tp, -1) >= offset for tp, offset in offsets.items())

    def _transactional_producer(self, group: str) -> Producer:
        producer = self._transactional.get(group)
        if producer is None:
            # The group is the transactional id: a restarted server fences its crashed self,
            # whose open transaction is aborted and whose prepared one completes, as Kafka
            # Streams does.
            producer = Producer(
                self.bootstrap_servers,
                guarantee="exactly-once",
                transactional_id=group,
                timeout=self.timeout,
                linger_ms=0,
            )
            self._transactional[group] = producer
        return producer

    def _drop_producer(self, group: str) -> None:
        producer = self._transactional.pop(group, None)
        if producer is not None:
            with contextlib.suppress(KafkaError):
                producer.close(timeout=1.0)

    def committed(self, group: str) -> Positions:
        # Our own batches still queued for the group come first (bounded: in an outage the
        # broker's positions are what a restart would resume from too).
        self._committer.settle(group, self.timeout)

        # Offsets sent in a transaction count once its markers are written, which the broker
        # does after the commit returns (or never, for one a crash left open): a group another
        # producer committed for is fenced first, which settles its last transaction; for our
        # own, the markers are waited for (a read before them finds the positions before it).
        def transaction_state() -> str | None:
            return self._cluster(
                "describing a transaction", lambda: self._admin.transaction_state(group)
            )

        state = transaction_state()
        if state is not None and group not in self._transactional:
            with self._write_lock:
                try:
                    self._transactional_producer(group)
                except KafkaError as exc:
                    raise KafkaStorageError(
                        f"cannot take over the transactions of '{group}' on Kafka at "
                        f"{self.bootstrap_servers}: {exc}"
                    ) from exc
        deadline = time.monotonic() + self.timeout
        while state in _PREPARED and time.monotonic() < deadline:
            time.sleep(0.02)
            state = transaction_state()
        found = self._cluster("reading group offsets", lambda: self._admin.group_offsets(group))
        return {(tp.topic, tp.partition): offset for tp, offset in found.items()}

    def delete_group(self, group: str) -> None:
        self._committer.drop(group)
        with self._write_lock:
            self._drop_producer(group)
        self._cluster("deleting a group", lambda: self._admin.delete_group(group))

    def close(self) -> None:
        """Stop the mirror's thread and close every client (each bounded); idempotent."""
        if self._closed:
            return
        self._closed = True
        self._committer.close(CLOSE_COMMITS_S)
        self._mirror.close()
        for group in list(self._transactional):
            self._drop_producer(group)
        with contextlib.suppress(KafkaError):
            self._producer.close(timeout=2.0)
        give_up(self._unanswered, "no acknowledgement: the server is stopping")
        with contextlib.suppress(KafkaError):
            self._admin.close()
