"""The common type of a user-supplied list of expressions, as ksqlDB's CoercionUtil finds it.

``a IN (b, c)`` (and ksqlDB's structured constructors) coerce their expressions to one type: the
first typed expression's, widened as each next one is met. A string literal must parse as the
number or boolean it stands for; other expressions must be coercible (DefaultSqlValueCoercer:
lax for literals, strict otherwise) one way or the other; a list that cannot agree is refused
with ksqlDB's messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlMap

from .convert import identifier_name
from .errors import KsqlStatementError
from .types import (
    BIGINT,
    DOUBLE,
    INTEGER,
    NULL_TYPE,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
    StructType,
    as_decimal,
    is_numeric,
)

_STRICT = {
    ("BOOLEAN", "BOOLEAN"),
    ("INTEGER", "INTEGER"),
    ("INTEGER", "BIGINT"),
    ("INTEGER", "DECIMAL"),
    ("INTEGER", "DOUBLE"),
    ("BIGINT", "BIGINT"),
    ("BIGINT", "DECIMAL"),
    ("BIGINT", "DOUBLE"),
    ("DECIMAL", "DECIMAL"),
    ("DECIMAL", "DOUBLE"),
    ("DOUBLE", "DOUBLE"),
    ("STRING", "STRING"),
    ("STRING", "TIMESTAMP"),
    ("STRING", "TIME"),
    ("STRING", "DATE"),
    ("STRING", "BYTES"),
    ("ARRAY", "ARRAY"),
    ("MAP", "MAP"),
    ("STRUCT", "STRUCT"),
    ("TIMESTAMP", "TIMESTAMP"),
    ("TIME", "TIME"),
    ("DATE", "DATE"),
    ("BYTES", "BYTES"),
}
_LAX = _STRICT | {
    *((base, "STRING") for base in ("BOOLEAN", "INTEGER", "BIGINT", "DECIMAL", "DOUBLE")),
    *(("STRING", base) for base in ("BOOLEAN", "INTEGER", "BIGINT", "DECIMAL", "DOUBLE")),
    *((base, "STRING") for base in ("TIMESTAMP", "TIME", "DATE")),
}
# An expression's text (as ksqlDB prints it in messages) and its type.
Describe = Callable[[exp.Expression], tuple[str, SqlType]]


class CoercionFailed(KsqlStatementError):
    """The list has no common type (the caller adds the clause, e.g. ``Invalid Predicate: ``)."""


class InvalidSyntax(CoercionFailed):
    """A string literal that does not read as the list's type (never wrapped by a constructor's
    mismatch, as ksqlDB's KsqlException is not)."""


def parse_boolean(text: str) -> bool | None:
    """SqlBooleans.parseBooleanExact: a case-insensitive prefix of true/yes or false/no."""
    value = text.strip().lower()
    if not value:
        return None
    for result, words in ((True, ("true", "yes")), (False, ("false", "no"))):
        if any(word.startswith(value) for word in words):
            return result
    return None


@dataclass(frozen=True, slots=True)
class Typed:
    """An expression and its type (``NULL_TYPE`` for the NULL literal)."""

    node: exp.Expression
    kind: SqlType


def can_coerce(source: SqlType, target: SqlType, lax: bool) -> SqlType | None:
    """DefaultSqlValueCoercer.canCoerce: the type a value of ``source`` becomes as ``target``."""
    if (source.base, target.base) not in (_LAX if lax else _STRICT):
        return None
    if isinstance(source, ArrayType) and isinstance(target, ArrayType):
        element = can_coerce(source.element, target.element, lax)
        return None if element is None else ArrayType("ARRAY", element)
    if isinstance(source, MapType) and isinstance(target, MapType):
        key = can_coerce(source.key, target.key, lax)
        value = can_coerce(source.value, target.value, lax)
        return None if key is None or value is None else MapType("MAP", key, value)
    if isinstance(source, StructType) and isinstance(target, StructType):
        for name, kind in source.fields:
            wanted = target.field(name)
            if wanted is None or can_coerce(kind, wanted, lax) is None:
                return None
        return target
    if target.base == "DECIMAL" and source.base in ("INTEGER", "BIGINT", "DECIMAL"):
        return _widen(as_decimal(source), as_decimal(target))
    return target


def _widen(a: DecimalType, b: DecimalType) -> DecimalType:
    """DecimalUtil.widen: room for the larger integer part and the larger scale."""
    scale = max(a.scale, b.scale)
    digits = max(a.precision - a.scale, b.precision - b.scale)
    return DecimalType("DECIMAL", min(digits + scale, 38), scale)


def list_type(items: list[Typed], describe: Describe) -> SqlType | None:
    """CoercionUtil.resolveCommonType over the list, in order (None: only NULLs)."""
    result: SqlType | None = None
    for item in items:
        result = _resolve(item, result, describe)
    return result


