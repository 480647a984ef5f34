"""Preparing statements: substitution, client-side kinds, INSERT VALUES literals, refusals."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ksqlpy._errors import MigrationFileError
from ksqlpy.migrations.files import MigrationFile, RawStatement, split_statements
from ksqlpy.migrations.runner import plan_file
from ksqlpy.migrations.statements import (
    Define,
    InsertValues,
    Send,
    SetProperty,
    Undefine,
    UnsetProperty,
    prepare,
)
from ksqlpy.sql import StatementKind


def _prepare(sql: str, variables: dict[str, str] | None = None) -> object:
    [raw] = split_statements(sql)
    return prepare(raw, variables or {}, "V000001__x.sql")


def test_variables_and_properties_stay_on_the_client() -> None:
    define = _prepare("DEFINE topic = 'orders';")
    assert isinstance(define, Define)
    assert (define.name, define.value) == ("topic", "orders")
    assert isinstance(_prepare("UNDEFINE topic;"), Undefine)
    setting = _prepare("SET 'auto.offset.reset' = 'earliest';")
    assert isinstance(setting, SetProperty)
    assert (setting.name, setting.value) == ("auto.offset.reset", "earliest")
    assert isinstance(_prepare("UNSET 'auto.offset.reset';"), UnsetProperty)


def test_substitution_happens_before_anything_is_sent() -> None:
    action = _prepare(
        "CREATE STREAM ${name} (id INT KEY) WITH (kafka_topic='${name}_t');", {"NAME": "orders"}
    )
    assert isinstance(action, Send)
    assert action.sql == "CREATE STREAM orders (id INT KEY) WITH (kafka_topic='orders_t');"
    assert action.kind is StatementKind.CREATE_SOURCE
    with pytest.raises(MigrationFileError, match=r"V000001__x\.sql, line 1: undefined variable"):
        _prepare("DROP STREAM ${nope};")


def test_insert_values_become_one_row_of_typed_literals() -> None:
    action = _prepare(
        "INSERT INTO `Mixed` (id, `lower`, d, big, dbl, flag, gone, arr, m, s) VALUES "
        "(-1, 'it''s', 1.50, 12345678901, 2.5E1, TRUE, NULL, ARRAY[1, 2], MAP('k' := 1), "
        "STRUCT(f := 'x'));"
    )
    assert isinstance(action, InsertValues)
    assert action.target == "Mixed"
    assert action.columns == ("ID", "lower", "D", "BIG", "DBL", "FLAG", "GONE", "ARR", "M", "S")
    assert action.values == (
        -1,
        "it's",
        Decimal("1.50"),
        12345678901,
        25.0,
        True,
        None,
        [1, 2],
        {"k": 1},
        {"F": "x"},
    )
    assert isinstance(action.values[2], Decimal)
    assert isinstance(action.values[4], float)
    plain = _prepare("insert into users values (1, 'a');")
    assert isinstance(plain, InsertValues)
    assert (plain.target, plain.columns) == ("USERS", ())


def test_insert_values_refuses_what_ksql_migrations_cannot_send() -> None:
    with pytest.raises(MigrationFileError, match="literals only"):
        _prepare("INSERT INTO t (a) VALUES (CAST(1 AS BIGINT));")
    with pytest.raises(MigrationFileError, match=r"Columns: 2\. Values: 1"):
        _prepare("INSERT INTO t (a, b) VALUES (1);")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM t;",
        "select * from t emit changes;",
        "DESCRIBE t;",
        "SHOW STREAMS;",
        "LIST TOPICS;",
        "EXPLAIN q;",
        "PRINT 't';",
        "RUN SCRIPT 'x.sql';",
    ],
)
def test_statements_ksql_migrations_refuses_are_refused_before_sending(sql: str) -> None:
    with pytest.raises(MigrationFileError, match="not allowed in a migration"):
        _prepare(sql)


def test_statements_our_parser_cannot_read_still_go_to_the_server() -> None:
    # The server is the judge of plain statements; only client-side kinds need our parse.
    raw = RawStatement("CREATE SINK CONNECTOR IF NOT EXISTS c WITH ('x' = 'y') EXTRA;", 1)
    action = prepare(raw, {}, "f")
    assert isinstance(action, Send)
    with pytest.raises(MigrationFileError, match="line 4"):
        prepare(RawStatement("INSERT INTO t (a) VALUES (1), (2);", 4), {}, "f")


def test_plan_file_scopes_variables_per_file(tmp_path: Path) -> None:
    path = tmp_path / "V000001__x.sql"
    path.write_text(
        "DEFINE a = 'one';\nCREATE STREAM ${a} (id INT KEY) WITH (kafka_topic='${b}');\n"
        "UNDEFINE a;\nDROP STREAM ${A};\n"
    )
    migration = MigrationFile(1, "x", path)
    with pytest.raises(MigrationFileError, match="line 4: undefined variable 'A'"):
        plan_file(migration, {"b": "t"})
    path.write_text(
        "DEFINE a = 'one';\nCREATE STREAM ${a} (id INT KEY) WITH (kafka_topic='${b}');\n"
    )
    planned = plan_file(migration, {"b": "t"})
    assert planned.actions[1].sql == "CREATE STREAM one (id INT KEY) WITH (kafka_topic='t');"
    assert len(planned.checksum) == 32


def test_literals_take_the_numeric_kind_of_their_column() -> None:
    from ksqlpy import parse_type
    from ksqlpy.migrations.statements import coerce

    assert coerce(Decimal("12.5"), parse_type("DOUBLE")) == 12.5
    assert isinstance(coerce(3, parse_type("DOUBLE")), float)
    assert coerce(2.5, parse_type("DECIMAL(4, 2)")) == Decimal("2.5")
    assert coerce([1, Decimal("2.5")], parse_type("ARRAY<DOUBLE>")) == [1.0, 2.5]
    assert coerce({"k": 1}, parse_type("MAP<STRING, DOUBLE>")) == {"k": 1.0}
    assert coerce({"F": 1, "G": "x"}, parse_type("STRUCT<f DOUBLE, g STRING>")) == {
        "F": 1.0,
        "G": "x",
    }
    assert coerce(None, parse_type("DOUBLE")) is None
    assert coerce("text", parse_type("DOUBLE")) == "text"  # the server says what is wrong
