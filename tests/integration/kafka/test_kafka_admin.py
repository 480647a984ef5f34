"""ksqlpy.kafka.TopicAdmin against the real broker: partitions, replicas, configs, clear errors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from ksqlpy import KsqlError
from ksqlpy._errors import (
    BrokerUnavailableError,
    InvalidTopicNameError,
    KafkaError,
    ReplicationFactorError,
    TopicError,
    TopicExistsError,
    TopicNotFoundError,
)
from ksqlpy.kafka import Producer, TopicAdmin

pytestmark = pytest.mark.kafka


@pytest.fixture
def admin(kafka_bootstrap: str) -> Iterator[TopicAdmin]:
    with TopicAdmin(kafka_bootstrap) as client:
        yield client


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_transaction_state_follows_a_producers_transactions(
    admin: TopicAdmin, kafka_bootstrap: str
) -> None:
    topic, txn = _name("txn"), _name("t")
    admin.create_topic(topic, partitions=1)
    assert admin.transaction_state(txn) is None  # no producer ever used it
    with Producer(kafka_bootstrap, guarantee="exactly-once", transactional_id=txn) as producer:
        producer.begin()
        producer.send(topic, b"x")
        producer.flush()
        assert admin.transaction_state(txn) == "Ongoing"
        producer.commit()
    # The markers are written after the commit returns: "PrepareCommit" until then.
    deadline = time.monotonic() + 10
    while (state := admin.transaction_state(txn)) == "PrepareCommit":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert state == "CompleteCommit"


def test_create_describe_list_delete(admin: TopicAdmin) -> None:
    name = _name("admin")
    info = admin.create_topic(name, partitions=4, config={"retention.ms": "3600000"})
    assert info.partition_count == 4
    assert [p.partition for p in info.partitions] == [0, 1, 2, 3]
    assert info.replication_factor == 1
    assert all(p.leader >= 0 and p.isr == p.replicas for p in info.partitions)
    assert name in admin.list_topics()
    assert not [t for t in admin.list_topics() if t.startswith("__")]
    assert admin.topic_config(name)["retention.ms"] == "3600000"

    admin.delete_topic(name)
    deadline = time.monotonic() + 10
    while admin.topic_exists(name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not admin.topic_exists(name)


def test_alter_config_changes_only_the_given_key(admin: TopicAdmin) -> None:
    name = _name("alter")
    admin.create_topic(name, config={"cleanup.policy": "compact"})
    admin.alter_config(name, {"retention.ms": "60000"})
    config = admin.topic_config(name)
    assert config["retention.ms"] == "60000"
    assert config["cleanup.policy"] == "compact"


def test_replication_factor_above_broker_count_is_a_clear_error(admin: TopicAdmin) -> None:
    name = _name("rf")
    with pytest.raises(ReplicationFactorError) as info:
        admin.create_topic(name, replication_factor=3)
    assert info.value.brokers == admin.broker_count() == 1
    assert "replication factor 3" in str(info.value)
    assert "only 1 broker" in str(info.value)
    assert not admin.topic_exists(name)


def test_existing_topic_is_an_error_unless_if_not_exists(admin: TopicAdmin) -> None:
    name = _name("twice")
    admin.create_topic(name, partitions=2)
    with pytest.raises(TopicExistsError, match="already exists"):
        admin.create_topic(name, partitions=2)
    assert admin.create_topic(name, if_not_exists=True).partition_count == 2  # as it is
    assert admin.create_topic(name, partitions=2, if_not_exists=True).partition_count == 2
    with pytest.raises(TopicExistsError, match=r"already exists with 2 partition\(s\), not 5"):
        admin.create_topic(name, partitions=5, if_not_exists=True)
    assert admin.describe_topic(name).partition_count == 2  # and nothing was changed


@pytest.mark.parametrize(
    ("key", "value"),
    [("retention.ms", "abc"), ("cleanup.policy", "sometimes"), ("min.insync.replicas", "-4")],
)
def test_a_setting_the_broker_refuses_is_an_error_and_changes_nothing(
    admin: TopicAdmin, key: str, value: str
) -> None:
    name = _name("refused")
    admin.create_topic(name, config={"retention.ms": "3600000"})
    with pytest.raises(TopicError, match=f"refused the settings for topic '{name}'.*{key}"):
        admin.alter_config(name, {key: value})
    config = admin.topic_config(name)
    assert config["retention.ms"] == "3600000"
    assert config.get(key) != value


@pytest.mark.parametrize("bad", ["", ".", "..", "has space", "slash/topic", "x" * 250])
def test_invalid_names_are_refused_before_reaching_the_broker(admin: TopicAdmin, bad: str) -> None:
    with pytest.raises(InvalidTopicNameError, match="invalid topic name"):
        admin.create_topic(bad)


def test_missing_topic_errors(admin: TopicAdmin) -> None:
    name = _name("missing")
    with pytest.raises(TopicNotFoundError):
        admin.describe_topic(name)
    with pytest.raises(TopicNotFoundError):
        admin.delete_topic(name)
    admin.delete_topic(name, if_exists=True)
    with pytest.raises(TopicNotFoundError):
        admin.alter_config(name, {"retention.ms": "1000"})


def test_closed_admin_says_so(kafka_bootstrap: str) -> None:
    admin = TopicAdmin(kafka_bootstrap)
    admin.close()
    admin.close()  # closing twice is a no-op
    with pytest.raises(KafkaError, match="closed"):
        admin.list_topics()


def test_unreachable_broker_fails_within_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(BrokerUnavailableError) as info:
        TopicAdmin("127.0.0.1:1", timeout=1.0)
    assert time.monotonic() - started < 3
    assert isinstance(info.value, KsqlError)
    assert "cannot reach Kafka at 127.0.0.1:1 within 1 s" in str(info.value)
