"""Python user functions for the embedded server, as ksqlDB's Java annotations declare them.

``@udf`` is ksqlDB's ``@UdfDescription``/``@Udf``, ``@udaf`` its ``@UdafDescription``/
``@UdafFactory`` and ``@udtf`` its ``@UdtfDescription``/``@Udtf``::

    from ksqlpy.local.udf import udf

    @udf("multiply", description="Multiplies two numbers.")
    def multiply(a: int, b: int) -> int:
        return a * b

Types come from the annotations (``int`` BIGINT, ``float`` DOUBLE, ``str`` STRING, ``bool``,
``bytes``, ``Decimal``, ``list[...]`` ARRAY, ``dict[str, ...]`` MAP; ``*args`` is variadic) or
from ``signature="(INT, STRING...) -> STRING"``, where a one-letter type is a generic and ANY
takes anything. Decorating several functions with one name declares overloads. Load them with
``LocalServer(udfs=[module, "path/to/dir", "file.py", "package.module"])`` or
``ksqlpy-local --udf-dir DIR`` / ``--udf MODULE``, or name modules under the ``ksqlpy.udfs``
entry-point group of an installed package; functions are registered for the process.

A function receives NULL as ``None``; an exception it raises makes that row's result NULL and
is logged on the ``ksqlpy.local.udf`` logger, as ksqlDB logs a failing UDF.

A function that keeps state is a class with ``__call__`` (its types from ``__call__``'s
annotations) and a constructor without arguments: as ksqlDB instantiates a UDF class, every
call of the function in a query gets its own fresh instance, so queries never share state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .engine.functions.user import (
    AGGREGATE,
    MARK,
    SCALAR,
    TABLE,
    Definition,
    UdfLoadError,
    load,
    unload,
)

__all__ = ["UdfLoadError", "load", "udaf", "udf", "udtf", "unload"]

T = TypeVar("T")


def _marker(kind: str, name: str, **options: Any) -> Callable[[T], T]:
    def mark(target: T) -> T:
        found = list(getattr(target, MARK, ()))
        found.append(Definition(kind, name.upper(), target, **options))
        setattr(target, MARK, found)
        return target

    return mark


def udf(
    name: str,
    *,
    signature: str | None = None,
    description: str = "",
    author: str = "",
    version: str = "",
    category: str = "OTHER",
) -> Callable[[T], T]:
    """Declare a scalar function (one overload of ``name``): one value per call."""
    options = {"description": description, "author": author, "version": version}
    return _marker(SCALAR, name, signature=signature, category=category, **options)


def udtf(
    name: str,
    *,
    signature: str | None = None,
    description: str = "",
    author: str = "",
    version: str = "",
) -> Callable[[T], T]:
    """Declare a table function: it returns a list, one output row per element (its return
    type, in a signature or as ``list[X]``, is the list's)."""
    options = {"description": description, "author": author, "version": version}
    return _marker(TABLE, name, signature=signature, category="TABLE", **options)


def udaf(
    name: str,
    *,
    signature: str,
    literals: str = "",
    description: str = "",
    author: str = "",
    version: str = "",
) -> Callable[[T], T]:
    """Declare an aggregate: a class with ``initialize()``, ``aggregate(value, state)``,
    ``merge(a, b)``, ``map(state)`` and, to aggregate tables, ``undo(value, state)``.

    ``value`` is the argument, or a tuple of the arguments when there are several (a variadic
    one as a tuple of its values). ``literals="INT, INT"`` declares constructor arguments the
    call passes last as constants, as ksqlDB's UdafFactory parameters; the last may be variadic
    (``"INT, STRING..."``) when the signature is not.
    """
    options = {"description": description, "author": author, "version": version}
    return _marker(AGGREGATE, name, signature=signature, literals=literals, **options)
