"""The storage interface's commit unit: output records and a group's positions together."""

from __future__ import annotations

from ksqlpy.local.storage import MemoryLog, Pending


def test_commit_appends_records_and_stores_positions() -> None:
    log = MemoryLog()
    log.create_topic("src", 2)
    log.create_topic("sink", 1)
    written = log.commit(
        "_confluent-ksql-default_query_CSAS_SINK_1",
        [Pending("sink", b"k", b"1"), Pending("sink", None, None)],
        {("src", 0): 3, ("src", 1): 1},
    )
    assert [(r.topic, r.offset, r.value) for r in written] == [("sink", 0, b"1"), ("sink", 1, None)]
    assert log.committed("_confluent-ksql-default_query_CSAS_SINK_1") == {
        ("src", 0): 3,
        ("src", 1): 1,
    }


def test_later_commits_move_only_the_partitions_they_name() -> None:
    log = MemoryLog()
    log.create_topic("src", 2)
    log.commit("g", [], {("src", 0): 3, ("src", 1): 1})
    log.commit("g", [], {("src", 1): 5})
    assert log.committed("g") == {("src", 0): 3, ("src", 1): 5}
    assert log.committed("other") == {}


def test_deleted_group_starts_over() -> None:
    log = MemoryLog()
    log.create_topic("src", 1)
    log.commit("g", [], {("src", 0): 3})
    log.delete_group("g")
    assert log.committed("g") == {}
