"""ALTER STREAM|TABLE ... ADD COLUMN, with ksqlDB's checks and messages."""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine import Engine
from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.results import CommandDone
from ksqlpy.local.storage import MemoryLog

STREAM = (
    "CREATE STREAM S (ID INT KEY, NAME STRING) "
    "WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);"
)


def test_added_columns_follow_the_value_columns_and_take_new_rows() -> None:
    runtime = SmallRuntime()
    runtime.run(STREAM)
    done = runtime.run_as(
        CommandDone, "ALTER STREAM S ADD COLUMN AGE INT, ADD COLUMN TAGS ARRAY<STRING>;"
    )
    assert (done.command_id, done.message) == ("stream/`S`/alter", "Stream S altered.")
    assert runtime.schema("S") == "ID INTEGER KEY, NAME STRING, AGE INTEGER, TAGS ARRAY<STRING>"
    runtime.run("INSERT INTO S (ID, NAME, AGE, TAGS) VALUES (1, 'ann', 30, ARRAY['x']);")
    assert runtime.rows("S") == [[1, "ann", 30, ["x"]]]


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("ALTER STREAM NOPE ADD COLUMN A INT;", "Source NOPE does not exist."),
        (
            "ALTER TABLE S ADD COLUMN A INT;",
            "Incompatible data source type is STREAM, but statement was ALTER TABLE",
        ),
        (
            "ALTER STREAM S ADD COLUMN NAME INT;",
            "Cannot add column NAME to schema. A column with the same name already exists.",
        ),
        (
            "ALTER STREAM S ADD COLUMN ID INT;",
            "Cannot add column ID to schema. A column with the same name already exists.",
        ),
        ("ALTER STREAM C ADD COLUMN A INT;", "not supported for CREATE ... AS statements."),
        (
            "ALTER STREAM R ADD COLUMN A INT;",
            "Cannot alter stream 'R': ALTER operations are not supported on source streams.",
        ),
    ],
)
def test_refusals_are_ksqldb_s(statement: str, message: str) -> None:
    runtime = SmallRuntime()
    runtime.run(STREAM)
    runtime.run("CREATE STREAM C AS SELECT * FROM S;")
    runtime.run(
        "CREATE SOURCE STREAM R (ID INT KEY, V INT) "
        "WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1);"
    )
    with pytest.raises(KsqlStatementError) as error:
        runtime.run(statement)
    assert message in error.value.message
    assert runtime.schema("S") == "ID INTEGER KEY, NAME STRING"


def test_an_altered_source_keeps_its_columns_after_a_restart() -> None:
    log = MemoryLog()
    engine = Engine(log)
    engine.restore()
    engine.execute(STREAM + "ALTER STREAM S ADD COLUMN AGE INT;", {}, {})
    again = Engine(log)
    again.restore()
    source = again.metastore.source("S")
    assert source is not None
    assert [c.name for c in source.columns] == ["ID", "NAME", "AGE"]


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE OR REPLACE SOURCE STREAM S (ID INT KEY, NAME STRING) "
        "WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');",
        "CREATE OR REPLACE STREAM R (ID INT KEY, V INT) "
        "WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON');",
    ],
)
def test_source_streams_cannot_be_replaced(statement: str) -> None:
    runtime = SmallRuntime()
    runtime.run(STREAM)
    runtime.run(
        "CREATE SOURCE STREAM R (ID INT KEY, V INT) "
        "WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1);"
    )
    with pytest.raises(KsqlStatementError, match="CREATE OR REPLACE is not supported on source"):
        runtime.run(statement)
