"""--data-dir: topics, sources, types and persistent queries survive a restart, without repeats."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from ksqlpy.local import LocalServer


def _ksql(server: LocalServer, text: str) -> list[dict]:  # type: ignore[type-arg]
    response = httpx.post(server.url + "/ksql", json={"ksql": text}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _pull(server: LocalServer, sql: str) -> list[list[object]]:
    response = httpx.post(server.url + "/query-stream", json={"sql": sql}, timeout=10)
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()[1:]]


def test_a_restart_keeps_data_sources_and_running_queries(tmp_path: Path) -> None:
    with LocalServer(data_dir=tmp_path) as server:
        _ksql(
            server,
            "CREATE TYPE MONEY AS DECIMAL(10, 2);"
            "CREATE STREAM ORDERS (ID INT KEY, WHO STRING, AMOUNT MONEY) "
            "WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=2);"
            "CREATE TABLE TOTALS AS SELECT WHO, COUNT(*) AS N FROM ORDERS GROUP BY WHO;",
        )
        _ksql(
            server,
            "INSERT INTO ORDERS (ID, WHO, AMOUNT) VALUES (1, 'ann', 1.50);"
            "INSERT INTO ORDERS (ID, WHO, AMOUNT) VALUES (2, 'ann', 2.25);",
        )
        assert _pull(server, "SELECT * FROM TOTALS WHERE WHO = 'ann';") == [["ann", 2]]

    with LocalServer(data_dir=tmp_path) as server:
        streams, tables, queries, types = _ksql(
            server, "SHOW STREAMS; SHOW TABLES; SHOW QUERIES; SHOW TYPES;"
        )
        assert [s["name"] for s in streams["streams"]] == ["ORDERS"]
        assert [t["name"] for t in tables["tables"]] == ["TOTALS"]
        assert [q["queryType"] for q in queries["queries"]] == ["PERSISTENT"]
        assert "MONEY" in types["types"]
        assert sorted(_pull(server, "SELECT ID, AMOUNT FROM ORDERS;")) == [[1, 1.5], [2, 2.25]]
        # The aggregate was rebuilt, not recomputed into duplicates: one more order makes 3.
        assert _pull(server, "SELECT * FROM TOTALS WHERE WHO = 'ann';") == [["ann", 2]]
        _ksql(server, "INSERT INTO ORDERS (ID, WHO, AMOUNT) VALUES (3, 'ann', 1.00);")
        assert _pull(server, "SELECT * FROM TOTALS WHERE WHO = 'ann';") == [["ann", 3]]
        # Its output topic holds three updates (2 before the restart, 1 after), no repeats.
        assert sum(server.engine.log.end_offsets("TOTALS")) == 3

    with LocalServer(data_dir=tmp_path) as server:
        (queries,) = _ksql(server, "SHOW QUERIES;")
        (query,) = queries["queries"]
        _ksql(server, f"TERMINATE {query['id']}; DROP TABLE TOTALS DELETE TOPIC;")
    with LocalServer(data_dir=tmp_path) as server:
        (tables,) = _ksql(server, "SHOW TABLES;")
        assert tables["tables"] == []


def test_a_cluster_terminate_survives_a_restart_and_the_dir_starts_after_recreating(
    tmp_path: Path,
) -> None:
    stream = (
        "CREATE STREAM S (ID INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
        "CREATE STREAM DOUBLED AS SELECT ID, V * 2 AS V FROM S;"
    )
    with LocalServer(data_dir=tmp_path) as server:
        _ksql(server, stream + "INSERT INTO S (ID, V) VALUES (1, 1);")
        terminated = httpx.post(
            server.url + "/ksql/terminate", json={"deleteTopicList": ["DOUBLED"]}, timeout=10
        )
        assert terminated.status_code == 200
    with LocalServer(data_dir=tmp_path) as server:
        streams, queries = _ksql(server, "SHOW STREAMS; SHOW QUERIES;")
        assert streams["streams"] == []
        assert queries["queries"] == []
        _ksql(server, stream + "INSERT INTO S (ID, V) VALUES (2, 2);")
    with LocalServer(data_dir=tmp_path) as server:
        streams, queries = _ksql(server, "SHOW STREAMS; SHOW QUERIES;")
        assert sorted(s["name"] for s in streams["streams"]) == ["DOUBLED", "S"]
        assert [q["state"] for q in queries["queries"]] == ["RUNNING"]
        # The recreated query ran over its input once (the old output topic was deleted).
        assert sorted(_pull(server, "SELECT ID, V FROM DOUBLED;")) == [[1, 2], [2, 4]]
