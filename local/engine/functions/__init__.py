"""Scalar functions, one module per category, each registering its functions in :data:`REGISTRY`.

Every function gets evaluated arguments (``None`` for SQL NULL) and returns a value; most return
NULL when an argument is NULL, as ksqlDB's UDFs do. Lambdas arrive as Python callables.
"""

from __future__ import annotations

from . import binary, collection, maths, string, times  # noqa: F401  (importing registers them)
from .registry import REGISTRY, Function, lookup, register

__all__ = ["REGISTRY", "Function", "lookup", "register"]
