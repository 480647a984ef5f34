"""The consume loop's commit points: a handler failure mid-batch, then a restart in the group."""

from __future__ import annotations

import uuid

import pytest

from ksqlpy.kafka import Consumer, Producer, Record, TopicAdmin, consume

pytestmark = pytest.mark.kafka


class Boom(Exception):
    pass


def _run(bootstrap: str, topic: str, group: str, guarantee: str, fail_at: int | None) -> list[int]:
    handled: list[int] = []

    def handler(record: Record) -> None:
        value = int(record.value or b"-1")
        if value == fail_at:
            raise Boom
        handled.append(value)

    with Consumer(bootstrap, topic, group_id=group, guarantee=guarantee) as consumer:
        if fail_at is None:
            consume(consumer, handler, idle_timeout=1.5, batch_size=20)
        else:
            with pytest.raises(Boom):
                consume(consumer, handler, batch_size=20)
    return handled


@pytest.mark.parametrize("guarantee", ["at-least-once", "at-most-once"])
def test_failure_mid_batch_then_restart(kafka_bootstrap: str, guarantee: str) -> None:
    topic, group = f"loop-{uuid.uuid4().hex[:8]}", f"loop-{uuid.uuid4().hex[:8]}"
    with TopicAdmin(kafka_bootstrap) as admin:
        admin.create_topic(topic)
    with Producer(kafka_bootstrap) as producer:
        for i in range(100):
            producer.send(topic, str(i).encode())
        producer.flush()

    first = _run(kafka_bootstrap, topic, group, guarantee, fail_at=50)
    second = _run(kafka_bootstrap, topic, group, guarantee, fail_at=None)
    assert first == list(range(50))  # in order, up to the failing record
    if guarantee == "at-least-once":
        # Offsets were committed after each finished batch: the failed batch is handled again.
        assert set(first) | set(second) == set(range(100))
        assert 0 < len(set(first) & set(second)) < 20
        assert second == sorted(second)
    else:
        # Offsets were committed before the batch was handled: its rest is lost, nothing repeats.
        assert not set(first) & set(second)
        assert 0 < 100 - len(first) - len(second) < 20
        assert second == list(range(second[0], 100))
