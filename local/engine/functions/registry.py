"""The registry of scalar functions: name -> implementation and return-type rule.

Every function gets evaluated arguments (``None`` for SQL NULL) and returns a value; most return
NULL when an argument is NULL, as ksqlDB's UDFs do. Lambdas arrive as Python callables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import KsqlStatementError
from ..types import (
    STRING,
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


def fixed(kind: SqlType) -> TypeRule:
    """The rule of a function that always returns ``kind``."""
    return lambda args: kind


def first(args: Sequence[SqlType]) -> SqlType:
    """The rule of a function that returns its first argument's type."""
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
