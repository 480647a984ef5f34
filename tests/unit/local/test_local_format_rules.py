"""Format rules of CREATE statements and of the serdes, as ksqlDB applies them: default formats
from the server's config, the order of format refusals, per-format configs, single-value
wrapping from config, and DELIMITED values read with Java's parsers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.convert import java_double_text
from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.json_serde import JsonSerde
from ksqlpy.local.engine.metastore import Column
from ksqlpy.local.engine.runtime import Session
from ksqlpy.local.engine.serde import DelimitedSerde
from ksqlpy.local.engine.serde_base import SerdeError
from ksqlpy.local.engine.types import (
    BIGINT,
    BOOLEAN,
    DATE,
    DOUBLE,
    INTEGER,
    STRING,
    TIME,
    TIMESTAMP,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
)

DEFAULT_VALUE = "ksql.persistence.default.format.value"


def server(**config: str) -> Session:
    """A session whose server configuration is ``config`` (dots spelled as underscores)."""
    return Session({}, {}, {k.replace("_", "."): v for k, v in config.items()})


def values(runtime: SmallRuntime, topic: str) -> list[bytes | None]:
    return [r.value for r in runtime.log.read(topic, 0, 0, 10)]


def test_value_format_comes_from_the_server_default_when_left_out() -> None:
    runtime = SmallRuntime()
    config = server(ksql_persistence_default_format_value="DELIMITED")
    runtime.run(
        "CREATE STREAM S (K STRING KEY, A INT, B STRING) WITH (KAFKA_TOPIC='s', PARTITIONS=1);",
        config,
    )
    source = runtime.metastore.sources["S"]
    assert (source.key_format, source.value_format) == ("KAFKA", "DELIMITED")
    runtime.run("INSERT INTO S (K, A, B) VALUES ('k', 7, 'x');")
    assert values(runtime, "s") == [b"7,x"]


def test_a_request_property_sets_the_default_key_format() -> None:
    runtime = SmallRuntime()
    session = Session({"ksql.persistence.default.format.key": "JSON", DEFAULT_VALUE: "JSON"}, {})
    runtime.run(
        "CREATE STREAM S (K STRING KEY, A INT) WITH (KAFKA_TOPIC='s', PARTITIONS=1);", session
    )
    assert runtime.metastore.sources["S"].key_format == "JSON"


def test_without_a_value_format_or_default_the_statement_says_how_to_fix_it() -> None:
    with pytest.raises(KsqlStatementError) as error:
        SmallRuntime().run("CREATE STREAM S (A INT) WITH (KAFKA_TOPIC='s', PARTITIONS=1);")
    assert error.value.message == (
        "Statement is missing the 'VALUE_FORMAT' property from the WITH clause. Either provide "
        f"one or set a default via the '{DEFAULT_VALUE}' config."
    )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ("VALUE_FORMAT='XML'", "Unknown format: XML"),
        ("VALUE_FORMAT='JSON', KEY_FORMAT='xml'", "Unknown format: xml"),
        ("FORMAT='BAR'", "Unknown format: BAR"),
        (
            "FORMAT='JSON', KEY_FORMAT='JSON'",
            "Cannot supply both 'KEY_FORMAT' and 'FORMAT' properties, as 'FORMAT' sets both key "
            "and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'.",
        ),
        ("VALUE_FORMAT='KAFKA', FORMAT='JSON'", "Cannot supply both 'VALUE_FORMAT' and 'FORMAT'"),
    ],
)
def test_format_refusals_come_before_the_missing_columns(props: str, message: str) -> None:
    # No columns at all: ksqlDB looks at the formats before it would infer a schema.
    with pytest.raises(KsqlStatementError) as error:
        SmallRuntime().run(f"CREATE STREAM S WITH (KAFKA_TOPIC='s', PARTITIONS=1, {props});")
    assert error.value.message.startswith(message)


def test_a_format_refuses_configs_it_does_not_take() -> None:
    with pytest.raises(KsqlStatementError) as error:
        SmallRuntime().run(
            "CREATE STREAM S (A INT) WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='KAFKA', "
            "VALUE_SCHEMA_FULL_NAME='my.Record');"
        )
    assert error.value.message == "KAFKA does not support the following configs: [fullSchemaName]"


def test_key_and_value_delimiters_are_separate() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (K1 STRING KEY, K2 INT KEY, V STRING, W INT) WITH (KAFKA_TOPIC='s', "
        "PARTITIONS=1, FORMAT='DELIMITED', KEY_DELIMITER='|', VALUE_DELIMITER=';');"
    )
    runtime.run("INSERT INTO S (K1, K2, V, W) VALUES ('a,b', 3, 'x|y', 4);")
    (record,) = runtime.log.read("s", 0, 0, 10)
    assert (record.key, record.value) == (b"a,b|3", b"x|y;4")


@pytest.mark.parametrize(
    ("wrap", "value_format", "written"),
    [("false", "JSON", b'"x"'), ("true", "JSON", b'{"V":"x"}'), ("true", "DELIMITED", b"x")],
)
def test_single_values_are_wrapped_as_the_server_config_says(
    wrap: str, value_format: str, written: bytes
) -> None:
    # A format that cannot take the configured wrapping keeps its own (DELIMITED never wraps).
    runtime = SmallRuntime()
    config = server(ksql_persistence_wrap_single_values=wrap)
    runtime.run(
        "CREATE STREAM S (K STRING KEY, V STRING, W STRING) "
        f"WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='{value_format}');",
        config,
    )
    runtime.run("CREATE STREAM OUT AS SELECT K, V FROM S;", config)
    runtime.run("INSERT INTO S (K, V, W) VALUES ('k', 'x', 'y');")
    assert values(runtime, "OUT") == [written]


def test_an_explicit_wrap_single_value_wins_over_the_config() -> None:
    runtime = SmallRuntime()
    config = server(ksql_persistence_wrap_single_values="false")
    runtime.run(
        "CREATE STREAM S (V STRING) WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='JSON', "
        "WRAP_SINGLE_VALUE=true);",
        config,
    )
    assert runtime.metastore.sources["S"].wrap_single_value is True


def delimited(*types: SqlType) -> DelimitedSerde:
    return DelimitedSerde([Column(f"C{i}", t, "VALUE", None) for i, t in enumerate(types)])


def test_delimited_reads_dates_and_times_as_numbers_and_writes_them_back() -> None:
    serde = delimited(DATE, TIME, TIMESTAMP)
    row = serde.deserialize(b"3,1500,86400001")
    assert row == [
        dt.date(1970, 1, 4),
        dt.time(0, 0, 1, 500_000),
        dt.datetime(1970, 1, 2, 0, 0, 0, 1000),
    ]
    assert serde.serialize(row) == b"3,1500,86400001"
    assert serde.deserialize(b"-2,,") == [dt.date(1969, 12, 30), None, None]


@pytest.mark.parametrize(
    ("types", "data", "expected"),
    [
        ((BOOLEAN, BOOLEAN, BOOLEAN), b"TRUE,yes,false", [True, False, False]),
        ((INTEGER, BIGINT), b"+12,-9000000000", [12, -9_000_000_000]),
        ((DOUBLE, DOUBLE), b"2.5d, 1e3", [2.5, 1000.0]),
        (
            (DecimalType("DECIMAL", 30, 10),),
            b"98765432109876543210.5",
            [Decimal("98765432109876543210.5000000000")],
        ),
    ],
)
def test_delimited_fields_are_read_with_javas_parsers(
    types: tuple[SqlType, ...], data: bytes, expected: list[object]
) -> None:
    assert delimited(*types).deserialize(data) == expected


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (INTEGER, b" 5"),
        (INTEGER, b"3000000000"),
        (DATE, b"2020-01-01"),
        (TIME, b"-1"),
        (DOUBLE, b"1_0"),
    ],
)
def test_delimited_fields_java_cannot_parse_are_refused(kind: SqlType, data: bytes) -> None:
    with pytest.raises(SerdeError):
        delimited(kind).deserialize(data)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (123456789012.0, "1.23456789012E11"),
        (-2e-5, "-2.0E-5"),
        (5e-324, "4.9E-324"),
        (3e300, "3.0E300"),
        (0.25, "0.25"),
        (6.0, "6.0"),
        # Whole doubles of 2**53 and more keep the digits their bits hold, as Java 8-17 print.
        (3 * 2.0**60, "3.4587645138205409E18"),
        (2.0**54 + 4, "1.8014398509481988E16"),
    ],
)
def test_doubles_are_written_as_java_spells_them(value: float, text: str) -> None:
    assert java_double_text(value) == text
    serde = JsonSerde(
        [Column("D", DOUBLE, "VALUE", None), Column("A", ArrayType("ARRAY", DOUBLE), "VALUE", None)]
    )
    assert serde.serialize([value, [value]]) == f'{{"D":{text},"A":[{text}]}}'.encode()
    # Second in the record: a leading '-' would be quoted by the CSV printer.
    assert delimited(INTEGER, DOUBLE).serialize([1, value]) == f"1,{text}".encode()


@pytest.mark.parametrize(
    "column", ["M MAP<BIGINT, STRING>", "S STRUCT<A ARRAY<MAP<BOOLEAN, INT>>>"]
)
def test_json_refuses_maps_whose_keys_are_not_strings(column: str) -> None:
    with pytest.raises(KsqlStatementError, match="JSON only supports MAP types with STRING keys"):
        SmallRuntime().run(
            f"CREATE STREAM S ({column}) WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='JSON');"
        )


@pytest.mark.parametrize(
    ("size", "reason"),
    [
        ("5 fortnights", "Invalid duration: '5 fortnights'. Unknown time unit: 'FORTNIGHTS'"),
        ("ten SECONDS", "Invalid duration: 'ten SECONDS'. Not numeric: 'ten'"),
        ("10", "Invalid duration: '10'. Expected 2 tokens, got: 1"),
    ],
)
def test_a_window_size_is_read_as_ksqldb_reads_durations(size: str, reason: str) -> None:
    with pytest.raises(KsqlStatementError) as error:
        SmallRuntime().run(
            "CREATE TABLE T (K STRING PRIMARY KEY, V INT) WITH (KAFKA_TOPIC='t', PARTITIONS=1, "
            f"VALUE_FORMAT='JSON', WINDOW_TYPE='TUMBLING', WINDOW_SIZE='{size}');"
        )
    assert f"Configuration WINDOW_SIZE is invalid: {reason}" in error.value.message


def test_a_window_size_takes_any_java_time_unit_singular_or_plural() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE TABLE T (K STRING PRIMARY KEY, V INT) WITH (KAFKA_TOPIC='t', PARTITIONS=1, "
        "VALUE_FORMAT='JSON', WINDOW_TYPE='HOPPING', WINDOW_SIZE='1500 microseconds');"
    )
    assert runtime.metastore.sources["T"].window_size_ms == 1


def test_json_objects_and_arrays_read_into_a_string_column_keep_their_text() -> None:
    serde = JsonSerde([Column("S", STRING, "VALUE", None), Column("T", STRING, "VALUE", None)])
    data = b'{"S": {"b": [1, "x"], "a": null}, "T": [3, {"k": true}, null, "y"]}'
    assert serde.deserialize(data) == ['{"b":[1,"x"],"a":null}', '[3, {"k":true}, null, y]']


def test_a_delimited_value_of_nulls_is_a_line_of_empty_fields_not_a_tombstone() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (K STRING KEY, A INT, B STRING) "
        "WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='DELIMITED');"
    )
    runtime.run("INSERT INTO S (K, A, B) VALUES ('k', NULL, NULL);")
    assert values(runtime, "s") == [b","]


def test_a_map_built_with_integer_keys_cannot_be_written_as_json() -> None:
    # The MAP constructor keeps its keys' common type (ExpressionTypeManager), so the JSON sink
    # refuses the column instead of writing the keys as text.
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (A INT, B STRING) WITH (KAFKA_TOPIC='s', PARTITIONS=1, FORMAT='JSON');"
    )
    with pytest.raises(KsqlStatementError, match="JSON only supports MAP types with STRING keys"):
        runtime.run("CREATE STREAM OUT AS SELECT MAP(A := B, 7 := 'x') AS M FROM S;")


@pytest.mark.parametrize(
    ("columns", "props", "got"),
    [
        ("K STRING KEY, A INT", "KEY_FORMAT='NONE', VALUE_FORMAT='JSON'", "[`K` STRING KEY]"),
        ("A INT, B STRING", "VALUE_FORMAT='NONE'", "[`A` INTEGER, `B` STRING]"),
    ],
)
def test_the_none_format_takes_no_columns(columns: str, props: str, got: str) -> None:
    with pytest.raises(KsqlStatementError) as error:
        SmallRuntime().run(
            f"CREATE STREAM S ({columns}) WITH (KAFKA_TOPIC='s', PARTITIONS=1, {props});"
        )
    # Under ksqlDB's "Key format does not support schema." with the format and schema.
    assert (
        f"reason: The 'NONE' format can only be used when no columns are defined. Got: {got}"
        in (str(error.value))
    )


def test_a_key_the_query_makes_over_a_none_key_takes_the_default_key_format() -> None:
    runtime = SmallRuntime()
    config = server(ksql_persistence_default_format_key="JSON")
    runtime.run(
        "CREATE STREAM S (A INT, B INT) WITH (KAFKA_TOPIC='s', PARTITIONS=1, "
        "KEY_FORMAT='NONE', VALUE_FORMAT='JSON');",
        config,
    )
    runtime.run("CREATE STREAM BY_B AS SELECT * FROM S PARTITION BY B;", config)
    runtime.run("CREATE STREAM SAME AS SELECT * FROM S;", config)
    assert runtime.metastore.sources["BY_B"].key_format == "JSON"
    assert runtime.metastore.sources["SAME"].key_format == "NONE"  # still no key columns
    runtime.run("INSERT INTO S (A, B) VALUES (1, 2);")
    [record] = runtime.log.read("BY_B", 0, 0, 10)
    assert record.key == b"2"


@pytest.mark.parametrize(
    ("value_format", "wrap"), [("KAFKA", "true"), ("DELIMITED", "true"), ("NONE", "false")]
)
def test_a_format_that_cannot_wrap_as_asked_refuses_wrap_single_value(
    value_format: str, wrap: str
) -> None:
    column = "K STRING KEY" if value_format == "NONE" else "V STRING"
    with pytest.raises(KsqlStatementError) as error:
        SmallRuntime().run(
            f"CREATE STREAM S ({column}) WITH (KAFKA_TOPIC='s', PARTITIONS=1, "
            f"VALUE_FORMAT='{value_format}', WRAP_SINGLE_VALUE={wrap});"
        )
    assert str(error.value) == (
        f"Format '{value_format}' does not support 'WRAP_SINGLE_VALUE' set to '{wrap}'."
    )


@pytest.mark.parametrize(
    ("data", "read"),
    [
        (b'{"I": -1.7, "L": 12.9}', [-1, 12]),  # the fraction cut off, as Java's intValue
        (b'{"I": 2147483648, "L": 9223372036854775808}', [-(2**31), -(2**63)]),  # bits dropped
        (b'{"I": "12", "L": 3}', [12, 3]),
    ],
)
def test_json_numbers_read_into_integer_columns_as_java_converts_them(
    data: bytes, read: list[int]
) -> None:
    serde = JsonSerde([Column("I", INTEGER, "VALUE", None), Column("L", BIGINT, "VALUE", None)])
    assert serde.deserialize(data) == read


def test_json_maps_are_read_in_the_order_a_java_hashmap_keeps_them() -> None:
    # What order-sensitive functions (REDUCE, MAP_KEYS) see in ksqlDB: buckets of the keys'
    # String.hashCode in a map sized for them, not the order written.
    serde = JsonSerde([Column("M", MapType("MAP", STRING, DOUBLE), "VALUE", None)])
    [read] = serde.deserialize(b'{"M": {"yes, thanks": 3.5, "nope": 7.3, "sure, yeah": 2.1}}')
    assert list(read) == ["yes, thanks", "sure, yeah", "nope"]
    [read] = serde.deserialize(b'{"M": {"c": 1, "b": 2, "a": 3}}')
    assert list(read) == ["a", "b", "c"]  # one-letter keys hash to consecutive buckets


def test_a_sink_without_a_topic_name_gets_the_configured_prefix() -> None:
    runtime = SmallRuntime()
    config = server(ksql_output_topic_name_prefix="dev-")
    runtime.run(
        "CREATE STREAM S (K STRING KEY, V INT) "
        "WITH (KAFKA_TOPIC='s', PARTITIONS=1, FORMAT='JSON');",
        config,
    )
    runtime.run("CREATE STREAM OUT AS SELECT * FROM S;", config)
    runtime.run("CREATE STREAM NAMED WITH (KAFKA_TOPIC='mine') AS SELECT * FROM S;", config)
    assert runtime.metastore.sources["OUT"].topic == "dev-OUT"
    assert runtime.metastore.sources["NAMED"].topic == "mine"  # a given name is kept
