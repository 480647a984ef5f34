"""Types from parsed SQL, and coercion of literal/JSON values into a column's type."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from sqlglot import exp

from .errors import KsqlStatementError
from .types import (
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

_DTYPES: dict[Any, SqlType] = {
    exp.DType.BOOLEAN: BOOLEAN,
    exp.DType.INT: INTEGER,
    exp.DType.BIGINT: BIGINT,
    exp.DType.DOUBLE: DOUBLE,
    exp.DType.TEXT: STRING,
    exp.DType.VARCHAR: STRING,
    exp.DType.VARBINARY: BYTES,
    exp.DType.DATE: DATE,
    exp.DType.TIME: TIME,
    exp.DType.TIMESTAMP: TIMESTAMP,
}


def clause_integer(text: str, clause: str) -> int:
    """The integer of a ``LIMIT`` or ``INTERVAL`` clause, refused as ksqlDB refuses others."""
    if not re.fullmatch(r"[+-]?\d{1,10}", text):
        raise KsqlStatementError(f"Value must be integer for command: {clause}")
    return int(text)


def identifier_name(node: exp.Expression | str) -> str:
    """A name as ksqlDB stores it: upper-cased unless it was quoted with backticks."""
    if isinstance(node, str):
        return node.upper()
    if isinstance(node, exp.Identifier):
        return node.name if node.quoted else node.name.upper()
    if isinstance(node, (exp.Column, exp.Table)):
        return identifier_name(node.this)
    return node.name.upper()


def sql_type(node: exp.Expression, custom: Mapping[str, SqlType]) -> SqlType:
    """The SqlType of a parsed type (``DataType``), custom types resolved by name."""
    if not isinstance(node, exp.DataType):
        raise KsqlStatementError(f"Unknown type: {node.sql()}")
    kind = node.this
    if kind in _DTYPES:
        return _DTYPES[kind]
    params = node.expressions
    if kind == exp.DType.DECIMAL:
        if len(params) != 2:
            raise KsqlStatementError("DECIMAL requires precision and scale: DECIMAL(p, s)")
        precision, scale = (
            int(p.this.name if isinstance(p, exp.DataTypeParam) else p.name) for p in params
        )
        # SqlDecimal.validateParameters: no upper bound on the precision.
        for broken, rule in (
            (precision < 1, "precision must be >= 1"),
            (scale < 0, "scale must be >= 0"),
            (precision < scale, "precision must be >= scale"),
        ):
            if broken:
                raise KsqlStatementError(f"DECIMAL {rule}: DECIMAL({precision},{scale})")
        return DecimalType("DECIMAL", precision, scale)
    if kind == exp.DType.ARRAY:
        return ArrayType("ARRAY", sql_type(params[0], custom))
    if kind == exp.DType.MAP:
        return MapType("MAP", sql_type(params[0], custom), sql_type(params[1], custom))
    if kind == exp.DType.STRUCT:
        fields = []
        for field in params:
            fields.append((identifier_name(field.this), sql_type(field.args["kind"], custom)))
        return StructType("STRUCT", tuple(fields))
    if kind == exp.DType.USERDEFINED:
        name = node.args.get("kind") or node.name
        found = custom.get(str(name).upper())
        if found is None:
            raise KsqlStatementError(f"Unknown type: {name}")
        return found
    raise KsqlStatementError(f"Unknown type: {node.sql()}")


# -- coercion of JSON / literal values into typed engine values ---------------------------------


class CoercionError(ValueError):
    """A value cannot be converted to the column's type."""


_JAVA_CLASS = {
    str: "java.lang.String",
    int: "java.lang.Integer",
    float: "java.lang.Double",
    bool: "java.lang.Boolean",
    list: "java.util.ArrayList",
    dict: "java.util.LinkedHashMap",
    Decimal: "java.math.BigDecimal",
}


def _fail(value: Any, kind: SqlType) -> CoercionError:
    java = _JAVA_CLASS.get(type(value), type(value).__name__)
    return CoercionError(f"Can't coerce a field of type class {java} into type {kind}")


def _to_int(bits: int) -> Callable[[Any, SqlType, bool], Any]:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

    def run(value: Any, kind: SqlType, lenient: bool) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and lenient and value.is_integer():
                value = int(value)
            elif isinstance(value, str) and lenient:
                try:
                    value = int(value.strip())
                except ValueError:
                    raise _fail(value, kind) from None
            else:
                raise _fail(value, kind)
        if not low <= value <= high:
            raise CoercionError(f"Value {value} is out of range for {kind}")
        return value

    return run


