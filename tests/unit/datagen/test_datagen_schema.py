"""Schemas, generators, quickstarts and formats of ksqlpy.datagen (no broker)."""

from __future__ import annotations

import io
import json
import random
import struct
from pathlib import Path
from typing import Any

import pytest

import ksqlpy.datagen
from ksqlpy._errors import DatagenError, DatagenSchemaError
from ksqlpy.datagen import (
    QUICKSTARTS,
    Context,
    PrintSink,
    RunOptions,
    key_encoder,
    load_schema,
    parse_schema,
    quickstart,
    run,
    value_encoder,
)


def _records(schema: Any, n: int, seed: int, now_ms: int = 1_700_000_000_000) -> list[Any]:
    make = schema.generator(random.Random(seed))
    return [make(Context(i, now_ms)) for i in range(n)]


def test_all_is_sorted_and_documented() -> None:
    assert ksqlpy.datagen.__all__ == sorted(ksqlpy.datagen.__all__)
    for name in ksqlpy.datagen.__all__:
        obj = getattr(ksqlpy.datagen, name)
        if not isinstance(obj, tuple):
            assert (obj.__doc__ or "").strip(), name


def test_importing_datagen_does_not_import_kafka_python() -> None:
    import subprocess
    import sys

    code = "import sys, ksqlpy.datagen, ksqlpy.datagen.cli; print('kafka' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# Field sets of kafka-connect-datagen's quickstarts (people: the ksqlDB course's fake_people).
EXPECTED_FIELDS = {
    "people": ["id", "name", "title"],
    "users": ["registertime", "userid", "regionid", "gender"],
    "pageviews": ["viewtime", "userid", "pageid"],
    "orders": ["ordertime", "orderid", "itemid", "orderunits", "address"],
    "ratings": [
        "rating_id", "user_id", "stars", "route_id", "rating_time", "channel", "message"
    ],
    "clickstream": [
        "ip", "userid", "remote_user", "time", "_time", "request", "status", "bytes",
        "referrer", "agent",
    ],
    "stock_trades": ["side", "quantity", "symbol", "price", "account", "userid"],
    "transactions": ["transaction_id", "card_id", "user_id", "purchase_id", "store_id"],
}  # fmt: skip


@pytest.mark.parametrize("name", QUICKSTARTS)
def test_quickstart_fields_and_values(name: str) -> None:
    schema = quickstart(name)
    assert schema.field_names == EXPECTED_FIELDS[name]
    records = _records(schema, 200, seed=7)
    assert all(list(r) == EXPECTED_FIELDS[name] for r in records)
    assert all(r[schema.key] is not None for r in records)
    encoded = value_encoder(schema, "json")(records[0])
    assert encoded is not None
    assert json.loads(encoded) == records[0]


def test_quickstart_values_respect_their_ranges() -> None:
    now = 1_700_000_000_000
    users = _records(quickstart("users"), 50, 1, now)
    assert [u["userid"] for u in users[:10]] == [f"User_{i}" for i in range(1, 10)] + ["User_1"]
    assert all(now - 365 * 86_400_000 <= u["registertime"] <= now for u in users)
    assert {u["gender"] for u in users} == {"MALE", "FEMALE", "OTHER"}
    ratings = _records(quickstart("ratings"), 300, 1, now)
    assert {r["stars"] for r in ratings} == {1, 2, 3, 4, 5}
    assert [r["rating_id"] for r in ratings[:3]] == [1, 2, 3]
    orders = _records(quickstart("orders"), 100, 1, now)
    assert all(0.1 <= o["orderunits"] <= 10.0 for o in orders)
    assert all(10000 <= o["address"]["zipcode"] <= 99999 for o in orders)


def test_users_and_pageviews_join_on_the_shared_user_pool() -> None:
    users = {u["userid"] for u in _records(quickstart("users"), 9, 1)}
    for name in ("pageviews", "stock_trades"):
        assert {r["userid"] for r in _records(quickstart(name), 500, 2)} == users
    assert {r["user_id"] for r in _records(quickstart("transactions"), 500, 3)} == users


def test_seed_reproduces_every_field_and_another_seed_differs() -> None:
    schema = quickstart("clickstream")
    assert _records(schema, 100, seed=42) == _records(schema, 100, seed=42)
    assert _records(schema, 100, seed=42) != _records(schema, 100, seed=43)


