"""The KSQL type model: parse type strings of headers and schemas, convert JSON values by type.

ksqlDB spells types with ``SqlType.toString()``: ``INTEGER``, ``DECIMAL(4, 2)``, ``ARRAY<STRING>``,
``MAP<STRING, INTEGER>``, ``STRUCT<`A` INTEGER, `B` ARRAY<STRING>>`` (field names backticked) and
``STRUCT< >`` for an empty struct. Users may also write ``INT``, ``VARCHAR`` and unquoted field
names.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

__all__ = [
    "Column",
    "Converter",
    "SqlType",
    "converter",
    "has_decimal",
    "parse_columns",
    "parse_schema",
    "parse_type",
]

Converter = Callable[[Any], Any]
"""A function from a JSON-decoded value (never None) to its Python value."""

_ALIASES = {"INT": "INTEGER", "VARCHAR": "STRING"}


@dataclass(frozen=True, slots=True)
class SqlType:
    """One KSQL type: ``name`` is the base name; parameters live in the other fields.

    ``element`` is set for ARRAY, ``key``/``value`` for MAP, ``fields`` (name, type) for STRUCT,
    ``precision``/``scale`` for DECIMAL. ``str()`` gives ksqlDB's own spelling.

    >>> t = parse_type("STRUCT<A INT, B ARRAY<STRING>>")
    >>> str(t), t.fields[1][1].element
    ('STRUCT<`A` INTEGER, `B` ARRAY<STRING>>', SqlType('STRING'))
    """

    name: str
    element: SqlType | None = None
    key: SqlType | None = None
    value: SqlType | None = None
    fields: tuple[tuple[str, SqlType], ...] = ()
    precision: int | None = None
    scale: int | None = None

    def __str__(self) -> str:
        render = _RENDER.get(self.name)
        return render(self) if render is not None else self.name

    def __repr__(self) -> str:
        return f"SqlType({str(self)!r})"


_RENDER: dict[str, Callable[[SqlType], str]] = {
    "DECIMAL": lambda t: f"DECIMAL({t.precision}, {t.scale})",
    "ARRAY": lambda t: f"ARRAY<{t.element}>",
    "MAP": lambda t: f"MAP<{t.key}, {t.value}>",
    "STRUCT": lambda t: (
        "STRUCT<" + ", ".join(f"{_quote(n)} {ft}" for n, ft in t.fields) + ">"
        if t.fields
        else "STRUCT< >"
    ),
}


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@dataclass(frozen=True, slots=True)
class Column:
    """A result column: name, type, and whether it is a key or header column (v1json schemas)."""

    name: str
    type: SqlType
    key: bool = False
    header: str | None = None
    """``""`` for a ``HEADERS`` column, the header key for ``HEADER('k')``, else None."""


_TOKEN = re.compile(
    r"\s*(?:(?P<q>`(?:[^`]|``)*`)|(?P<s>'(?:[^']|'')*')|(?P<w>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<n>\d+)|(?P<p>[<>(),]))"
)


class _Tokens:
    """A cursor over the tokens of a type or schema string."""

    __slots__ = ("items", "pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[tuple[str, str]] = []
        pos, end = 0, len(text)
        while pos < end:
            if text[pos:].isspace():
                break
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise ValueError(f"cannot parse type {text!r}: unexpected {text[pos:].strip()!r}")
            kind = match.lastgroup or ""
            self.items.append((kind, match.group(kind)))
            pos = match.end()
        self.pos = 0

    def peek(self) -> str | None:
        return self.items[self.pos][1] if self.pos < len(self.items) else None

    def next(self, what: str) -> tuple[str, str]:
        if self.pos >= len(self.items):
            raise ValueError(f"cannot parse type {self.text!r}: expected {what} at the end")
        item = self.items[self.pos]
        self.pos += 1
        return item

    def expect(self, punct: str) -> None:
        _, value = self.next(repr(punct))
        if value != punct:
            raise ValueError(f"cannot parse type {self.text!r}: expected {punct!r}, got {value!r}")

    def word(self) -> str:
        kind, value = self.next("a type name")
        if kind != "w":
            raise ValueError(
                f"cannot parse type {self.text!r}: expected a type name, got {value!r}"
            )
        return value.upper()

    def name(self) -> str:
        kind, value = self.next("a name")
        if kind == "q":
            return value[1:-1].replace("``", "`")
        if kind == "w":
            return value
        raise ValueError(f"cannot parse type {self.text!r}: expected a name, got {value!r}")

    def integer(self) -> int:
        kind, value = self.next("a number")
        if kind != "n":
            raise ValueError(f"cannot parse type {self.text!r}: expected a number, got {value!r}")
        return int(value)


def _parse(tokens: _Tokens) -> SqlType:
    name = tokens.word()
    name = _ALIASES.get(name, name)
    parser = _PARAMETRIC.get(name)
    if parser is not None:
        return parser(tokens)
    if name == "STRING" and tokens.peek() == "(":  # VARCHAR(n): the length is not enforced
        tokens.expect("(")
        tokens.integer()
        tokens.expect(")")
    return SqlType(name)


def _decimal(tokens: _Tokens) -> SqlType:
    tokens.expect("(")
    precision = tokens.integer()
    tokens.expect(",")
    scale = tokens.integer()
    tokens.expect(")")
    return SqlType("DECIMAL", precision=precision, scale=scale)


def _array(tokens: _Tokens) -> SqlType:
    tokens.expect("<")
    element = _parse(tokens)
    tokens.expect(">")
    return SqlType("ARRAY", element=element)


def _map(tokens: _Tokens) -> SqlType:
    tokens.expect("<")
    key = _parse(tokens)
    tokens.expect(",")
    value = _parse(tokens)
    tokens.expect(">")
    return SqlType("MAP", key=key, value=value)


def _struct(tokens: _Tokens) -> SqlType:
    tokens.expect("<")
    fields: list[tuple[str, SqlType]] = []
    if tokens.peek() == ">":
        tokens.expect(">")
        return SqlType("STRUCT")
    while True:
        name = tokens.name()
        fields.append((name, _parse(tokens)))
        if tokens.peek() == ",":
            tokens.expect(",")
            continue
        tokens.expect(">")
        return SqlType("STRUCT", fields=tuple(fields))


_PARAMETRIC: dict[str, Callable[[_Tokens], SqlType]] = {
    "DECIMAL": _decimal,
    "ARRAY": _array,
    "MAP": _map,
    "STRUCT": _struct,
}


def parse_type(text: str) -> SqlType:
    """Parse a KSQL type such as ``STRUCT<A INT, B ARRAY<STRING>>`` (ValueError if malformed).

    Unknown names (a custom type the server did not resolve) parse as a type of that name whose
    values are left as JSON gives them.
    """
    tokens = _Tokens(text)
    result = _parse(tokens)
    if tokens.peek() is not None:
        raise ValueError(f"cannot parse type {text!r}: unexpected {tokens.peek()!r} after the type")
    return result


def parse_schema(schema: str) -> tuple[Column, ...]:
    """Parse a v1json header ``schema``: ```ID` INTEGER KEY, `H` BYTES HEADER('k'), `V` STRING``."""
    tokens = _Tokens(schema)
    columns: list[Column] = []
    while tokens.peek() is not None:
        name = tokens.name()
        sql_type = _parse(tokens)
        key, header = False, None
        marker = tokens.peek()
        if marker is not None and marker.upper() == "KEY":
            tokens.next("KEY")
            key = True
        elif marker is not None and marker.upper() == "HEADERS":
            tokens.next("HEADERS")
            header = ""
        elif marker is not None and marker.upper() == "HEADER":
            tokens.next("HEADER")
            tokens.expect("(")
            kind, literal = tokens.next("a header key")
            if kind != "s":
                raise ValueError(f"cannot parse schema {schema!r}: HEADER needs a quoted key")
            header = literal[1:-1].replace("''", "'")
            tokens.expect(")")
        columns.append(Column(name, sql_type, key, header))
        if tokens.peek() is None:
            break
        tokens.expect(",")
    return tuple(columns)


def parse_columns(names: Sequence[str], types: Sequence[str]) -> tuple[Column, ...]:
    """Columns from a delimited header's ``columnNames`` and ``columnTypes``."""
    if len(names) != len(types):
        raise ValueError(f"the header has {len(names)} column names but {len(types)} types")
    return tuple(Column(name, parse_type(type_)) for name, type_ in zip(names, types, strict=True))


