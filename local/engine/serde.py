"""Key and value formats: KAFKA, JSON, DELIMITED and PROTOBUF_NOSR, with ksqlDB's rules.

Schema-registry formats (AVRO, PROTOBUF, JSON_SR) are refused where a source is created.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
import struct
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from .convert import CoercionError, coerce, format_double, java_double_text
from .delimited_text import delimited_parser
from .errors import KsqlStatementError
from .metastore import Column
from .protobuf import ProtobufError, checked_types, decode_row, encode_row
from .types import STRING, ArrayType, DecimalType, MapType, SqlType, StructType, has_decimal

NEEDS_REGISTRY = ("AVRO", "PROTOBUF", "JSON_SR")


class SerdeError(ValueError):
    """Bytes that do not deserialize under the source's format (the record is skipped)."""


class Serde:
    """Turns one side (key or value) of a record into column values and back."""

    def __init__(self, columns: Sequence[Column], unwrapped: bool = False) -> None:
        self.columns = tuple(columns)
        self.unwrapped = unwrapped

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        """Bytes for the column values (``None`` for an all-null key)."""
        raise NotImplementedError

    def deserialize(self, data: bytes | None) -> list[Any]:
        """Column values from bytes; raises :class:`SerdeError`."""
        raise NotImplementedError


class NoneSerde(Serde):
    """``NONE``: no columns, ignores the bytes."""

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        return None

    def deserialize(self, data: bytes | None) -> list[Any]:
        return []


_KAFKA_PACK: dict[str, struct.Struct] = {
    "INTEGER": struct.Struct(">i"),
    "BIGINT": struct.Struct(">q"),
    "DOUBLE": struct.Struct(">d"),
}


class EmptyValueSerde(Serde):
    """The value of a source with key columns only: present but empty (``{}`` in JSON), so
    records are not mistaken for deletions."""

    def __init__(self, fmt: str) -> None:
        super().__init__(())
        self.bytes = b"{}" if fmt == "JSON" else b""

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        return self.bytes

    def deserialize(self, data: bytes | None) -> list[Any]:
        return []


class KafkaSerde(Serde):
    """``KAFKA``: Kafka's primitive serializers, one column only."""

    def __init__(self, columns: Sequence[Column], unwrapped: bool = False) -> None:
        super().__init__(columns, unwrapped)
        if len(self.columns) > 1:
            names = ", ".join(persistence_text(c) for c in self.columns)
            raise KsqlStatementError(
                f"The 'KAFKA' format only supports a single field. Got: [{names}]"
            )
        if self.columns and self.columns[0].type.base not in (
            "INTEGER",
            "BIGINT",
            "DOUBLE",
            "STRING",
            "BYTES",
        ):
            column = self.columns[0]
            raise KsqlStatementError(
                f"The 'KAFKA' format does not support type '{column.type.base}'"
            )

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        if not self.columns or values[0] is None:
            return None
        value, base = values[0], self.columns[0].type.base
        if base in _KAFKA_PACK:
            try:
                return _KAFKA_PACK[base].pack(value)
            except struct.error as exc:
                raise SerdeError(f"Cannot write {value!r} as KAFKA {base}: {exc}") from exc
        if base == "STRING":
            return str(value).encode("utf-8")
        return bytes(value)

    def deserialize(self, data: bytes | None) -> list[Any]:
        if not self.columns:
            return []
        if data is None:
            return [None]
        base = self.columns[0].type.base
        if base in _KAFKA_PACK:
            packer = _KAFKA_PACK[base]
            if len(data) != packer.size:
                raise SerdeError(
                    f"Size of data received by {base} deserializer is not {packer.size}"
                )
            return [packer.unpack(data)[0]]
        if base == "STRING":
            try:
                return [data.decode("utf-8")]
            except UnicodeDecodeError as exc:
                raise SerdeError(str(exc)) from exc
        return [data]


# -- JSON -----------------------------------------------------------------------------------------

_EPOCH = dt.datetime(1970, 1, 1)


