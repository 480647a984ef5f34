"""Scalar functions, one module per category, each registering its functions in :data:`REGISTRY`.

Every function gets evaluated arguments (``None`` for SQL NULL) and returns a value; most return
NULL when an argument is NULL, as ksqlDB's UDFs do. Lambdas arrive as Python callables.
"""

from __future__ import annotations

from . import (  # noqa: F401  (importing registers them)
    array,
    binary,
    collection,
    dates,
    json,
    maths,
    regex,
    string,
    table,
    times,
    url,
)
from .dates import interval_unit
from .registry import (
    INTERVAL_UNIT,
    REGISTRY,
    Function,
    bind,
    cast_argument,
    lookup,
    register,
    resolve,
    resolve_passed,
)

__all__ = [
    "INTERVAL_UNIT",
    "REGISTRY",
    "Function",
    "bind",
    "cast_argument",
    "interval_unit",
    "lookup",
    "register",
    "resolve",
    "resolve_passed",
]
