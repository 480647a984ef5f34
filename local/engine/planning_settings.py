"""The settings of the statement being run, for what a query reads of them when it is built.

ksqlDB builds a query with the statement's KsqlConfig (server config plus request overrides):
a function instance gets its ``ksql.functions.*`` configs (a Udaf's ``configure``), a source its
timestamp policy (``ksql.timestamp.throw.on.invalid``). The engine sets the statement's lookup
here while it runs the statement; what a query builds reads it then, not at processing time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Lookup = Callable[[str], "str | None"]

_current: ContextVar[Lookup | None] = ContextVar("ksqlpy_planning_settings", default=None)


@contextmanager
def planning_settings(lookup: Lookup) -> Iterator[None]:
    """Let what is planned inside the block read settings through ``lookup``."""
    token = _current.set(lookup)
    try:
        yield
    finally:
        _current.reset(token)


def planning_setting(name: str) -> str | None:
    """A setting of the statement being planned (None: unset, or planned outside a statement)."""
    lookup = _current.get()
    return None if lookup is None else lookup(name)