def _json_value(value: Any, kind: SqlType) -> Any:
    """An engine value as ksqlDB's JSON serializer writes it."""
    if value is None:
        return None
    base = kind.base
    if base == "TIMESTAMP":
        return (value - _EPOCH) // dt.timedelta(milliseconds=1)
    if base == "DATE":
        return (value - dt.date(1970, 1, 1)).days
    if base == "TIME":
        return (
            (value.hour * 60 + value.minute) * 60 + value.second
        ) * 1000 + value.microsecond // 1000
    if base == "BYTES":
        return base64.b64encode(value).decode("ascii")
    if base == "DOUBLE" and isinstance(value, float):
        return _double(value)
    if isinstance(kind, ArrayType):
        return [_json_value(v, kind.element) for v in value]
    if isinstance(kind, MapType):
        return {k: _json_value(v, kind.value) for k, v in value.items()}
    if isinstance(kind, StructType):
        return {n: _json_value(value.get(n), t) for n, t in kind.fields}
    return value


class _JavaDouble(Decimal):
    """A double Python would spell unlike Jackson (``1e+20``, not ``1.0E20``): Java's text."""

    def __str__(self) -> str:
        return java_double_text(float(self))


class _NeedsJavaText(Exception):
    """A value the C encoder cannot write as ksqlDB does: the row is encoded in Python."""


class _DecimalJson(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, _JavaDouble):
            raise _NeedsJavaText
        if isinstance(o, Decimal):
            return float(o)
        return super().default(o)


_encode_json = _DecimalJson(separators=(",", ":"), ensure_ascii=False).encode


def _encode_plain(value: Any) -> str:
    """JSON by the fast encoder, unless a double needs Java's spelling."""
    try:
        return _encode_json(value)
    except _NeedsJavaText:
        return _encode_exact(value)


def _encode_exact(value: Any) -> str:
    """JSON with each decimal written with its scale (``12.30``), as ksqlDB's serializer writes a
    BigDecimal (its ``toString``, the notation Python's Decimal also uses). A zero is ``0``: its
    JSON node factory keeps no scale for zero (ksqlDB's own cases expect 0.0 for a DECIMAL(12, 2)
    zero, which only ``0`` matches)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return _encode_json(value)
        return "0" if value.is_zero() else str(value)
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{_encode_json(str(k))}:{_encode_exact(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(_encode_exact(v) for v in value) + "]"
    return _encode_json(value)


def _decoder(**options: Any) -> Callable[[str], Any]:
    """A JSON reader that calls the C scanner directly when the text has no outer whitespace."""
    decoder = json.JSONDecoder(**options)
    scan = decoder.scan_once  # type: ignore[attr-defined]
    full = decoder.decode

    def decode(text: str) -> Any:
        try:
            value, end = scan(text, 0)
        except StopIteration:
            return full(text)  # leading whitespace, or not JSON: the full path says which
        if end != len(text):
            return full(text)
        return value

    return decode


_EXACT = _decoder(parse_float=Decimal)
_PLAIN = _decoder()


def _loads(data: bytes, decode: Callable[[str], Any] = _EXACT) -> Any:
    try:
        return decode(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SerdeError(f"Failed to deserialize JSON: {exc}") from exc


# The JSON type each SQL type reads without conversion, for a fast path per column.
NATIVE_TYPES: dict[str, type] = {
    "STRING": str,
    "INTEGER": int,
    "BIGINT": int,
    "BOOLEAN": bool,
    "DOUBLE": float,
}
_INT_RANGE = {"INTEGER": 1 << 31, "BIGINT": 1 << 63}


def already_typed(kind: SqlType) -> Callable[[Any], bool]:
    """A test that a JSON value already is a valid engine value of ``kind`` (no coercion)."""
    native = NATIVE_TYPES.get(kind.base)
    bound = _INT_RANGE.get(kind.base)
    if native is None:
        return lambda value: value is None
    if bound is not None:
        return lambda value: value is None or (type(value) is int and -bound <= value < bound)
    return lambda value: value is None or type(value) is native


def _writer(kind: SqlType) -> Callable[[Any], Any]:
    """How a column's engine values become JSON values: as they are, for JSON-native types."""
    if kind.base == "DOUBLE":
        return _double
    if kind.base in NATIVE_TYPES:
        return _same
    return lambda value: _json_value(value, kind)