def _to_double(value: Any, kind: SqlType, lenient: bool) -> Any:
    if isinstance(value, bool):
        raise _fail(value, kind)
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, str) and lenient:
        try:
            return float(value)
        except ValueError:
            raise _fail(value, kind) from None
    raise _fail(value, kind)


def _to_decimal(value: Any, kind: SqlType, lenient: bool) -> Any:
    assert isinstance(kind, DecimalType)
    if isinstance(value, bool):
        raise _fail(value, kind)
    try:
        number = Decimal(value) if isinstance(value, (str, int, Decimal)) else Decimal(repr(value))
    except (InvalidOperation, TypeError, ValueError):
        raise _fail(value, kind) from None
    if not number.is_finite():
        raise _fail(value, kind)
    quantum = Decimal(1).scaleb(-kind.scale)
    try:
        # DECIMAL(38, s) needs more than the default context's 28 digits.
        scaled = number.quantize(quantum, context=DECIMAL_CONTEXT)
    except InvalidOperation:
        scaled = None
    if scaled is None or (len(scaled.as_tuple().digits) > kind.precision and scaled != 0):
        raise CoercionError(f"Cannot fit decimal '{value}' into {kind}")
    return scaled


# DECIMAL(38, s) values and the results of arithmetic on them (a product has up to 76 digits):
# Python's default context keeps 28 digits and would round them.
DECIMAL_CONTEXT = Context(prec=80)


def _to_string(value: Any, kind: SqlType, lenient: bool) -> Any:
    if isinstance(value, str):
        return value
    if lenient and not isinstance(value, (list, dict)):
        # JSON deserialisation reads any scalar into a STRING column as its text.
        return "true" if value is True else "false" if value is False else str(value)
    raise _fail(value, kind)


def _to_boolean(value: Any, kind: SqlType, lenient: bool) -> Any:
    if isinstance(value, bool):
        return value
    if lenient and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _fail(value, kind)


def _to_bytes(value: Any, kind: SqlType, lenient: bool) -> Any:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise _fail(value, kind) from None
    raise _fail(value, kind)


_PARTIAL_TIMESTAMP = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)


