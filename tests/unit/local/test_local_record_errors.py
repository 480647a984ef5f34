"""A record a persistent query cannot process goes to the processing log and is skipped; the
query, the request that wrote the record and the server's restart all go on."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine import Engine, functions
from ksqlpy.local.engine.rows import key_serde
from ksqlpy.local.engine.types import INTEGER
from ksqlpy.local.storage import MemoryLog


@pytest.fixture
def failing_function() -> Iterator[None]:
    def fail(value: Any) -> Any:
        if value < 0:
            raise AttributeError("negative input")  # not one of the errors that give NULL
        return value

    functions.register("FAILS_ON_NEGATIVE", fail, lambda types: INTEGER, "OTHER", "test", 1)
    yield
    functions.REGISTRY.pop("FAILS_ON_NEGATIVE")


@pytest.mark.usefixtures("failing_function")
def test_a_failing_record_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
    )
    runtime.run("CREATE STREAM O AS SELECT ID, FAILS_ON_NEGATIVE(V) AS W FROM S;")
    with caplog.at_level(logging.WARNING, logger="ksqlpy.local.processing"):
        runtime.run("INSERT INTO S (ID, V) VALUES (1, -1);")  # no exception for the writer
        runtime.run("INSERT INTO S (ID, V) VALUES (2, 5);")
    assert runtime.records("O") == [([2], [5])]
    assert "s/0@0" in caplog.text
    assert "negative input" in caplog.text


def test_casts_saturate_and_int_arithmetic_wraps_as_in_java() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID INT KEY, X DOUBLE) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM O WITH (VALUE_FORMAT='KAFKA') AS SELECT ID, CAST(X AS BIGINT) AS Y FROM S;"
    )
    runtime.run(
        "CREATE STREAM O2 WITH (VALUE_FORMAT='KAFKA') AS SELECT ID, CAST(X AS INT) * 2 AS Y FROM S;"
    )
    runtime.run("INSERT INTO S (ID, X) VALUES (1, 1e30);")
    assert runtime.records("O") == [([1], [2**63 - 1])]
    assert runtime.records("O2") == [([1], [-2])]


def test_a_join_of_windowed_streams_keeps_the_window() -> None:
    runtime = SmallRuntime()
    for name in ("L", "R"):
        runtime.run(
            f"CREATE STREAM {name} (K INT KEY, V INT) "
            f"WITH (PARTITIONS=1, KAFKA_TOPIC='{name.lower()}', "
            "FORMAT='JSON', WINDOW_TYPE='TUMBLING', WINDOW_SIZE='1 SECOND');"
        )
    runtime.run(
        "CREATE STREAM J AS SELECT L.K, L.V AS LV, R.V AS RV "
        "FROM L JOIN R WITHIN 1 MINUTE ON L.K = R.K;"
    )
    for name, value in (("L", 1), ("R", 2)):
        source = runtime.metastore.source(name)
        assert source is not None
        key = key_serde(source).serialize([7, 0, 1000])
        runtime.log.append(name.lower(), key, json.dumps({"V": value}).encode(), timestamp=10)
    runtime.pump()
    assert runtime.records("J") == [([7, 0, 1000], [1, 2])]


def test_a_record_without_a_value_keeps_its_window_through_a_projection() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM W (K INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='w', "
        "FORMAT='JSON', WINDOW_TYPE='SESSION');"
    )
    runtime.run("CREATE STREAM O AS SELECT * FROM W;")
    source = runtime.metastore.source("W")
    assert source is not None
    key = key_serde(source).serialize([7, 0, 1000])
    runtime.log.append("w", key, json.dumps({"V": 1}).encode(), timestamp=1000)
    runtime.log.append("w", key, None, timestamp=1000)  # forwarded, as ksqlDB does
    runtime.pump()
    assert runtime.records("O") == [([7, 0, 1000], [1]), ([7, 0, 1000], None)]


def test_a_saved_statement_that_fails_does_not_stop_the_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = (
        "CREATE STREAM S (ID INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
    )
    bad = "CREATE STREAM O AS SELECT ID, NOPE(V) FROM S;"
    lines = [json.dumps({"sql": sql, "properties": {}}) for sql in (good, bad)]
    (tmp_path / "commands.jsonl").write_text("\n".join(lines) + "\n")
    engine = Engine(MemoryLog(), store=tmp_path)
    with caplog.at_level(logging.WARNING, logger="ksqlpy.local"):
        assert engine.restore() == 1
    assert engine.metastore.source("S") is not None
    assert "dropped saved statement" in caplog.text
