"""Push and pull queries: framings byte by byte, live delivery, closing, tables."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from typing import Any

import httpx
import pytest

from ksqlpy.local import LocalServer

PV = (
    "CREATE STREAM PV (ID INT KEY, NAME STRING, PRICE DECIMAL(4, 2), TS TIMESTAMP, B BYTES) "
    "WITH (PARTITIONS=1, KAFKA_TOPIC='pv', VALUE_FORMAT='JSON');"
)
EARLIEST = {"auto.offset.reset": "earliest"}
# What ksqlDB answers a request with no preference; httpx sends */*, which gets delimited rows.
V1_JSON = {"Accept": "application/vnd.ksql.v1+json"}


def _fill(ksql: Any) -> None:
    ksql(PV)
    ksql(
        "INSERT INTO PV (ID, NAME, PRICE, TS) VALUES (1, 'alice', 1.5, '2024-01-02T10:00:00');"
        "INSERT INTO PV (ID, NAME) VALUES (2, 'bob');"
    )


def test_query_endpoint_frames_a_limited_push_query_exactly(ksql: Any, http: httpx.Client) -> None:
    _fill(ksql)
    response = http.post(
        "/query",
        json={
            "ksql": "SELECT ID, NAME FROM PV EMIT CHANGES LIMIT 2;",
            "streamsProperties": EARLIEST,
        },
        headers=V1_JSON,
    )
    assert response.headers["content-type"] == "application/vnd.ksql.v1+json"
    text = response.text
    query_id = json.loads(text.split("\n")[0][1:-1])["header"]["queryId"]
    assert query_id.startswith("transient_PV_")
    assert text == (
        f'[{{"header":{{"queryId":"{query_id}","schema":"`ID` INTEGER, `NAME` STRING"}}}},\n'
        '{"row":{"columns":[1,"alice"]}},\n'
        '{"row":{"columns":[2,"bob"]}},\n'
        '{"finalMessage":"Limit Reached"}]'
    )


def test_query_stream_encodes_decimal_timestamp_and_nulls_like_ksqldb(
    ksql: Any, http: httpx.Client
) -> None:
    _fill(ksql)
    response = http.post("/query-stream", json={"sql": "SELECT ID, PRICE, TS FROM PV;"})
    assert response.headers["content-type"] == "application/vnd.ksqlapi.delimited.v1"
    header, first, second, end = response.text.split("\n")
    assert json.loads(header)["columnTypes"] == ["INTEGER", "DECIMAL(4, 2)", "TIMESTAMP"]
    assert first == '[1,1.50,"2024-01-02T10:00:00.000"]'
    assert second == "[2,null,null]"
    assert end == ""


def test_query_stream_json_accept_gives_one_array(ksql: Any, http: httpx.Client) -> None:
    _fill(ksql)
    response = http.post(
        "/query-stream",
        json={"sql": "SELECT NAME FROM PV WHERE ID = 2;"},
        headers={"Accept": "application/json"},
    )
    assert response.headers["content-type"] == "application/json"
    header, row = json.loads(response.text)
    assert header["columnNames"] == ["NAME"]
    assert row == ["bob"]


def test_expressions_where_and_functions(ksql: Any, http: httpx.Client) -> None:
    _fill(ksql)
    response = http.post(
        "/query-stream",
        json={
            "sql": "SELECT UCASE(NAME) AS U, ID * 10, "
            "CASE WHEN ID > 1 THEN 'many' ELSE 'one' END AS C, LEN(NAME) "
            "FROM PV WHERE NAME LIKE '%o%' OR PRICE IS NOT NULL;"
        },
    )
    header, *rows = [json.loads(line) for line in response.text.splitlines()]
    assert header["columnNames"] == ["U", "KSQL_COL_0", "C", "KSQL_COL_1"]
    assert header["columnTypes"] == ["STRING", "INTEGER", "STRING", "INTEGER"]
    assert rows == [["ALICE", 10, "one", 5], ["BOB", 20, "many", 3]]


def test_strings_compare_with_timestamps_and_rowtime_as_ksqldb_reads_them(
    ksql: Any, http: httpx.Client
) -> None:
    ksql(
        "CREATE STREAM T (ID INT KEY, TS TIMESTAMP, D DATE) WITH (PARTITIONS=1, KAFKA_TOPIC='t', "
        "VALUE_FORMAT='JSON');"
        "INSERT INTO T (ROWTIME, ID, TS, D) VALUES (1514764800001, 1, '1970-01-01T00:00:00.010', "
        "'2020-01-02');"
        "INSERT INTO T (ROWTIME, ID, TS, D) VALUES (1514764800000, 2, '1970-01-01T00:00:00.020', "
        "'2020-01-03');"
    )

    def ids(where: str) -> list[int]:
        response = http.post("/query-stream", json={"sql": f"SELECT ID FROM T WHERE {where};"})
        assert response.status_code == 200, response.text
        return [json.loads(line)[0] for line in response.text.splitlines()[1:]]

    assert ids("TS = '1970-01-01T00:00:00.010'") == [1]
    assert ids("D > '2020-01-02'") == [2]
    assert ids("ROWTIME > '2018-01-01T00:00:00'") == [1]  # epoch millis read from the string
    assert ids("'2018-01-01T00:00:00.001+0000' <= ROWTIME") == [1]
    assert ids("ROWTIME BETWEEN '2017-12-31T23:59:59' AND '2018-01-01T00:00:00'") == [2]
    bad = http.post("/query-stream", json={"sql": "SELECT ID FROM T WHERE TS = 'soon';"})
    assert bad.status_code == 400
    assert "Failed to parse timestamp 'soon'" in bad.json()["message"]


def test_to_bytes_and_from_bytes_round_trip_in_each_encoding(ksql: Any, http: httpx.Client) -> None:
    ksql(
        "CREATE STREAM B (ID INT KEY, S STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='b', VALUE_FORMAT='JSON');"
        "INSERT INTO B (ID, S) VALUES (1, '4B53514C');"
    )
    sql = (
        "SELECT TO_BYTES(S, 'hex') AS RAW, FROM_BYTES(TO_BYTES(S, 'hex'), 'ascii') AS TEXT, "
        "FROM_BYTES(TO_BYTES(S, 'HEX'), 'base64') AS B64, TO_BYTES(LCASE(S), 'hex') AS LOWER, "
        "FROM_BYTES(TO_BYTES(S, 'utf8'), 'nope') AS UNKNOWN FROM B;"
    )
    response = http.post("/query-stream", json={"sql": sql})
    header, row = (json.loads(line) for line in response.text.splitlines())
    assert header["columnTypes"] == ["BYTES", "STRING", "STRING", "BYTES", "STRING"]
    # BYTES go out as base64; hex in any case, as ksqlDB's DatatypeConverter reads it (its
    # bytes-and-strings QTT case decodes '1aB2'); an unknown encoding fails the call: NULL.
    assert row == ["S1NRTA==", "KSQL", "S1NRTA==", "S1NRTA==", None]


def test_push_query_delivers_rows_inserted_later_and_close_query_ends_it(
    stream_lines: Any, ksql: Any, server: LocalServer, http: httpx.Client
) -> None:
    ksql(PV)
    lines: list[str] = []
    started = threading.Event()

    def reader() -> None:
        with (
            httpx.Client(base_url=server.url, timeout=10) as client,
            client.stream(
                "POST",
                "/query",
                json={"ksql": "SELECT ID, NAME FROM PV EMIT CHANGES;"},
                headers=V1_JSON,
            ) as response,
        ):
            for line in response.iter_lines():
                lines.append(line)
                started.set()

    thread = threading.Thread(target=reader)
    thread.start()
    assert started.wait(5), "the header arrives before any row"
    (queries,) = ksql("SHOW QUERIES;")
    (running,) = queries["queries"]
    assert running["queryType"] == "PUSH"
    ksql("INSERT INTO PV (ID, NAME) VALUES (7, 'late');")
    deadline = time.monotonic() + 5
    while len(lines) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    closed = http.post("/close-query", json={"queryId": running["id"]})
    assert closed.status_code == 200
    assert closed.text == ""
    thread.join(5)
    assert not thread.is_alive()
    elements = stream_lines("\n".join(lines))
    assert elements[1] == {"row": {"columns": [7, "late"]}}
    assert elements[-1] == {"finalMessage": "Query Completed"}
    (after,) = ksql("SHOW QUERIES;")
    assert after["queries"] == []


def test_close_query_with_unknown_id_is_a_400(ksql: Any, http: httpx.Client) -> None:
    response = http.post("/close-query", json={"queryId": "transient_X_1"})
    assert response.status_code == 400
    assert response.json() == {
        "@type": "generic_error",
        "error_code": 40000,
        "message": "No query with id transient_X_1",
    }


def test_client_disconnect_frees_the_push_query(
    ksql: Any, server: LocalServer, http: httpx.Client
) -> None:
    ksql(PV)
    with (
        httpx.Client(base_url=server.url, timeout=10) as client,
        client.stream(
            "POST", "/query-stream", json={"sql": "SELECT * FROM PV EMIT CHANGES;"}
        ) as response,
    ):
        lines = response.iter_lines()  # kept referenced: dropping it closes the response
        next(lines)
        assert ksql("SHOW QUERIES;")[0]["queries"]
    deadline = time.monotonic() + 5
    while ksql("SHOW QUERIES;")[0]["queries"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ksql("SHOW QUERIES;")[0]["queries"] == []


def test_a_client_leaving_a_query_of_stored_rows_stops_it_at_once(
    ksql: Any, server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    from ksqlpy import Client

    ksql(
        "CREATE STREAM BIG (ID INT KEY, NAME STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='big', FORMAT='JSON');"
    )
    with Client(server.url) as client:
        client.stream_inserts("BIG", ({"ID": i, "NAME": "x" * 50} for i in range(100_000)))
    host, port = server.url.split("//")[1].split(":")
    body = json.dumps({"sql": "SELECT * FROM BIG EMIT CHANGES;", "properties": EARLIEST})
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        with socket.create_connection((host, int(port))) as raw:
            raw.sendall(
                f"POST /query-stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
            )
            raw.recv(65536)  # the first rows; then the client goes
        deadline = time.monotonic() + 5
        while ksql("SHOW QUERIES;")[0]["queries"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ksql("SHOW QUERIES;")[0]["queries"] == []
    # Before the fix the server wrote the rest of the rows into the closed socket.
    assert not [r for r in caplog.records if "socket.send() raised" in r.getMessage()]


def test_pull_query_on_source_table_returns_latest_row_per_key_with_key_marked(
    ksql: Any,
    http: httpx.Client,
) -> None:
    ksql(
        "CREATE SOURCE TABLE USERS (ID INT PRIMARY KEY, NAME STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='users', FORMAT='JSON');",
    )
    # A SOURCE table is read-only (ksqlDB refuses INSERT VALUES): rows come through a stream
    # over the same topic.
    ksql(
        "CREATE STREAM USERS_IN (ID INT KEY, NAME STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='users', FORMAT='JSON');"
        "INSERT INTO USERS_IN (ID, NAME) VALUES (1, 'a');"
        "INSERT INTO USERS_IN (ID, NAME) VALUES (2, 'b');"
        "INSERT INTO USERS_IN (ID, NAME) VALUES (1, 'a2');",
    )
    response = http.post(
        "/query", json={"ksql": "SELECT * FROM USERS WHERE ID = 1;"}, headers=V1_JSON
    )
    elements = json.loads(response.text)  # buffered pull framing is valid JSON
    header, row = elements
    assert header["header"]["schema"] == "`ID` INTEGER KEY, `NAME` STRING"
    assert header["header"]["queryId"].startswith("query_")
    assert row == {"row": {"columns": [1, "a2"]}}


def test_pull_query_on_a_plain_table_says_it_is_not_queryable(
    ksql: Any, http: httpx.Client
) -> None:
    ksql(
        "CREATE TABLE T (ID INT PRIMARY KEY, V STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', FORMAT='JSON');"
    )
    response = http.post("/query-stream", json={"sql": "SELECT * FROM T;"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("The `T` table isn't queryable.")


def test_query_errors_before_the_stream_are_statement_errors(ksql: Any, http: httpx.Client) -> None:
    response = http.post("/query-stream", json={"sql": "SELECT * FROM NOPE EMIT CHANGES;"})
    assert response.status_code == 400
    body = response.json()
    assert body["@type"] == "statement_error"
    assert body["message"] == "NOPE does not exist."
    assert body["statementText"] == "SELECT * FROM NOPE EMIT CHANGES;"
    two = http.post("/query-stream", json={"sql": "SELECT 1 FROM A; SELECT 2 FROM B;"})
    assert two.json()["message"] == "Expected exactly one KSQL statement; found 2 instead"


def test_print_shows_a_topics_records_from_the_beginning(ksql: Any, http: httpx.Client) -> None:
    _fill(ksql)
    response = http.post("/query", json={"ksql": "PRINT 'pv' FROM BEGINNING LIMIT 2;"})
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert lines[0] == "Key format: KAFKA_INT"
    assert lines[1] == "Value format: JSON"
    assert lines[2].startswith("rowtime: ")
    assert lines[2].endswith(
        'key: 1, value: {"NAME":"alice","PRICE":1.5,"TS":1704189600000,"B":null}, partition: 0'
    )
    assert len(lines) == 4
    missing = http.post("/query", json={"ksql": "PRINT 'nope';"})
    assert missing.status_code == 400
    assert missing.json()["message"].startswith("Could not find topic 'nope'")


def test_a_stream_with_key_columns_only_shows_its_rows(ksql: Any, http: httpx.Client) -> None:
    ksql("CREATE STREAM K (ID INT KEY) WITH (PARTITIONS=1, KAFKA_TOPIC='k', VALUE_FORMAT='JSON');")
    ksql("INSERT INTO K (ID) VALUES (1); INSERT INTO K (ID) VALUES (2);")
    response = http.post("/query-stream", json={"sql": "SELECT * FROM K;"})
    assert sorted(response.text.splitlines()[1:]) == ["[1]", "[2]"]
