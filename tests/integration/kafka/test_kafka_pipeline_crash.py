"""Kill a consume-transform-produce process between produce and commit; count the sink."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

from ksqlpy.kafka import Consumer, Producer, TopicAdmin, consume

pytestmark = pytest.mark.kafka

CHILD = Path(__file__).with_name("pipeline_crash_child.py")
RECORDS = 300
BATCH = 40  # pipeline_crash_child.py polls at most this many records per batch


def _run_child(bootstrap: str, topics: tuple[str, str, str], guarantee: str, point: str) -> int:
    try:
        proc = subprocess.run(
            [sys.executable, str(CHILD), bootstrap, *topics, guarantee, point, "3"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else str(exc.stderr)
        pytest.fail(f"pipeline child ({guarantee}, crash at {point}) hung; its log:\n{stderr}")
    assert proc.returncode in (0, -9), proc.stderr[-2000:]
    return proc.returncode


def _fill_source(bootstrap: str, guarantee: str) -> tuple[str, str, str]:
    suffix = uuid.uuid4().hex[:8]
    source, sink, group = (
        f"crash-src-{suffix}",
        f"crash-sink-{suffix}",
        f"crash-{guarantee}-{suffix}",
    )
    with TopicAdmin(bootstrap) as admin:
        admin.create_topic(source, partitions=3)
        admin.create_topic(sink, partitions=3)
    with Producer(bootstrap) as producer:
        for i in range(RECORDS):
            producer.send(source, f"rec-{i}".encode(), key=str(i).encode())
        producer.flush()
        assert producer.acked == RECORDS
    return source, sink, group


def _read_sink(bootstrap: str, sink: str, isolation: str) -> Counter[bytes]:
    seen: Counter[bytes] = Counter()
    with Consumer(
        bootstrap, sink, group_id=f"reader-{uuid.uuid4().hex[:8]}", isolation_level=isolation
    ) as consumer:
        consume(consumer, lambda r: seen.update([r.value or b""]), idle_timeout=2.0)
    return seen


EXPECTED = {f"REC-{i}".encode() for i in range(RECORDS)}


def test_exactly_once_crash_between_produce_and_commit_yields_each_record_once(
    kafka_bootstrap: str,
) -> None:
    topics = _fill_source(kafka_bootstrap, "eos")
    assert _run_child(kafka_bootstrap, topics, "exactly-once", "produced") == -9
    assert _run_child(kafka_bootstrap, topics, "exactly-once", "none") == 0

    committed = _read_sink(kafka_bootstrap, topics[1], "read_committed")
    assert set(committed) == EXPECTED
    assert sum(committed.values()) == RECORDS  # every source record exactly once
    # The killed batch did reach the log, inside a transaction that was then aborted.
    uncommitted = _read_sink(kafka_bootstrap, topics[1], "read_uncommitted")
    assert RECORDS < sum(uncommitted.values()) <= RECORDS + BATCH


def test_at_least_once_crash_between_produce_and_commit_loses_nothing(
    kafka_bootstrap: str,
) -> None:
    topics = _fill_source(kafka_bootstrap, "alo")
    assert _run_child(kafka_bootstrap, topics, "at-least-once", "produced") == -9
    assert _run_child(kafka_bootstrap, topics, "at-least-once", "none") == 0

    seen = _read_sink(kafka_bootstrap, topics[1], "read_uncommitted")
    assert set(seen) == EXPECTED  # every record at least once
    duplicates = sum(seen.values()) - RECORDS
    assert 0 < duplicates <= BATCH  # the batch produced but not committed was produced again


def test_at_most_once_crash_between_commit_and_produce_never_duplicates(
    kafka_bootstrap: str,
) -> None:
    topics = _fill_source(kafka_bootstrap, "amo")
    assert _run_child(kafka_bootstrap, topics, "at-most-once", "committed") == -9
    assert _run_child(kafka_bootstrap, topics, "at-most-once", "none") == 0

    seen = _read_sink(kafka_bootstrap, topics[1], "read_uncommitted")
    assert max(seen.values()) == 1  # never a duplicate
    assert set(seen) <= EXPECTED
    lost = RECORDS - len(seen)
    assert 0 < lost <= BATCH  # the batch committed but not produced is gone
