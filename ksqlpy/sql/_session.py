"""SET/UNSET and DEFINE/UNDEFINE: what a statement changes in a client's session, read once.

ksqlDB applies these statements only within the request that carries them, so every tool that
keeps a session (the client, the shell, the migrations runner) applies them itself, as the ksql
CLI does. The dialect parses them; this module turns the tree into one ``SessionChange``, so
the grammar (quoting, ``''`` escapes, what a variable name may be) has a single owner.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from ksqlpy._errors import KsqlSyntaxError

from . import _nodes as n
from ._parse import parse, relocate
from ._split import Statement

__all__ = ["SessionChange", "session_change"]

# Only text that starts with one of these words (after blanks and comments) is parsed.
_LEADING = re.compile(
    r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(SET|UNSET|DEFINE|UNDEFINE)\b", re.I | re.S
)


@dataclass(frozen=True, slots=True)
class SessionChange:
    """What one ``SET``, ``UNSET``, ``DEFINE`` or ``UNDEFINE`` does to a session.

    ``variable`` is True for DEFINE/UNDEFINE (a ``${name}`` variable), False for SET/UNSET (a
    property sent with later statements); ``value`` is None when the statement removes it.
    """

    variable: bool
    name: str
    value: str | None

    @property
    def keyword(self) -> str:
        """The statement's keyword: SET, UNSET, DEFINE or UNDEFINE."""
        word = "DEFINE" if self.variable else "SET"
        return word if self.value is not None else f"UN{word}"

    def apply(
        self, properties: MutableMapping[str, Any], variables: MutableMapping[str, Any]
    ) -> Any:
        """Change ``properties`` or ``variables``; the value it replaced or removed (or None)."""
        target = variables if self.variable else properties
        old = target.pop(self.name, None)
        if self.value is not None:
            target[self.name] = self.value
        return old


def session_change(statement: str | Statement | exp.Expr) -> SessionChange | None:
    """What ``statement`` changes in the session; None for any other statement.

    Text (or a ``split`` result) is parsed only when it starts with SET, UNSET, DEFINE or
    UNDEFINE, so a malformed one raises KsqlSyntaxError; text holding several statements is
    not one change (None).

    >>> session_change("SET 'auto.offset.reset' = 'earliest';")
    SessionChange(variable=False, name='auto.offset.reset', value='earliest')
    """
    if isinstance(statement, exp.Expr):
        return _change(statement)
    text = statement.text if isinstance(statement, Statement) else statement
    if not _LEADING.match(text):
        return None
    try:
        trees = parse(text)
    except KsqlSyntaxError as error:
        if isinstance(statement, Statement):
            raise relocate(error, statement.line, statement.column) from None
        raise
    return _change(trees[0]) if len(trees) == 1 else None


def _change(tree: exp.Expr) -> SessionChange | None:
    if isinstance(tree, n.KsqlSetProperty | n.KsqlUnsetProperty):
        variable = False
    elif isinstance(tree, n.KsqlDefine | n.KsqlUndefine):
        variable = True
    else:
        return None
    value = tree.args.get("expression")
    return SessionChange(variable, tree.this.name, None if value is None else str(value.this))
