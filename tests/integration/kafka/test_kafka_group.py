"""ConsumerGroup on the real broker: one partition -> one member; a member leaves, nothing lost."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import pytest

from ksqlpy.kafka import ConsumerGroup, Producer, Record, TopicAdmin, TopicPartition

pytestmark = pytest.mark.kafka

PARTITIONS = 6


def _produce(bootstrap: str, topic: str, start: int, count: int) -> None:
    with Producer(bootstrap) as producer:
        for i in range(start, start + count):
            producer.send(topic, str(i).encode(), key=f"key-{i}".encode())
        producer.flush()
        assert producer.acked == count


def _wait_for(predicate: object, timeout: float = 30.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_six_partitions_three_members_then_one_leaves(
    kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="ksqlpy.kafka")
    topic = f"group-{uuid.uuid4().hex[:8]}"
    with TopicAdmin(kafka_bootstrap) as admin:
        admin.create_topic(topic, partitions=PARTITIONS)

    lock = threading.Lock()
    seen: Counter[bytes] = Counter()
    by_member: dict[str, set[TopicPartition]] = {}

    def handler(member: str, record: Record) -> None:
        with lock:
            seen.update([record.value or b""])
            by_member.setdefault(member, set()).add(TopicPartition(record.topic, record.partition))

    group_id = f"g-{uuid.uuid4().hex[:8]}"
    config = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 300}
    with ConsumerGroup(
        kafka_bootstrap, topic, group_id, members=3, handler=handler, **config
    ) as group:
        assignment = group.wait_for_assignment(PARTITIONS)
        owned = [tp for parts in assignment.values() for tp in parts]
        assert sorted(owned) == [TopicPartition(topic, p) for p in range(PARTITIONS)]
        assert sorted(len(parts) for parts in assignment.values()) == [2, 2, 2]

        _produce(kafka_bootstrap, topic, 0, 300)
        _wait_for(lambda: sum(seen.values()) >= 300)
        time.sleep(0.3)
        assert len(seen) == 300
        assert sum(seen.values()) == 300  # all consumed once
        # Records came only from partitions the member owned.
        for member, parts in by_member.items():
            assert parts <= assignment[member]

        leaving = group.members[0]
        moved = assignment[leaving]
        group.stop_member(leaving)
        after = group.wait_for_assignment(PARTITIONS)
        assert leaving not in after
        assert sorted(len(parts) for parts in after.values()) == [3, 3]
        by_member.clear()

        _produce(kafka_bootstrap, topic, 300, 300)
        _wait_for(lambda: len(seen) >= 600)
        assert set(seen) == {str(i).encode() for i in range(600)}  # nothing lost
        assert leaving not in by_member
        assert moved <= set().union(*by_member.values())  # its partitions moved to the others

    logged = caplog.text
    assert f"consumer {leaving}: assigned" in logged
    assert f"consumer {leaving}: revoked" in logged
