"""The ksqlDB sink's pure parts: ksqlDB column names, the CREATE STREAM, CLI checks, stopping."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ksqlpy._errors import DatagenSchemaError
from ksqlpy.datagen import RunOptions, create_stream_ddl, parse_schema, quickstart, run
from ksqlpy.datagen._generators import Context
from ksqlpy.datagen._ksqldb import key_column
from ksqlpy.datagen._schema import quote_name
from ksqlpy.datagen.cli import main


def test_ksql_names_upper_case_fields_key_timestamp_and_struct_types() -> None:
    orders = quickstart("orders").ksql_names()
    assert orders.field_names == ["ORDERTIME", "ORDERID", "ITEMID", "ORDERUNITS", "ADDRESS"]
    assert orders.key == "ORDERID"
    assert orders.timestamp == "ORDERTIME"
    address = orders.field("ADDRESS")
    assert address.ksql_type == "STRUCT<CITY STRING, STATE STRING, ZIPCODE BIGINT>"
    assert [c.name for c in address.children] == ["CITY", "STATE", "ZIPCODE"]
    # A reserved word stays quoted, now in upper case, inside a struct too.
    nested = parse_schema(
        {"fields": [{"name": "s", "gen": "struct", "fields": [{"name": "time", "gen": "word"}]}]}
    ).ksql_names()
    assert nested.fields[0].ksql_type == "STRUCT<`TIME` STRING>"


def test_ksql_names_keep_the_seeded_values() -> None:
    for name in ("people", "orders", "clickstream"):
        plain, upper = quickstart(name), quickstart(name).ksql_names()
        a, b = plain.generator(random.Random(7)), upper.generator(random.Random(7))
        for i in range(20):
            ctx = Context(i, 1_700_000_000_000)
            expected = {k.upper(): v for k, v in a(ctx).items()}
            if name == "orders":
                expected["ADDRESS"] = {k.upper(): v for k, v in expected["ADDRESS"].items()}
            assert b(ctx) == expected


def test_ksql_names_refuse_names_that_differ_in_case_only() -> None:
    schema = parse_schema(
        {"fields": [{"name": "a", "gen": "word"}, {"name": "A", "gen": "word"}]}, "s.json"
    )
    with pytest.raises(DatagenSchemaError, match="fields 'a' and 'A' are the same ksqlDB column A"):
        schema.ksql_names()


def test_create_stream_ddl_keeps_the_key_field_in_the_value() -> None:
    ddl = create_stream_ddl(quickstart("people"), "PEOPLE", "fake_people", partitions=3, replicas=1)
    assert ddl == (
        "CREATE STREAM IF NOT EXISTS PEOPLE (\n"
        "  ROWKEY STRING KEY,\n  ID STRING,\n  NAME STRING,\n  TITLE STRING\n"
        ") WITH (kafka_topic='fake_people', value_format='JSON', key_format='KAFKA', "
        "partitions=3, replicas=1);"
    )
    clicks = create_stream_ddl(quickstart("clickstream"), "my-clicks", "clickstream")
    assert clicks.startswith("CREATE STREAM IF NOT EXISTS `my-clicks` (\n  ROWKEY STRING KEY,")
    assert "  `TIME` STRING,\n  `_TIME` BIGINT," in clicks
    assert clicks.endswith("key_format='KAFKA', timestamp='_TIME');")
    # No key: no key column, no key format.
    keyless = create_stream_ddl(quickstart("people").with_key(None), "P", "t")
    assert "KEY" not in keyless
    assert "key_format" not in keyless


def test_key_column_names() -> None:
    assert key_column(quickstart("people").ksql_names()) == "ROWKEY"
    assert key_column(quickstart("people").with_key(None)) is None

    def schema(key: str) -> Any:
        fields = [{"name": "rowkey", "gen": "word"}, {"name": "id", "gen": "uuid"}]
        return parse_schema({"fields": fields, "key": key}).ksql_names()

    assert key_column(schema("rowkey")) is None  # the key field is the key column itself
    assert key_column(schema("id")) == "ID_KEY"


def test_quote_name() -> None:
    assert quote_name("PEOPLE") == "PEOPLE"
    assert quote_name("people") == "people"  # ksqlDB upper-cases it
    assert quote_name("my-stream") == "`my-stream`"
    assert quote_name("`people`") == "`people`"
    assert quote_name("table") == "`table`"


def test_print_ddl_with_ksqldb_needs_no_server(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--ksqldb", "http://127.0.0.1:1", "-q", "people", "--print-ddl", "-n", "0"]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert out.startswith("CREATE STREAM IF NOT EXISTS PEOPLE (\n  ROWKEY STRING KEY,")
    assert "kafka_topic='fake_people'" in out
    assert main([*base, "--stream", "fp", "--topic", "other", "--partitions", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("CREATE STREAM IF NOT EXISTS fp (")
    assert "kafka_topic='other'" in out
    assert "partitions=2" in out
    assert main([*base, "-q", "users", "--key", "regionid"]) == 0
    out = capsys.readouterr().out
    assert "USERS (\n  ROWKEY STRING KEY,\n  REGISTERTIME BIGINT," in out
    assert "kafka_topic='users'" in out


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--password", "x"], "--password goes with --ksqldb URL"),
        (["--ksqldb", "http://127.0.0.1:1", "--password", "x"], "--password needs --user"),
        (["--ksqldb", "http://127.0.0.1:1", "--user", "ann"], "--user needs a password"),
        (["--ksqldb", "http://127.0.0.1:1", "--header", "a=b"], "--header only apply"),
        (["--ksqldb", "localhost:8088"], "'localhost:8088' is not an http:// or https:// URL"),
    ],
)
def test_ksqldb_option_errors(
    args: list[str],
    text: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KSQLPY_PASSWORD", raising=False)
    assert main(["-q", "people", "-n", "1", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert text in err[0]


class _FailingSink:
    """Acknowledges records until the n-th, then fails like a refused insert."""

    target = "nowhere"

    def __init__(self, fail_at: int) -> None:
        self.fail_at = fail_at
        self.sent = self.acked = self.errors = 0
        self.last_error: str | None = None
        self.failed = False

    def send(self, record: dict[str, Any], timestamp_ms: int | None) -> None:
        if self.failed:
            return
        self.sent += 1
        if self.sent > self.fail_at:
            self.errors, self.failed, self.last_error = 1, True, "refused"
        else:
            self.acked += 1

    def flush(self, timeout: float | None = None) -> None:
        pass

    def close(self, timeout: float | None = None) -> None:
        pass


@pytest.mark.parametrize("rate", [None, 1000.0])
def test_a_failed_sink_stops_the_run(rate: float | None) -> None:
    sink = _FailingSink(fail_at=10)
    summary = run(
        quickstart("people"), sink, RunOptions(rate=rate, iterations=10_000, progress=False)
    )
    assert summary.stopped_by == "error"
    assert (summary.sent, summary.acked, summary.errors) == (11, 10, 1)
    assert summary.line().endswith("stopped by error; last error: refused")
