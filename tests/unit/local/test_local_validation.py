"""Statements ksqlDB refuses before it runs anything, with its messages."""

from __future__ import annotations

import re

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID INT KEY, F1 INT, F2 INT, M MAP<STRING, INT>) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
    )
    return runtime


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "CREATE STREAM K (A INT KEY, B INT KEY, V INT) "
            "WITH (PARTITIONS=1, KAFKA_TOPIC='k', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');",
            "Key format does not support schema.\nformat: KAFKA\nschema: Persistence{columns="
            "[`A` INTEGER KEY, `B` INTEGER KEY], features=[]}\nreason: The 'KAFKA' format only "
            "supports a single field. Got: [`A` INTEGER KEY, `B` INTEGER KEY]",
        ),
        (
            "CREATE STREAM K (A BOOLEAN KEY, V INT) "
            "WITH (PARTITIONS=1, KAFKA_TOPIC='k', VALUE_FORMAT='JSON');",
            "reason: The 'KAFKA' format does not support type 'BOOLEAN'",
        ),
        (
            "CREATE STREAM K (A MAP<STRING, INT> KEY, V INT) "
            "WITH (PARTITIONS=1, KAFKA_TOPIC='k', FORMAT='JSON');",
            "Map keys, including types that contain maps, are not supported",
        ),
        (
            "CREATE STREAM K (A INT, B INT) "
            "WITH (PARTITIONS=1, KAFKA_TOPIC='k', VALUE_FORMAT='JSON', WRAP_SINGLE_VALUE=false);",
            "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas",
        ),
        (
            "CREATE STREAM K (A INT) WITH (PARTITIONS=1, KAFKA_TOPIC='k', "
            "VALUE_FORMAT='DELIMITED', WRAP_SINGLE_VALUE=true);",
            "Format 'DELIMITED' does not support 'WRAP_SINGLE_VALUE' set to 'true'.",
        ),
        ("CREATE STREAM O AS SELECT ID FROM S;", "The projection contains no value columns."),
        (
            # The result's TIMESTAMP column is checked before its keys (ID is not selected).
            "CREATE STREAM O WITH (TIMESTAMP='nope') AS SELECT F1 FROM S;",
            "The TIMESTAMP column set in the WITH clause does not exist in the schema: 'NOPE'",
        ),
        (
            "CREATE TABLE O AS SELECT F1, COUNT(*) AS C FROM S GROUP BY SUM(F2);",
            "GROUP BY does not support aggregate functions: SUM is an aggregate function.",
        ),
        (
            "CREATE STREAM O WITH (KEY_FORMAT='JSON') AS SELECT * FROM S PARTITION BY M;",
            "Map keys, including types that contain maps, are not supported",
        ),
    ],
)
def test_refusals(runtime: SmallRuntime, sql: str, message: str) -> None:
    with pytest.raises(KsqlStatementError, match=re.escape(message)):
        runtime.run(sql)


