"""DELIMITED sinks: the source's delimiter is inherited, values that need it are quoted, and the
VALUE_DELIMITER property is checked as ksqlDB checks it, before anything else."""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.metastore import Column
from ksqlpy.local.engine.serde import DelimitedSerde
from ksqlpy.local.engine.types import STRING


def sink_values(runtime: SmallRuntime, topic: str) -> list[bytes | None]:
    return [r.value for r in runtime.log.read(topic, 0, 0, 10)]


@pytest.mark.parametrize(("spelled", "char"), [("|", "|"), ("TAB", "\t"), ("SPACE", " ")])
def test_a_delimited_sink_inherits_the_source_delimiter(spelled: str, char: str) -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID BIGINT, NAME STRING) WITH (PARTITIONS=1, KAFKA_TOPIC='s', "
        f"VALUE_FORMAT='DELIMITED', VALUE_DELIMITER='{spelled}');"
    )
    runtime.run("CREATE STREAM OUT AS SELECT * FROM S;")
    runtime.run("INSERT INTO S (ID, NAME) VALUES (1, 'a');")
    assert sink_values(runtime, "OUT") == [f"1{char}a".encode()]


def test_an_explicit_sink_delimiter_wins_and_values_are_quoted_when_needed() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID BIGINT, NAME STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='DELIMITED', VALUE_DELIMITER='|');"
    )
    runtime.run("CREATE STREAM OUT WITH (VALUE_DELIMITER='$') AS SELECT * FROM S;")
    runtime.run("INSERT INTO S (ID, NAME) VALUES (1, 'a$b');")
    assert sink_values(runtime, "OUT") == [b'1$"a$b"']


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ("VALUE_FORMAT='DELIMITED', VALUE_DELIMITER='<~>'", "Invalid delimiter value: '<~>'"),
        ("VALUE_FORMAT='DELIMITED', VALUE_DELIMITER=''", "Delimiter cannot be empty"),
        ("VALUE_FORMAT='DELIMITED', VALUE_DELIMITER=' '", "Delimiter cannot be empty"),
        ("VALUE_FORMAT='JSON', VALUE_DELIMITER='|'", r"JSON does not support .*\[delimiter\]"),
    ],
)
def test_delimiter_refusals_come_before_the_missing_columns(props: str, message: str) -> None:
    with pytest.raises(KsqlStatementError, match=message):
        SmallRuntime().run(f"CREATE STREAM S WITH (PARTITIONS=1, KAFKA_TOPIC='s', {props});")


def test_fields_are_quoted_as_ksqldb_csv_printer_quotes_them() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (K STRING KEY, A STRING, B STRING, C STRING) "
        "WITH (KAFKA_TOPIC='s', VALUE_FORMAT='DELIMITED', PARTITIONS=1);"
    )
    runtime.run("CREATE STREAM O AS SELECT K, A, B, C FROM S;")
    runtime.run("INSERT INTO S (K, A, B, C) VALUES ('k', '-10', '!', 'x ');")
    runtime.run("INSERT INTO S (K, A, B, C) VALUES ('k', 'ok', '-1', NULL);")
    source = runtime.metastore.source("O")
    assert source is not None
    values = [r.value for r in runtime.log.read(source.topic, 0, 0, 10)]
    # the record's first field quoted unless it starts alphanumeric; any field starting at or
    # below '#' or ending in a space; NULL left empty
    assert values == [b'"-10","!","x "', b"ok,-1,"]


@pytest.mark.parametrize(
    ("values", "line"),
    [
        (["!", "a b", None], b'"!",a b,'),  # a first character up to '#' is quoted
        (["", "x", ""], b'"",x,'),  # an empty first field is quoted, a null never
        (["ok ", 'say "hi"', "a,b"], b'"ok ","say ""hi""","a,b"'),
    ],
)
def test_fields_are_quoted_as_commons_csv_minimal_mode_quotes_them(
    values: list[str | None], line: bytes
) -> None:
    serde = DelimitedSerde([Column(n, STRING) for n in ("A", "B", "C")])
    assert serde.serialize(values) == line