def _same(value: Any) -> Any:
    return value


def _double(value: Any) -> Any:
    # Between 1e-3 and 1e7 Python and Java spell a double alike; NaN and infinities go in
    # quotes, as Jackson writes them; other doubles keep Java's text (9.22337203692E11).
    if value is None or value == 0 or 1e-3 <= abs(value) < 1e7:
        return value
    if value - value != 0:
        return format_double(value)
    return _JavaDouble(repr(value))


def _decimal_reader(kind: DecimalType) -> Callable[[Any], Any]:
    quantum = Decimal(1).scaleb(-kind.scale)
    whole_digits = kind.precision - kind.scale

    def read(value: Any) -> Any:
        # Exact JSON numbers arrive as Decimal: scale them here, the general path otherwise.
        if type(value) is Decimal and value.is_finite():
            scaled = value.quantize(quantum)
            if not scaled or scaled.adjusted() < whole_digits:
                return scaled
        return None if value is None else _from_json(value, kind)

    return read


def _reader(kind: SqlType) -> Callable[[Any], Any]:
    if isinstance(kind, DecimalType):
        return _decimal_reader(kind)
    if kind.base not in NATIVE_TYPES:
        return lambda value: _from_json(value, kind)
    typed = already_typed(kind)

    def read(value: Any) -> Any:
        return value if typed(value) else _from_json(value, kind)

    return read


def _json_text(value: Any) -> str:
    """A JSON object or array read into a STRING column, as KsqlJsonDeserializer gives it: an
    object as compact JSON, an array as its elements' texts in brackets (``[1, a, null]``)."""
    if isinstance(value, dict):
        return _encode_exact(value)
    if isinstance(value, list):
        return "[" + ", ".join("null" if v is None else _json_text(v) for v in value) + "]"
    return str(coerce(value, STRING, lenient=True))


def _from_json(value: Any, kind: SqlType) -> Any:
    if kind.base == "STRING" and isinstance(value, (dict, list)):
        return _json_text(value)
    if isinstance(value, Decimal) and kind.base != "DECIMAL":
        value = float(value) if kind.base == "DOUBLE" or value != int(value) else int(value)
    if isinstance(kind, ArrayType) and isinstance(value, list):
        return [_from_json(v, kind.element) for v in value]
    if isinstance(kind, MapType) and isinstance(value, dict):
        return {k: _from_json(v, kind.value) for k, v in value.items()}
    if isinstance(kind, StructType) and isinstance(value, dict):
        upper = {str(k).upper(): v for k, v in value.items()}
        return {
            n: _from_json(value[n] if n in value else upper.get(n.upper()), t)
            for n, t in kind.fields
        }
    try:
        return coerce(value, kind, lenient=True)
    except CoercionError as exc:
        raise SerdeError(str(exc)) from exc


def _has_non_string_key(kind: SqlType) -> bool:
    if isinstance(kind, MapType):
        return kind.key.base != "STRING" or _has_non_string_key(kind.value)
    if isinstance(kind, ArrayType):
        return _has_non_string_key(kind.element)
    if isinstance(kind, StructType):
        return any(_has_non_string_key(t) for _, t in kind.fields)
    return False


