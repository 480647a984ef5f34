"""When a consumer group's assignment counts as settled (the rule wait_for_assignment waits on)."""

from __future__ import annotations

from ksqlpy.kafka import TopicPartition
from ksqlpy.kafka._group import settled


def _parts(*numbers: int) -> frozenset[TopicPartition]:
    return frozenset(TopicPartition("t", n) for n in numbers)


def test_every_partition_once_over_every_member_is_settled() -> None:
    assert settled({"a": _parts(0, 1), "b": _parts(2, 3), "c": _parts(4, 5)}, 6)


def test_a_member_left_without_partitions_is_not_settled() -> None:
    # What a member the coordinator dropped looks like until it rejoins.
    assert not settled({"a": _parts(0, 1, 2), "b": frozenset(), "c": _parts(3, 4, 5)}, 6)


def test_more_members_than_partitions_leaves_some_idle() -> None:
    assert settled({"a": _parts(0), "b": _parts(1), "c": frozenset()}, 2)


def test_a_partition_owned_twice_or_missing_is_not_settled() -> None:
    assert not settled({"a": _parts(0, 1), "b": _parts(1, 2)}, 3)
    assert not settled({"a": _parts(0), "b": _parts(1)}, 3)