def has_decimal(sql_type: SqlType) -> bool:
    """True when ``sql_type`` is or contains a DECIMAL (its values need exact JSON decoding)."""
    if sql_type.name == "DECIMAL":
        return True
    inner = [sql_type.element, sql_type.key, sql_type.value, *(t for _, t in sql_type.fields)]
    return any(t is not None and has_decimal(t) for t in inner)


# --- value conversion ----------------------------------------------------------------------------
# Top-level, ARRAY and MAP values use ksqlDB's string forms (ApiJsonMapper); inside a STRUCT the
# server's JsonConverter writes TIMESTAMP as epoch millis, DATE as epoch days and TIME as
# millis of the day, so converters used inside structs accept both forms.

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = date(1970, 1, 1)
_MIDNIGHT = datetime(1970, 1, 1)
_fromisoformat = datetime.fromisoformat


def timestamp_converter(value: Any) -> datetime:
    """A TIMESTAMP: ISO text in UTC without a zone (or with one), or epoch millis in a STRUCT."""
    if value.__class__ is str:
        try:
            return _fromisoformat(value + "+00:00")
        except ValueError:
            parsed = _fromisoformat(value)  # it carried its own zone, or is only a date
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return _EPOCH + timedelta(milliseconds=value)


def _date(value: Any) -> date:
    if value.__class__ is str:
        return date.fromisoformat(value)
    return _EPOCH_DATE + timedelta(days=value)


