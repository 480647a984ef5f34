"""Proof that the test broker is a real Kafka: topics, partitions, keyed records, groups."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import InvalidReplicationFactorError

pytestmark = pytest.mark.kafka


@pytest.fixture
def admin(kafka_bootstrap: str) -> Iterator[KafkaAdminClient]:
    client = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    yield client
    client.close()


def _topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_topic_created_with_three_partitions_is_described_with_three(
    admin: KafkaAdminClient,
) -> None:
    name = _topic("three")
    admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
    admin.wait_for_topics([name])
    (described,) = admin.describe_topics([name])
    assert described["error_code"] == 0
    assert sorted(p["partition_index"] for p in described["partitions"]) == [0, 1, 2]
    assert name in admin.list_topics()


def test_replication_factor_above_broker_count_is_refused_with_the_reason(
    admin: KafkaAdminClient,
) -> None:
    name = _topic("rf3")
    with pytest.raises(InvalidReplicationFactorError) as info:
        admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=3)])
    message = str(info.value)
    assert "replication factor of 3" in message
    assert "1 broker" in message
    assert name not in admin.list_topics()


class _Member(threading.Thread):
    """One group member polling in its own thread, as consumers are meant to run."""

    def __init__(self, bootstrap: str, group: str, topic: str) -> None:
        super().__init__(daemon=True)
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            heartbeat_interval_ms=200,
        )
        # Know the new topic's partitions before joining: a leader that assigns before its
        # metadata has them gives every member nothing, and kafka-python 3.0.12 was seen (in full
        # CI runs) not to rebalance out of that within a minute.
        deadline = time.monotonic() + 30
        while len(self.consumer.partitions_for_topic(topic) or ()) < 3:
            if time.monotonic() > deadline:
                raise AssertionError(f"no partitions of {topic} in the consumer's metadata")
            time.sleep(0.05)
        self.consumer.subscribe([topic])
        self.records: list[Any] = []
        self.owned: set[int] = set()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for batch in self.consumer.poll(timeout_ms=100).values():
                self.records.extend(batch)
            self.owned = {tp.partition for tp in self.consumer.assignment()}
        self.consumer.close()


def _wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_ten_thousand_keyed_records_split_across_a_two_member_group(
    admin: KafkaAdminClient, kafka_bootstrap: str
) -> None:
    topic, group = _topic("keyed"), _topic("group")
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    admin.wait_for_topics([topic])
    members = [_Member(kafka_bootstrap, group, topic) for _ in range(2)]
    for member in members:
        member.start()
    try:
        _wait_for(
            lambda: all(m.owned for m in members) and sum(len(m.owned) for m in members) == 3,
            60,
            "both members of the group to own partitions",
        )
        owned = [set(m.owned) for m in members]
        assert owned[0].isdisjoint(owned[1])

        producer = KafkaProducer(
            bootstrap_servers=kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
        )
        total, keys = 10_000, 100
        for seq in range(total):
            key = f"k{seq % keys}"
            producer.send(
                topic, key=key.encode(), value=json.dumps({"seq": seq, "key": key}).encode()
            )
        producer.flush()
        producer.close()
        _wait_for(lambda: sum(len(m.records) for m in members) >= total, 60, "all records")
    finally:
        for member in members:
            member.stop.set()
        for member in members:
            member.join(10)
    seen = [m.records for m in members]

    # Each member only ever read the partitions it owns, and the group as a whole read everything.
    for index in range(2):
        assert {r.partition for r in seen[index]} <= owned[index]
        assert seen[index], "both members of the group got records"
    values = [json.loads(r.value)["seq"] for s in seen for r in s]
    assert len(values) == total
    assert set(values) == set(range(total))
    # Per key, records arrive in the order they were produced.
    order: dict[str, list[int]] = defaultdict(list)
    for member_records in seen:
        for record in member_records:
            value = json.loads(record.value)
            assert record.key.decode() == value["key"]
            order[value["key"]].append(value["seq"])
    assert len(order) == keys
    assert all(seqs == sorted(seqs) for seqs in order.values())
    # All records of a key landed on one partition.
    partition_of: dict[str, set[int]] = defaultdict(set)
    for member_records in seen:
        for record in member_records:
            partition_of[record.key].add(record.partition)
    assert all(len(p) == 1 for p in partition_of.values())


def test_idempotent_transactions_work_on_the_single_node(kafka_bootstrap: str) -> None:
    topic = _topic("tx")
    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap, transactional_id=_topic("txid"), acks="all"
    )
    producer.init_transactions()
    producer.begin_transaction()
    producer.send(topic, b"committed")
    producer.commit_transaction()
    producer.begin_transaction()
    producer.send(topic, b"aborted")
    producer.flush()
    producer.abort_transaction()
    producer.close()

    consumer = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        isolation_level="read_committed",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    consumer.assign([TopicPartition(topic, 0)])
    values: list[bytes] = []
    for _ in range(50):
        for records in consumer.poll(timeout_ms=100).values():
            values.extend(r.value for r in records)
        if values and consumer.position(TopicPartition(topic, 0)) >= 4:
            break
    consumer.close()
    assert values == [b"committed"]
