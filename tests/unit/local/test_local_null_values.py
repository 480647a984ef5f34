"""Stream records without a value, as ksqlDB's operators treat them: a projection forwards them
(key kept, value null), a filter drops them, an aggregation ignores them."""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID INT KEY, NAME STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM BARE (V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='bare', VALUE_FORMAT='JSON', WRAP_SINGLE_VALUE=false);"
    )
    return runtime


def add_null(runtime: SmallRuntime, topic: str, key: bytes | None) -> None:
    runtime.log.append(topic, key, None)
    runtime.pump()


def test_a_projection_forwards_a_null_value_with_its_key(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM OUT AS SELECT ID, UCASE(NAME) AS N FROM S;")
    runtime.run("INSERT INTO S (ID, NAME) VALUES (1, 'a');")
    add_null(runtime, "s", b"\x00\x00\x00\x03")
    runtime.pump()
    assert runtime.records("OUT") == [([1], ["A"]), ([3], None)]


def test_an_anonymous_value_stream_forwards_null_values_too(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM OUT AS SELECT * FROM BARE;")
    runtime.log.append("bare", None, b"10")
    add_null(runtime, "bare", None)
    assert runtime.records("OUT") == [([], [10]), ([], None)]


def test_a_filter_or_an_aggregation_drops_them(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM KEPT AS SELECT * FROM S WHERE ID > 0;")
    runtime.run("CREATE TABLE COUNTS AS SELECT ID, COUNT(*) AS C FROM S GROUP BY ID;")
    runtime.run("INSERT INTO S (ID, NAME) VALUES (1, 'a');")
    add_null(runtime, "s", b"\x00\x00\x00\x01")
    assert runtime.records("KEPT") == [([1], ["a"])]
    assert runtime.records("COUNTS") == [([1], [1])]


def test_a_null_key_passes_a_projection_as_a_null_key(runtime: SmallRuntime) -> None:
    # ksqlDB's stream projection maps values only: the record's key object goes on as it is,
    # so a null key is not written as a key of NULL columns ({"K1": null, "K2": null}).
    runtime.run(
        "CREATE STREAM PAIRS (K1 STRING KEY, K2 STRING KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='pairs', FORMAT='DELIMITED');"
    )
    runtime.run("CREATE STREAM OUT WITH (KEY_FORMAT='JSON') AS SELECT * FROM PAIRS;")
    runtime.log.append("pairs", b"a,b", b"1")
    runtime.log.append("pairs", None, b"2")
    runtime.pump()
    sink = runtime.metastore.source("OUT")
    assert sink is not None
    keys = [r.key for r in runtime.log.read(sink.topic, 0, 0, 10)]
    assert keys == [b'{"K1":"a","K2":"b"}', None]


def test_a_re_keyed_null_key_becomes_a_key_of_its_expressions(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM BY_NAME AS SELECT * FROM S PARTITION BY NAME;")
    runtime.log.append("s", None, b'{"NAME": "x"}')
    runtime.pump()
    assert runtime.records("BY_NAME") == [(["x"], [None])]
