"""The settings a statement runs with, as the functions it plans read them.

ksqlDB hands a function instance its ``ksql.functions.*`` configs when a query is built
(``KsqlConfig.getKsqlFunctionsConfigProps``: a UDAF's or UDF's ``configure``). The engine sets
the statement's lookup here while it runs the statement; a function reads it while planned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Lookup = Callable[[str], "str | None"]

_current: ContextVar[Lookup | None] = ContextVar("ksqlpy_function_settings", default=None)


@contextmanager
def function_settings(lookup: Lookup) -> Iterator[None]:
    """Let functions planned inside the block read settings through ``lookup``."""
    token = _current.set(lookup)
    try:
        yield
    finally:
        _current.reset(token)


def function_setting(name: str) -> str | None:
    """A setting of the statement being planned (None: unset, or planned outside a statement)."""
    lookup = _current.get()
    return None if lookup is None else lookup(name)
