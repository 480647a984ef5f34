"""Persistent queries on the local server: CSAS, CTAS with aggregation and windows, lifecycle."""

from __future__ import annotations

import json
from typing import Any

import httpx

ORDERS = (
    "CREATE STREAM ORDERS (ID INT KEY, CUSTOMER STRING, AMOUNT INT) "
    "WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=2);"
)


def _insert(ksql: Any, rows: list[tuple[int, str, int, int]]) -> None:
    ksql(
        "".join(
            f"INSERT INTO ORDERS (ROWTIME, ID, CUSTOMER, AMOUNT) VALUES ({ts}, {i}, '{c}', {a});"
            for i, c, a, ts in rows
        )
    )


# What ksqlDB answers a request with no preference; httpx sends */*, which gets delimited rows.
V1_JSON = {"Accept": "application/vnd.ksql.v1+json"}


def _pull(http: httpx.Client, sql: str) -> list[Any]:
    response = http.post("/query", json={"ksql": sql}, headers=V1_JSON)
    assert response.status_code == 200, response.text
    return list(json.loads(response.text))


def test_csas_filters_and_projects_into_a_new_stream(ksql: Any, http: httpx.Client) -> None:
    ksql(ORDERS)
    (created,) = ksql(
        "CREATE STREAM BIG AS SELECT ID, UCASE(CUSTOMER) AS WHO FROM ORDERS WHERE AMOUNT > 10;"
    )
    assert created["commandStatus"]["queryId"].startswith("CSAS_BIG_")
    assert (
        created["commandStatus"]["message"]
        == f"Created query with ID {created['commandStatus']['queryId']}"
    )
    _insert(ksql, [(1, "ann", 5, 1000), (2, "bob", 50, 2000), (3, "cy", 70, 3000)])
    response = http.post("/query-stream", json={"sql": "SELECT * FROM BIG;"})
    header, *rows = [json.loads(line) for line in response.text.splitlines()]
    assert header["columnNames"] == ["ID", "WHO"]
    assert sorted(rows) == [[2, "BOB"], [3, "CY"]]
    (described,) = ksql("DESCRIBE BIG;")
    assert [w["id"] for w in described["sourceDescription"]["writeQueries"]] == [
        created["commandStatus"]["queryId"]
    ]


def test_ctas_aggregates_and_answers_pull_queries_by_key(ksql: Any, http: httpx.Client) -> None:
    ksql(ORDERS)
    ksql(
        "CREATE TABLE TOTALS AS SELECT CUSTOMER, COUNT(*) AS N, SUM(AMOUNT) AS TOTAL "
        "FROM ORDERS GROUP BY CUSTOMER;"
    )
    _insert(ksql, [(1, "ann", 5, 1000), (2, "bob", 50, 2000), (3, "ann", 7, 3000)])
    header, row = _pull(http, "SELECT * FROM TOTALS WHERE CUSTOMER = 'ann';")
    assert header["header"]["schema"] == "`CUSTOMER` STRING KEY, `N` BIGINT, `TOTAL` INTEGER"
    assert row == {"row": {"columns": ["ann", 2, 12]}}


def test_tumbling_windows_are_keys_of_the_result(ksql: Any, http: httpx.Client) -> None:
    ksql(ORDERS)
    ksql(
        "CREATE TABLE PER_SECOND AS SELECT CUSTOMER, COUNT(*) AS N FROM ORDERS "
        "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY CUSTOMER;"
    )
    _insert(ksql, [(1, "ann", 5, 1100), (2, "ann", 6, 1900), (3, "ann", 7, 2500)])
    header, *rows = _pull(http, "SELECT * FROM PER_SECOND WHERE CUSTOMER = 'ann';")
    assert header["header"]["schema"] == (
        "`CUSTOMER` STRING KEY, `WINDOWSTART` BIGINT KEY, `WINDOWEND` BIGINT KEY, `N` BIGINT"
    )
    assert [r["row"]["columns"] for r in rows] == [["ann", 1000, 2000, 2], ["ann", 2000, 3000, 1]]