def _resolve(item: Typed, common: SqlType | None, describe: Describe) -> SqlType | None:
    if common is None:
        return None if item.kind == NULL_TYPE else item.kind
    if item.kind == NULL_TYPE:
        return common
    node = item.node
    if isinstance(node, exp.Array):
        if not isinstance(common, ArrayType):
            raise _mismatch(item, common, describe)
        element = _structured(common.element, node.expressions, item, common, describe)
        return ArrayType("ARRAY", element)
    if isinstance(node, KsqlMap):
        if not isinstance(common, MapType):
            raise _mismatch(item, common, describe)
        key = _structured(common.key, node.args.get("keys") or [], item, common, describe)
        value = _structured(common.value, node.args.get("values") or [], item, common, describe)
        return MapType("MAP", key, value)
    if isinstance(node, exp.Struct) and isinstance(item.kind, StructType):
        if not isinstance(common, StructType):
            raise _mismatch(item, common, describe)
        return _struct(item, common, describe)
    if isinstance(node, exp.Literal) and node.is_string:
        if is_numeric(common):
            return _numeric_from_text(node.this, common)
        if common.base == "BOOLEAN":
            if parse_boolean(node.this) is None:
                raise _invalid_syntax(node.this, common)
            return common
    lax = isinstance(node, (exp.Literal, exp.Boolean))
    found = can_coerce(item.kind, common, lax) or can_coerce(common, item.kind, lax)
    if found is None:
        raise _mismatch(item, common, describe)
    return found


def _structured(
    target: SqlType, nodes: list[exp.Expression], item: Typed, common: SqlType, describe: Describe
) -> SqlType:
    """The common element type of a constructor's elements and the list's element type."""
    typed = [Typed(n, _type_of(n, describe)) for n in nodes]
    try:
        found = list_type([Typed(exp.Null(), target), *typed], describe)
    except InvalidSyntax:
        raise
    except CoercionFailed as error:
        raise _mismatch(item, common, describe) from error
    return target if found is None else found


def _struct(item: Typed, common: StructType, describe: Describe) -> SqlType:
    source = item.kind
    assert isinstance(source, StructType)
    values = {
        identifier_name(f.this): f.expression
        for f in item.node.expressions
        if isinstance(f, exp.PropertyEQ)
    }
    names = [n for n, _ in source.fields] + [n for n, _ in common.fields]
    fields: list[tuple[str, SqlType]] = []
    for name in dict.fromkeys(names):
        mine, theirs = source.field(name), common.field(name)
        if theirs is None or mine is None:
            kind = mine if theirs is None else theirs
        else:
            node = values.get(name, exp.Null())
            try:
                kind = _resolve(Typed(node, mine), theirs, describe) or theirs
            except InvalidSyntax:
                raise
            except CoercionFailed as error:
                raise _mismatch(item, common, describe) from error
        assert kind is not None
        fields.append((name, kind))
    return StructType("STRUCT", tuple(fields))


def _numeric_from_text(value: str, target: SqlType) -> SqlType:
    """CoercionUtil.resolveCommonNumericTypeFromStringLiteral."""
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise _invalid_syntax(value, target) from None
    if not number.is_finite():
        raise _invalid_syntax(value, target)
    source: SqlType
    if not any(c in value for c in ".eE") and number == number.to_integral_value():
        whole = int(number)
        source = INTEGER if -(2**31) < whole < 2**31 - 1 else BIGINT
        if not -(2**63) < whole < 2**63 - 1:
            source = as_decimal_of(number)
    else:
        source = as_decimal_of(number)
    if DOUBLE.base in (source.base, target.base):
        return DOUBLE
    if "DECIMAL" in (source.base, target.base):
        return _widen(as_decimal(source), as_decimal(target))
    return target if can_coerce(source, target, lax=False) is not None else source


def as_decimal_of(number: Decimal) -> DecimalType:
    """DecimalUtil.fromValue: the DECIMAL type of a value's digits."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    scale = max(-exponent, 0)
    precision = max(len(digits) + max(exponent, 0), scale, 1)
    return DecimalType("DECIMAL", precision, scale)


def _type_of(node: exp.Expression, describe: Describe) -> SqlType:
    return describe(node)[1]


def _mismatch(item: Typed, common: SqlType, describe: Describe) -> CoercionFailed:
    shown = describe(item.node)[0]
    return CoercionFailed(
        f"operator does not exist: {common} = {item.kind} ({shown})\n"
        "Hint: You might need to add explicit type casts."
    )


def _invalid_syntax(value: str, target: SqlType) -> CoercionFailed:
    return InvalidSyntax(f'invalid input syntax for type {target.base}: "{value}".')
