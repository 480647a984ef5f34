"""The local server's engine: metastore, statements, expressions and transient queries."""

from __future__ import annotations

from .engine import Engine

__all__ = ["Engine"]
