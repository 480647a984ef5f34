"""The JSON format as ksqlDB reads and writes it: exact decimals, Java's text for doubles,
case-insensitive field names, any JSON number read into an integer column as Java converts it."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from .convert import DECIMAL_CONTEXT, CoercionError, coerce, format_double, java_double_text
from .errors import KsqlStatementError
from .metastore import Column
from .serde_base import Serde, SerdeError
from .types import STRING, ArrayType, DecimalType, MapType, SqlType, StructType, has_decimal

_EPOCH = dt.datetime(1970, 1, 1)


def json_value(value: Any, kind: SqlType) -> Any:
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
        return [json_value(v, kind.element) for v in value]
    if isinstance(kind, MapType):
        return {k: json_value(v, kind.value) for k, v in value.items()}
    if isinstance(kind, StructType):
        return {n: json_value(value.get(n), t) for n, t in kind.fields}
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
    return lambda value: json_value(value, kind)


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
            scaled = value.quantize(quantum, context=DECIMAL_CONTEXT)
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


def java_hash_order(keys: list[str]) -> list[str]:
    """The order a ``java.util.HashMap`` sized for ``keys`` iterates them, as KsqlJsonDeserializer
    reads a MAP (what REDUCE, MAP_KEYS and the output see): by bucket of the key's spread
    ``String.hashCode``, then in the order put."""
    capacity = 1 << max(len(keys) - 1, 0).bit_length()  # HashMap(n): tableSizeFor(n)
    while len(keys) > int(capacity * 0.75):
        capacity *= 2
    return sorted(keys, key=lambda k: _spread_hash(k) & (capacity - 1))  # a stable sort


@functools.lru_cache(maxsize=4096)
def _spread_hash(text: str) -> int:
    """HashMap's hash of a key: String.hashCode over UTF-16 units, its high half XORed in."""
    data, code = text.encode("utf-16-be"), 0
    for i in range(0, len(data), 2):
        code = (31 * code + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return code ^ (code >> 16)


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, float) and math.isfinite(value)


def _from_json(value: Any, kind: SqlType) -> Any:
    if kind.base == "STRING" and isinstance(value, (dict, list)):
        return _json_text(value)
    bound = _INT_RANGE.get(kind.base)
    if bound and _finite_number(value):
        # Any JSON number, as KsqlJsonDeserializer reads it (Java's intValue / asLong of an
        # exact number): the fraction cut off, the bits beyond the type's dropped.
        return (int(value) + bound) % (2 * bound) - bound
    if isinstance(value, Decimal) and kind.base != "DECIMAL":
        value = float(value) if kind.base == "DOUBLE" or value != int(value) else int(value)
    if isinstance(kind, ArrayType) and isinstance(value, list):
        return [_from_json(v, kind.element) for v in value]
    if isinstance(kind, MapType) and isinstance(value, dict):
        return {k: _from_json(value[k], kind.value) for k in java_hash_order(list(value))}
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
            return self.encode(json_value(values[0], self.columns[0].type)).encode("utf-8")
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
