"""``PROTOBUF_NOSR``: protobuf messages without a schema registry, as ksqlDB writes them.

The message is the one ksqlDB (through Confluent's ProtobufData) derives from the columns:
fields numbered 1..n in column order; INT ``int32``, BIGINT ``int64``, DOUBLE ``double``,
BOOLEAN ``bool``, STRING ``string``, BYTES ``bytes``; DECIMAL ``confluent.type.Decimal``
{value, precision, scale}; TIMESTAMP ``google.protobuf.Timestamp``; DATE ``google.type.Date``;
TIME ``google.type.TimeOfDay``; ARRAY a repeated field (packed for numbers and booleans); MAP
repeated {key, value} entries; STRUCT a nested message. Proto3 rules: a null or default scalar
is not written and an absent one reads back as its default; an absent message reads as null.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .convert import DECIMAL_CONTEXT
from .errors import KsqlStatementError
from .metastore import Column
from .types import STRING, ArrayType, DecimalType, MapType, SqlType, StructType

_VARINT, _FIXED64, _LENGTH = 0, 1, 2
_MASK64 = (1 << 64) - 1
_EPOCH = dt.datetime(1970, 1, 1)
_DOUBLE = struct.Struct("<d")
# Scalars packed when repeated (proto3's default) and their defaults when absent.
_PACKED = ("INTEGER", "BIGINT", "BOOLEAN", "DOUBLE")
_DEFAULTS: dict[str, Any] = {
    "INTEGER": 0,
    "BIGINT": 0,
    "BOOLEAN": False,
    "DOUBLE": 0.0,
    "STRING": "",
    "BYTES": b"",
}


class ProtobufError(ValueError):
    """Bytes that are not a protobuf message of the expected shape."""


# -- wire primitives ------------------------------------------------------------------------------


def varint(number: int) -> bytes:
    """The base-128 varint of a number (negative numbers as their 64-bit two's complement)."""
    number &= _MASK64
    out = bytearray()
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    for index in range(pos, min(pos + 10, len(data))):
        byte = data[index]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & _MASK64, index + 1
        shift += 7
    raise ProtobufError("Truncated or malformed varint")


def _signed(number: int, bits: int) -> int:
    number &= (1 << bits) - 1
    return number - (1 << bits) if number >> (bits - 1) else number


def _tag(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def _delimited(number: int, payload: bytes) -> bytes:
    return _tag(number, _LENGTH) + varint(len(payload)) + payload


def parse(data: bytes) -> dict[int, list[tuple[int, Any]]]:
    """The fields of a message: number -> occurrences (wire type, int or bytes), in order."""
    fields: dict[int, list[tuple[int, Any]]] = {}
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0 or number >= 1 << 29:
            raise ProtobufError(f"Invalid field number {number}")
        value: Any
        if wire == _VARINT:
            value, pos = _read_varint(data, pos)
        elif wire in (_FIXED64, 5):
            size = 8 if wire == _FIXED64 else 4
            if pos + size > len(data):
                raise ProtobufError("Truncated fixed-width field")
            value, pos = data[pos : pos + size], pos + size
        elif wire == _LENGTH:
            size, pos = _read_varint(data, pos)
            if pos + size > len(data):
                raise ProtobufError("Length-delimited field runs past the end of the message")
            value, pos = data[pos : pos + size], pos + size
        else:
            raise ProtobufError(f"Unsupported wire type {wire}")
        fields.setdefault(number, []).append((wire, value))
    return fields


# -- values ---------------------------------------------------------------------------------------


def _decimal_payload(value: Decimal, kind: DecimalType) -> bytes:
    scaled = value.scaleb(kind.scale).to_integral_value()
    unscaled = int(scaled)
    length = (unscaled if unscaled >= 0 else ~unscaled).bit_length() // 8 + 1
    precision = len(str(abs(unscaled)))
    out = _delimited(1, unscaled.to_bytes(length, "big", signed=True))
    out += _tag(2, _VARINT) + varint(precision)
    if kind.scale:
        out += _tag(3, _VARINT) + varint(kind.scale)
    return out


def _message_fields(values: Sequence[tuple[SqlType, Any]]) -> bytes:
    return b"".join(_field(number, kind, v) for number, (kind, v) in enumerate(values, 1))


def _time_fields(parts: Sequence[int]) -> bytes:
    # Zero parts are defaults and so not written.
    return b"".join(_tag(n, _VARINT) + varint(p) for n, p in enumerate(parts, 1) if p)


def _payload(kind: SqlType, value: Any) -> tuple[int, bytes]:
    """The wire type and bytes (without tag) of one non-null value."""
    base = kind.base
    if base in ("INTEGER", "BIGINT"):
        return _VARINT, varint(value)
    if base == "BOOLEAN":
        return _VARINT, b"\x01" if value else b"\x00"
    if base == "DOUBLE":
        return _FIXED64, _DOUBLE.pack(value)
    if base == "STRING":
        return _LENGTH, str(value).encode("utf-8")
    if base == "BYTES":
        return _LENGTH, bytes(value)
    if isinstance(kind, DecimalType):
        return _LENGTH, _decimal_payload(Decimal(value), kind)
    if base == "TIMESTAMP":
        micros = (value - _EPOCH) // dt.timedelta(microseconds=1)
        seconds, rest = divmod(micros, 1_000_000)
        return _LENGTH, _time_fields((seconds, rest * 1000))
    if base == "DATE":
        return _LENGTH, _time_fields((value.year, value.month, value.day))
    if base == "TIME":
        parts = (value.hour, value.minute, value.second, value.microsecond * 1000)
        return _LENGTH, _time_fields(parts)
    if isinstance(kind, StructType):
        return _LENGTH, _message_fields([(t, value.get(n)) for n, t in kind.fields])
    # An array or map inside an array: a message holding it as field 1.
    return _LENGTH, _field(1, kind, value)


def _is_default(wire: int, payload: bytes) -> bool:
    if wire == _VARINT:
        return payload == b"\x00"
    if wire == _FIXED64:
        return payload == bytes(8)  # -0.0 differs in its bits and so is written
    return False


def _field(number: int, kind: SqlType, value: Any) -> bytes:
    """One column or struct field as written in its message (nothing for null or default)."""
    if value is None:
        return b""
    if isinstance(kind, ArrayType):
        element = kind.element
        if element.base in _PACKED:
            body = b"".join(_payload(element, _or_default(element, v))[1] for v in value)
            return _delimited(number, body) if body else b""
        return b"".join(_element(number, element, v) for v in value)
    if isinstance(kind, MapType):
        return b"".join(
            _delimited(number, _message_fields([(STRING, k), (kind.value, v)]))
            for k, v in value.items()
        )
    wire, payload = _payload(kind, value)
    if wire == _LENGTH:
        if kind.base in ("STRING", "BYTES") and not payload:
            return b""
        return _delimited(number, payload)
    return b"" if _is_default(wire, payload) else _tag(number, wire) + payload


def _or_default(kind: SqlType, value: Any) -> Any:
    return _DEFAULTS[kind.base] if value is None else value


def _element(number: int, kind: SqlType, value: Any) -> bytes:
    # Repeated elements are always written, a null one as its default (or an empty message).
    if value is None:
        return (
            _delimited(number, b"")
            if kind.base not in _DEFAULTS
            else _element(number, kind, _DEFAULTS[kind.base])
        )
    wire, payload = _payload(kind, value)
    return _delimited(number, payload) if wire == _LENGTH else _tag(number, wire) + payload


def _scalar(kind: SqlType, wire: int, raw: Any) -> Any:
    base = kind.base
    if base == "INTEGER" and wire == _VARINT:
        return _signed(raw, 32)
    if base == "BIGINT" and wire == _VARINT:
        return _signed(raw, 64)
    if base == "BOOLEAN" and wire == _VARINT:
        return raw != 0
    if base == "DOUBLE" and wire == _FIXED64:
        return _DOUBLE.unpack(raw)[0]
    if base == "STRING" and wire == _LENGTH:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtobufError(f"Invalid UTF-8 in a string field: {exc}") from exc
    if base == "BYTES" and wire == _LENGTH:
        return bytes(raw)
    raise ProtobufError(f"Wire type {wire} does not fit a {base} field")


def _ints(fields: dict[int, list[tuple[int, Any]]], *numbers: int) -> list[int]:
    out = []
    for number in numbers:
        wire, raw = fields.get(number, [(_VARINT, 0)])[-1]
        if wire != _VARINT:
            raise ProtobufError(f"Wire type {wire} where a number was expected")
        out.append(_signed(raw, 64))
    return out


def _message(kind: SqlType, raw: bytes) -> Any:
    """A message-typed value from its bytes."""
    fields = parse(raw)
    base = kind.base
    try:
        if isinstance(kind, DecimalType):
            digits = _expect_bytes(*fields[1][-1]) if 1 in fields else b""
            unscaled = int.from_bytes(digits, "big", signed=True)
            (scale,) = _ints(fields, 3)
            quantum = Decimal(1).scaleb(-kind.scale)
            return Decimal(unscaled).scaleb(-scale).quantize(quantum, context=DECIMAL_CONTEXT)
        if base == "TIMESTAMP":
            seconds, nanos = _ints(fields, 1, 2)
            return _EPOCH + dt.timedelta(seconds=seconds, microseconds=nanos // 1000)
        if base == "DATE":
            return dt.date(*_ints(fields, 1, 2, 3))
        if base == "TIME":
            hours, minutes, seconds, nanos = _ints(fields, 1, 2, 3, 4)
            return dt.time(hours, minutes, seconds, nanos // 1000)
    except (ValueError, OverflowError, ArithmeticError, TypeError) as exc:
        raise ProtobufError(f"Invalid {base} message: {exc}") from exc
    if isinstance(kind, StructType):
        return {n: _read(fields.get(i, []), t) for i, (n, t) in enumerate(kind.fields, 1)}
    return _read(fields.get(1, []), kind)


def _read(occurrences: list[tuple[int, Any]], kind: SqlType) -> Any:
    """A column or field's value from its occurrences in the message."""
    if isinstance(kind, ArrayType):
        element = kind.element
        out = []
        for wire, raw in occurrences:
            if wire == _LENGTH and element.base in _PACKED:
                out += _unpack(element, raw)
            elif element.base in _DEFAULTS:
                out.append(_scalar(element, wire, raw))
            else:
                out.append(_message(element, _expect_bytes(wire, raw)))
        return out
    if isinstance(kind, MapType):
        entries = {}
        for wire, raw in occurrences:
            entry = parse(_expect_bytes(wire, raw))
            key = _read(entry.get(1, []), STRING)
            entries[key] = _read(entry.get(2, []), kind.value)
        return entries
    if not occurrences:
        return _DEFAULTS.get(kind.base)
    wire, raw = occurrences[-1]
    if kind.base in _DEFAULTS:
        return _scalar(kind, wire, raw)
    return _message(kind, _expect_bytes(wire, raw))


def _expect_bytes(wire: int, raw: Any) -> bytes:
    if wire != _LENGTH:
        raise ProtobufError(f"Wire type {wire} where a message was expected")
    return bytes(raw)


def _unpack(kind: SqlType, raw: bytes) -> list[Any]:
    if kind.base == "DOUBLE":
        if len(raw) % 8:
            raise ProtobufError("Packed doubles not a multiple of 8 bytes")
        return [v for (v,) in _DOUBLE.iter_unpack(raw)]
    out, pos = [], 0
    while pos < len(raw):
        number, pos = _read_varint(raw, pos)
        out.append(_scalar(kind, _VARINT, number))
    return out


def _check_maps(kind: SqlType) -> None:
    if isinstance(kind, MapType):
        if kind.key.base != "STRING":
            raise KsqlStatementError(
                "PROTOBUF format only supports MAP types with STRING keys. "
                "See https://github.com/confluentinc/ksql/issues/6177."
            )
        _check_maps(kind.value)
    elif isinstance(kind, ArrayType):
        _check_maps(kind.element)
    elif isinstance(kind, StructType):
        for _, field_type in kind.fields:
            _check_maps(field_type)


def encode_row(kinds: Sequence[SqlType], values: Sequence[Any]) -> bytes:
    """The message of a row: column i as field i + 1."""
    return _message_fields(list(zip(kinds, values, strict=True)))


def decode_row(kinds: Sequence[SqlType], data: bytes) -> list[Any]:
    """The column values of a row's message; raises :class:`ProtobufError`."""
    fields = parse(data)
    return [_read(fields.get(i, []), kind) for i, kind in enumerate(kinds, 1)]


def checked_types(columns: Sequence[Column]) -> tuple[SqlType, ...]:
    """The columns' types, refusing those ksqlDB's protobuf serde refuses."""
    for column in columns:
        _check_maps(column.type)
    return tuple(c.type for c in columns)
