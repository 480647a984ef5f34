"""The function catalogue SHOW FUNCTIONS and DESCRIBE FUNCTION read: scalar and table functions
from the registry, aggregates from ``udafs``, with ksqlDB's names, types, categories and
descriptions."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from . import functions
from .errors import KsqlStatementError
from .functions.registry import Signature, split_params
from .functions.user import USER
from .results import Argument, FunctionDescription, FunctionName, Overload
from .types import ArrayType, DecimalType, MapType, SqlType, StructType
from .udafs import AGGREGATES

AUTHOR = "Confluent"  # ksqlDB's KsqlConstants.CONFLUENT_AUTHOR: these are its built-ins


def function_names() -> tuple[FunctionName, ...]:
    """SHOW FUNCTIONS entries: scalar functions, then table functions, then aggregates."""
    entries = []
    for kind in ("SCALAR", "TABLE"):
        entries += [
            FunctionName(f.name, kind, f.category)
            for f in sorted(functions.REGISTRY.values(), key=lambda f: f.name)
            if f.kind == kind
        ]
    entries += [FunctionName(name, "AGGREGATE", "AGGREGATE") for name in sorted(AGGREGATES)]
    return tuple(entries)


def _overload(signature: Signature, description: str, returns: str = "") -> Overload:
    names = signature.names or ("",) * len(signature.params)
    last = len(signature.params) - 1
    arguments = tuple(
        Argument(names[i], param_text(kind), signature.variadic and i == last)
        for i, kind in enumerate(signature.params)
    )
    return Overload(arguments, param_text(returns), description)


# DESCRIBE FUNCTION spells types as ksqlDB's ParamType.toString does: VARCHAR and INT, not the
# STRING and INTEGER of column types (its messages about calls use the column spelling).
_PARAM_SPELLING = {"STRING": "VARCHAR", "INTEGER": "INT"}


def param_text(kind: str) -> str:
    """A type as DESCRIBE FUNCTION lists a parameter or a return type."""
    return re.sub(r"\b(STRING|INTEGER)\b", lambda m: _PARAM_SPELLING[m.group(1)], kind)


def describe(name: str) -> FunctionDescription:
    """What DESCRIBE FUNCTION tells of a function (user functions with their own author,
    version and file)."""
    upper = name.upper()
    user = USER.get(upper)
    if user is not None:
        kind = "AGGREGATE" if upper in AGGREGATES else functions.REGISTRY[upper].kind
        overloads = [_overload(s, text, returns) for s, returns, text in user.overloads]
        return _description(
            upper, user.description, overloads, kind, user.author, user.version, user.source
        )
    aggregate = AGGREGATES.get(upper)
    if aggregate is not None:
        overloads = [
            _overload(s, aggregate.description, declared_return(aggregate.returns, s))
            for s in aggregate.signatures
        ]
        return _description(upper, aggregate.description, overloads, "AGGREGATE")
    function = functions.REGISTRY.get(upper)
    if function is None:
        raise KsqlStatementError(f"Can't find any functions with the name '{upper}'")
    overloads = [
        _overload(s, function.description, declared_return(function.returns, s))
        for s in function.signatures
    ]
    return _description(upper, function.description, overloads, function.kind)


def declared_return(rule: Callable[[Sequence[SqlType]], SqlType], signature: Signature) -> str:
    """A built-in overload's return type as ksqlDB declares it: the function's type rule
    applied to the declared parameters, generics kept (``ARRAY<T>`` in, ``T`` out) and
    ``DECIMAL`` without its precision."""
    return _declared_text(rule([_declared_type(p) for p in signature.params]))


def _declared_type(text: str) -> SqlType:
    if text.startswith("ARRAY<"):
        return ArrayType("ARRAY", _declared_type(text[6:-1]))
    if text.startswith("MAP<"):
        key, value = split_params(text[4:-1])
        return MapType("MAP", _declared_type(key), _declared_type(value))
    if text == "DECIMAL":
        return DecimalType("DECIMAL")
    return SqlType(SqlType.ALIASES.get(text, text))


def _declared_text(kind: SqlType) -> str:
    if isinstance(kind, DecimalType):
        return "DECIMAL"
    if isinstance(kind, ArrayType):
        return f"ARRAY<{_declared_text(kind.element)}>"
    if isinstance(kind, MapType):
        return f"MAP<{_declared_text(kind.key)}, {_declared_text(kind.value)}>"
    if isinstance(kind, StructType):  # field names bare, as ksqlDB's ParamType writes them
        fields = ", ".join(f"{name} {_declared_text(t)}" for name, t in kind.fields)
        return f"STRUCT<{fields}>"
    return str(kind)


def _description(
    name: str,
    description: str,
    overloads: list[Overload],
    kind: str,
    author: str = AUTHOR,
    version: str = "",
    path: str = "internal",
) -> FunctionDescription:
    # A function without signatures is listed with one empty overload, as ksqlDB lists it.
    listed = tuple(overloads) or (Overload((), "", description),)
    return FunctionDescription(name, description, kind, listed, author, version, path)
