"""The engine raises engine errors only; wire.py turns them into ksqlDB's HTTP answers."""

from __future__ import annotations

import pytest

from ksqlpy.local.engine import Engine
from ksqlpy.local.engine.errors import EngineError, KsqlStatementError
from ksqlpy.local.engine.persistent import PersistentQuery
from ksqlpy.local.storage import Log, MemoryLog
from ksqlpy.local.wire import KsqlHttpError, http_error_of


@pytest.fixture
def engine() -> Engine:
    return Engine(MemoryLog())


def test_a_refused_statement_carries_its_text_and_code(engine: Engine) -> None:
    sql = "DROP STREAM NOPE;"
    with pytest.raises(KsqlStatementError) as caught:
        engine.execute(sql, {}, {})
    assert caught.value.statement_text == sql
    assert caught.value.code == 40001
    answer = http_error_of(caught.value)
    assert answer.status == 400
    assert answer.body == {
        "@type": "statement_error",
        "error_code": 40001,
        "message": "Stream NOPE does not exist.",
        "statementText": sql,
        "entities": [],
    }


def test_a_select_sent_to_ksql_is_40002(engine: Engine) -> None:
    with pytest.raises(EngineError) as caught:
        engine.execute("SELECT * FROM X;", {}, {})
    assert caught.value.code == 40002
    assert http_error_of(caught.value).status == 400


def test_a_syntax_error_names_line_and_column(engine: Engine) -> None:
    with pytest.raises(EngineError) as caught:
        engine.execute("CREATE STREM S;", {}, {})
    assert caught.value.message.startswith("line 1:")
    assert caught.value.statement_text == "CREATE STREM S;"


def test_request_level_errors_have_no_statement_and_a_generic_body(engine: Engine) -> None:
    with pytest.raises(EngineError) as caught:
        engine.close_query("nope")
    answer = http_error_of(caught.value)
    assert answer.status == 400
    assert answer.body == {
        "@type": "generic_error",
        "error_code": 40000,
        "message": "No query with id nope",
    }
    with pytest.raises(EngineError, match="prohibited by the KSQL server denylist"):
        engine.is_valid_property("ksql.service.id")


def test_an_http_error_passes_through_unchanged() -> None:
    error = KsqlHttpError(401, {"message": "Unauthorized"})
    assert http_error_of(error) is error


def test_an_unexpected_error_in_a_query_stops_that_query_not_the_engine(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.execute(
        "CREATE STREAM S (K INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');",
        {},
        {},
    )
    engine.execute("CREATE STREAM A AS SELECT * FROM S;", {}, {})
    engine.execute("CREATE STREAM B AS SELECT * FROM S;", {}, {})
    broken = next(q for q in engine.persistent.values() if q.sink.name == "A")
    original = type(broken).pump

    def pump(query: PersistentQuery, log: Log) -> int:
        if query is broken and query.state == "RUNNING":  # a stopped query is not pumped
            raise IndexError("a fault of the engine's own")
        return original(query, log)

    monkeypatch.setattr(type(broken), "pump", pump)
    engine.execute("INSERT INTO S (K, V) VALUES (1, 2);", {}, {})  # answered, not a 500
    assert broken.state == "ERROR"
    [error] = engine.query_errors[broken.query_id]
    assert "IndexError" in error.message
    assert error.kind == "UNKNOWN"  # not the user's: ksqlDB's classifier finds no cause
    healthy = next(q for q in engine.persistent.values() if q.sink.name == "B")
    assert healthy.state == "RUNNING"
    assert len(engine.log.read("B", 0, 0, 10)) == 1
