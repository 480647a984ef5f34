"""ksqlpy-local on Kafka across restarts: the command topic brings streams, tables and queries
back, queries resume from their consumer groups, and ``kill -9`` under exactly_once_v2 leaves
every result in the sink exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from kafka import KafkaProducer
from kafka_reads import consume_all, until

from ksqlpy.kafka import TopicAdmin
from ksqlpy.local import LocalServer

pytestmark = pytest.mark.kafka


def _produce(bootstrap: str, topic: str, ids: range, rate: float | None = None) -> None:
    """Records keyed by id (4-byte ints, as the KAFKA format writes INT keys)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    started = time.monotonic()
    try:
        for n, i in enumerate(ids):
            if rate is not None and n % 100 == 0:
                time.sleep(max(0.0, started + n / rate - time.monotonic()))
            value = json.dumps({"GRP": i % 3}).encode()
            producer.send(topic, key=i.to_bytes(4, "big"), value=value)
        producer.flush(30)
    finally:
        producer.close(10)


def _ksql(url: str, text: str, **properties: str) -> list[dict[str, object]]:
    response = httpx.post(
        url + "/ksql", json={"ksql": text, "streamsProperties": properties}, timeout=30
    )
    assert response.status_code == 200, response.text
    answer: list[dict[str, object]] = response.json()
    return answer


def _sink_ids(bootstrap: str, topic: str) -> Counter[int]:
    return Counter(int.from_bytes(r.key, "big") for r in consume_all(bootstrap, topic))


def test_a_restart_with_the_same_service_id_brings_everything_back_and_resumes(
    kafka_bootstrap: str,
) -> None:
    service, source = f"r{uuid.uuid4().hex[:8]}_", f"src_{uuid.uuid4().hex[:8]}"
    setup = (
        f"CREATE STREAM S (ID INT KEY, GRP INT) WITH (KAFKA_TOPIC='{source}', "
        "KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON', PARTITIONS=2);"
        "CREATE STREAM EVEN AS SELECT ID, GRP FROM S WHERE ID % 2 = 0;"
        "CREATE TABLE COUNTS AS SELECT GRP, COUNT(*) AS N FROM S GROUP BY GRP;"
    )
    sink = f"EVEN_{service}".upper()
    with LocalServer(bootstrap_servers=kafka_bootstrap, service_id=service) as first:
        _ksql(
            first.url, setup.replace("EVEN AS", f"{sink} AS"), **{"auto.offset.reset": "earliest"}
        )
        _produce(kafka_bootstrap, source, range(20))
        until(lambda: sum(_sink_ids(kafka_bootstrap, sink).values()) >= 10, "the first output")
    # While no server runs, more records arrive.
    _produce(kafka_bootstrap, source, range(20, 40))
    with LocalServer(bootstrap_servers=kafka_bootstrap, service_id=service) as second:
        (streams,) = _ksql(second.url, "SHOW STREAMS;")
        names = {s["name"] for s in streams["streams"]}  # type: ignore[index]
        assert {"S", sink} <= names
        (queries,) = _ksql(second.url, "SHOW QUERIES;")
        assert len(queries["queries"]) == 2  # type: ignore[arg-type]
        until(lambda: sum(_sink_ids(kafka_bootstrap, sink).values()) >= 20, "the resumed output")
        time.sleep(1)  # a query that repeated output would have written it by now
        assert _sink_ids(kafka_bootstrap, sink) == Counter(range(0, 40, 2))

        def counted() -> bool:
            rows = httpx.post(
                second.url + "/query-stream",
                json={"sql": "SELECT GRP, N FROM COUNTS;"},
                headers={"Accept": "application/json"},
                timeout=30,
            ).json()[1:]
            return sorted(rows) == [[0, 14], [1, 13], [2, 13]]

        until(counted, "the table to count all 40 records once")


@contextmanager
def _server_process(bootstrap: str, service: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ksqlpy.local.cli",
            "--port",
            "0",
            *("--bootstrap-servers", bootstrap),
            *("--service-id", service),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "http://" in line, line
        yield proc, line.split("at ", 1)[1].split(" ", 1)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.slow
def test_kill_9_under_exactly_once_leaves_every_result_once(kafka_bootstrap: str) -> None:
    service, source = f"k{uuid.uuid4().hex[:8]}_", f"src_{uuid.uuid4().hex[:8]}"
    records, kills = 12_000, 3
    sink = f"EVEN_{service}".upper()
    with TopicAdmin(kafka_bootstrap) as admin:
        admin.create_topic(source, 2)
        with _server_process(kafka_bootstrap, service) as (proc, url):
            (_, created) = _ksql(
                url,
                f"CREATE STREAM S (ID INT KEY, GRP INT) WITH (KAFKA_TOPIC='{source}', "
                "KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');"
                f"CREATE STREAM {sink} AS SELECT ID, GRP FROM S WHERE ID % 2 = 0;",
                **{"auto.offset.reset": "earliest", "processing.guarantee": "exactly_once_v2"},
            )
            query_id = created["commandStatus"]["queryId"]  # type: ignore[index]
            group = f"_confluent-ksql-{service}query_{query_id}"
            # Records keep arriving while the server is killed and restarted.
            feeder = threading.Thread(
                target=_produce, args=(kafka_bootstrap, source, range(records), 1000.0)
            )
            feeder.start()
            until(lambda: _committed(admin, group) > 0, "the first commit")
            os.kill(proc.pid, signal.SIGKILL)
        for _ in range(kills - 1):
            done = _committed(admin, group)
            with _server_process(kafka_bootstrap, service) as (proc, _url):
                # Killed once the query has committed more: in the middle of its work.
                until(lambda d=done: _committed(admin, group) > d, "progress after a restart")
                os.kill(proc.pid, signal.SIGKILL)
        assert _committed(admin, group) < records, "all was done before the last kill"
        feeder.join(60)
        with _server_process(kafka_bootstrap, service):
            until(
                lambda: _committed(admin, group) == records,
                "the query to finish after the restarts",
                timeout=120,
            )
    assert _sink_ids(kafka_bootstrap, sink) == Counter(range(0, records, 2))


def _committed(admin: TopicAdmin, group: str) -> int:
    return sum(admin.group_offsets(group).values())
