"""Helpers for the datagen tests against the real broker."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import ksqlpy.kafka  # noqa: F401  (imports kafka-python with its import-time warning filtered)


@dataclass(frozen=True)
class Read:
    """A record as read back from the topic."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int
    headers: list[tuple[str, bytes]]


def read_topic(bootstrap: str, topic: str, isolation: str = "read_uncommitted") -> list[Read]:
    """Every record of ``topic``, read by partition assignment up to the end offsets."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level=isolation
    )
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(parts)
        consumer.seek_to_beginning()
        end = consumer.end_offsets(parts)
        out: list[Read] = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < end[tp] for tp in parts):
            assert time.monotonic() < deadline, "reading the topic timed out"
            for batch in consumer.poll(timeout_ms=200).values():
                out.extend(
                    Read(r.partition, r.offset, r.key, r.value, r.timestamp, list(r.headers))
                    for r in batch
                )
        return sorted(out, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """The log end offset of every partition (records plus transaction markers)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return {tp.partition: off for tp, off in consumer.end_offsets(parts).items()}
    finally:
        consumer.close()


SUMMARY = re.compile(r"sent ([\d,]+), acked ([\d,]+), errors ([\d,]+)")


def summary_counts(stderr: str) -> tuple[int, int, int]:
    """(sent, acked, errors) from ksqlpy-datagen's summary line."""
    match = SUMMARY.search(stderr)
    assert match, stderr
    sent, acked, errors = (int(g.replace(",", "")) for g in match.groups())
    return sent, acked, errors


def datagen(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the ksqlpy-datagen command line to the end."""
    return subprocess.run(
        [sys.executable, "-m", "ksqlpy.datagen.cli", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def topic_name(prefix: str) -> str:
    """A unique topic name, so that tests can run in parallel."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
