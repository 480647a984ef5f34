"""The processing log as a stream: with ksqlDB's settings, records a query cannot read or compute
are messages of KSQL_PROCESSING_LOG (ProcessingLogMessageSchema), and the query goes on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ksqlpy.local import LocalServer

CONFIG = {
    "ksql.logging.processing.stream.auto.create": "true",
    "ksql.logging.processing.topic.auto.create": "true",
    "ksql.logging.processing.rows.include": "true",
}
V1_JSON = {"Accept": "application/vnd.ksql.v1+json"}


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(config=CONFIG) as running:
        yield running


@pytest.fixture
def http(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10, headers=V1_JSON) as client:
        yield client


def _ksql(http: httpx.Client, text: str) -> list[Any]:
    answer = http.post("/ksql", json={"ksql": text})
    assert answer.status_code == 200, answer.text
    result: list[Any] = answer.json()
    return result


def _rows(http: httpx.Client, sql: str) -> list[list[Any]]:
    answer = http.post("/query", json={"ksql": sql})
    assert answer.status_code == 200, answer.text
    return [e["row"]["columns"] for e in json.loads(answer.text) if "row" in e]


def test_the_stream_exists_over_the_service_topic(http: httpx.Client) -> None:
    (described,) = _ksql(http, "DESCRIBE KSQL_PROCESSING_LOG;")
    source = described["sourceDescription"]
    assert source["topic"] == "default_ksql_processing_log"
    assert [f["name"] for f in source["fields"]] == ["LOGGER", "LEVEL", "TIME", "MESSAGE"]


def test_unreadable_and_failing_records_are_logged_and_skipped(
    server: LocalServer, http: httpx.Client
) -> None:
    _ksql(
        http,
        "CREATE STREAM S (ID INT KEY, A INT, B INT) WITH (KAFKA_TOPIC='s', "
        "VALUE_FORMAT='JSON', PARTITIONS=1);"
        "CREATE STREAM Q AS SELECT ID, A / B AS R FROM S;",
    )
    # A value that is not JSON (as another producer could write it), a division by zero, a
    # good row.
    server.engine.log.append("s", b"\x00\x00\x00\x05", b"{not json", timestamp=1)
    _ksql(
        http,
        "INSERT INTO S (ID, A, B) VALUES (1, 7, 0); INSERT INTO S (ID, A, B) VALUES (2, 9, 3);",
    )
    rows = _rows(
        http,
        "SELECT LOGGER, LEVEL, MESSAGE->TYPE, MESSAGE->DESERIALIZATIONERROR->TARGET, "
        "MESSAGE->DESERIALIZATIONERROR->TOPIC, MESSAGE->DESERIALIZATIONERROR->RECORDB64, "
        "MESSAGE->RECORDPROCESSINGERROR->ERRORMESSAGE FROM KSQL_PROCESSING_LOG;",
    )
    assert len(rows) == 2
    unreadable, failing = rows
    assert unreadable[0].startswith("processing.CSAS_Q_")
    assert unreadable[1:6] == ["ERROR", 0, "value", "s", "e25vdCBqc29u"]  # base64 of the bytes
    assert failing[0].startswith("processing.CSAS_Q_")
    assert failing[1:3] == ["ERROR", 1]
    assert failing[6] == "Error computing expression"
    # The unreadable record is skipped; the failing one goes on with a NULL result, as a
    # ksqlDB expression that throws gives its default.
    assert _rows(http, "SELECT ID, R FROM Q;") == [[1, None], [2, 3]]
