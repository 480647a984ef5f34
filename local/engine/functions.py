"""Scalar functions: name -> implementation and return-type rule.

Every function gets evaluated arguments (``None`` for SQL NULL) and returns a value; most return
NULL when an argument is NULL, as ksqlDB's UDFs do. Lambdas arrive as Python callables.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .errors import KsqlStatementError
from .types import (
    BIGINT,
    BOOLEAN,
    DOUBLE,
    INTEGER,
    STRING,
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
