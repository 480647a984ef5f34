"""The order, waits and retries of persistent queries' commits on Kafka (the committer), with a
commit function standing in for the cluster; the broker-bounce scenario runs them on a real one."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from ksqlpy.kafka import TopicPartition
from ksqlpy.local.storage._base import Pending, Record
from ksqlpy.local.storage._kafka_commit import Batch, Committer
from ksqlpy.local.storage._mirror import KafkaStorageError


def _batch(n: int) -> Batch:
    return ([Pending("out", None, str(n).encode())], {TopicPartition("in", 0): n}, True)


class _Cluster:
    """Commits batches as told: ``slow`` holds a commit until released, ``down`` refuses."""

    def __init__(self) -> None:
        self.committed: list[int] = []
        self.down = False
        self.slow = threading.Event()
        self.slow.set()
        self.fail_with: Exception | None = None

    def commit(
        self, group: str, records: list[Pending], offsets: dict[TopicPartition, int], eos: bool
    ) -> list[Record]:
        self.slow.wait(10)
        if self.fail_with is not None:
            raise self.fail_with
        if self.down:
            raise KafkaStorageError(f"cannot commit the output of '{group}': the broker is gone")
        n = offsets[TopicPartition("in", 0)]
        self.committed.append(n)
        return [Record("out", 0, len(self.committed) - 1, 0, None, records[0].value)]

    def ready(self) -> bool:
        return not self.down


@pytest.fixture
def cluster() -> _Cluster:
    return _Cluster()


@pytest.fixture
def committer(cluster: _Cluster) -> Iterator[Committer]:
    made = Committer(cluster.commit, cluster.ready, wait=1.0, outage_timeout=1.0, retry=0.02)
    yield made
    made.close(2.0)


def _until(check: object, timeout: float = 5.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_quick_commit_is_answered_with_what_it_wrote(
    committer: Committer, cluster: _Cluster
) -> None:
    for n in range(3):
        written = committer.commit("g", _batch(n))
        assert [r.value for r in written] == [str(n).encode()]
    assert cluster.committed == [0, 1, 2]


def test_a_slow_commit_lets_the_caller_go_on_and_the_next_batches_follow_in_order(
    committer: Committer, cluster: _Cluster
) -> None:
    cluster.slow.clear()  # the broker holds the transaction
    started = time.monotonic()
    assert committer.commit("g", _batch(1)) == []
    assert time.monotonic() - started < 3.0  # waited about `wait`, not for the broker
    started = time.monotonic()
    assert committer.commit("g", _batch(2)) == []
    assert committer.commit("other", _batch(7)) == []  # an outage is on: no caller waits
    assert time.monotonic() - started < 0.5  # each would take `wait` (1 s) if it waited
    cluster.slow.set()
    _until(lambda: sorted(cluster.committed) == [1, 2, 7])
    assert cluster.committed.index(1) < cluster.committed.index(2)
    _until(lambda: committer.commit("g", _batch(3)) != [])  # quick again: answered


def test_a_refused_batch_is_retried_until_the_broker_is_back(
    committer: Committer, cluster: _Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "ksqlpy.local.storage")
    cluster.down = True
    assert committer.commit("g", _batch(1)) == []
    assert committer.commit("g", _batch(2)) == []
    time.sleep(0.1)
    assert cluster.committed == []
    cluster.down = False
    _until(lambda: cluster.committed == [1, 2])
    assert "retrying for up to 1 s" in caplog.text
    _until(lambda: "the output of 'g' is committed again" in caplog.text)


def test_a_group_gives_up_after_the_outage_timeout_and_its_next_commit_says_why(
    committer: Committer, cluster: _Cluster
) -> None:
    cluster.down = True
    assert committer.commit("g", _batch(1)) == []
    time.sleep(1.5)
    with pytest.raises(KafkaStorageError, match="the broker is gone"):
        _until(lambda: committer.commit("g", _batch(2)) and False, timeout=3.0)
    cluster.down = False
    assert cluster.committed == []  # what it gave up is not written later


def test_an_error_that_is_not_the_clusters_reaches_the_caller(
    committer: Committer, cluster: _Cluster
) -> None:
    cluster.fail_with = ValueError("partition 3 out of range for topic 'out'")
    with pytest.raises(ValueError, match="out of range"):
        committer.commit("g", _batch(1))
    cluster.fail_with = None
    assert committer.commit("g", _batch(2)) != []  # the group goes on


def test_a_dropped_group_forgets_its_backlog_and_close_is_bounded(
    committer: Committer, cluster: _Cluster
) -> None:
    cluster.down = True
    assert committer.commit("g", _batch(1)) == []
    committer.drop("g")
    cluster.down = False
    time.sleep(0.2)
    assert cluster.committed == []
    cluster.slow.clear()  # a commit Kafka holds: closing leaves it behind
    assert committer.commit("h", _batch(2)) == []
    started = time.monotonic()
    committer.close(0.5)
    assert time.monotonic() - started < 1.5
    cluster.slow.set()


def test_an_error_in_a_batch_nobody_waits_for_is_logged(
    committer: Committer, cluster: _Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    cluster.slow.clear()
    assert committer.commit("g", _batch(1)) == []  # held: the next ones do not wait
    cluster.fail_with = ValueError("partition 3 out of range for topic 'out'")
    assert committer.commit("g", _batch(2)) == []
    cluster.slow.set()
    _until(lambda: "the output of 'g' could not be committed" in caplog.text)
    assert "out of range" in caplog.text


def test_settle_waits_for_the_groups_queued_batches_and_is_bounded(
    committer: Committer, cluster: _Cluster
) -> None:
    cluster.slow.clear()
    assert committer.commit("g", _batch(1)) == []  # held: it and the next go on behind
    assert committer.commit("g", _batch(2)) == []
    started = time.monotonic()
    assert committer.settle("g", 0.3) is False  # still held: the wait is bounded
    assert time.monotonic() - started < 1.0
    threading.Timer(0.2, cluster.slow.set).start()
    assert committer.settle("g", 5.0) is True
    assert cluster.committed == [1, 2]  # both done when settle answers
    assert committer.settle("never-committed", 0.1) is True
