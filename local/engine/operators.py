"""The pieces expressions are compiled from: literals, NULL-propagating operators with Java's
arithmetic, ksqlDB's result types of arithmetic, comparability, LIKE patterns, expression text."""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from collections.abc import Callable, Sequence
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlMap

from .convert import (
    DECIMAL_CONTEXT,
    CoercionError,
    coerce,
    identifier_name,
    java_wrap,
    parse_timestamp,
)
from .errors import KsqlStatementError, prepare_failed
from .processing_log import record_processing_error
from .types import (
    BIGINT,
    DOUBLE,
    INTEGER,
    NULL_TYPE,
    STRING,
    ArrayType,
    DecimalType,
    SqlType,
    as_decimal,
    is_numeric,
    widest,
)

Fn = Callable[[Sequence[Any]], Any]
EPOCH = dt.datetime(1970, 1, 1)


def literal(node: exp.Literal, written: exp.Expr | None = None) -> tuple[Fn, SqlType]:
    """A literal's value and type, refused as ksqlDB's ParserUtil refuses numbers out of range;
    ``written`` is the node where the user wrote it (its digits, for a signed number)."""
    text = node.this
    where = written if written is not None else node
    signed = 1 if written is not None and text.startswith("-") else 0
    if node.is_string:
        value: Any = text
        kind = STRING
    elif re.fullmatch(r"[+-]?\d+", text):
        # ksqlDB reads integer literals as Java longs; anything longer is refused (the digit
        # count is checked first: int() of thousands of digits is slow, then refused).
        digits = text.lstrip("+-").lstrip("0")
        if len(digits) > 19 or not -(2**63) <= (value := int(text)) < 2**63:
            raise prepare_failed(where, f"Invalid numeric literal: {text}", signed)
        kind = INTEGER if -(2**31) <= value < 2**31 else BIGINT
    elif re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)", text):
        # ksqlDB reads 1.50 as DECIMAL(3, 2), not DOUBLE.
        value = Decimal(text)
        digits = len(value.as_tuple().digits)
        scale = max(-int(value.as_tuple().exponent), 0)
        kind = DecimalType("DECIMAL", max(digits, scale, 1), scale)
    else:
        value = float(text)
        if math.isinf(value):
            raise prepare_failed(where, f"Number overflows DOUBLE: {text}", signed)
        kind = DOUBLE
    return (lambda row: value), kind


def constant(value: Any, kind: SqlType) -> tuple[Fn, SqlType]:
    return (lambda row: value), kind


TEMPORAL = frozenset({"TIMESTAMP", "DATE", "TIME"})
MILLIS_COLUMNS = frozenset({"ROWTIME", "WINDOWSTART", "WINDOWEND"})
EPOCH = dt.datetime(1970, 1, 1)


def string_as(
    target_node: exp.Expression, target: SqlType, node: exp.Expression, fn: Fn, kind: SqlType
) -> tuple[Fn, SqlType]:
    """A STRING operand compared with a TIMESTAMP, DATE or TIME, read as that type; compared
    with ROWTIME or a window bound (BIGINT), read as a timestamp's epoch millis. ksqlDB does
    both (its qtt cases timestamp.json and magic-timestamp-conversion.json)."""
    if kind.base != "STRING":
        return fn, kind
    convert: Callable[[str], Any]
    if target.base in TEMPORAL:
        kind = target

        def convert(text: str) -> Any:
            return coerce(text, target)

    elif isinstance(target_node, exp.Column) and target_node.name.upper() in MILLIS_COLUMNS:
        kind = BIGINT

        def convert(text: str) -> Any:
            return (parse_timestamp(text) - EPOCH) // dt.timedelta(milliseconds=1)

    else:
        return fn, kind
    if isinstance(node, exp.Literal):  # a constant: a bad one is the statement's error
        try:
            value = convert(node.this)
        except CoercionError as error:
            raise KsqlStatementError(str(error), code=40000) from None
        return constant(value, kind)

    def run(row: Sequence[Any]) -> Any:
        text = fn(row)
        try:
            return None if text is None else convert(text)
        except CoercionError:
            return None

    return run, kind


