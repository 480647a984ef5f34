"""The pipeline command line example on the real broker: filter, enrich, select; counts match."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from ksqlpy.kafka import Consumer, Producer, TopicAdmin, consume

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
