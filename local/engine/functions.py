"""Scalar functions: name -> implementation and return-type rule.

Every function gets evaluated arguments (``None`` for SQL NULL) and returns a value; most return
NULL when an argument is NULL, as ksqlDB's UDFs do. Lambdas arrive as Python callables.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import random
import re
import time
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .errors import KsqlStatementError
from .types import (
    BIGINT,
    BOOLEAN,
    BYTES,
    DOUBLE,
    INTEGER,
    STRING,
    TIMESTAMP,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
)

TypeRule = Callable[[Sequence[SqlType]], SqlType]


@dataclass(frozen=True, slots=True)
class Function:
    """A scalar function: its implementation, return type, category and description."""

    name: str
    call: Callable[..., Any]
    returns: TypeRule
    category: str
    description: str
    min_args: int = 0
    max_args: int | None = None
    lambdas: bool = False


REGISTRY: dict[str, Function] = {}


def _fixed(kind: SqlType) -> TypeRule:
    return lambda args: kind


def _first(args: Sequence[SqlType]) -> SqlType:
    return args[0] if args else STRING


def _strict(fn: Callable[..., Any]) -> Callable[..., Any]:
    """NULL in, NULL out."""

    def run(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        return fn(*args)

    return run


def register(
    name: str,
    call: Callable[..., Any],
    returns: TypeRule,
    category: str,
    description: str,
    min_args: int,
    max_args: int | None = None,
    *,
    strict: bool = True,
    lambdas: bool = False,
) -> None:
    """Add a function to the registry."""
    REGISTRY[name] = Function(
        name,
        _strict(call) if strict else call,
        returns,
        category,
        description,
        min_args,
        max_args if max_args is not None else min_args,
        lambdas,
    )


def lookup(name: str, arg_count: int) -> Function:
    """A function by (upper-case) name, checking the argument count."""
    function = REGISTRY.get(name.upper())
    if function is None:
        raise KsqlStatementError(f"Can't find any functions with the name '{name.upper()}'")
    if arg_count < function.min_args or (
        function.max_args is not None and arg_count > function.max_args
    ):
        raise KsqlStatementError(
            f"Function '{function.name}' does not accept {arg_count} parameters"
        )
    return function


# -- strings ---------------------------------------------------------------------------------------

STRINGS = "STRING"


def _substring(text: str, start: int, length: int | None = None) -> str:
    # ksqlDB positions are 1-based; negative counts from the end.
    begin = start - 1 if start > 0 else max(len(text) + start, 0)
    if length is None:
        return text[begin:]
    return text[begin : begin + max(length, 0)]


def _pad(left: bool) -> Callable[[str, int, str], str | None]:
    def run(text: str, length: int, padding: str) -> str | None:
        if length < 0 or (not padding and length > len(text)):
            return None
        if len(text) >= length:
            return text[:length]
        fill = (padding * (length // max(len(padding), 1) + 1))[: length - len(text)]
        return fill + text if left else text + fill

    return run


def _split(text: str, delimiter: str) -> list[str]:
    return list(text) if delimiter == "" else text.split(delimiter)


def _concat(*args: Any) -> str:
    return "".join(a for a in args if a is not None)


def _concat_ws(separator: Any, *args: Any) -> str | None:
    if separator is None:
        return None
    return str(separator).join(a for a in args if a is not None)


def _initcap(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in text.split(" "))


def _instr(text: str, sub: str, position: int = 1, occurrence: int = 1) -> int:
    start = position - 1 if position > 0 else len(text) + position
    index = start - 1
    for _ in range(occurrence):
        index = text.find(sub, index + 1)
        if index < 0:
            return 0
    return index + 1


def _extract_json_field(text: str, path: str) -> str | None:
    try:
        node: Any = json.loads(text)
    except ValueError:
        return None
    for raw in path.lstrip("$").replace("[", ".").replace("]", "").split("."):
        part = raw.strip("'\"")
        if not part:
            continue
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
        if node is None:
            return None
    return node if isinstance(node, str) else json.dumps(node, separators=(",", ":"))


register("UCASE", str.upper, _fixed(STRING), STRINGS, "Upper-cases a string.", 1)
register("UPPER", str.upper, _fixed(STRING), STRINGS, "Upper-cases a string.", 1)
register("LCASE", str.lower, _fixed(STRING), STRINGS, "Lower-cases a string.", 1)
register("LOWER", str.lower, _fixed(STRING), STRINGS, "Lower-cases a string.", 1)
register("LEN", len, _fixed(INTEGER), STRINGS, "The length of a string.", 1)
register("LENGTH", len, _fixed(INTEGER), STRINGS, "The length of a string.", 1)
register("TRIM", str.strip, _fixed(STRING), STRINGS, "Removes surrounding spaces.", 1)
register("LTRIM", str.lstrip, _fixed(STRING), STRINGS, "Removes leading spaces.", 1)
register("RTRIM", str.rstrip, _fixed(STRING), STRINGS, "Removes trailing spaces.", 1)
register("INITCAP", _initcap, _fixed(STRING), STRINGS, "Capitalises each word.", 1)
register("SUBSTRING", _substring, _fixed(STRING), STRINGS, "A part of a string (1-based).", 2, 3)
register("REPLACE", str.replace, _fixed(STRING), STRINGS, "Replaces every occurrence.", 3)
register("SPLIT", _split, _fixed(ArrayType("ARRAY", STRING)), STRINGS, "Splits a string.", 2)
register("LPAD", _pad(True), _fixed(STRING), STRINGS, "Pads on the left to a length.", 3)
register("RPAD", _pad(False), _fixed(STRING), STRINGS, "Pads on the right to a length.", 3)
register("INSTR", _instr, _fixed(INTEGER), STRINGS, "Position of a substring (1-based).", 2, 4)
register(
    "CONCAT",
    _concat,
    _fixed(STRING),
    STRINGS,
    "Joins strings, skipping NULLs.",
    1,
    1000,
    strict=False,
)
register(
    "CONCAT_WS",
    _concat_ws,
    _fixed(STRING),
    STRINGS,
    "Joins strings with a separator.",
    2,
    1000,
    strict=False,
)
register(
    "EXTRACTJSONFIELD",
    _extract_json_field,
    _fixed(STRING),
    "JSON",
    "A field of a JSON string by a JSONPath like '$.a.b'.",
    2,
)

# -- maths -----------------------------------------------------------------------------------------

MATHS = "MATHEMATICAL"


def _round(value: Any, digits: int = 0) -> Any:
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if not math.isfinite(value):
        return value
    scaled = Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return int(scaled) if digits == 0 else float(scaled)


def _round_type(args: Sequence[SqlType]) -> SqlType:
    kind = args[0]
    if kind.base == "DOUBLE" and len(args) == 1:
        return BIGINT
    if isinstance(kind, DecimalType):
        return DecimalType("DECIMAL", kind.precision, 0 if len(args) == 1 else kind.scale)
    return kind


def _ceil_floor(fn: Callable[[Any], int]) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        if isinstance(value, int):
            return value
        if isinstance(value, Decimal):
            return Decimal(fn(value))
        return float(fn(value))

    return run


def _sign(value: Any) -> int:
    return int(value > 0) - int(value < 0)


def _safe(fn: Callable[..., float]) -> Callable[..., float | None]:
    def run(*args: Any) -> float | None:
        try:
            return fn(*(float(a) for a in args))
        except (ValueError, OverflowError, ZeroDivisionError):
            return None

    return run


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        present = [a for a in args if a is not None]
        return pick(present) if present else None

    return run


register("ABS", abs, _first, MATHS, "The absolute value.", 1)
register("CEIL", _ceil_floor(math.ceil), _first, MATHS, "Rounds up.", 1)
register("FLOOR", _ceil_floor(math.floor), _first, MATHS, "Rounds down.", 1)
register("ROUND", _round, _round_type, MATHS, "Rounds half up.", 1, 2)
register("SQRT", _safe(math.sqrt), _fixed(DOUBLE), MATHS, "The square root.", 1)
register("POWER", _safe(math.pow), _fixed(DOUBLE), MATHS, "A number raised to a power.", 2)
register("EXP", _safe(math.exp), _fixed(DOUBLE), MATHS, "e raised to a power.", 1)
register("LN", _safe(math.log), _fixed(DOUBLE), MATHS, "The natural logarithm.", 1)
register("SIGN", _sign, _fixed(INTEGER), MATHS, "-1, 0 or 1.", 1)
register("RANDOM", random.random, _fixed(DOUBLE), MATHS, "A random number in [0, 1).", 0)
register("GREATEST", _extreme(max), _first, MATHS, "The largest argument.", 1, 1000, strict=False)
register("LEAST", _extreme(min), _first, MATHS, "The smallest argument.", 1, 1000, strict=False)

# -- nulls, arrays, maps, lambdas -----------------------------------------------------------------


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if a is not None), None)


def _nullif(a: Any, b: Any) -> Any:
    return None if a is not None and a == b else a


def _array_contains(array: list[Any], value: Any) -> bool:
    return value in array


def _transform(collection: Any, *fns: Callable[..., Any]) -> Any:
    if isinstance(collection, dict):
        key_fn, value_fn = fns
        return {key_fn(k, v): value_fn(k, v) for k, v in collection.items()}
    (fn,) = fns
    return [fn(x) for x in collection]


def _transform_type(args: Sequence[SqlType]) -> SqlType:
    if isinstance(args[0], MapType):
        return MapType("MAP", args[1], args[2])
    return ArrayType("ARRAY", args[1])


def _filter(collection: Any, fn: Callable[..., Any]) -> Any:
    if isinstance(collection, dict):
        return {k: v for k, v in collection.items() if fn(k, v)}
    return [x for x in collection if fn(x)]


def _reduce(collection: Any, state: Any, fn: Callable[..., Any]) -> Any:
    if collection is None:
        return state
    if isinstance(collection, dict):
        for key, value in collection.items():
            state = fn(state, key, value)
        return state
    for item in collection:
        state = fn(state, item)
    return state


register(
    "COALESCE", _coalesce, _first, "NULL", "The first non-NULL argument.", 1, 1000, strict=False
)
register(
    "IFNULL",
    _coalesce,
    _first,
    "NULL",
    "The second argument when the first is NULL.",
    2,
    strict=False,
)
register("NULLIF", _nullif, _first, "NULL", "NULL when both arguments are equal.", 2, strict=False)
register("ARRAY_LENGTH", len, _fixed(INTEGER), "ARRAY", "The number of elements.", 1)
register(
    "ARRAY_CONTAINS", _array_contains, _fixed(BOOLEAN), "ARRAY", "Whether an array has a value.", 2
)
register(
    "MAP_KEYS",
    list,
    lambda a: ArrayType("ARRAY", STRING),
    "MAP",
    "The keys of a map.",
    1,
)
register(
    "MAP_VALUES",
    lambda m: list(m.values()),
    lambda a: ArrayType("ARRAY", a[0].value if isinstance(a[0], MapType) else STRING),
    "MAP",
    "The values of a map.",
    1,
)
register(
    "TRANSFORM",
    _transform,
    _transform_type,
    "LAMBDA",
    "Applies a lambda to each element.",
    2,
    3,
    lambdas=True,
)
register(
    "FILTER", _filter, _first, "LAMBDA", "Keeps the elements a lambda accepts.", 2, lambdas=True
)
register(
    "REDUCE",
    _reduce,
    lambda a: a[-1],
    "LAMBDA",
    "Folds a collection with a lambda.",
    3,
    lambdas=True,
)

# -- dates and times -------------------------------------------------------------------------------

TIMES = "DATE / TIME"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _java_pattern(pattern: str) -> list[tuple[str, str]]:
    """Split a java.time/SimpleDateFormat pattern into (letter run | literal) parts."""
    parts: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            end = pattern.find("'", i + 1)
            end = len(pattern) if end < 0 else end
            parts.append(("", pattern[i + 1 : end] or "'"))
            i = end + 1
        elif char.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == char:
                j += 1
            parts.append((char, pattern[i:j]))
            i = j
        else:
            parts.append(("", char))
            i += 1
    return parts


def _offset(moment: dt.datetime, colon: bool) -> str:
    delta = moment.utcoffset() or dt.timedelta()
    minutes = int(delta.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{mins:02d}"


_FORMATTERS: dict[str, Callable[[dt.datetime, int], str]] = {
    "y": lambda m, n: f"{m.year % 100:02d}" if n == 2 else f"{m.year:0{n}d}",
    "M": lambda m, n: m.strftime("%B" if n >= 4 else "%b") if n >= 3 else f"{m.month:0{n}d}",
    "d": lambda m, n: f"{m.day:0{n}d}",
    "H": lambda m, n: f"{m.hour:0{n}d}",
    "h": lambda m, n: f"{(m.hour % 12) or 12:0{n}d}",
    "m": lambda m, n: f"{m.minute:0{n}d}",
    "s": lambda m, n: f"{m.second:0{n}d}",
    "S": lambda m, n: f"{m.microsecond // 1000:03d}"[:n].ljust(n, "0"),
    "a": lambda m, n: "AM" if m.hour < 12 else "PM",
    "E": lambda m, n: m.strftime("%A" if n >= 4 else "%a"),
    "Z": lambda m, n: _offset(m, False),
    "X": lambda m, n: "Z" if not m.utcoffset() else _offset(m, n >= 3),
    "z": lambda m, n: m.tzname() or "UTC",
}


def _zone(name: str | None) -> dt.tzinfo:
    if not name or name.upper() == "UTC":
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone: {name}") from None


def _format(moment: dt.datetime, pattern: str) -> str:
    out = []
    for letter, text in _java_pattern(pattern):
        if not letter:
            out.append(text)
        elif letter in _FORMATTERS:
            out.append(_FORMATTERS[letter](moment, len(text)))
        else:
            raise ValueError(f"Unsupported pattern letter '{letter}' in '{pattern}'")
    return "".join(out)


_PARSE_CODES = {
    "y": "%Y",
    "M": "%m",
    "d": "%d",
    "H": "%H",
    "h": "%I",
    "m": "%M",
    "s": "%S",
    "a": "%p",
}


def _parse(text: str, pattern: str, zone: dt.tzinfo) -> dt.datetime:
    regex = []
    for letter, run in _java_pattern(pattern):
        if not letter:
            regex.append(re.escape(run))
        elif letter == "S":
            regex.append(r"(?P<S>\d{1,9})")
        elif letter in ("Z", "X"):
            regex.append(r"(?P<Z>Z|[+-]\d{2}:?\d{2})")
        elif letter == "M" and len(run) >= 3:
            regex.append(r"(?P<b>[A-Za-z]+)")
        elif letter in _PARSE_CODES:
            regex.append(rf"(?P<{letter}>\d+)" if letter != "a" else r"(?P<a>[AaPp][Mm])")
        else:
            raise ValueError(f"Unsupported pattern letter '{letter}' in '{pattern}'")
    match = re.fullmatch("".join(regex), text.strip())
    if match is None:
        raise ValueError(f"Text '{text}' does not match the pattern '{pattern}'")
    fields = match.groupdict()
    month = int(fields["M"]) if fields.get("M") else 1
    if fields.get("b"):
        month = dt.datetime.strptime(fields["b"][:3], "%b").month
    hour = int(fields.get("H") or fields.get("h") or 0)
    if fields.get("a") and fields["a"].upper() == "PM" and hour < 12:
        hour += 12
    millis = int((fields.get("S") or "0").ljust(3, "0")[:3])
    moment = dt.datetime(
        int(fields.get("y") or 1970),
        month,
        int(fields.get("d") or 1),
        hour,
        int(fields.get("m") or 0),
        int(fields.get("s") or 0),
        millis * 1000,
        tzinfo=zone,
    )
    if fields.get("Z"):
        offset = fields["Z"].replace(":", "")
        if offset == "Z":
            return moment.replace(tzinfo=dt.UTC)
        sign = 1 if offset[0] == "+" else -1
        delta = dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])) * sign
        moment = moment.replace(tzinfo=dt.timezone(delta))
    return moment


def _millis(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // dt.timedelta(milliseconds=1)


def _from_millis(millis: int, zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    return (_EPOCH + dt.timedelta(milliseconds=millis)).astimezone(zone)


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _timestamp_to_string(millis: int, pattern: str, zone: str | None = None) -> str:
    return _format(_from_millis(millis, _zone(zone)), pattern)


def _string_to_timestamp(text: str, pattern: str, zone: str | None = None) -> int:
    return _millis(_parse(text, pattern, _zone(zone)))


def _format_timestamp(value: dt.datetime, pattern: str, zone: str | None = None) -> str:
    return _format(value.replace(tzinfo=dt.UTC).astimezone(_zone(zone)), pattern)


def _parse_timestamp(text: str, pattern: str, zone: str | None = None) -> dt.datetime:
    return _naive_utc(_parse(text, pattern, _zone(zone)))


def _unix_timestamp(value: dt.datetime | None = None) -> int:
    if value is None:
        return int(time.time() * 1000)
    return _millis(value.replace(tzinfo=dt.UTC))


def _unix_date(value: dt.date | None = None) -> int:
    return ((value or dt.datetime.now(dt.UTC).date()) - dt.date(1970, 1, 1)).days


def _geo_distance(lat1: Any, lon1: Any, lat2: Any, lon2: Any, unit: str = "km") -> float:
    radius = {"KM": 6371.0, "KILOMETERS": 6371.0, "MI": 3959.0, "MILES": 3959.0}.get(unit.upper())
    if radius is None:
        raise ValueError(f"GeoDistance function units must be 'KM' or 'MI', got {unit}")
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(lon2) - float(lon1))
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


register(
    "TIMESTAMPTOSTRING",
    _timestamp_to_string,
    _fixed(STRING),
    TIMES,
    "Formats epoch milliseconds with a Java date pattern, in a time zone (UTC by default).",
    2,
    3,
)
register(
    "STRINGTOTIMESTAMP",
    _string_to_timestamp,
    _fixed(BIGINT),
    TIMES,
    "Parses a string with a Java date pattern into epoch milliseconds.",
    2,
    3,
)
register(
    "FORMAT_TIMESTAMP",
    _format_timestamp,
    _fixed(STRING),
    TIMES,
    "Formats a TIMESTAMP with a Java date pattern.",
    2,
    3,
)
register(
    "PARSE_TIMESTAMP",
    _parse_timestamp,
    _fixed(TIMESTAMP),
    TIMES,
    "Parses a string with a Java date pattern into a TIMESTAMP.",
    2,
    3,
)
register(
    "FROM_UNIXTIME",
    lambda ms: _naive_utc(_from_millis(ms)),
    _fixed(TIMESTAMP),
    TIMES,
    "Converts epoch milliseconds to a TIMESTAMP.",
    1,
)
register(
    "UNIX_TIMESTAMP",
    _unix_timestamp,
    _fixed(BIGINT),
    TIMES,
    "Epoch milliseconds of a TIMESTAMP, or of now.",
    0,
    1,
)
register("UNIX_DATE", _unix_date, _fixed(INTEGER), TIMES, "Days since 1970-01-01.", 0, 1)
register(
    "AS_VALUE", lambda v: v, _first, "OTHER", "Copies a key column into the value.", 1, strict=False
)
register(
    "GEO_DISTANCE",
    _geo_distance,
    _fixed(DOUBLE),
    "GEOSPATIAL",
    "The great-circle distance between two points, in KM (default) or MI.",
    4,
    5,
)


# -- bytes -----------------------------------------------------------------------------------------


# As ksqlDB's BytesUtils: upper-case hex (lower case does not decode), MIME base64 (lines of 76
# characters, other characters ignored on reading), bad text replaced rather than refused.
def _to_bytes(text: str, encoding: str) -> bytes | None:
    codec = encoding.lower()
    if codec == "hex":
        if text != text.upper():
            return None
        try:
            return bytes.fromhex(text)
        except ValueError:
            return None
    if codec == "base64":
        try:
            return base64.b64decode(text)
        except ValueError:
            return None
    if codec in ("utf8", "ascii"):
        return text.encode("utf-8" if codec == "utf8" else "ascii", errors="replace")
    return None  # an unknown encoding fails the call: NULL


def _from_bytes(value: bytes, encoding: str) -> str | None:
    codec = encoding.lower()
    if codec == "hex":
        return value.hex().upper()
    if codec == "base64":
        text = base64.b64encode(value).decode("ascii")
        return "\r\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    if codec in ("utf8", "ascii"):
        return value.decode("utf-8" if codec == "utf8" else "ascii", errors="replace")
    return None


_ENCODINGS = "hex, utf8, ascii or base64"
register(
    "TO_BYTES",
    _to_bytes,
    _fixed(BYTES),
    "BYTES",
    f"A string as BYTES, read in an encoding: {_ENCODINGS}.",
    2,
)
register(
    "FROM_BYTES",
    _from_bytes,
    _fixed(STRING),
    "BYTES",
    f"BYTES as a string in an encoding: {_ENCODINGS}.",
    2,
)