def nulls(fn: Callable[[Any, Any], Any], left: Fn, right: Fn, *, unboxed: bool = False) -> Fn:
    """``fn`` of two operands, NULL if either is (``unboxed``: raise :class:`NullUnboxed`)."""

    def run(row: Sequence[Any]) -> Any:
        a = left(row)
        if a is None:
            return _null_operand(unboxed)
        b = right(row)
        if b is None:
            return _null_operand(unboxed)
        try:
            return fn(a, b)
        except (ZeroDivisionError, DivisionByZero, InvalidOperation, OverflowError) as error:
            # As ksqlDB's compiled expressions: the value is NULL and the error is logged.
            record_processing_error("Error computing expression", error)
            return None

    return run


def java_div(a: Any, b: Any) -> Any:
    """Java's ``/``: integers truncate toward zero and fail on a zero divisor (the expression
    is then NULL and the error logged); doubles give Infinity or NaN, as IEEE 754 says."""
    if isinstance(a, int) and isinstance(b, int):
        quotient = abs(a) // abs(b)
        return quotient if (a >= 0) == (b >= 0) else -quotient
    if isinstance(b, float) and b == 0:
        if math.isnan(a) or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def java_mod(a: Any, b: Any) -> Any:
    """Java's ``%``: the sign of the dividend; a double modulo zero is NaN."""
    if isinstance(a, int) and isinstance(b, int):
        return a - b * java_div(a, b)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(a) % Decimal(b)
    if b == 0 or math.isinf(a):
        return math.nan
    if math.isinf(b):
        return float(a)
    return math.fmod(a, b)


def type_text(kind: SqlType) -> str:
    """A type as ksqlDB names it in messages (``null`` for the type of NULL)."""
    return "null" if kind == NULL_TYPE else str(kind)


def expression_text(node: exp.Expression) -> str:
    """An expression as ksqlDB prints it in messages (``null``, ``ARRAY[1, 2]``, ``(a + b)``)."""
    if isinstance(node, exp.Null):
        return "null"
    if isinstance(node, exp.Boolean):
        return "true" if node.this else "false"
    if isinstance(node, exp.Column):
        return identifier_name(node.this)
    if isinstance(node, exp.Array):
        return "ARRAY[" + ", ".join(expression_text(e) for e in node.expressions) + "]"
    if isinstance(node, exp.Anonymous):
        args = ", ".join(expression_text(a) for a in node.expressions)
        return f"{node.name.upper()}({args})"
    if isinstance(node, KsqlMap):
        pairs = zip(node.args.get("keys") or [], node.args.get("values") or [], strict=True)
        return (
            "MAP("
            + ", ".join(f"{expression_text(k)}:={expression_text(v)}" for k, v in pairs)
            + ")"
        )
    if isinstance(node, exp.Struct):
        fields = [f for f in node.expressions if isinstance(f, exp.PropertyEQ)]
        return (
            "STRUCT("
            + ", ".join(
                f"{identifier_name(f.this)}:={expression_text(f.expression)}" for f in fields
            )
            + ")"
        )
    if type(node) in ARITH:
        symbol = ARITH[type(node)][0]
        return f"({expression_text(node.this)} {symbol} {expression_text(node.expression)})"
    return node.sql(dialect="ksql")


def arith_refusal(left: SqlType, right: SqlType) -> str:
    """Why ksqlDB's Operator.resultType refuses arithmetic on two types that are not both
    numbers: NULL operands are named first, with their full types."""
    if NULL_TYPE in (left, right):
        return f"Arithmetic on types {type_text(left)} and {type_text(right)} are not supported."
    return f"Unsupported arithmetic types. {left.base} {right.base}"


def arith_type(op: str, left: SqlType, right: SqlType) -> SqlType:
    kind = widest(left, right)
    if isinstance(kind, DecimalType) and isinstance(left, DecimalType | SqlType):
        a, b = as_decimal(left), as_decimal(right)
        if op == "*":
            kind = DecimalType("DECIMAL", min(a.precision + b.precision, 38), a.scale + b.scale)
        elif op == "/":
            scale = max(6, a.scale + b.precision + 1)
            kind = DecimalType("DECIMAL", min(a.precision - a.scale + b.scale + scale, 38), scale)
        elif op == "%":
            scale = max(a.scale, b.scale)
            kind = DecimalType(
                "DECIMAL", min(min(a.precision - a.scale, b.precision - b.scale) + scale, 38), scale
            )
    return kind