def parse_timestamp(text: str) -> dt.datetime:
    """An ISO timestamp (zone optional, converted to UTC) as a naive UTC datetime. As ksqlDB's
    PartialStringToTimestampParser, trailing parts may be left out (``2020-02``,
    ``2020-02-24T23``) and hour 24 is midnight of the next day."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        value = _partial_timestamp(text)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _partial_timestamp(text: str) -> dt.datetime:
    match = _PARTIAL_TIMESTAMP.fullmatch(text.strip())
    if match is None:
        raise CoercionError(f"Failed to parse timestamp '{text}'")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = dt.datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            0,
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")[:6]),
        ) + dt.timedelta(hours=int(hour or 0))
    except ValueError:
        raise CoercionError(f"Failed to parse timestamp '{text}'") from None
    if hour is not None and int(hour) > 24:
        raise CoercionError(f"Failed to parse timestamp '{text}'")
    if zone:
        spelled = "+00:00" if zone == "Z" else zone
        offset = dt.datetime.strptime(spelled.replace(":", ""), "%z").utcoffset()
        value = value.replace(tzinfo=dt.timezone(offset or dt.timedelta()))
    return value


def millis_to_timestamp(millis: int) -> dt.datetime:
    """Epoch milliseconds as a naive UTC datetime."""
    return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=millis)


def _to_timestamp(value: Any, kind: SqlType, lenient: bool) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return parse_timestamp(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return millis_to_timestamp(value)
    raise _fail(value, kind)


def _to_date(value: Any, kind: SqlType, lenient: bool) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise CoercionError(f"Failed to parse date '{value}'") from None
    if isinstance(value, int) and not isinstance(value, bool):
        return dt.date(1970, 1, 1) + dt.timedelta(days=value)
    raise _fail(value, kind)


def _to_time(value: Any, kind: SqlType, lenient: bool) -> Any:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError:
            raise CoercionError(f"Failed to parse time '{value}'") from None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds, millis = divmod(value, 1000)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        return dt.time(hour % 24, minute, second, millis * 1000)
    raise _fail(value, kind)


def _to_array(value: Any, kind: SqlType, lenient: bool) -> Any:
    assert isinstance(kind, ArrayType)
    if not isinstance(value, list):
        raise _fail(value, kind)
    return [coerce(v, kind.element, lenient) for v in value]


def _to_map(value: Any, kind: SqlType, lenient: bool) -> Any:
    assert isinstance(kind, MapType)
    if not isinstance(value, dict):
        raise _fail(value, kind)
    return {str(k): coerce(v, kind.value, lenient) for k, v in value.items()}


def _to_struct(value: Any, kind: SqlType, lenient: bool) -> Any:
    assert isinstance(kind, StructType)
    if not isinstance(value, dict):
        raise _fail(value, kind)
    by_upper = {str(k).upper(): v for k, v in value.items()}
    out: dict[str, Any] = {}
    for name, field_type in kind.fields:
        raw = value[name] if name in value else by_upper.get(name.upper())
        out[name] = coerce(raw, field_type, lenient)
    return out


_COERCE: dict[str, Callable[[Any, SqlType, bool], Any]] = {
    "INTEGER": _to_int(32),
    "BIGINT": _to_int(64),
    "DOUBLE": _to_double,
    "DECIMAL": _to_decimal,
    "STRING": _to_string,
    "BOOLEAN": _to_boolean,
    "BYTES": _to_bytes,
    "TIMESTAMP": _to_timestamp,
    "DATE": _to_date,
    "TIME": _to_time,
    "ARRAY": _to_array,
    "MAP": _to_map,
    "STRUCT": _to_struct,
}


def coerce(value: Any, kind: SqlType, lenient: bool = False) -> Any:
    """Convert a JSON or literal value to an engine value of ``kind`` (``None`` stays ``None``).

    Strict (the default) is ksqlDB's value coercer for inserts: a string is never a number.
    ``lenient`` is its JSON deserialiser, which reads numbers from strings and the like.
    """
    if value is None:
        return None
    return _COERCE[kind.base](value, kind, lenient)


def hashable(value: Any) -> Any:
    """A hashable stand-in for a value (arrays, maps and structs become tuples), for state keys."""
    if isinstance(value, list):
        return tuple(hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, hashable(v)) for k, v in value.items())
    return value


def format_timestamp(value: dt.datetime) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSS`` in UTC with no zone, as ksqlDB prints TIMESTAMP."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def format_time(value: dt.time) -> str:
    """As Java's ``LocalTime.ofSecondOfDay(..).toString()``: no millis, ``:ss`` only if not 0."""
    if value.second:
        return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return f"{value.hour:02d}:{value.minute:02d}"


def java_double_text(value: float) -> str:
    """A DOUBLE as text the way Java's Double.toString writes it (CAST(d AS STRING), Jackson's
    JSON): plain between 1e-3 and 1e7, else ``d.dddE±n``; always a fractional digit (``1.0E20``)."""
    special = format_double(value)
    if isinstance(special, str):
        return special
    if value == 0:
        return repr(value)
    sign, digits, exponent = _java_digits(value)
    text = "".join(map(str, digits))
    point = len(digits) + exponent  # digits before the decimal point
    if 1e-3 <= abs(value) < 1e7:
        if point <= 0:
            body = "0." + "0" * -point + text
        else:
            whole, fraction = text[:point].ljust(point, "0"), text[point:]
            body = whole + "." + (fraction or "0")
        return ("-" if sign else "") + body
    mantissa = text[0] + "." + (text[1:] or "0")
    return ("-" if sign else "") + f"{mantissa}E{point - 1}"


def _java_digits(value: float) -> tuple[int, tuple[int, ...], int]:
    """The decimal digits Java picks for a double: the shortest that read back as it, but when
    one digit would do, the closest of one or two digits (``4.9E-324``, not ``5E-324``)."""
    if value.is_integer() and 2**53 <= abs(value) < 2**63:
        return _java_long_digits(value)
    shortest = Decimal(repr(value)).normalize()
    sign, digits, exponent = shortest.as_tuple()
    assert isinstance(exponent, int)
    if len(digits) == 1:
        exact = Decimal(value)  # every double is an exact binary fraction
        closest = exact.quantize(Decimal(1).scaleb(exact.adjusted() - 1), context=DECIMAL_CONTEXT)
        if float(closest) == value:
            sign, digits, exponent = closest.normalize().as_tuple()
            assert isinstance(exponent, int)
    return sign, digits, exponent