class JsonSerde(Serde):
    """``JSON``: an object of columns (names case-insensitive on read), or one bare value."""

    def __init__(self, columns: Sequence[Column], unwrapped: bool = False) -> None:
        super().__init__(columns, unwrapped)
        if any(_has_non_string_key(c.type) for c in self.columns):
            # KsqlJsonSerdeFactory: a JSON object's field names are strings.
            raise KsqlStatementError("JSON only supports MAP types with STRING keys")
        self.readers = [(c.name, _reader(c.type)) for c in self.columns]
        self.writers = [(c.name, _writer(c.type)) for c in self.columns]
        # Numbers are read exactly (as Decimal) only when a DECIMAL column needs the digits;
        # the same columns are written with their scale.
        exact = any(has_decimal(c.type) for c in self.columns)
        self.decode = _EXACT if exact else _PLAIN
        self.encode = _encode_exact if exact else _encode_plain

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        if not self.columns:
            return None
        if self.unwrapped:
            if values[0] is None:
                return None
            return self.encode(_json_value(values[0], self.columns[0].type)).encode("utf-8")
        body = {name: write(v) for (name, write), v in zip(self.writers, values, strict=True)}
        return self.encode(body).encode("utf-8")

    def deserialize(self, data: bytes | None) -> list[Any]:
        if not self.columns:
            return []
        if data is None:
            return [None] * len(self.columns)
        parsed = _loads(data, self.decode)
        if self.unwrapped:
            return [self.readers[0][1](parsed)]
        if parsed is None:
            return [None] * len(self.columns)
        if not isinstance(parsed, dict):
            raise SerdeError(f"Expected a JSON object, got: {data[:100]!r}")
        upper: dict[str, Any] | None = None
        out = []
        for name, read in self.readers:
            if name in parsed:
                raw = parsed[name]
            else:
                if upper is None:  # field names are matched case-insensitively
                    upper = {str(k).upper(): v for k, v in parsed.items()}
                raw = upper.get(name.upper())
            out.append(read(raw))
        return out


# -- DELIMITED ------------------------------------------------------------------------------------


def _delimited_text(value: Any, kind: SqlType) -> str:
    if value is None:
        return ""
    if kind.base == "BOOLEAN":
        return "true" if value else "false"
    if kind.base == "DECIMAL":
        return format(value, "f")
    if kind.base == "DOUBLE":
        return java_double_text(float(value))
    if kind.base in ("TIMESTAMP", "DATE", "TIME", "BYTES"):
        return str(_json_value(value, kind))
    return str(value)


def _csv_field(text: str | None, first: bool, delimiter: str) -> str:
    """A field as ksqlDB's CSV printer (commons-csv 1.4, minimal quoting) writes it: quoted
    when the record starts with a non-alphanumeric, when it starts with a character up to '#',
    holds a quote, delimiter or line break, or ends in a space or control character; NULL is
    an empty field, an empty string first in the record is ``""``."""
    if text is None:
        return ""
    if not text:
        return '""' if first else ""
    head = text[0]
    quote = (
        (first and not (head.isascii() and head.isalnum()))
        or head <= "#"
        or any(c in text for c in ("\n", "\r", '"', delimiter))
        or text[-1] <= " "
    )
    return '"' + text.replace('"', '""') + '"' if quote else text


class DelimitedSerde(Serde):
    """``DELIMITED``: one CSV line of the columns, in order; empty fields are null."""

    def __init__(
        self,
        columns: Sequence[Column],
        unwrapped: bool = False,
        delimiter: str = ",",
        key: bool = True,
    ) -> None:
        super().__init__(columns, unwrapped)
        self.delimiter, self.key = delimiter, key  # a value of NULLs is still a line (",")
        for column in self.columns:
            if column.type.base in ("ARRAY", "MAP", "STRUCT"):
                raise KsqlStatementError(
                    f"The 'DELIMITED' format does not support type '{column.type.base}', "
                    f"column: `{column.name}`"
                )
        self.parsers = [delimited_parser(c.type) for c in self.columns]

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        if not self.columns or (self.key and all(v is None for v in values)):
            return None
        fields = [
            _csv_field(None if v is None else _delimited_text(v, c.type), i == 0, self.delimiter)
            for i, (c, v) in enumerate(zip(self.columns, values, strict=True))
        ]
        return self.delimiter.join(fields).encode("utf-8")

    def deserialize(self, data: bytes | None) -> list[Any]:
        if not self.columns:
            return []
        if data is None:
            return [None] * len(self.columns)
        try:
            (fields,) = list(csv.reader([data.decode("utf-8")], delimiter=self.delimiter))
        except (ValueError, UnicodeDecodeError, csv.Error) as exc:
            raise SerdeError(f"Failed to deserialize delimited record: {exc}") from exc
        if len(fields) != len(self.columns):
            raise SerdeError(
                f"Column count mismatch on deserialization. topic: expected: "
                f"{len(self.columns)}, got: {len(fields)}"
            )
        out: list[Any] = []
        for text, parse in zip(fields, self.parsers, strict=True):
            if text == "":
                out.append(None)
                continue
            try:
                out.append(parse(text))
            except (CoercionError, ValueError) as exc:
                raise SerdeError(str(exc)) from exc
        return out


