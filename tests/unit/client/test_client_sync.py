"""``Client`` against a scripted ksqlDB (``httpx.MockTransport``): what a user sees."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fake_ksqldb import COMMAND, HEADER, FakeKsqlDB, Stream, row_line

from ksqlpy import (
    Client,
    ClientClosedError,
    CommandResult,
    InsertError,
    KsqlError,
    KsqlServerError,
    KsqlStatementError,
    KsqlSyntaxError,
    ProtocolError,
    ResultTooLargeError,
    ServerUnavailableError,
    SourceInfo,
)

QID = HEADER["queryId"]


def _client(
    fake: FakeKsqlDB, url: str | list[str] = "http://ksqldb:8088", **options: Any
) -> Client:
    options.setdefault("backoff", 0)
    return Client(url, transport=httpx.MockTransport(fake.handle), **options)


def test_execute_statement_returns_the_command_and_sends_credentials() -> None:
    fake = FakeKsqlDB()
    with _client(fake, auth=("user", "secret")) as client:
        result = client.execute_statement("CREATE STREAM PV (ID INT KEY) WITH (KAFKA_TOPIC='pv');")
        assert isinstance(result, CommandResult)
        assert result.status == "SUCCESS"
        assert result.command_sequence_number == 2
        client.execute_statement("DROP STREAM PV;", {"ksql.streams.x": 1})
    first, second = fake.bodies
    assert first["ksql"].startswith("CREATE STREAM PV")
    assert "commandSequenceNumber" not in first
    assert second["commandSequenceNumber"] == 2, "later statements wait for earlier commands"
    assert second["streamsProperties"] == {"ksql.streams.x": 1}
    assert all(r.headers["authorization"] == "Basic dXNlcjpzZWNyZXQ=" for r in fake.requests)


def test_statement_errors_keep_the_server_fields() -> None:
    body = {
        "@type": "statement_error",
        "error_code": 40001,
        "message": "Stream PV does not exist.",
        "statementText": "DROP STREAM PV;",
        "entities": [],
    }
    fake = FakeKsqlDB(ksql=lambda b: httpx.Response(400, json=body))
    with _client(fake) as client, pytest.raises(KsqlStatementError) as caught:
        client.execute_statement("DROP STREAM PV;")
    error = caught.value
    assert (error.error_code, error.http_status, error.statement_text) == (
        40001,
        400,
        "DROP STREAM PV;",
    )
    assert error.message == "Stream PV does not exist."
    assert "POST /ksql at http://ksqldb:8088" in str(error)


def test_a_push_query_has_metadata_before_any_row_and_typed_rows() -> None:
    fake = FakeKsqlDB()
    with _client(fake) as client, client.stream_query("SELECT * FROM PV EMIT CHANGES;") as query:
        assert query.query_id == QID
        assert query.columns == ("ID", "AMOUNT", "TS")
        assert str(query.column_types[1].type) == "DECIMAL(10, 2)"
        row = next(query)
        assert row == (0, Decimal("0.25"), datetime(2024, 1, 2, 10, tzinfo=UTC))
        assert row["AMOUNT"] == Decimal("0.25")  # type: ignore[call-overload]
    assert fake.bodies[0] == {"sql": "SELECT * FROM PV EMIT CHANGES;", "properties": {}}
    assert fake.requests[0].headers["accept"] == "application/vnd.ksqlapi.delimited.v1"


def test_leaving_the_block_mid_stream_closes_the_query_on_the_server() -> None:
    fake = FakeKsqlDB()
    with _client(fake) as client:
        with client.stream_query("SELECT * FROM PV EMIT CHANGES;") as query:
            rows = [row for _, row in zip(range(5), query, strict=False)]
        assert len(rows) == 5
        assert fake.paths()[-1] == "/close-query"
        assert fake.bodies[-1] == {"queryId": QID}
        assert fake.open_queries == {}
        query.close()  # a second close does nothing
        assert fake.paths().count("/close-query") == 1
        assert query.closed
        with pytest.raises(ClientClosedError, match="is closed"):
            next(query)


def test_a_finished_query_needs_no_close_query() -> None:
    fake = FakeKsqlDB()
    with _client(fake) as client:
        with client.stream_query("SELECT * FROM PV LIMIT 2;") as query:
            assert [r[0] for r in query] == [0, 1]
            assert query.finished
        assert "/close-query" not in fake.paths()


def test_closing_the_client_stops_its_open_queries() -> None:
    fake = FakeKsqlDB()
    client = _client(fake)
    query = client.stream_query("SELECT * FROM PV EMIT CHANGES;")
    client.close()
    client.close()
    assert query.closed
    assert fake.paths().count("/close-query") == 1
    with pytest.raises(ClientClosedError, match="client is closed"):
        client.list_streams()
    with pytest.raises(ClientClosedError):
        client.__enter__()


def test_a_server_that_dies_mid_stream_gives_a_clear_error_after_the_rows_it_sent() -> None:
    data = json.dumps(HEADER).encode() + b"\n" + row_line(0) + row_line(1)
    broken = httpx.RemoteProtocolError("peer closed connection without sending complete message")
    fake = FakeKsqlDB(query=lambda b: httpx.Response(200, stream=Stream([data], fail=broken)))
    rows: list[Any] = []
    with (
        _client(fake) as client,
        client.stream_query("SELECT * FROM PV EMIT CHANGES;") as query,
        pytest.raises(ServerUnavailableError, match=r"connection to ksqlDB at .* broke"),
    ):
        rows.extend(query)
    assert [r[0] for r in rows] == [0, 1]


def test_an_error_inside_the_stream_is_raised_after_the_rows() -> None:
    data = (
        json.dumps(HEADER).encode()
        + b"\n"
        + row_line(0)
        + b'{"@type":"generic_error","error_code":50000,"message":"KsqlException: boom"}\n'
    )
    fake = FakeKsqlDB(query=lambda b: httpx.Response(200, stream=Stream([data])))
    with _client(fake) as client, client.stream_query("SELECT * FROM PV;") as query:
        assert next(query)[0] == 0
        with pytest.raises(KsqlError, match="boom") as caught:
            next(query)
    assert getattr(caught.value, "error_code", None) == 50000


def test_a_rejected_query_raises_before_any_stream() -> None:
    body = {
        "@type": "statement_error",
        "error_code": 40001,
        "message": "PV does not exist.",
        "statementText": "SELECT * FROM PV;",
        "entities": [],
    }
    fake = FakeKsqlDB(query=lambda b: httpx.Response(400, json=body))
    with _client(fake) as client, pytest.raises(KsqlStatementError, match="PV does not exist"):
        client.stream_query("SELECT * FROM PV;")


def test_execute_query_collects_rows_and_caps_them() -> None:
    fake = FakeKsqlDB()
    with _client(fake) as client:
        result = client.execute_query("SELECT * FROM PV;")
        assert len(result) == 2
        assert result.query_id == QID
        assert result.columns == ("ID", "AMOUNT", "TS")
        assert result[1]["ID"] == 1
        with pytest.raises(ResultTooLargeError, match="max_rows=10"):
            client.execute_query("SELECT * FROM PV EMIT CHANGES;", max_rows=10)
        assert fake.paths()[-1] == "/close-query"


def test_poll_waits_at_most_its_timeout() -> None:
    fake = FakeKsqlDB()
    fake.query = lambda b: fake.push(rows=1, interval=0.6)
    with _client(fake) as client, client.stream_query("SELECT * FROM PV EMIT CHANGES;") as query:
        first = query.poll(timeout=5)
        assert first is not None
        assert first[0] == 0
        started = time.monotonic()
        assert query.poll(timeout=0.2) is None
        assert time.monotonic() - started < 2
        assert not query.finished
        with pytest.raises(KsqlError, match="either iteration or poll"):
            iter(query)
    assert fake.paths()[-1] == "/close-query"


def test_raw_mode_and_the_streamed_row_format() -> None:
    fake = FakeKsqlDB()
    with _client(fake) as client:
        raw = client.execute_query("SELECT * FROM PV;", raw=True)
        assert raw.rows[0] == [0, 0.25, "2024-01-02T10:00:00.000"]
    v1 = (
        b'[{"header":{"queryId":"query_1","schema":"`ID` INTEGER KEY, `V` STRING"}},\n'
        b'{"row":{"columns":[1,"a"]}}]'
    )
    fake = FakeKsqlDB(query=lambda b: httpx.Response(200, stream=Stream([v1])))
    with _client(fake) as client, client.stream_query("SELECT * FROM T;", format="json") as q:
        assert list(q) == [(1, "a")]
        assert q.column_types[0].key
        assert q.final_message is None  # a pull query's array has none
    done = v1.replace(b"]}}]", b']}},\n{"finalMessage":"Query Completed"}]')
    fake = FakeKsqlDB(query=lambda b: httpx.Response(200, stream=Stream([done])))
    with _client(fake) as client, client.stream_query("SELECT * FROM S;", format="json") as q:
        assert list(q) == [(1, "a")]
        assert q.final_message == "Query Completed"
    assert fake.requests[0].headers["accept"] == "application/vnd.ksql.v1+json"


def test_session_variables_go_with_statements_and_queries() -> None:
    fake = FakeKsqlDB()
    with _client(fake) as client:
        client.define("topic", "pv")
        assert client.variables() == {"topic": "pv"}
        client.execute_statement("CREATE STREAM S WITH (KAFKA_TOPIC='${topic}');")
        client.execute_query("SELECT * FROM S;")
        client.undefine("topic")
        client.undefine("topic")
        client.execute_statement("SHOW STREAMS;")
        with pytest.raises(KsqlError, match="variable name"):
            client.define("not valid", 1)
    assert fake.bodies[0]["sessionVariables"] == {"topic": "pv"}
    assert fake.bodies[1]["sessionVariables"] == {"topic": "pv"}
    assert "sessionVariables" not in fake.bodies[2]


def test_default_properties_merge_with_per_call_properties() -> None:
    fake = FakeKsqlDB()
    with _client(fake, properties={"auto.offset.reset": "earliest"}) as client:
        client.execute_query("SELECT * FROM S;", {"x": 1})
    assert fake.bodies[0]["properties"] == {"auto.offset.reset": "earliest", "x": 1}


def test_inserts_stream_rows_lazily_in_batches_and_count_acks() -> None:
    fake = FakeKsqlDB()
    consumed = []

    def rows() -> Any:
        for i in range(5):
            consumed.append(i)
            yield {"ID": i, "AMOUNT": Decimal("1.10"), "TS": datetime(2024, 1, 2)}

    with _client(fake, bearer_token="tok") as client:
        result = client.stream_inserts("PV", rows(), batch_size=2)
        client.insert_into("PV", {"ID": 9})
    assert (result.rows, result.requests) == (5, 3)
    assert fake.bodies[0] == [
        {"target": "PV"},
        {"ID": 0, "AMOUNT": "1.10", "TS": "2024-01-02T00:00:00.000"},
        {"ID": 1, "AMOUNT": "1.10", "TS": "2024-01-02T00:00:00.000"},
    ]
    assert fake.bodies[3] == [{"target": "PV"}, {"ID": 9}]
    assert all(r.headers["authorization"] == "Bearer tok" for r in fake.requests)


def test_a_refused_row_names_itself_and_stops_the_inserts() -> None:
    def refuse_third(lines: list[dict[str, Any]]) -> httpx.Response:
        acks = b'{"seq":0,"status":"ok"}\n{"seq":1,"status":"ok"}\n'
        acks += (
            b'{"@type":"InsertError","error_code":40000,"message":"Key field must be specified: '
            b'ID","status":"error","seq":2}\n'
        )
        return httpx.Response(200, stream=Stream([acks]))

    fake = FakeKsqlDB(inserts=refuse_third)
    rows: list[dict[str, Any]] = [{"ID": 1}, {"ID": 2}, {"V": "no key"}, {"ID": 4}]
    with _client(fake) as client, pytest.raises(InsertError) as caught:
        client.stream_inserts("PV", rows, batch_size=10)
    assert (caught.value.seq, caught.value.row, caught.value.acknowledged) == (
        2,
        {"V": "no key"},
        2,
    )


def test_rows_without_acks_are_reported_not_dropped() -> None:
    fake = FakeKsqlDB(
        inserts=lambda lines: httpx.Response(200, stream=Stream([b'{"seq":0,"status":"ok"}\n']))
    )
    with _client(fake) as client, pytest.raises(ProtocolError, match="1 of 3 rows"):
        client.stream_inserts("PV", [{"ID": 1}, {"ID": 2}, {"ID": 3}])


def test_an_unknown_insert_target_is_a_statement_error() -> None:
    body = {
        "@type": "statement_error",
        "error_code": 40001,
        "message": "Cannot insert values into an unknown stream/table: `NOPE`",
        "statementText": "",
        "entities": [],
    }
    fake = FakeKsqlDB(inserts=lambda lines: httpx.Response(400, json=body))
    with _client(fake) as client, pytest.raises(KsqlStatementError, match="unknown stream"):
        client.insert_into("NOPE", {"ID": 1})


def test_admin_helpers_send_the_statements_and_unwrap_the_entities() -> None:
    streams = {
        "@type": "streams",
        "statementText": "LIST STREAMS;",
        "streams": [
            {
                "type": "STREAM",
                "name": "PV",
                "topic": "pv",
                "keyFormat": "KAFKA",
                "valueFormat": "JSON",
                "isWindowed": False,
            }
        ],
        "warnings": [],
    }
    fake = FakeKsqlDB(ksql=lambda b: httpx.Response(200, json=[streams]))
    with _client(fake) as client:
        assert client.list_streams() == (SourceInfo("PV", "STREAM", "pv", "KAFKA", "JSON", False),)
        with pytest.raises(ProtocolError, match="without the expected TopicList"):
            client.list_topics()
        client.create_connector("c", {"connector.class": "x.Y", "q": "it's"}, if_not_exists=True)
        client.drop_connector("c", if_exists=True)
        client.terminate("CSAS_X_1")
    sent = [b["ksql"] for b in fake.bodies]
    assert sent == [
        "LIST STREAMS;",
        "LIST TOPICS;",
        "CREATE SOURCE CONNECTOR IF NOT EXISTS c WITH ('connector.class'='x.Y', 'q'='it''s');",
        "DROP CONNECTOR IF EXISTS c;",
        "TERMINATE CSAS_X_1;",
    ]


def test_terminate_push_query_posts_close_query() -> None:
    fake = FakeKsqlDB()
    with _client(fake) as client:
        query = client.stream_query("SELECT * FROM PV EMIT CHANGES;")
        client.terminate_push_query(QID)
        rows = list(query)  # the stream ends once the server closed the query
        assert len(rows) >= 3
        assert query.finished
        query.close()
    assert fake.paths().count("/close-query") == 1


def test_execute_script_runs_in_order_and_stops_at_the_first_error() -> None:
    def answer(body: dict[str, Any]) -> httpx.Response:
        if body["ksql"].startswith("DROP"):
            return httpx.Response(
                400,
                json={
                    "@type": "statement_error",
                    "error_code": 40001,
                    "message": "Stream NOPE does not exist.",
                    "statementText": body["ksql"],
                    "entities": [],
                },
            )
        return httpx.Response(200, json=[COMMAND])

    fake = FakeKsqlDB(ksql=answer)
    script = (
        "SET 'auto.offset.reset' = 'earliest';\n"
        "DEFINE topic = 'pv';\n"
        "CREATE STREAM PV (ID INT KEY) WITH (KAFKA_TOPIC='${topic}');\n"
        "-- a comment; with a semicolon\n"
        "DROP STREAM NOPE;\n"
        "CREATE STREAM NEVER (ID INT KEY) WITH (KAFKA_TOPIC='never');\n"
    )
    with _client(fake) as client, pytest.raises(KsqlStatementError) as caught:
        client.execute_script(script)
    error = caught.value
    assert (error.line, error.column) == (5, 1)
    assert error.statement_text == "DROP STREAM NOPE;"
    assert len(error.entities) == 1
    assert "statement 4 of the script (line 5, column 1) failed" in str(error)
    assert [b["ksql"] for b in fake.bodies] == [
        "CREATE STREAM PV (ID INT KEY) WITH (KAFKA_TOPIC='${topic}');",
        "DROP STREAM NOPE;",
    ]
    assert fake.bodies[0]["streamsProperties"] == {"auto.offset.reset": "earliest"}
    assert fake.bodies[0]["sessionVariables"] == {"topic": "pv"}
    assert client.variables() == {}, "a script's DEFINE does not leak into the client"


def test_set_and_define_statements_change_the_client_session() -> None:
    fake = FakeKsqlDB()
    with _client(fake) as client:
        assert client.execute_statement("SET 'auto.offset.reset' = 'earliest';") is None
        assert client.execute_statement("DEFINE who = 'me';") is None
        client.execute_query("SELECT * FROM PV;")
        client.execute_statement("UNSET 'auto.offset.reset';")
        client.execute_statement("UNDEFINE who;")
        client.execute_query("SELECT * FROM PV;")
    assert fake.paths() == ["/query-stream", "/query-stream"], "nothing was sent for them"
    assert fake.bodies[0]["properties"] == {"auto.offset.reset": "earliest"}
    assert fake.bodies[0]["sessionVariables"] == {"who": "me"}
    assert fake.bodies[1]["properties"] == {}
    assert "sessionVariables" not in fake.bodies[1]


def test_session_statements_are_read_as_the_shell_reads_them() -> None:
    fake = FakeKsqlDB()
    with _client(fake) as client:
        assert client.execute_statement("-- note\nset 'a''b' = 'it''s'") is None
        with pytest.raises(KsqlSyntaxError, match="line 1"):
            client.execute_statement("DEFINE who = me;")
        client.execute_query("SELECT * FROM PV;")
    assert fake.paths() == ["/query-stream"]
    assert fake.bodies[0]["properties"] == {"a'b": "it's"}
    assert "sessionVariables" not in fake.bodies[0]


def test_to_pandas_builds_a_frame_or_says_how_to_get_pandas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys
    import types

    fake = FakeKsqlDB()
    with _client(fake) as client:
        result = client.execute_query("SELECT * FROM PV;")
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(KsqlError, match="pip install pandas"):
        result.to_pandas()
    calls: list[tuple[Any, Any]] = []

    def from_records(records: Any, columns: Any) -> str:
        calls.append((records, columns))
        return "frame"

    pandas = types.ModuleType("pandas")
    pandas.DataFrame = types.SimpleNamespace(from_records=from_records)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pandas", pandas)
    assert result.to_pandas() == "frame"
    records, columns = calls[0]
    assert columns == ["ID", "AMOUNT", "TS"]
    assert records[1][:2] == (1, Decimal("1.25"))


def test_assertions_send_ksqldb_syntax_and_fail_with_41700() -> None:
    def answer(body: dict[str, Any]) -> httpx.Response:
        if "NOT EXISTS" in body["ksql"]:
            return httpx.Response(
                417,
                json={
                    "@type": "generic_error",
                    "error_code": 41700,
                    "message": "Topic pv exists",
                },
            )
        if "SCHEMA" in body["ksql"]:
            entity = {"@type": "assert_schema", "subject": "s", "id": 3, "exists": True}
        else:
            entity = {"@type": "assert_topic", "topicName": "pv", "exists": True}
        return httpx.Response(200, json=[{**entity, "statementText": body["ksql"], "warnings": []}])

    fake = FakeKsqlDB(ksql=answer)
    with _client(fake) as client:
        assert client.assert_topic("pv", timeout=5).exists
        assert client.assert_schema(subject="s", id=3).id == 3
        with pytest.raises(KsqlServerError) as caught:
            client.assert_topic("pv", exists=False)
        assert caught.value.error_code == 41700
        with pytest.raises(KsqlError, match="needs subject= or id="):
            client.assert_schema()
    assert [b["ksql"] for b in fake.bodies] == [
        "ASSERT TOPIC pv TIMEOUT 5 SECONDS;",
        "ASSERT SCHEMA SUBJECT 's' ID 3;",
        "ASSERT NOT EXISTS TOPIC pv;",
    ]


def test_a_running_query_dropped_without_close_warns_like_an_unclosed_file() -> None:
    import gc

    fake = FakeKsqlDB()
    with _client(fake) as client:
        held = [client.stream_query("SELECT * FROM PV EMIT CHANGES;")]
        with pytest.warns(ResourceWarning, match=f"query {QID} was never closed"):
            held.clear()  # the last reference: CPython finalizes it here
        finished = client.stream_query("SELECT * FROM PV LIMIT 2;")
        list(finished)
        del finished  # it ended on its own: nothing to say
        gc.collect()
