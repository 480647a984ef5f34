"""Mathematical functions (ABS, ROUND, SQRT, GREATEST, ...)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from ..convert import DECIMAL_CONTEXT
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
    rounded = exact.quantize(
        Decimal(1).scaleb(-(digits or 0)), rounding=mode, context=DECIMAL_CONTEXT
    )
    if isinstance(value, Decimal):
        if digits is None:
            return rounded
        # ROUND(decimal, n) keeps the decimal's scale (ksqlDB's Round, its issue 6235).
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int):  # NaN or infinity: nothing to keep
            return rounded
        return rounded.quantize(Decimal(1).scaleb(exponent), context=DECIMAL_CONTEXT)
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


def _extreme_type(args: Sequence[SqlType]) -> SqlType:
    """The type of the overload picked: its decimals widened to hold every argument."""
    typed = [a for a in args if a.base != "NULL"]
    if typed and all(isinstance(a, DecimalType) for a in typed):
        digits = max(a.precision - a.scale for a in typed if isinstance(a, DecimalType))
        scale = max(a.scale for a in typed if isinstance(a, DecimalType))
        return DecimalType("DECIMAL", min(digits + scale, 38), scale)
    return typed[0] if typed else first(args)


def _sign(value: Any) -> int:
    return int(value > 0) - int(value < 0)


def _power(base: float, exponent: float) -> float:
    # Java's Math.pow: 0 to a negative power is infinity, not an error.
    if base == 0 and exponent < 0:
        return math.inf
    return math.pow(base, exponent)


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        present = [a for a in args if a is not None]
        return pick(present) if present else None

    return run


def _java_math(fn: Callable[..., float], overflow: float = math.inf) -> Callable[..., float]:
    """A java.lang.Math function: domain errors give NaN and overflows infinity, not errors."""

    def run(*args: Any) -> float:
        values = [float(a) for a in args]
        try:
            return fn(*values)
        except OverflowError:
            return overflow
        except (ValueError, ZeroDivisionError):
            return math.nan

    return run


def _java_inverse(value: float) -> float:
    """``1.0 / value`` in Java: a zero gives infinity of its sign, not an error."""
    if value == 0:
        return math.copysign(math.inf, value)
    return 1.0 / value


def _log(first: Any, second: Any = None) -> float:
    if second is None:  # LOG(x) is the natural logarithm in ksqlDB, despite its description
        return _ln(first)
    base, value = float(first), float(second)
    if base <= 0 or base == 1:
        return math.nan
    return _ln(value) / _ln(base)


def _ln(value: Any) -> float:
    number = float(value)
    if number == 0:
        return -math.inf
    return math.log(number) if number > 0 else math.nan


def _sinh(value: float) -> float:
    try:
        return math.sinh(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def _cbrt(value: float) -> float:
    return math.copysign(abs(value) ** (1 / 3), value) if math.isfinite(value) else value


def _trunc(value: Any, places: int | None = None) -> Any:
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        quantum = Decimal(1).scaleb(-(places or 0))
        cut = value.quantize(quantum, rounding=ROUND_DOWN)
        exponent = value.as_tuple().exponent
        return (
            cut
            if places is None or not isinstance(exponent, int)
            else cut.quantize(Decimal(1).scaleb(exponent))
        )
    if places is None:
        return int(value) if math.isfinite(value) else value
    return float(
        Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
    )


def _trunc_type(args: Sequence[SqlType]) -> SqlType:
    kind = args[0]
    if isinstance(kind, DecimalType):
        return (
            kind
            if len(args) > 1
            else DecimalType("DECIMAL", max(kind.precision - kind.scale, 1), 0)
        )
    if len(args) > 1:
        return DOUBLE
    return kind if kind.base in ("INTEGER",) else BIGINT


_UNARY: list[tuple[str, Callable[..., float], str]] = [
    ("ACOS", math.acos, "The inverse (arc) cosine of a value."),
    ("ASIN", math.asin, "The inverse (arc) sine of a value."),
    ("ATAN", math.atan, "The inverse (arc) tangent of a value."),
    ("CBRT", _cbrt, "The cube root of a value."),
    ("COS", math.cos, "The cosine of a value."),
    ("COSH", math.cosh, "The hyperbolic cosine of a value."),
    ("COT", lambda v: _java_inverse(math.tan(v)), "The cotangent of a value."),
    ("DEGREES", math.degrees, "Converts radians to degrees."),
    ("RADIANS", math.radians, "Converts degrees to radians."),
    ("SIN", math.sin, "The sine of a value."),
    ("SINH", _sinh, "The hyperbolic sine of a value."),
    ("TAN", math.tan, "The tangent of a value."),
    ("TANH", math.tanh, "The hyperbolic tangent of a value."),
]
for _name, _fn, _text in _UNARY:
    register(_name, _java_math(_fn), fixed(DOUBLE), MATHS, _text, 1, signatures=["DOUBLE"])

register(
    "ATAN2",
    _java_math(math.atan2),
    fixed(DOUBLE),
    MATHS,
    "The inverse (arc) tangent of y / x",
    2,
    signatures=["DOUBLE, DOUBLE"],
)
register(
    "LOG",
    _log,
    fixed(DOUBLE),
    MATHS,
    "The logarithm of a value.",
    1,
    2,
    signatures=["DOUBLE", "DOUBLE, DOUBLE"],
)
register("PI", lambda: math.pi, fixed(DOUBLE), MATHS, "Returns an approximate value of PI.", 0)
register(
    "TRUNC",
    _trunc,
    _trunc_type,
    MATHS,
    "Truncates a value to the number of decimal places as specified by scale to the right of "
    "the decimal point. If scale is negative then value is truncated to the right of the "
    "decimal point.",
    1,
    2,
    signatures=["INT", "BIGINT", "DOUBLE", "DECIMAL", "DOUBLE, INT", "DECIMAL, INT"],
)
_NUMBERS = ("INT", "BIGINT", "DOUBLE", "DECIMAL")
register(
    "ABS",
    abs,
    first,
    MATHS,
    "Returns the absolute value of its argument. If the argument is not negative, the argument "
    "is returned. If the argument is negative, the negation of the argument is returned.",
    1,
    signatures=[f"{t} val" for t in _NUMBERS],
)
register(
    "CEIL",
    _ceil_floor(math.ceil),
    first,
    MATHS,
    "Returns the smallest integer greater than or equal to the specified numeric expression.",
    1,
    signatures=[f"{t} val" for t in _NUMBERS],
)
register(
    "FLOOR",
    _ceil_floor(math.floor),
    first,
    MATHS,
    "Returns the largest integer less than or equal to the specified numeric expression.",
    1,
    signatures=[f"{t} val" for t in _NUMBERS],
)
register(
    "ROUND",
    _round,
    _round_type,
    MATHS,
    "Round a value to the number of decimal places as specified by scale to the right of the "
    "decimal point. If scale is negative then value is rounded to the right of the decimal "
    "point. Numbers equidistant to the nearest value are rounded up (in the positive "
    "direction). If the number of decimal places is not provided it defaults to zero.",
    1,
    2,
    signatures=[f"{t} val" for t in _NUMBERS]
    + ["DOUBLE val, INT decimalPlaces"]
    + ["DECIMAL val, INT decimalPlaces"],
)
register(
    "SQRT",
    _java_math(math.sqrt),
    fixed(DOUBLE),
    MATHS,
    "The square root of a value.",
    1,
    signatures=["DOUBLE"],
)
register(
    "POWER",
    _java_math(_power),
    fixed(DOUBLE),
    MATHS,
    "Returns the value of the first argument raised to the power of the second argument.",
    2,
    signatures=["DOUBLE, DOUBLE"],
)
register(
    "EXP",
    _java_math(math.exp),
    fixed(DOUBLE),
    MATHS,
    "The exponential of a value.",
    1,
    signatures=["DOUBLE"],
)
register(
    "LN", _ln, fixed(DOUBLE), MATHS, "The natural logarithm of a value.", 1, signatures=["DOUBLE"]
)
register(
    "SIGN",
    _sign,
    fixed(INTEGER),
    MATHS,
    "The sign of a value.",
    1,
    signatures=[f"{t} value" for t in ("INT", "BIGINT", "DOUBLE")],
)
register(
    "RANDOM",
    random.random,
    fixed(DOUBLE),
    MATHS,
    "Returns a random number greater than or equal to 0.0 and less than 1.0.",
    0,
    signatures=[""],
)
_COMPARABLE = ("INT", "BIGINT", "DOUBLE", "DECIMAL", "STRING", "BYTES", "DATE", "TIME", "TIMESTAMP")
for _name, _pick, _word in (("GREATEST", max, "highest"), ("LEAST", min, "lowest")):
    register(
        _name,
        _extreme(_pick),
        _extreme_type,
        MATHS,
        f"Returns the {_word} non-null value among a variable number of comparable columns. "
        "If comparing columns of different numerical types, use CAST to first cast them to be "
        "of the same type.",
        1,
        1000,
        strict=False,
        signatures=[f"{t} val, {t}... vals" for t in _COMPARABLE],
    )
