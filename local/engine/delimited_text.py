"""How DELIMITED fields are read: the Java parsers ksqlDB's KsqlDelimitedDeserializer uses."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .convert import coerce
from .types import TIME, SqlType

_JAVA_INTEGER = re.compile(r"[+-]?[0-9]+")
_JAVA_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_JAVA_DOUBLE = re.compile(
    r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)"
)
_DAY_MS = 86_400_000


def _java_integer(text: str, bits: int) -> int:
    """Integer.parseInt / Long.parseLong: a sign and digits only, within range."""
    if _JAVA_INTEGER.fullmatch(text) is None:
        raise ValueError(f'For input string: "{text}"')
    value = int(text)
    if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
        raise ValueError(f'For input string: "{text}"')
    return value


def _java_double(text: str) -> float:
    """Double.parseDouble: surrounding whitespace, NaN, Infinity and a d/f suffix allowed."""
    trimmed = text.strip("".join(map(chr, range(33))))
    if _JAVA_DOUBLE.fullmatch(trimmed) is None:
        raise ValueError(f'For input string: "{text}"')
    return float(trimmed.rstrip("fFdD"))


def _java_time(text: str) -> dt.time:
    millis = _java_integer(text, 64)
    if not 0 <= millis <= _DAY_MS:
        raise ValueError(
            f"Time values must use number of milliseconds greater than 0 and less than {_DAY_MS}."
        )
    return coerce(millis % _DAY_MS, TIME)  # type: ignore[no-any-return]


def delimited_parser(kind: SqlType) -> Callable[[str], Any]:
    """How KsqlDelimitedDeserializer reads one field of a type: Java's parsers, DATE as epoch
    days, TIME and TIMESTAMP as epoch milliseconds, BYTES as base64."""
    base = kind.base
    if base == "BOOLEAN":
        return lambda text: text.lower() == "true"  # Boolean.parseBoolean: anything else is false
    if base in ("INTEGER", "BIGINT"):
        bits = 32 if base == "INTEGER" else 64
        return lambda text: _java_integer(text, bits)
    if base == "DOUBLE":
        return _java_double
    if base == "DECIMAL":

        def decimal(text: str) -> Any:
            if _JAVA_DECIMAL.fullmatch(text) is None:
                raise ValueError(f"Not a decimal number: {text}")
            return coerce(Decimal(text), kind)

        return decimal
    if base == "DATE":
        return lambda text: coerce(_java_integer(text, 32), kind)
    if base == "TIMESTAMP":
        return lambda text: coerce(_java_integer(text, 64), kind)
    if base == "TIME":
        return _java_time
    return lambda text: coerce(text, kind, lenient=True)
