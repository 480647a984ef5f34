"""Run N consumers of one group in threads, with their assignments observable."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from ksqlpy._errors import GroupError

from ._consumer import Consumer, Record, TopicPartition, consume
from ._guarantees import Guarantee

GroupHandler = Callable[[str, Record], object]


@dataclass(slots=True)
class _Member:
    name: str
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    assignment: frozenset[TopicPartition] = frozenset()
    records: int = 0
    error: BaseException | None = None


def settled(assignment: dict[str, frozenset[TopicPartition]], partitions: int) -> bool:
    """Whether ``partitions`` partitions are each owned once and, when they can be, by all."""
    owned = [tp for parts in assignment.values() for tp in parts]
    if len(owned) != partitions or len(set(owned)) != partitions:
        return False
    return partitions < len(assignment) or all(assignment.values())


class ConsumerGroup:
    """N members of one consumer group, each a thread running the guarantee-aware consume loop.

    Example::

        with ConsumerGroup("localhost:9092", ["orders"], "billing", members=3,
                           handler=lambda member, record: print(member, record.offset)) as group:
            group.wait_for_assignment(partitions=6)
            print(group.assignments())   # {'billing-0': {orders-0, orders-1}, ...}

    Kafka gives each partition to exactly one member; :meth:`stop_member` makes one leave so its
    partitions move to the others. ``handler`` runs in the member's thread.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Sequence[str] | str,
        group_id: str,
        *,
        members: int = 1,
        handler: GroupHandler,
        guarantee: Guarantee | str = Guarantee.AT_LEAST_ONCE,
        timeout: float = 10.0,
        **consumer_config: Any,
    ) -> None:
        if members < 1:
            raise ValueError("a consumer group needs at least one member")
        self.bootstrap_servers = bootstrap_servers
        self.topics = [topics] if isinstance(topics, str) else list(topics)
        self.group_id = group_id
        self.guarantee = Guarantee.parse(guarantee)
        self.timeout = timeout
        self.handler = handler
        self._config = consumer_config
        self._lock = threading.Lock()
        self._members = {f"{group_id}-{i}": _Member(f"{group_id}-{i}") for i in range(members)}
        self._started = False

    def __enter__(self) -> ConsumerGroup:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def members(self) -> list[str]:
        """The member names, running or not."""
        return list(self._members)

    def start(self) -> None:
        """Start every member's thread (each joins the group on its own)."""
        if self._started:
            return
        self._started = True
        for member in self._members.values():
            member.thread = threading.Thread(
                target=self._run, args=(member,), name=member.name, daemon=True
            )
            member.thread.start()

    def _run(self, member: _Member) -> None:
        def assigned(parts: frozenset[TopicPartition]) -> None:
            with self._lock:
                member.assignment = member.assignment | parts

        def revoked(parts: frozenset[TopicPartition]) -> None:
            with self._lock:
                member.assignment = member.assignment - parts

        def handle(record: Record) -> None:
            self.handler(member.name, record)
            member.records += 1

        try:
            with Consumer(
                self.bootstrap_servers,
                self.topics,
                group_id=self.group_id,
                guarantee=self.guarantee,
                name=member.name,
                on_assigned=assigned,
                on_revoked=revoked,
                timeout=self.timeout,
                **self._config,
            ) as consumer:
                consume(consumer, handle, stop=member.stop)
        except Exception as exc:  # kept for stop()/errors(): a thread must not lose its error
            member.error = exc
        finally:
            with self._lock:
                member.assignment = frozenset()

    def assignments(self) -> dict[str, frozenset[TopicPartition]]:
        """A snapshot of which member owns which partitions (running members only)."""
        with self._lock:
            return {
                m.name: m.assignment
                for m in self._members.values()
                if m.thread is not None and m.thread.is_alive()
            }

    def record_counts(self) -> dict[str, int]:
        """How many records each member has handled."""
        return {m.name: m.records for m in self._members.values()}

    def errors(self) -> dict[str, BaseException]:
        """The error that ended each failed member."""
        return {m.name: m.error for m in self._members.values() if m.error is not None}

    def wait_for_assignment(
        self, partitions: int, timeout: float = 30.0
    ) -> dict[str, frozenset[TopicPartition]]:
        """Wait until the running members own ``partitions`` partitions, each exactly once.

        With at least as many partitions as running members, every member must own one too: a
        member the coordinator dropped (its session timed out on a loaded machine) rejoins and
        gets its share in the next rebalance, so the state without it is not settled yet.
        """
        deadline = time.monotonic() + timeout
        while True:
            snapshot = self.assignments()
            if settled(snapshot, partitions):
                return snapshot
            if self.errors():
                name, error = next(iter(self.errors().items()))
                raise GroupError(
                    f"member {name} of group '{self.group_id}' failed: {error}"
                ) from error
            if time.monotonic() >= deadline:
                raise GroupError(
                    f"group '{self.group_id}' did not spread {partitions} partitions over its "
                    f"members within {timeout:g} s; it has {snapshot}"
                )
            time.sleep(0.05)

    def stop_member(self, name: str, timeout: float = 30.0) -> None:
        """Make one member leave the group (its partitions move to the others) and wait for it."""
        member = self._members[name]
        member.stop.set()
        if member.thread is not None:
            member.thread.join(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every member; raise :class:`GroupError` if one of them failed. Idempotent."""
        for member in self._members.values():
            member.stop.set()
        for member in self._members.values():
            if member.thread is not None:
                member.thread.join(timeout)
        errors = self.errors()
        if errors:
            name, error = next(iter(errors.items()))
            raise GroupError(f"member {name} of group '{self.group_id}' failed: {error}") from error