def _java_long_digits(value: float) -> tuple[int, tuple[int, ...], int]:
    """Java's digits of a whole double in [2**53, 2**63) (FloatingDecimal's long path): the
    exact integer, less the low digits that the bits beyond 54 cannot hold, rounded half up
    (2**62 is ``4.6116860184273879E18``, not the shortest ``4.611686018427388E18``)."""
    whole = abs(int(value))
    spare_bits = whole.bit_length() - 55
    dropped = len(str(1 << spare_bits)) - 1 if spare_bits > 1 else 0
    if dropped:
        whole, residue = divmod(whole, 10**dropped)
        whole += residue >= 10**dropped // 2
    text = str(whole).rstrip("0")
    exponent = dropped + len(str(whole)) - len(text)
    return int(value < 0), tuple(int(d) for d in text), exponent


def format_double(value: float) -> float | str:
    """Doubles as JSON numbers; NaN and infinities as Java spells them, in strings."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def cast_value(value: Any, source: SqlType, target: SqlType) -> Any:
    """CAST between SQL types, as ksqlDB converts."""
    if isinstance(source, ArrayType) and isinstance(target, ArrayType):
        return [_cast_item(v, source.element, target.element) for v in value]
    if isinstance(source, MapType) and isinstance(target, MapType):
        return {
            _cast_item(k, source.key, target.key): _cast_item(v, source.value, target.value)
            for k, v in value.items()
        }
    if isinstance(source, StructType) and isinstance(target, StructType):
        return {
            name: _cast_item(value.get(name), source.field(name) or kind, kind)
            for name, kind in target.fields
        }
    if target.base == "STRING":
        if source.base == "BOOLEAN":
            return "true" if value else "false"
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, float):
            return java_double_text(value)
        if source.base in ("TIMESTAMP", "DATE", "TIME"):
            if source.base == "TIMESTAMP":
                return format_timestamp(value)
            return format_time(value) if source.base == "TIME" else value.isoformat()
        return java_text(value, source)
    if target.base == "INTEGER" and source.base == "BIGINT" and isinstance(value, int):
        return java_wrap(value, 32)  # Java's (int) narrowing keeps the low 32 bits
    if target.base in ("INTEGER", "BIGINT") and isinstance(value, (float, Decimal)):
        return _java_narrow(value, 32 if target.base == "INTEGER" else 64)
    if target.base == "INTEGER" and type(value) is int:
        return java_wrap(value, 32)  # Java's (int) of a long keeps the low 32 bits
    if target.base in ("INTEGER", "BIGINT", "DOUBLE", "DECIMAL", "BOOLEAN") and isinstance(
        value, str
    ):
        return coerce(value.strip(), target, lenient=True)
    return coerce(value, target, lenient=True)


def _cast_item(value: Any, source: SqlType, target: SqlType) -> Any:
    return None if value is None else cast_value(value, source, target)


def java_text(value: Any, kind: SqlType) -> str:
    """A value as Java's toString writes it: lists ``[1, 2]``, maps ``{k=v}``, Connect structs
    ``Struct{A=1,B=x}`` (NULL fields left out), doubles as Double.toString."""
    if value is None:
        return "null"
    if isinstance(kind, StructType):
        shown = [
            f"{n}={java_text(value.get(n), t)}" for n, t in kind.fields if value.get(n) is not None
        ]
        return "Struct{" + ",".join(shown) + "}"
    if isinstance(kind, MapType):
        items = (f"{java_text(k, kind.key)}={java_text(v, kind.value)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(kind, ArrayType):
        return "[" + ", ".join(java_text(v, kind.element) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _java_narrow(value: float | Decimal, bits: int) -> int:
    """A DOUBLE or DECIMAL cast to INT/BIGINT as Java converts: a double saturates at the type's
    bounds (NaN is 0), a decimal keeps the low-order bits (BigDecimal.intValue/longValue)."""
    low: int = -(2 ** (bits - 1))
    high: int = 2 ** (bits - 1) - 1
    if isinstance(value, float):
        if math.isnan(value):
            return 0
        if math.isinf(value):
            return high if value > 0 else low
        return max(low, min(high, int(value)))
    return java_wrap(int(value), bits)


def java_wrap(value: int, bits: int) -> int:
    """An integer kept to ``bits`` bits as Java's int/long arithmetic keeps it (wrapping)."""
    wrapped: int = value & ((1 << bits) - 1)
    return wrapped - (1 << bits) if wrapped >= 1 << (bits - 1) else wrapped
