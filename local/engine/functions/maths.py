"""Mathematical functions (ABS, ROUND, SQRT, GREATEST, ...)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from ..types import (
    BIGINT,
    DOUBLE,
    INTEGER,
    DecimalType,
    SqlType,
)
from .registry import first, fixed, register

MATHS = "MATHEMATICAL"


def _round(value: Any, digits: int | None = None) -> Any:
    """ksqlDB's ROUND: halves go up, towards positive infinity (ROUND(-2.5) is -2, as Java's
    Math.round), to ``digits`` places; without them a DOUBLE gives a BIGINT."""
    if isinstance(value, int) and digits is None:
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return value
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    mode = ROUND_HALF_UP if exact > 0 else ROUND_HALF_DOWN
    rounded = exact.quantize(Decimal(1).scaleb(-(digits or 0)), rounding=mode)
    if isinstance(value, Decimal):
        return rounded
    return int(rounded) if digits is None else float(rounded)


def _round_type(args: Sequence[SqlType]) -> SqlType:
    kind = args[0]
    if isinstance(kind, DecimalType):
        if len(args) > 1:
            return kind
        return DecimalType("DECIMAL", max(kind.precision - kind.scale, 1), 0)
    return BIGINT if len(args) == 1 else DOUBLE


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


register("ABS", abs, first, MATHS, "The absolute value.", 1)
register("CEIL", _ceil_floor(math.ceil), first, MATHS, "Rounds up.", 1)
register("FLOOR", _ceil_floor(math.floor), first, MATHS, "Rounds down.", 1)
register("ROUND", _round, _round_type, MATHS, "Rounds half up.", 1, 2)
register("SQRT", _safe(math.sqrt), fixed(DOUBLE), MATHS, "The square root.", 1)
register("POWER", _safe(math.pow), fixed(DOUBLE), MATHS, "A number raised to a power.", 2)
register("EXP", _safe(math.exp), fixed(DOUBLE), MATHS, "e raised to a power.", 1)
register("LN", _safe(math.log), fixed(DOUBLE), MATHS, "The natural logarithm.", 1)
register("SIGN", _sign, fixed(INTEGER), MATHS, "-1, 0 or 1.", 1)
register("RANDOM", random.random, fixed(DOUBLE), MATHS, "A random number in [0, 1).", 0)
register("GREATEST", _extreme(max), first, MATHS, "The largest argument.", 1, 1000, strict=False)
register("LEAST", _extreme(min), first, MATHS, "The smallest argument.", 1, 1000, strict=False)
