"""ksqlpy-datagen against the real broker: counts, rate, partitioning, seeds, guarantees, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict

import pytest
from datagen_helpers import datagen, end_offsets, read_topic, summary_counts, topic_name

from ksqlpy.kafka import TopicAdmin

pytestmark = pytest.mark.kafka


def test_iterations_partitions_and_default_partitioner(kafka_bootstrap: str) -> None:
    from kafka.partitioner.default import murmur2

    topic = topic_name("dg-users")
    out = datagen("-b", kafka_bootstrap, "-t", topic, "-q", "users", "-n", "600",
                  "--partitions", "6", "--seed", "1")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert summary_counts(out.stderr) == (600, 600, 0)
    with TopicAdmin(kafka_bootstrap) as admin:
        assert admin.describe_topic(topic).partition_count == 6

    records = read_topic(kafka_bootstrap, topic)
    assert len(records) == 600
    partitions_of: dict[bytes, set[int]] = defaultdict(set)
    for r in records:
        assert r.key is not None
        assert json.loads(r.value or b"")["userid"] == r.key.decode()  # key = the userid field
        # Kafka's default partitioner: murmur2 of the key bytes, positive, modulo partitions.
        assert r.partition == (murmur2(r.key) & 0x7FFFFFFF) % 6
        partitions_of[r.key].add(r.partition)
    assert len(partitions_of) == 9  # User_1..User_9, each always on its one partition
    assert all(len(p) == 1 for p in partitions_of.values())


def test_rate_500_for_5_seconds_sends_about_2500(kafka_bootstrap: str) -> None:
    topic = topic_name("dg-rate")
    started = time.monotonic()
    out = datagen("-b", kafka_bootstrap, "-t", topic, "-q", "people",
                  "--rate", "500", "--duration", "5")  # fmt: skip
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    sent, acked, errors = summary_counts(out.stderr)
    assert 2250 <= sent <= 2750  # within 10% of 2,500
    assert acked == sent
    assert errors == 0
    assert sum(end_offsets(kafka_bootstrap, topic).values()) == sent
    assert 5 <= elapsed < 15


def test_seed_reproduces_the_topic_content(kafka_bootstrap: str) -> None:
    def produce(seed: str) -> list[tuple[bytes | None, bytes | None, int]]:
        topic = topic_name("dg-seed")
        out = datagen("-b", kafka_bootstrap, "-t", topic, "-q", "clickstream", "-n", "200",
                      "--seed", seed, "--start-time", "2026-01-01T00:00:00Z")  # fmt: skip
        assert out.returncode == 0, out.stderr
        return [(r.key, r.value, r.timestamp) for r in read_topic(kafka_bootstrap, topic)]

    first = produce("7")
    assert len(first) == 200
    assert produce("7") == first  # keys, values and record timestamps
    assert produce("8") != first


def test_exactly_once_commits_transactions_of_the_given_size(kafka_bootstrap: str) -> None:
    topic = topic_name("dg-eos")
    out = datagen("-b", kafka_bootstrap, "-t", topic, "-q", "transactions", "-n", "2500",
                  "--guarantee", "exactly-once", "--transaction-size", "1000")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert summary_counts(out.stderr) == (2500, 2500, 0)
    committed = read_topic(kafka_bootstrap, topic, "read_committed")
    ids = [json.loads(r.value or b"")["transaction_id"] for r in committed]
    assert sorted(ids) == list(range(1, 2501))
    # 3 transactions (1000 + 1000 + 500) leave 3 commit markers in the single partition.
    assert end_offsets(kafka_bootstrap, topic) == {0: 2503}


def test_at_most_once_headers_timestamps_and_delimited(kafka_bootstrap: str) -> None:
    topic = topic_name("dg-amo")
    out = datagen("-b", kafka_bootstrap, "-t", topic, "-q", "pageviews", "-n", "300",
                  "--guarantee", "at-most-once", "--format", "delimited",
                  "--header", "source=ksqlpy-test", "--key", "pageid")  # fmt: skip
    assert out.returncode == 0, out.stderr
    records = read_topic(kafka_bootstrap, topic)
    assert len(records) == 300
    now_ms = time.time() * 1000
    for r in records:
        viewtime, userid, pageid = (r.value or b"").decode().split(",")
        assert r.key == pageid.encode()
        assert userid.startswith("User_")
        assert r.timestamp == int(viewtime)  # record timestamp from the timestamp field
        assert now_ms - 120_000 < r.timestamp <= now_ms
        assert r.headers == [("source", b"ksqlpy-test")]


def test_replication_factor_above_the_broker_count_is_a_clear_error(kafka_bootstrap: str) -> None:
    topic = topic_name("dg-rf")
    out = datagen("-b", kafka_bootstrap, "-t", topic, "-n", "1", "--replication-factor", "3")
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"ksqlpy-datagen: error: cannot create topic '{topic}' with replication factor 3: "
        "the cluster has only 1 broker(s); use a replication factor of at most 1"
    )
    with TopicAdmin(kafka_bootstrap) as admin:
        assert not admin.topic_exists(topic)


def test_ctrl_c_flushes_everything_it_counted(kafka_bootstrap: str) -> None:
    topic = topic_name("dg-sigint")
    # A long linger keeps records in the producer's buffer: the flush on Ctrl-C must send them.
    proc = subprocess.Popen(
        [sys.executable, "-m", "ksqlpy.datagen.cli", "-b", kafka_bootstrap, "-t", topic,
         "-q", "people", "--rate", "2000", "--linger-ms", "3000", "--batch-size", "262144"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(4)  # start-up, then ~2 s of records
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("ksqlpy-datagen did not finish within 30 s of Ctrl-C")
    assert proc.returncode == 0, stderr
    assert "stopped by interrupt" in stderr
    assert "Traceback" not in stderr
    sent, acked, errors = summary_counts(stderr)
    assert sent > 500
    assert acked == sent
    assert errors == 0
    records = read_topic(kafka_bootstrap, topic)
    assert len(records) == sent
    assert max(Counter(r.value for r in records).values()) == 1


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["-X", "lingr_ms=5"], "Unrecognized configs: {'lingr_ms': 5}; kafka-python setting"),
        (["--compression-type", "zstd"], "compression type 'zstd' needs the 'zstd' package"),
    ],
)
def test_unusable_producer_settings_are_one_line_errors(
    kafka_bootstrap: str, args: list[str], text: str
) -> None:
    from kafka import codec

    if args[0] == "--compression-type" and codec.has_zstd():
        pytest.skip("zstd is installed here")
    out = datagen("-b", kafka_bootstrap, "-t", topic_name("dg-bad"), "-n", "1", *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert text in lines[0]
