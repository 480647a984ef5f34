"""The registry of scalar functions: name -> implementation, signatures and return-type rule.

Every function gets evaluated arguments (``None`` for SQL NULL) and returns a value; most return
NULL when an argument is NULL, as ksqlDB's UDFs do. Lambdas arrive as Python callables.

A function may declare its signatures (ksqlDB's overloads) as text, e.g. ``"STRING, INT"``,
``"ARRAY<T>, T"``, ``"STRING..."`` (variadic last). They are checked when a query is compiled,
as ksqlDB's ``UdfIndex`` resolves a call: exact types first, then implicit widening
(INT -> BIGINT -> DECIMAL -> DOUBLE); a NULL literal fits any parameter; a one-letter name is a
generic bound by its first use. The implementation then dispatches on the values it receives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..convert import cast_value
from ..errors import KsqlStatementError
from ..types import (
    NULL_TYPE,
    NUMERIC_RANK,
    STRING,
    ArrayType,
    MapType,
    SqlType,
    as_decimal,
)

TypeRule = Callable[[Sequence[SqlType]], SqlType]

# ksqlDB's names for parameter types in signatures and messages.
_ALIASES = {"INT": "INTEGER", "VARCHAR": "STRING"}
_PRIMITIVES = frozenset(
    {"BOOLEAN", "INTEGER", "BIGINT", "DECIMAL", "DOUBLE", "STRING", "BYTES", "DATE", "TIME"}
    | {"TIMESTAMP"}
)
# The type of a bare time-unit word (DAYS, HOURS, ...) passed to DATEADD and friends.
INTERVAL_UNIT = SqlType("INTERVALUNIT")


@dataclass(frozen=True, slots=True)
class Signature:
    """One overload: its parameter patterns (the last may be variadic) and their names."""

    params: tuple[str, ...]
    variadic: bool = False
    names: tuple[str, ...] = ()

    def text(self, name: str = "") -> str:
        """As ksqlDB lists it: ``name(STRING, INT)`` or, with names, ``name(ARRAY<T> list)``."""
        shown = list(self.params)
        if self.variadic and shown:
            shown[-1] = shown[-1] + "..."
        if self.names:
            shown = [f"{p} {n}".rstrip() for p, n in zip(shown, self.names, strict=True)]
        return name + "(" + ", ".join(shown) + ")"


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
    signatures: tuple[Signature, ...] = field(default=())
    kind: str = "SCALAR"  # or TABLE: a table function, flattened by the query's projection
    raw: Callable[..., Any] | None = None  # a NULL-in-NULL-out function's unwrapped body
    # A user function's overloads, one Function per signature (in order): the call resolves to one.
    overloads: tuple[Function, ...] = ()
    # A user function class: a fresh ``call`` for every call site a query compiles, as ksqlDB's
    # KsqlScalarFunction.newInstance gives each compiled call its own instance of the UDF class.
    instance: Callable[[], Callable[..., Any]] | None = None

    @property
    def takes_units(self) -> bool:
        """Whether a parameter is a time unit word (DAYS, HOUR, ...)."""
        return any("INTERVALUNIT" in s.params for s in self.signatures)

    def check(self, types: Sequence[SqlType]) -> list[SqlType]:
        """The types the arguments are passed as, for the overload ksqlDB would pick."""
        return check_call(self.name, self.signatures, types)


def parse_signatures(texts: Sequence[str]) -> tuple[Signature, ...]:
    """Signatures from their text (``"ARRAY<T> list, INT n"``, ``"STRING..."``)."""
    return tuple(_signature(t) for t in texts)


def check_call(
    name: str, signatures: Sequence[Signature], types: Sequence[SqlType]
) -> list[SqlType]:
    """The types the arguments are passed as (after ksqlDB's implicit casts) for the overload
    ksqlDB's UdfIndex picks: exact matches first, then with casts; the best by its order
    (fixed arity over variadic, more parameters, fewer generics); ksqlDB's errors when no
    overload or several equally good ones fit. No signatures: anything goes."""
    if not signatures:
        return list(types)
    return choose(name, signatures, types)[1]


# Built-in functions whose @UdfDescription name is not lower case: ksqlDB's UdfIndex names a
# function as declared in its errors.
_DECLARED = {
    name.upper(): name
    for name in (
        *("ARRAY_CONTAINS", "ARRAY_JOIN", "ARRAY_LENGTH", "AS_MAP", "AS_VALUE", "COALESCE"),
        *("ENTRIES", "GENERATE_SERIES", "IFNULL", "IS_JSON_STRING", "JSON_ARRAY_CONTAINS"),
        *("JSON_ARRAY_LENGTH", "JSON_CONCAT", "JSON_ITEMS", "JSON_KEYS", "JSON_RECORDS"),
        *("NULLIF", "TO_JSON_STRING", "UUID", "Abs", "Ceil", "Chr", "Floor", "LPad", "RPad"),
        "Round",
    )
}


def declared_name(name: str) -> str:
    """A function's name as ksqlDB declares it (most in lower case)."""
    return _DECLARED.get(name.upper(), name.lower())


def choose(
    name: str, signatures: Sequence[Signature], types: Sequence[SqlType]
) -> tuple[Signature, list[SqlType]]:
    """The overload :func:`check_call` picks, and the types its arguments are passed as."""
    alternatives = "\n".join(sorted(s.text(name.lower()) for s in signatures))
    for casts in (False, True):
        fits = [s for s in signatures if _matches(s, types, casts)]
        if not fits:
            continue
        fits.sort(key=_rank, reverse=True)
        if len(fits) > 1 and _rank(fits[0]) == _rank(fits[1]):
            raise KsqlStatementError(
                f"Function '{declared_name(name)}' cannot be resolved due to ambiguous method "
                f"parameters {_shown(types)}.\nUse CAST() to explicitly cast your parameters "
                "to one of the supported function calls.\nValid function calls are:\n"
                f"{alternatives}\n"
                "For detailed information on a function run: DESCRIBE FUNCTION <Function-Name>;"
            )
        return fits[0], _passed_as(fits[0], types)
    raise KsqlStatementError(
        f"Function '{declared_name(name)}' does not accept parameters {_shown(types)}.\n"
        f"Valid alternatives are:\n{alternatives}\n"
        "For detailed information on a function run: DESCRIBE FUNCTION <Function-Name>;"
    )


def _shown(types: Sequence[SqlType]) -> str:
    return "(" + ", ".join(_type_text(t) for t in types) + ")"


def _rank(signature: Signature) -> tuple[int, int, int]:
    generics = sum(1 for p in signature.params if any(len(t) == 1 for t in _names_in(p)))
    return (0 if signature.variadic else 1, len(signature.params), -generics)


def _names_in(pattern: str) -> list[str]:
    return [t.strip() for t in pattern.replace("<", ",").replace(">", ",").split(",") if t.strip()]


def _passed_as(signature: Signature, types: Sequence[SqlType]) -> list[SqlType]:
    """Each argument's type once cast to its primitive parameter (INT to DOUBLE, a STRING
    literal to DATE, ...); generic and complex parameters take the argument as it is."""
    params = list(signature.params)
    if signature.variadic:
        params = params[:-1] + [params[-1]] * (len(types) - len(params) + 1)
    out = []
    for pattern, kind in zip(params, types, strict=False):
        wanted = _ALIASES.get(pattern, pattern)
        if kind == NULL_TYPE or kind.base == wanted or wanted not in _PRIMITIVES:
            out.append(kind)
        elif wanted == "DECIMAL":
            out.append(as_decimal(kind))
        else:
            out.append(SqlType(wanted))
    return out


REGISTRY: dict[str, Function] = {}


def fixed(kind: SqlType) -> TypeRule:
    """The rule of a function that always returns ``kind``."""
    return lambda args: kind


def first(args: Sequence[SqlType]) -> SqlType:
    """The rule of a function that returns its first argument's type."""
    return args[0] if args else STRING


def element(args: Sequence[SqlType]) -> SqlType:
    """The rule of a function that returns the element type of its first (array) argument."""
    kind = args[0] if args else STRING
    return kind.element if isinstance(kind, ArrayType) else STRING


def _type_text(kind: SqlType) -> str:
    return "null" if kind == NULL_TYPE else str(kind)


def split_params(text: str) -> list[str]:
    out, depth, current = [], 0, ""
    for char in text:
        depth += char == "<"
        depth -= char == ">"
        if char == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        out.append(current.strip())
    return out


def _signature(text: str) -> Signature:
    params, names = [], []
    for param in split_params(text):
        # "ARRAY<T> list": a type, then optionally the parameter's name.
        end = param.rfind(">") + 1 if ">" in param else 0
        kind, _, name = param[end:].partition(" ")
        params.append((param[:end] + kind).strip())
        names.append(name.strip())
    variadic = bool(params) and params[-1].endswith("...")
    if variadic:
        params[-1] = params[-1][:-3]
    return Signature(tuple(params), variadic, tuple(names) if any(names) else ())


def _fits(pattern: str, kind: SqlType, bound: dict[str, SqlType], casts: bool) -> bool:
    """Whether a value of ``kind`` can be passed where ``pattern`` is expected."""
    if kind == NULL_TYPE or pattern == "ANY":
        return True
    if len(pattern) == 1:  # a generic
        if pattern not in bound or bound[pattern] == NULL_TYPE:
            bound[pattern] = kind
            return True
        return _same(bound[pattern], kind, casts)
    if pattern.startswith("ARRAY<"):
        return isinstance(kind, ArrayType) and _fits(pattern[6:-1], kind.element, bound, casts)
    if pattern.startswith("MAP<"):
        key, value = split_params(pattern[4:-1])
        return (
            isinstance(kind, MapType)
            and _fits(key, kind.key, bound, casts)
            and _fits(value, kind.value, bound, casts)
        )
    wanted = _ALIASES.get(pattern, pattern)
    if kind.base == wanted or str(kind) == pattern:  # str: a user function's STRUCT<...>
        return True
    if casts and kind.base in NUMERIC_RANK and wanted in NUMERIC_RANK:
        return NUMERIC_RANK[kind.base] <= NUMERIC_RANK[wanted]
    # ksqlDB's SqlBaseType.canImplicitlyCast: a STRING to a DATE, TIME, TIMESTAMP or BYTES.
    return casts and kind.base == "STRING" and wanted in ("DATE", "TIME", "TIMESTAMP", "BYTES")


def _same(bound: SqlType, kind: SqlType, casts: bool) -> bool:
    if bound == kind or bound.base == kind.base == "DECIMAL":
        return True
    if casts and bound.base in NUMERIC_RANK and kind.base in NUMERIC_RANK:
        return True
    if isinstance(bound, ArrayType) and isinstance(kind, ArrayType):
        return kind.element == NULL_TYPE or _same(bound.element, kind.element, casts)
    return False


def _matches(signature: Signature, types: Sequence[SqlType], casts: bool) -> bool:
    params = list(signature.params)
    if signature.variadic:
        fixed_count = len(params) - 1
        if len(types) < fixed_count:
            return False
        params = params[:fixed_count] + [params[-1]] * (len(types) - fixed_count)
    if len(params) != len(types):
        return False
    bound: dict[str, SqlType] = {}
    return all(_fits(p, t, bound, casts) for p, t in zip(params, types, strict=True))


def _strict(fn: Callable[..., Any]) -> Callable[..., Any]:
    """NULL in, NULL out."""

    def run(*args: Any) -> Any:
        if None in args:
            return None
        return fn(*args)

    return run


Row = Sequence[Any]
# A failing call gives NULL, as ksqlDB logs a UDF's exception and carries on with null.
_CALL_ERRORS = (ValueError, TypeError, ArithmeticError, IndexError, KeyError)


def bind(function: Function, fns: Sequence[Callable[[Row], Any]]) -> Callable[[Row], Any]:
    """A call of a function over compiled arguments, specialised by arity with the NULL check
    inline (the hot path of every projection)."""
    raw = function.raw
    if raw is None or not 1 <= len(fns) <= 3:
        call = function.call

        def many(row: Row) -> Any:
            try:
                return call(*[f(row) for f in fns])
            except _CALL_ERRORS:
                return None

        return many
    if len(fns) == 1:
        (a,) = fns

        def one(row: Row) -> Any:
            x = a(row)
            if x is None:
                return None
            try:
                return raw(x)
            except _CALL_ERRORS:
                return None

        return one
    if len(fns) == 2:
        a, b = fns

        def two(row: Row) -> Any:
            x, y = a(row), b(row)
            if x is None or y is None:
                return None
            try:
                return raw(x, y)
            except _CALL_ERRORS:
                return None

        return two
    a, b, c = fns

    def three(row: Row) -> Any:
        x, y, z = a(row), b(row), c(row)
        if x is None or y is None or z is None:
            return None
        try:
            return raw(x, y, z)
        except _CALL_ERRORS:
            return None

    return three


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
    signatures: Sequence[str] = (),
    kind: str = "SCALAR",
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
        parse_signatures(signatures),
        kind,
        call if strict else None,
    )


