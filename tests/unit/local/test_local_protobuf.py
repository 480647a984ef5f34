"""PROTOBUF_NOSR: the protobuf messages ksqlDB writes for columns, byte for byte, and back."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.metastore import Column
from ksqlpy.local.engine.serde import ProtobufNoSrSerde, check_format
from ksqlpy.local.engine.serde_base import SerdeError
from ksqlpy.local.engine.types import (
    BIGINT,
    BOOLEAN,
    BYTES,
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
    StructType,
)


def serde(*kinds: SqlType, unwrapped: bool = False) -> ProtobufNoSrSerde:
    return ProtobufNoSrSerde([Column(f"C{i}", k) for i, k in enumerate(kinds)], unwrapped)


# Encodings worked out by hand from the protobuf wire format: tag = field << 3 | wire type.
KNOWN = [
    (INTEGER, 150, "089601"),  # varint 150 = 0x96 0x01
    (INTEGER, -1, "08ffffffffffffffffff01"),  # negative int32: ten bytes, no zigzag
    (BIGINT, 2147483648, "088080808008"),
    (BOOLEAN, True, "0801"),
    (DOUBLE, 1.5, "09000000000000f83f"),  # fixed64, little-endian IEEE 754
    (STRING, "testing", "0a0774657374696e67"),
    (BYTES, b"\x01\x02", "0a020102"),
    # confluent.type.Decimal {value: 0x04d2 (1234), precision: 4, scale: 2}
    (DecimalType("DECIMAL", 4, 2), Decimal("12.34"), "0a080a0204d210041802"),
    (DecimalType("DECIMAL", 3, 1), Decimal("-0.5"), "0a070a01fb10011801"),
    # google.protobuf.Timestamp {seconds: 1, nanos: 5_000_000}
    (TIMESTAMP, dt.datetime(1970, 1, 1, 0, 0, 1, 5000), "0a07080110c096b102"),
    # google.type.Date {year: 2020, month: 1, day: 2}
    (DATE, dt.date(2020, 1, 2), "0a0708e40f10011802"),
    # google.type.TimeOfDay {hours: 1, minutes: 2, seconds: 3} (nanos 0: not written)
    (TIME, dt.time(1, 2, 3), "0a06080110021803"),
    (ArrayType("ARRAY", INTEGER), [1, 150], "0a03019601"),  # packed
    (ArrayType("ARRAY", STRING), ["a", "b"], "0a01610a0162"),  # one field per element
    (MapType("MAP", STRING, INTEGER), {"a": 1}, "0a050a01611001"),  # entry {key=1, value=2}
    (StructType("STRUCT", (("A", STRING), ("B", BIGINT))), {"A": "x", "B": 2}, "0a050a01781002"),
]


@pytest.mark.parametrize(("kind", "value", "encoded"), KNOWN, ids=[str(k[0]) for k in KNOWN])
def test_each_type_is_written_as_protobuf_and_read_back(
    kind: SqlType, value: Any, encoded: str
) -> None:
    written = serde(kind).serialize([value])
    assert written is not None
    assert written.hex() == encoded
    assert serde(kind).deserialize(written) == [value]


def test_columns_are_fields_one_to_n_in_order() -> None:
    written = serde(INTEGER, STRING).serialize([150, "testing"])
    assert written == bytes.fromhex("089601") + bytes.fromhex("120774657374696e67")


def test_null_and_default_scalars_are_not_written_and_read_back_as_defaults() -> None:
    s = serde(INTEGER, STRING, BOOLEAN, DOUBLE, BYTES)
    assert s.serialize([None, None, None, None, None]) == b""
    assert s.serialize([0, "", False, 0.0, b""]) == b""
    # proto3: an absent scalar is its default, as ksqlDB's QTT outputs expect.
    assert s.deserialize(b"") == [0, "", False, 0.0, b""]


def test_absent_messages_read_as_null_and_repeated_fields_as_empty() -> None:
    kinds = (
        DecimalType("DECIMAL", 4, 2),
        TIMESTAMP,
        DATE,
        TIME,
        StructType("STRUCT", (("A", INTEGER),)),
        ArrayType("ARRAY", INTEGER),
        MapType("MAP", STRING, STRING),
    )
    s = serde(*kinds)
    assert s.serialize([None] * len(kinds)) == b""
    assert s.deserialize(b"") == [None, None, None, None, None, [], {}]


def test_a_null_record_and_a_null_unwrapped_value_have_no_bytes() -> None:
    assert serde(INTEGER, STRING).deserialize(None) == [None, None]
    assert serde(STRING, unwrapped=True).serialize([None]) is None
    assert serde(STRING, unwrapped=True).serialize(["k"]) == bytes.fromhex("0a016b")


def test_a_reader_accepts_unpacked_numbers_and_skips_unknown_fields() -> None:
    # Two unpacked int32 elements of field 1, then an unknown field 9 (varint 7).
    data = bytes.fromhex("0801" + "0802" + "4807")
    assert serde(ArrayType("ARRAY", INTEGER)).deserialize(data) == [[1, 2]]


@pytest.mark.parametrize(
    "data",
    [
        b"\x08",  # tag with no value
        b"\x08\x96",  # truncated varint
        b"\x0a\x05ab",  # length past the end
        b"\x0f",  # wire type 7
        b"\x00\x01",  # field number 0
        b"\x0a\x02\xff\xfe",  # a string that is not UTF-8
        b"\xff" * 11,  # a varint over ten bytes
    ],
)
def test_garbage_is_a_deserialization_error(data: bytes) -> None:
    with pytest.raises(SerdeError, match="PROTOBUF_NOSR"):
        serde(STRING).deserialize(data)


def test_maps_need_string_keys_as_in_ksqldb() -> None:
    with pytest.raises(KsqlStatementError, match="only supports MAP types with STRING keys"):
        serde(MapType("MAP", INTEGER, STRING))


def test_protobuf_nosr_is_accepted_and_protobuf_still_needs_a_registry() -> None:
    assert check_format("protobuf_nosr", "value") == "PROTOBUF_NOSR"
    with pytest.raises(KsqlStatementError, match="Schema"):
        check_format("PROTOBUF", "value")


def test_a_query_reads_and_writes_protobuf_and_skips_a_garbage_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID INT KEY, NAME STRING, V BIGINT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='PROTOBUF_NOSR');"
    )
    runtime.run("CREATE STREAM O AS SELECT ID, NAME, V * 2 AS W FROM S;")
    with caplog.at_level(logging.WARNING, logger="ksqlpy.local.processing"):
        runtime.log.append("s", bytes.fromhex("0801"), b"\x0a\x05ab", timestamp=1)
        runtime.run("INSERT INTO S (ID, NAME, V) VALUES (2, 'b', 21);")
    assert runtime.rows("O") == [[2, "b", 42]]
    assert "s/0@0" in caplog.text
    written = runtime.log.read("O", 0, 0, 10)[0]
    assert written.key == bytes.fromhex("0802")  # a single key column: field 1 of a message
    assert written.value == bytes.fromhex("0a0162102a")