def test_run_with_seed_and_start_time_is_byte_identical() -> None:
    def once() -> str:
        schema = quickstart("pageviews")
        out = io.StringIO()
        sink = PrintSink(key_encoder(schema), value_encoder(schema, "json"), out)
        options = RunOptions(iterations=50, seed=9, start_time_ms=1_767_225_600_000)
        summary = run(schema, sink, options, out=io.StringIO())
        assert (summary.sent, summary.acked, summary.seed) == (50, 50, 9)
        return out.getvalue()

    first = once()
    assert first == once()
    assert len(first.splitlines()) == 50


def test_people_extra_fields() -> None:
    schema = quickstart("people", ["email", "age", "bio"])
    assert schema.field_names == ["id", "name", "title", "email", "age", "bio"]
    record = _records(schema, 1, 3)[0]
    assert "@" in record["email"]
    assert 18 <= record["age"] <= 80
    with pytest.raises(DatagenError, match="unknown extra field"):
        quickstart("people", ["shoe_size"])
    with pytest.raises(DatagenError, match="'people' quickstart only"):
        quickstart("users", ["email"])


def test_unknown_quickstart_lists_the_choices() -> None:
    with pytest.raises(DatagenError, match="unknown quickstart 'nope'; choose one of people"):
        quickstart("nope")


def test_every_generator_of_a_file_schema(tmp_path: Path) -> None:
    spec = {
        "name": "everything",
        "key": "id",
        "timestamp": "ts",
        "pools": {"color": {"values": ["red", "green"]}, "sku": {"pattern": "S-{n}", "size": 3}},
        "fields": [
            {"name": "id", "gen": "sequence", "start": 10, "step": 5},
            {"name": "n", "gen": "int", "min": -3, "max": 3},
            {"name": "big", "gen": "int", "min": 0, "max": 2**40},
            {"name": "x", "gen": "float", "min": 1, "max": 2, "decimals": 1},
            {"name": "flag", "gen": "bool", "probability": 1},
            {"name": "pick", "gen": "choice", "options": ["a", "b"], "weights": [0, 1]},
            {"name": "color", "gen": "pool", "pool": "color"},
            {"name": "sku", "gen": "pool", "pool": "sku", "pick": "sequence"},
            {"name": "code", "gen": "pattern", "pattern": "C{int:1:1}-{digits:3}-{pool:color}"},
            {"name": "ts", "gen": "timestamp", "offset": ["-1h", "-1h"]},
            {"name": "day", "gen": "timestamp", "format": "%Y-%m-%d"},
            {"name": "txt", "gen": "text", "length": 40},
            {"name": "maybe", "gen": "uuid", "null_rate": 1},
            {"name": "who", "gen": "pattern", "pattern": "{first_name} {last_name}"},
            {"name": "nested", "gen": "struct", "fields": [{"name": "c", "gen": "city"}]},
            {"name": "tags", "gen": "array", "items": {"gen": "word"}, "min_items": 2,
             "max_items": 2},
        ],
    }  # fmt: skip
    path = tmp_path / "everything.json"
    path.write_text(json.dumps(spec))
    schema = load_schema(path)
    now = 1_767_225_600_000
    rows = _records(schema, 6, 1, now)
    first = rows[0]
    assert [r["id"] for r in rows[:3]] == [10, 15, 20]
    assert -3 <= first["n"] <= 3
    assert first["flag"] is True
    assert {r["pick"] for r in rows} == {"b"}
    assert first["color"] in ("red", "green")
    assert [r["sku"] for r in rows[:4]] == ["S-1", "S-2", "S-3", "S-1"]
    assert first["code"].startswith("C1-")
    assert first["code"].split("-")[2] in ("red", "green")
    assert first["ts"] == now - 3_600_000
    assert first["day"] == "2026-01-01"
    assert len(first["txt"]) == 40
    assert first["maybe"] is None
    assert len(first["who"].split()) == 2
    assert set(first["nested"]) == {"c"}
    assert len(first["tags"]) == 2
    types = {f.name: f.ksql_type for f in schema.fields}
    assert (types["n"], types["big"], types["x"]) == ("INT", "BIGINT", "DOUBLE")
    assert (types["nested"], types["tags"]) == ("STRUCT<c STRING>", "ARRAY<STRING>")
    assert (types["day"], types["ts"]) == ("STRING", "BIGINT")


