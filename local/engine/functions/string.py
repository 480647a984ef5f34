"""String functions (UCASE, SUBSTRING, SPLIT, LPAD, INSTR, EXTRACTJSONFIELD, ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..types import (
    INTEGER,
    STRING,
    ArrayType,
)
from .registry import fixed, register

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


register("UCASE", str.upper, fixed(STRING), STRINGS, "Upper-cases a string.", 1)
register("UPPER", str.upper, fixed(STRING), STRINGS, "Upper-cases a string.", 1)
register("LCASE", str.lower, fixed(STRING), STRINGS, "Lower-cases a string.", 1)
register("LOWER", str.lower, fixed(STRING), STRINGS, "Lower-cases a string.", 1)
register("LEN", len, fixed(INTEGER), STRINGS, "The length of a string.", 1)
register("LENGTH", len, fixed(INTEGER), STRINGS, "The length of a string.", 1)
register("TRIM", str.strip, fixed(STRING), STRINGS, "Removes surrounding spaces.", 1)
register("LTRIM", str.lstrip, fixed(STRING), STRINGS, "Removes leading spaces.", 1)
register("RTRIM", str.rstrip, fixed(STRING), STRINGS, "Removes trailing spaces.", 1)
register("INITCAP", _initcap, fixed(STRING), STRINGS, "Capitalises each word.", 1)
register("SUBSTRING", _substring, fixed(STRING), STRINGS, "A part of a string (1-based).", 2, 3)
register("REPLACE", str.replace, fixed(STRING), STRINGS, "Replaces every occurrence.", 3)
register("SPLIT", _split, fixed(ArrayType("ARRAY", STRING)), STRINGS, "Splits a string.", 2)
register("LPAD", _pad(True), fixed(STRING), STRINGS, "Pads on the left to a length.", 3)
register("RPAD", _pad(False), fixed(STRING), STRINGS, "Pads on the right to a length.", 3)
register("INSTR", _instr, fixed(INTEGER), STRINGS, "Position of a substring (1-based).", 2, 4)
register(
    "CONCAT",
    _concat,
    fixed(STRING),
    STRINGS,
    "Joins strings, skipping NULLs.",
    1,
    1000,
    strict=False,
)
register(
    "CONCAT_WS",
    _concat_ws,
    fixed(STRING),
    STRINGS,
    "Joins strings with a separator.",
    2,
    1000,
    strict=False,
)
