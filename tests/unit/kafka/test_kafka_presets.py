"""Pure parts of ksqlpy.kafka: guarantee presets, offsets of a batch, names, bootstrap parsing."""

from __future__ import annotations

import pytest

import ksqlpy.kafka
from ksqlpy._errors import InvalidTopicNameError, KafkaError
from ksqlpy.kafka import (
    Guarantee,
    Record,
    TopicPartition,
    check_topic_name,
    consumer_settings,
    producer_settings,
)
from ksqlpy.kafka._boundary import parse_bootstrap
from ksqlpy.kafka._consumer import first_offsets, next_offsets
from ksqlpy.kafka._pipeline import Output, _outputs


def test_all_is_sorted_and_documented() -> None:
    assert ksqlpy.kafka.__all__ == sorted(ksqlpy.kafka.__all__)
    for name in ksqlpy.kafka.__all__:
        assert (getattr(ksqlpy.kafka, name).__doc__ or "").strip(), name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at-most-once", Guarantee.AT_MOST_ONCE),
        ("AT_LEAST_ONCE", Guarantee.AT_LEAST_ONCE),
        ("exactly once", Guarantee.EXACTLY_ONCE),
        (Guarantee.EXACTLY_ONCE, Guarantee.EXACTLY_ONCE),
    ],
)
def test_guarantee_parse(text: str, expected: Guarantee) -> None:
    assert Guarantee.parse(text) is expected


def test_unknown_guarantee_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="at-most-once, at-least-once, exactly-once"):
        Guarantee.parse("twice")


def test_producer_presets() -> None:
    # acks=0 with idempotence explicitly off: kafka-python would warn and switch it off otherwise.
    assert producer_settings(Guarantee.AT_MOST_ONCE) == {
        "acks": 0,
        "retries": 0,
        "enable_idempotence": False,
    }
    assert producer_settings(Guarantee.AT_LEAST_ONCE) == {"acks": "all", "enable_idempotence": True}
    eos = producer_settings(Guarantee.EXACTLY_ONCE, "tx-1")
    assert eos["transactional_id"] == "tx-1"
    assert eos["enable_idempotence"] is True
    with pytest.raises(ValueError, match="transactional_id"):
        producer_settings(Guarantee.EXACTLY_ONCE)


def test_consumer_presets_never_auto_commit() -> None:
    for g in Guarantee:
        assert consumer_settings(g)["enable_auto_commit"] is False
    assert consumer_settings(Guarantee.EXACTLY_ONCE)["isolation_level"] == "read_committed"
    assert "isolation_level" not in consumer_settings(Guarantee.AT_LEAST_ONCE)


def _rec(partition: int, offset: int) -> Record:
    return Record("t", partition, offset, None, b"v", 0)


def test_batch_offsets() -> None:
    batch = [_rec(0, 5), _rec(1, 9), _rec(0, 6), _rec(0, 7), _rec(1, 10)]
    assert next_offsets(batch) == {TopicPartition("t", 0): 8, TopicPartition("t", 1): 11}
    assert first_offsets(batch) == {TopicPartition("t", 0): 5, TopicPartition("t", 1): 9}
    assert str(TopicPartition("t", 3)) == "t-3"


def test_transform_results() -> None:
    rec = Record("t", 0, 0, b"k", b"v", 0, (("h", b"1"),))
    assert list(_outputs(rec, None)) == []
    assert list(_outputs(rec, b"x")) == [Output(b"x", b"k", (("h", b"1"),))]
    assert list(_outputs(rec, Output(b"y", None))) == [Output(b"y", None)]
    assert [o.value for o in _outputs(rec, [b"a", Output(b"b")])] == [b"a", b"b"]


@pytest.mark.parametrize("good", ["a", "A.b_c-9", "x" * 249])
def test_legal_topic_names(good: str) -> None:
    check_topic_name(good)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [("", "empty"), ("..", "reserved"), ("x" * 250, "250 characters"), ("a b!", "' ', '!'")],
)
def test_illegal_topic_names(bad: str, reason: str) -> None:
    with pytest.raises(InvalidTopicNameError, match=reason):
        check_topic_name(bad)


def test_parse_bootstrap() -> None:
    assert parse_bootstrap("a:1, b:2") == [("a", 1), ("b", 2)]
    assert parse_bootstrap("broker") == [("broker", 9092)]
    assert parse_bootstrap("[::1]:9093") == [("::1", 9093)]
    with pytest.raises(KafkaError, match="host:port"):
        parse_bootstrap("a:port")
    with pytest.raises(KafkaError, match="no bootstrap"):
        parse_bootstrap(" , ")


def test_json_transform_filters_enriches_and_selects() -> None:
    from ksqlpy.kafka.__main__ import json_transform

    fn = json_transform([("status", "SHIPPED"), ("n", "2")], [("region", "EU")], ["id", "region"])

    def rec(value: bytes) -> Record:
        return Record("t", 0, 0, None, value, 0)

    assert fn(rec(b'{"id":1,"status":"SHIPPED","n":2}')) == b'{"id":1,"region":"EU"}'
    assert fn(rec(b'{"id":2,"status":"NEW","n":2}')) is None  # filtered out
    assert fn(rec(b'{"id":3,"status":"SHIPPED","n":"2"}')) is None  # 2 is a number, "2" is not
    assert fn(rec(b"not json")) is None
    assert fn(rec(b"[1, 2]")) is None