def _time(value: Any) -> time:
    if value.__class__ is str:
        return time.fromisoformat(value)
    return (_MIDNIGHT + timedelta(milliseconds=value)).time()


def _float_decimal(value: Any) -> Decimal:
    # Only reached when floats were not decoded exactly: repr() is the shortest exact spelling.
    return Decimal(repr(value)) if value.__class__ is float else Decimal(value)


def _scalar(name: str, exact_floats: bool, in_struct: bool) -> Converter | None:
    if name == "DOUBLE":
        # With exact decoding every JSON float arrives as a Decimal; "NaN"/"Infinity" strings too.
        return float if exact_floats else None
    if name == "DECIMAL":
        return Decimal if exact_floats else _float_decimal
    if name == "BYTES":
        return binascii.a2b_base64
    if name == "TIMESTAMP":
        return timestamp_converter
    if name == "DATE":
        return _date if in_struct else date.fromisoformat
    if name == "TIME":
        return _time if in_struct else time.fromisoformat
    return None  # BOOLEAN, INTEGER, BIGINT, STRING and unknown names: JSON already has them


def _key_converter(key: SqlType, exact_floats: bool) -> Converter | None:
    # JSON object keys are strings whatever the MAP key type is.
    table: dict[str, Converter | None] = {
        "STRING": None,
        "INTEGER": int,
        "BIGINT": int,
        "DOUBLE": float,
        "DECIMAL": Decimal,
        "BOOLEAN": lambda k: k == "true",
    }
    if key.name in table:
        return table[key.name]
    return converter(key, exact_floats)


def converter(
    sql_type: SqlType, exact_floats: bool = False, in_struct: bool = False
) -> Converter | None:
    """The function turning a non-null JSON value of ``sql_type`` into Python, or None if as-is.

    ``exact_floats`` says JSON floats were decoded as ``Decimal`` (done when the result has a
    DECIMAL column), so DOUBLE values need ``float``.
    """
    name = sql_type.name
    if name == "ARRAY":
        assert sql_type.element is not None
        inner = converter(sql_type.element, exact_floats, in_struct)
        if inner is None:
            return None

        def array(value: Any, inner: Converter = inner) -> list[Any]:
            return [None if item is None else inner(item) for item in value]

        return array
    if name == "MAP":
        assert sql_type.key is not None
        assert sql_type.value is not None
        key_conv = _key_converter(sql_type.key, exact_floats)
        value_conv = converter(sql_type.value, exact_floats, in_struct)
        if key_conv is None and value_conv is None:
            return None
        keys: Converter = key_conv if key_conv is not None else _identity
        values: Converter = value_conv if value_conv is not None else _identity

        def map_(value: Any, keys: Converter = keys, values: Converter = values) -> dict[Any, Any]:
            return {keys(k): None if v is None else values(v) for k, v in value.items()}

        return map_
    if name == "STRUCT":
        fields = tuple(
            (field, conv)
            for field, field_type in sql_type.fields
            if (conv := converter(field_type, exact_floats, True)) is not None
        )
        if not fields:
            return None

        def struct(value: Any, fields: tuple[tuple[str, Converter], ...] = fields) -> Any:
            out = dict(value)
            for field, conv in fields:
                item = out.get(field)
                if item is not None:
                    out[field] = conv(item)
            return out

        return struct
    return _scalar(name, exact_floats, in_struct)


def _identity(value: Any) -> Any:
    return value
