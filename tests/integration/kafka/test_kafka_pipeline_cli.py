"""The pipeline command line example on the real broker: filter, enrich, select; counts match."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from ksqlpy.kafka import Consumer, Producer, TopicAdmin, consume, pipeline

pytestmark = pytest.mark.kafka


@pytest.mark.parametrize("guarantee", ["at-least-once", "exactly-once"])
def test_pipeline_cli_filters_enriches_and_selects(kafka_bootstrap: str, guarantee: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    source, sink = f"cli-src-{suffix}", f"cli-sink-{suffix}"
    with TopicAdmin(kafka_bootstrap) as admin:
        admin.create_topic(source, partitions=2)
    statuses = ["SHIPPED", "NEW", "SHIPPED", "CANCELLED"]
    with Producer(kafka_bootstrap) as producer:
        for i in range(200):
            order = {"orderid": i, "status": statuses[i % 4], "units": i % 7}
            producer.send(source, json.dumps(order).encode(), key=str(i).encode())
        producer.flush()

    out = subprocess.run(
        [sys.executable, "-m", "ksqlpy.kafka", "-b", kafka_bootstrap, "pipeline",
         "--source", source, "--sink", sink, "--guarantee", guarantee,
         "--filter", "status=SHIPPED", "--set", "region=EU", "--select", "orderid,region",
         "--idle-timeout", "2"],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "consumed 200, produced 100" in out.stderr

    seen: list[dict[str, object]] = []
    with Consumer(
        kafka_bootstrap, sink, group_id=f"check-{suffix}", isolation_level="read_committed"
    ) as consumer:
        consume(consumer, lambda r: seen.append(json.loads(r.value or b"")), idle_timeout=2)
    assert sorted(int(str(r["orderid"])) for r in seen) == list(range(0, 200, 2))
    assert all(r == {"orderid": r["orderid"], "region": "EU"} for r in seen)


@pytest.mark.parametrize("guarantee", ["at-least-once", "exactly-once"])
def test_idle_means_caught_up_not_a_few_empty_polls(kafka_bootstrap: str, guarantee: str) -> None:
    # The broker holds each fetch for a second (it waits for more bytes than there are), so
    # polls come back empty while records wait: with "idle" meaning "no records lately" the
    # run would end at once, as a restarted pipeline did while its group was rebalancing.
    suffix = uuid.uuid4().hex[:8]
    source, sink = f"idle-src-{suffix}", f"idle-sink-{suffix}"
    with TopicAdmin(kafka_bootstrap) as admin:
        admin.create_topic(source, partitions=3)
    with Producer(kafka_bootstrap) as producer:
        for i in range(3000):
            producer.send(source, json.dumps({"n": i}).encode(), key=str(i).encode())
    stats = pipeline(
        source,
        sink,
        lambda record: record.value,
        bootstrap_servers=kafka_bootstrap,
        guarantee=guarantee,
        idle_timeout=0.01,
        batch_size=100,
        consumer_config={"fetch_min_bytes": 10_000_000, "fetch_max_wait_ms": 1000},
    )
    assert (stats.consumed, stats.produced) == (3000, 3000)


def test_the_tools_take_the_broker_from_kafka_bootstrap_servers(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = f"env-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    made = subprocess.run(
        [sys.executable, "-m", "ksqlpy.kafka", "topics", "create", topic, "--partitions", "2"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    generated = subprocess.run(
        [sys.executable, "-m", "ksqlpy.datagen.cli", "-t", topic, "-q", "pageviews", "-n", "50"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    assert "sent 50, acked 50, errors 0" in generated.stderr
    assert f"at {kafka_bootstrap}" in generated.stderr
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    with TopicAdmin() as admin:  # the library reads it too
        assert admin.bootstrap_servers == kafka_bootstrap
        assert admin.describe_topic(topic).partition_count == 2
