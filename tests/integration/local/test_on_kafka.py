"""ksqlpy-local on a real Kafka broker: the course's path end to end, and what the server writes
read by plain kafka-python (and the other way round)."""

from __future__ import annotations

import json
import struct
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer
from kafka_reads import consume_all, until

from ksqlpy.datagen import KafkaSink, RunOptions, key_encoder, quickstart, run, value_encoder
from ksqlpy.local import LocalServer

pytestmark = pytest.mark.kafka

EARLIEST = {"ksql.streams.auto.offset.reset": "earliest"}


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def query_rows(http: httpx.Client, sql: str) -> list[Any]:
    """The rows of a query through ``/query-stream`` (JSON: the header, then one array a row)."""
    response = http.post(
        "/query-stream",
        json={"sql": sql, "properties": EARLIEST},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    _, *rows = json.loads(response.text)
    return rows


def test_the_course_datagen_to_kafka_to_stream_push_ctas_and_pull(
    kafka_bootstrap: str,
    server: LocalServer,
    ksql: Any,
    http: httpx.Client,
) -> None:
    schema = quickstart("people")
    sink = KafkaSink(
        kafka_bootstrap,
        "fake_people",
        key_encoder=key_encoder(schema),
        value_encoder=value_encoder(schema, "json"),
    )
    summary = run(schema, sink, RunOptions(iterations=50, seed=14, progress=False))
    assert summary.acked == 50
    # What any Kafka consumer sees in the topic (earlier runs may have added people too).
    people = [json.loads(r.value) for r in consume_all(kafka_bootstrap, "fake_people")]
    assert len(people) >= 50

    ksql(
        "CREATE STREAM my_stream (id STRING, name STRING, title STRING) "
        "WITH (kafka_topic='fake_people', value_format='JSON');"
    )
    rows = query_rows(http, f"SELECT * FROM my_stream EMIT CHANGES LIMIT {len(people)};")
    assert sorted(tuple(r) for r in rows) == sorted(
        (p["id"], p["name"], p["title"]) for p in people
    )

    ksql(
        "CREATE TABLE people_by_title AS SELECT title, COUNT(*) AS n FROM my_stream "
        "GROUP BY title;",
        streamsProperties=EARLIEST,
    )
    expected = Counter(p["title"] for p in people)

    def counts() -> dict[str, int] | None:
        found = dict(query_rows(http, "SELECT * FROM people_by_title;"))
        return found if found == expected else None

    until(counts, "the pull query to count every title")
    (topics,) = ksql("SHOW TOPICS;")
    names = {t["name"] for t in topics["topics"]}
    assert {"fake_people", "PEOPLE_BY_TITLE"} <= names


def test_server_writes_are_read_by_kafka_python_as_ksqldb_writes_them(
    kafka_bootstrap: str, server: LocalServer, ksql: Any
) -> None:
    json_topic, kafka_topic, placed_topic = _name("json"), _name("kafka"), _name("placed")
    ksql(
        f"CREATE STREAM j (k STRING KEY, v INT, s STRING) WITH (kafka_topic='{json_topic}', "
        "partitions=4, key_format='JSON', value_format='JSON');"
        f"CREATE STREAM d (k INT KEY, v INT, s STRING) WITH (kafka_topic='{kafka_topic}', "
        "partitions=3, key_format='KAFKA', value_format='DELIMITED');"
    )
    keys = [f"user-{i}" for i in range(24)]
    for i, key in enumerate(keys):
        ksql(f"INSERT INTO j (k, v, s) VALUES ('{key}', {i}, 'x{i}');")
    ksql("INSERT INTO d (k, v, s) VALUES (7, 70, 'seven');")

    got = consume_all(kafka_bootstrap, json_topic)
    assert sorted((json.loads(r.key), json.loads(r.value)["V"]) for r in got) == sorted(
        (k, i) for i, k in enumerate(keys)
    )
    assert len({r.partition for r in got}) > 1
    # kafka-python's own producer puts the same key bytes on the same partitions.
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    ksql(
        f"CREATE STREAM p (v INT) WITH (kafka_topic='{placed_topic}', partitions=4, "
        "value_format='JSON');"
    )
    try:
        for r in got:
            producer.send(placed_topic, key=r.key, value=b"{}")
        producer.flush(10)
    finally:
        producer.close(5)
    theirs = {r.key: r.partition for r in consume_all(kafka_bootstrap, placed_topic)}
    assert {r.key: r.partition for r in got} == theirs

    (record,) = consume_all(kafka_bootstrap, kafka_topic)
    assert record.key == struct.pack(">i", 7)
    assert record.value == b"70,seven"


def test_a_table_changelog_carries_tombstones_as_null_values(
    kafka_bootstrap: str, server: LocalServer, ksql: Any
) -> None:
    source, sink = _name("clicks"), _name("FEW")
    ksql(
        f"CREATE STREAM clicks (u STRING KEY, n INT) WITH (kafka_topic='{source}', "
        "partitions=2, value_format='JSON');"
        f"CREATE TABLE {sink} AS SELECT u, COUNT(*) AS c FROM clicks GROUP BY u "
        "HAVING COUNT(*) < 2;"
    )
    ksql("INSERT INTO clicks (u, n) VALUES ('a', 1);")
    ksql("INSERT INTO clicks (u, n) VALUES ('a', 2);")

    def changelog() -> list[Any]:
        found = consume_all(kafka_bootstrap, sink.upper())
        return found if len(found) >= 2 else []

    records = until(changelog, "the table's changelog")
    assert [(r.key, r.value) for r in records] == [(b"a", b'{"C":1}'), (b"a", None)]


def test_a_stream_reads_what_an_external_producer_wrote(
    kafka_bootstrap: str,
    server: LocalServer,
    ksql: Any,
    http: httpx.Client,
) -> None:
    topic = _name("external")
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    try:
        for i in range(30):
            producer.send(topic, key=f"k{i % 7}".encode(), value=f"{i},row {i}".encode())
        producer.flush(10)
    finally:
        producer.close(5)
    ksql(
        f"CREATE STREAM ext (k STRING KEY, n INT, label STRING) WITH (kafka_topic='{topic}', "
        "value_format='DELIMITED');"
    )
    rows = query_rows(http, "SELECT k, n, label FROM ext EMIT CHANGES LIMIT 30;")
    assert sorted(rows, key=lambda r: r[1]) == [[f"k{i % 7}", i, f"row {i}"] for i in range(30)]