def test_source_streams_and_tables_are_read_only(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE SOURCE STREAM RO (K STRING KEY, T STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='ro', VALUE_FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM RW (K STRING KEY, T STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='rw', VALUE_FORMAT='JSON');"
    )
    refusals = {
        "INSERT INTO RO (K, T) VALUES ('a', 'b');": (
            "Cannot insert values into read-only stream: RO"
        ),
        "INSERT INTO RO SELECT * FROM RW;": "Cannot insert into read-only stream: RO",
        "DROP STREAM RO DELETE TOPIC;": "Cannot delete topic for read-only source: RO",
    }
    for sql, message in refusals.items():
        with pytest.raises(KsqlStatementError, match=re.escape(message)):
            runtime.run(sql)
    assert runtime.log.topic("ro") is not None


def test_values_cannot_go_into_a_windowed_source(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE STREAM W (K INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='w', FORMAT='JSON', "
        "WINDOW_TYPE='TUMBLING', WINDOW_SIZE='1 SECOND');"
    )
    with pytest.raises(
        KsqlStatementError, match="Cannot insert values into windowed stream/table!"
    ):
        runtime.run("INSERT INTO W (K, V) VALUES (1, 2);")


@pytest.mark.parametrize(
    ("join", "written"),
    [("JOIN", "[INNER] JOIN"), ("LEFT JOIN", "LEFT [OUTER] JOIN")],
)
def test_a_table_stream_join_names_its_sources_and_join_type(
    runtime: SmallRuntime, join: str, written: str
) -> None:
    runtime.run(
        "CREATE TABLE T (ID INT PRIMARY KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', FORMAT='JSON');"
    )
    with pytest.raises(KsqlStatementError, match=re.escape(f"Got T {written} S.")):
        runtime.run(f"CREATE STREAM O AS SELECT * FROM T {join} S ON T.ID = S.ID;")


@pytest.mark.parametrize(
    "select",
    [
        "SELECT ID, COUNT(*), MIN(WINDOWSTART) FROM S WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY ID",
        "SELECT ID, COUNT(*) FROM S WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY ID, WINDOWSTART",
        "SELECT ID, COUNT(*) FROM S WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY ID "
        "HAVING WINDOWEND > 0",
    ],
)
def test_window_bounds_only_in_the_select_of_a_windowed_aggregation(
    runtime: SmallRuntime, select: str
) -> None:
    with pytest.raises(KsqlStatementError, match=r"Window bounds column WINDOW(START|END) "):
        runtime.run(f"CREATE TABLE O AS {select};")
    runtime.run(
        "CREATE TABLE OK AS SELECT ID, WINDOWSTART AS WS, COUNT(*) AS C FROM S "
        "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY ID;"
    )
    assert runtime.schema("OK") == "ID INTEGER KEY, WS BIGINT, C BIGINT"  # an aliased bound


def test_a_persistent_query_must_select_the_key_of_its_source(runtime: SmallRuntime) -> None:
    with pytest.raises(
        KsqlStatementError,
        match=re.escape("must include the key column ID in its projection (eg, SELECT ID...)."),
    ):
        runtime.run("CREATE STREAM O AS SELECT F1 FROM S;")
    runtime.run(
        "CREATE STREAM M (A INT KEY, B INT KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='m', FORMAT='JSON');"
    )
    with pytest.raises(KsqlStatementError, match="must include the key columns A and B"):
        runtime.run("CREATE STREAM O AS SELECT A, V FROM M;")
    runtime.run("CREATE STREAM O AS SELECT * FROM M;")


def test_insert_select_needs_the_sinks_columns_by_name_and_type(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE STREAM T (ID INT KEY, F1 INT, F2 INT, M MAP<STRING, INT>) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', VALUE_FORMAT='JSON');"
    )
    runtime.run("INSERT INTO T SELECT * FROM S;")  # the same columns: accepted
    with pytest.raises(KsqlStatementError) as error:
        runtime.run("INSERT INTO T SELECT ID, F1, F2 AS OTHER, M FROM S;")
    assert str(error.value) == (
        "Incompatible schema between results and sink.\n"
        "Result schema is `ID` INTEGER KEY, `F1` INTEGER, `OTHER` INTEGER, "
        "`M` MAP<STRING, INTEGER>\n"
        "Sink schema is `ID` INTEGER KEY, `F1` INTEGER, `F2` INTEGER, `M` MAP<STRING, INTEGER>"
    )


def test_nothing_is_inserted_into_header_columns(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE STREAM H (K STRING KEY, H1 BYTES HEADER('abc'), V BIGINT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='h', VALUE_FORMAT='JSON');"
    )
    refusals = {
        # Before the values are counted, naming every header column.
        "INSERT INTO H VALUES ('abc', 44);": "Cannot insert into HEADER columns: H1",
        "INSERT INTO H (K, H1) VALUES ('abc', NULL);": "Cannot insert into HEADER columns: H1",
        "INSERT INTO H SELECT * FROM S;": "Cannot insert into H because it has header columns",
    }
    for sql, message in refusals.items():
        with pytest.raises(KsqlStatementError) as error:
            runtime.run(sql)
        assert str(error.value) == message


def test_insert_select_into_a_source_table_says_it_is_a_table(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE SOURCE TABLE RT (K STRING PRIMARY KEY, T STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='rt', VALUE_FORMAT='JSON');"
    )
    with pytest.raises(KsqlStatementError) as error:
        runtime.run("INSERT INTO RT SELECT * FROM S;")
    assert (
        str(error.value) == "INSERT INTO can only be used to insert into a stream. RT is a table."
    )


@pytest.mark.parametrize(
    ("sql", "hint"),
    [
        ('INSERT INTO "lower" VALUES (1, 2);', ""),
        (
            "INSERT INTO LOWER_CASE VALUES (1, 2);",
            '\nDid you mean "lower_case"? Hint: wrap the source name in double quotes to make it '
            "case-sensitive.",
        ),
        (
            'DESCRIBE "s";',
            "\nDid you mean S? Hint: try removing double quotes from the source name.",
        ),
        (
            'CREATE STREAM X AS SELECT * FROM "s";',
            "\nDid you mean S? Hint: try removing double quotes from the source name.",
        ),
        (
            "DROP TABLE MIXED;",  # only tables, for DROP TABLE
            '\nDid you mean "Mixed"? Hint: wrap the source name in double quotes to make it '
            "case-sensitive.",
        ),
        (
            "DESCRIBE MIXED;",
            '\nDid you mean "Mixed" (TABLE) or "mixed" (STREAM)? Hint: wrap the source name in '
            "double quotes to make it case-sensitive.",
        ),
    ],
)
def test_an_unknown_source_name_suggests_the_ones_differing_only_in_case(
    runtime: SmallRuntime, sql: str, hint: str
) -> None:
    for name, kind, key in (
        ("lower_case", "STREAM", "KEY"),
        ("mixed", "STREAM", "KEY"),
        ("Mixed", "TABLE", "PRIMARY KEY"),
    ):
        runtime.run(
            f'CREATE {kind} "{name}" (K INT {key}, V INT) '
            f"WITH (PARTITIONS=1, KAFKA_TOPIC='{name.lower()}{kind}', VALUE_FORMAT='JSON');"
        )
    with pytest.raises(KsqlStatementError) as error:
        runtime.run(sql)
    message = str(error.value)
    assert message.endswith(hint) if hint else "Did you mean" not in message