def lookup(name: str, arg_count: int) -> Function:
    """A function by (upper-case) name, checking the argument count."""
    function = REGISTRY.get(name.upper())
    if function is None:
        raise KsqlStatementError(f"Can't find any functions with the name '{name.upper()}'")
    if not function.signatures and (
        arg_count < function.min_args
        or (function.max_args is not None and arg_count > function.max_args)
    ):
        raise KsqlStatementError(
            f"Function '{function.name}' does not accept {arg_count} parameters"
        )
    return function


def cast_argument(
    fn: Callable[[Sequence[Any]], Any], kind: SqlType, target: SqlType
) -> Callable[[Sequence[Any]], Any]:
    """A compiled argument cast to the parameter type its function's overload declares."""
    if kind in (target, NULL_TYPE):
        return fn

    def run(row: Sequence[Any]) -> Any:
        value = fn(row)
        return None if value is None else cast_value(value, kind, target)

    return run


def resolve(name: str, types: Sequence[SqlType]) -> tuple[Function, SqlType]:
    """A function for arguments of these types, and its return type; ksqlDB's errors if none."""
    function, passed = resolve_passed(name, types)
    return function, function.returns(passed)


def resolve_passed(name: str, types: Sequence[SqlType]) -> tuple[Function, list[SqlType]]:
    """A function for arguments of these types, and the types its arguments are passed as."""
    function = lookup(name, len(types))
    if function.overloads:
        chosen, passed = choose(function.name, function.signatures, types)
        function = function.overloads[function.signatures.index(chosen)]
    else:
        passed = function.check(types)
    if function.instance is not None:
        function = replace(function, call=function.instance())
    return function, passed