def fit(kind: SqlType, fn: Fn) -> Fn:
    """Round decimal results to the result type's scale; keep integer results in range."""
    if isinstance(kind, DecimalType):
        quantum = Decimal(1).scaleb(-kind.scale)

        def decimal(row: Sequence[Any]) -> Any:
            value = fn(row)
            if value is None:
                return None
            try:
                return Decimal(value).quantize(quantum, context=DECIMAL_CONTEXT)
            except InvalidOperation:
                return None

        return decimal
    if kind.base == "DOUBLE":
        return lambda row: None if (v := fn(row)) is None else float(v)
    if kind.base in ("INTEGER", "BIGINT"):
        # Java's int and long arithmetic wraps around on overflow.
        bits = 32 if kind.base == "INTEGER" else 64
        return lambda row: None if (v := fn(row)) is None else java_wrap(v, bits)
    return fn


ARITH: dict[type[exp.Expression], tuple[str, Callable[[Any, Any], Any]]] = {
    exp.Add: ("+", operator.add),
    exp.Sub: ("-", operator.sub),
    exp.Mul: ("*", operator.mul),
    exp.Div: ("/", java_div),
    exp.Mod: ("%", java_mod),
}

COMPARE: dict[type[exp.Expression], Callable[[Any, Any], bool]] = {
    exp.EQ: operator.eq,
    exp.NEQ: operator.ne,
    exp.GT: operator.gt,
    exp.GTE: operator.ge,
    exp.LT: operator.lt,
    exp.LTE: operator.le,
}


SYMBOLS: dict[type[exp.Expression], tuple[str, str]] = {
    exp.EQ: ("=", "EQUAL"),
    exp.NEQ: ("<>", "NOT_EQUAL"),
    exp.GT: (">", "GREATER_THAN"),
    exp.GTE: (">=", "GREATER_THAN_OR_EQUAL"),
    exp.LT: ("<", "LESS_THAN"),
    exp.LTE: ("<=", "LESS_THAN_OR_EQUAL"),
}


def as_float(fn: Fn) -> Fn:
    return lambda row: None if (v := fn(row)) is None else float(v)


def comparable(left: SqlType, right: SqlType, equality: bool = True) -> bool:
    """ksqlDB's ComparisonUtil: numbers with numbers, like with like; BOOLEAN, ARRAY, MAP and
    STRUCT only for (in)equality."""
    if NULL_TYPE in (left, right):
        return True
    if is_numeric(left) and is_numeric(right):
        return True
    if left.base in ("BOOLEAN", "ARRAY", "MAP", "STRUCT") and not equality:
        return False
    return left.base == right.base


def like_regex(pattern: str, escape: str | None) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if escape and char == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def common_type(types: Sequence[SqlType]) -> SqlType:
    """The element type of a literal array or map: numbers widen, nested types widen inside."""
    present = [t for t in types if t != NULL_TYPE]
    if not present:
        return STRING
    if all(is_numeric(t) for t in present):
        kind = present[0]
        for other in present[1:]:
            kind = widest(kind, other)
        return kind
    if all(isinstance(t, ArrayType) for t in present):
        return ArrayType("ARRAY", common_type([t.element for t in present]))  # type: ignore[attr-defined]
    return present[0]


def bind(body: Fn) -> Fn:
    """A lambda argument: given the row, a function of the lambda's own variables."""

    def with_row(row: Sequence[Any]) -> Callable[..., Any]:
        base = list(row)
        return lambda *params: body(base + list(params))

    return with_row


class NullUnboxed(ValueError):
    """Arithmetic on a NULL inside a lambda: ksqlDB's generated Java unboxes the operands, so the
    NullPointerException fails the whole lambda function call (its value is NULL)."""


def _null_operand(unboxed: bool) -> None:
    if unboxed:
        raise NullUnboxed("Cannot do arithmetic on a null value")


def unboxed_call(call: Callable[..., Any]) -> Callable[..., Any]:
    """A lambda function's call whose lambda may fail on a NULL: then its value is NULL and the
    error is logged, as a failed compiled expression in ksqlDB."""

    def run(*values: Any) -> Any:
        try:
            return call(*values)
        except NullUnboxed as error:
            record_processing_error("Error computing expression", error)
            return None

    return run
