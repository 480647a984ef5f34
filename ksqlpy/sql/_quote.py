"""Building SQL text from Python values safely: literals and identifiers."""

from __future__ import annotations

import math
from decimal import Decimal


def quote_literal(value: str | int | float | Decimal | bool | None) -> str:
    """A ksqlDB literal for ``value``: strings quoted with ``'`` doubled, TRUE/FALSE, NULL, numbers.

    The result is always a single literal token, whatever the string holds.

    >>> quote_literal("it's")
    "'it''s'"
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"ksqlDB has no literal for {value!r}")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"ksqlDB has no literal for {value!r}")
        return format(value, "f")
    raise TypeError(f"cannot make a ksqlDB literal from {type(value).__name__}")


def quote_identifier(name: str) -> str:
    """``name`` as a back-quoted identifier (``` `` ``` doubled); its case is kept exactly.

    >>> quote_identifier("my`col")
    '`my``col`'
    """
    if not isinstance(name, str):
        raise TypeError(f"an identifier is a str, not {type(name).__name__}")
    if not name:
        raise ValueError("an identifier cannot be empty")
    return "`" + name.replace("`", "``") + "`"