def test_push_query_over_an_aggregate_sees_each_update(ksql: Any, http: httpx.Client) -> None:
    ksql(ORDERS)
    _insert(ksql, [(1, "ann", 5, 1000), (2, "ann", 6, 2000)])
    response = http.post(
        "/query-stream",
        json={
            "sql": "SELECT CUSTOMER, COUNT(*) AS N FROM ORDERS GROUP BY CUSTOMER "
            "EMIT CHANGES LIMIT 2;",
            "properties": {"auto.offset.reset": "earliest"},
        },
    )
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines[1:] == [["ann", 1], ["ann", 2]]


def test_queries_block_drops_until_terminated(ksql: Any, http: httpx.Client) -> None:
    ksql(ORDERS)
    (created,) = ksql("CREATE STREAM COPY AS SELECT * FROM ORDERS;")
    query_id = created["commandStatus"]["queryId"]
    (queries,) = ksql("SHOW QUERIES;")
    assert [(q["id"], q["queryType"], q["sinks"]) for q in queries["queries"]] == [
        (query_id, "PERSISTENT", ["COPY"])
    ]
    refused = http.post("/ksql", json={"ksql": "DROP STREAM ORDERS;"})
    assert refused.status_code == 400
    assert f"The following queries read from this source: [{query_id}]" in refused.json()["message"]
    (stopped,) = ksql(f"TERMINATE {query_id};")
    assert stopped["commandStatus"]["message"] == "Query terminated."
    ksql("DROP STREAM COPY; DROP STREAM ORDERS;")
    assert ksql("SHOW STREAMS;")[0]["streams"] == []


def test_aggregating_into_a_stream_is_refused_with_the_reason(
    ksql: Any, http: httpx.Client
) -> None:
    ksql(ORDERS)
    response = http.post(
        "/ksql",
        json={
            "ksql": "CREATE STREAM X AS SELECT CUSTOMER, COUNT(*) FROM ORDERS GROUP BY CUSTOMER;"
        },
    )
    assert response.status_code == 400
    assert "Please use CREATE TABLE AS SELECT" in response.json()["message"]


def test_stream_table_join_enriches_each_order(ksql: Any, http: httpx.Client) -> None:
    ksql(ORDERS)
    ksql(
        # co-partitioned with ORDERS, as ksqlDB requires of a join's inputs
        "CREATE TABLE CUSTOMERS (NAME STRING PRIMARY KEY, CITY STRING) "
        "WITH (KAFKA_TOPIC='customers', FORMAT='JSON', PARTITIONS=2);"
        "INSERT INTO CUSTOMERS (NAME, CITY) VALUES ('ann', 'Oslo');"
    )
    ksql(
        "CREATE STREAM ENRICHED AS SELECT O.CUSTOMER, O.AMOUNT, C.CITY FROM ORDERS O "
        "LEFT JOIN CUSTOMERS C ON O.CUSTOMER = C.NAME;"
    )
    _insert(ksql, [(1, "ann", 5, 1000), (2, "bob", 7, 2000)])
    response = http.post("/query-stream", json={"sql": "SELECT * FROM ENRICHED;"})
    header, *rows = [json.loads(line) for line in response.text.splitlines()]
    assert header["columnNames"] == ["CUSTOMER", "AMOUNT", "CITY"]
    assert sorted(rows, key=str) == [["ann", 5, "Oslo"], ["bob", 7, None]]


def test_table_table_join_is_a_queryable_table(ksql: Any, http: httpx.Client) -> None:
    ksql(
        "CREATE TABLE A (ID INT PRIMARY KEY, X STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='a', FORMAT='JSON');"
        "CREATE TABLE B (ID INT PRIMARY KEY, Y STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='b', FORMAT='JSON');"
        "CREATE TABLE AB AS SELECT A.ID, X, Y FROM A JOIN B ON A.ID = B.ID;"
        "INSERT INTO A (ID, X) VALUES (1, 'a1'); INSERT INTO B (ID, Y) VALUES (1, 'b1');"
        "INSERT INTO A (ID, X) VALUES (2, 'a2');"
    )
    header, *rows = _pull(http, "SELECT * FROM AB;")
    assert header["header"]["schema"] == "`A_ID` INTEGER KEY, `X` STRING, `Y` STRING"
    assert [r["row"]["columns"] for r in rows] == [[1, "a1", "b1"]]