class WindowedSerde(Serde):
    """A windowed key: the inner key's bytes, then the window bounds as big-endian longs.

    Time windows (TUMBLING, HOPPING) append the start; SESSION windows append end then start.
    Values are the key columns followed by WINDOWSTART and WINDOWEND.
    """

    def __init__(self, inner: Serde, kind: str, size_ms: int | None) -> None:
        super().__init__(inner.columns, inner.unwrapped)
        self.inner = inner
        self.session = kind == "SESSION"
        self.size_ms = size_ms or 0

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        start, end = values[-2], values[-1]
        key = self.inner.serialize(values[:-2]) or b""
        if self.session:
            return key + struct.pack(">qq", end, start)
        return key + struct.pack(">q", start)

    def deserialize(self, data: bytes | None) -> list[Any]:
        if data is None:
            return [*self.inner.deserialize(None), None, None]
        if self.session:
            if len(data) < 16:
                raise SerdeError("Session-windowed key shorter than 16 bytes")
            end, start = struct.unpack(">qq", data[-16:])
            body = data[:-16]
        else:
            if len(data) < 8:
                raise SerdeError("Time-windowed key shorter than 8 bytes")
            (start,) = struct.unpack(">q", data[-8:])
            end = start + self.size_ms
            body = data[:-8]
        return [*self.inner.deserialize(body or None), start, end]


class ProtobufNoSrSerde(Serde):
    """``PROTOBUF_NOSR``: a protobuf message of the columns (see :mod:`.protobuf`); a single
    unwrapped column is still field 1 of a message, but a null one is no message at all."""

    def __init__(self, columns: Sequence[Column], unwrapped: bool = False) -> None:
        super().__init__(columns, unwrapped)
        self.kinds = checked_types(self.columns)

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        if not self.columns or (self.unwrapped and values[0] is None):
            return None
        try:
            return encode_row(self.kinds, values)
        except (TypeError, ValueError, AttributeError, struct.error) as exc:
            raise SerdeError(f"Cannot write {list(values)!r} as PROTOBUF_NOSR: {exc}") from exc

    def deserialize(self, data: bytes | None) -> list[Any]:
        if data is None:
            return [None] * len(self.columns)
        try:
            return decode_row(self.kinds, data)
        except ProtobufError as exc:
            raise SerdeError(f"Failed to deserialize PROTOBUF_NOSR data: {exc}") from exc


_FACTORIES: dict[str, Callable[..., Serde]] = {
    "KAFKA": KafkaSerde,
    "JSON": JsonSerde,
    "DELIMITED": DelimitedSerde,
    "NONE": NoneSerde,
    "PROTOBUF_NOSR": ProtobufNoSrSerde,
}


def persistence_text(column: Column) -> str:
    """A column as ksqlDB's serde errors print it: `` `NAME` TYPE [KEY]``."""
    return f"`{column.name}` {column.type}" + (" KEY" if column.role == "KEY" else "")


def check_format(name: str, side: str) -> str:
    """Upper-case a format name, refusing unknown ones and those needing a schema registry."""
    upper = name.upper()
    if upper in NEEDS_REGISTRY:
        raise KsqlStatementError(
            f"Cannot use {upper} as {side} format: the ksqlpy local server has no Schema "
            "Registry. Use JSON, DELIMITED or KAFKA, or run a real ksqlDB with Schema Registry.",
            code=42801,
        )
    if upper not in _FACTORIES:
        raise KsqlStatementError(f"Unknown format: {name}")
    return upper


def make_serde(
    fmt: str, columns: Sequence[Column], *, unwrapped: bool, delimiter: str = ",", key: bool = True
) -> Serde:
    """The serde of a format over some columns (a record's key, or its value)."""
    factory = _FACTORIES[fmt]
    if fmt == "DELIMITED":
        return DelimitedSerde(columns, unwrapped, delimiter, key)
    return factory(columns, unwrapped)