def test_toml_schema(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "t"\nkey = "k"\n[[fields]]\nname = "k"\ngen = "pool"\npool = "user"\n'
        '[[fields]]\nname = "v"\ngen = "int"\nmin = 1\nmax = 2\n'
    )
    schema = load_schema(path)
    assert schema.field_names == ["k", "v"]
    assert schema.key == "k"


BROKEN = [
    ('{"fields": [', "invalid JSON at line 1 column 13"),
    ("[]", "a schema must be a table"),
    ('{"fields": []}', "'fields' must be a non-empty list"),
    ('{"fields": [{"name": "a", "gen": "nope"}]}', "field 'a': unknown generator 'nope'"),
    ('{"fields": [{"name": "a", "gen": "int", "min": 5, "max": 1}]}', "'min' (5) is larger"),
    ('{"fields": [{"name": "a", "gen": "int", "min": 1}]}', "'max' is required"),
    ('{"fields": [{"name": "a", "gen": "int", "min": 1, "max": 2, "mx": 3}]}', "unknown keys"),
    ('{"fields": [{"name": "a", "gen": "pool", "pool": "zzz"}]}', "unknown pool 'zzz'"),
    ('{"fields": [{"name": "a", "gen": "choice", "options": [1, "x"]}]}', "mixes types"),
    ('{"fields": [{"name": "a", "gen": "uuid"}], "key": "b"}', "no field 'b'"),
    ('{"fields": [{"name": "a", "gen": "uuid"}], "timestamp": "a"}', "BIGINT field"),
    ('{"fields": [{"name": "a", "gen": "uuid"}, {"name": "a", "gen": "uuid"}]}', "twice"),
    ('{"fields": [{"name": "a", "gen": "pattern", "pattern": "{int:x}"}]}', "{int:MIN:MAX}"),
    ('{"fields": [{"name": "a", "gen": "timestamp", "offset": ["soon", 0]}]}', "duration"),
    ('{"fields": [{"name": "a", "gen": "uuid", "null_rate": 2}]}', "between 0 and 1"),
    ('{"fields": [{"name": "a", "gen": "uuid"}], "pools": {"p": {"size": 2}}}', "'pattern'"),
    ('{"feilds": []}', "unknown keys ['feilds']"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_broken_schema_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(DatagenSchemaError) as info:
        load_schema(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_schema_file(tmp_path: Path) -> None:
    with pytest.raises(DatagenSchemaError, match="cannot read it"):
        load_schema(tmp_path / "nope.json")


def test_formats() -> None:
    schema = parse_schema(
        {
            "key": "id",
            "fields": [
                {"name": "id", "gen": "sequence", "type": "INT"},
                {"name": "s", "gen": "const", "value": 'a,"b"'},
                {"name": "f", "gen": "bool", "probability": 0},
                {"name": "n", "gen": "uuid", "null_rate": 1},
            ],
        }
    )
    record = _records(schema, 2, 1)[1]
    assert value_encoder(schema, "delimited")(record) == b'1,"a,""b""",false,'
    assert value_encoder(schema, "delimited", "|")(record) == b'1|"a,""b"""|false|'
    assert key_encoder(schema, "kafka")(record) == struct.pack(">i", 1)
    assert key_encoder(schema, "json")(record) == b"1"
    assert key_encoder(schema.with_key(None))(record) is None
    with pytest.raises(DatagenError, match="single column"):
        value_encoder(schema, "kafka")
    single = parse_schema({"fields": [{"name": "v", "gen": "float", "min": 1, "max": 1}]})
    assert value_encoder(single, "kafka")({"v": 1.0}) == struct.pack(">d", 1.0)
    with pytest.raises(DatagenError, match="flat columns only"):
        value_encoder(quickstart("orders"), "delimited")


def test_ddl_for_ksqldb() -> None:
    ddl = quickstart("clickstream").ddl("clicks", "clickstream", "json")
    assert ddl.startswith("CREATE STREAM clicks (\n  ip STRING KEY,\n  userid INT,")
    assert "`time` STRING" in ddl
    assert "`_time` BIGINT" in ddl
    assert ddl.endswith(
        "WITH (kafka_topic='clickstream', value_format='JSON', key_format='KAFKA', "
        "timestamp='_time');"
    )
