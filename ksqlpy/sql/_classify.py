"""Statement kinds: what a statement does, decided from its syntax tree."""

from __future__ import annotations

import enum
from collections.abc import Callable

from sqlglot import exp

from ksqlpy._errors import KsqlSyntaxError

from . import _nodes as n
from ._parse import parse_one, relocate
from ._split import Statement


class StatementKind(enum.Enum):
    """What a statement does; the client, shell and migrations dispatch on it."""

    CREATE_SOURCE = "create_source"
    """``CREATE [OR REPLACE] [SOURCE] STREAM|TABLE`` without a query."""
    DROP_SOURCE = "drop_source"
    """``DROP STREAM|TABLE``."""
    ALTER_SOURCE = "alter_source"
    """``ALTER STREAM|TABLE ... ADD COLUMN``."""
    PERSISTENT_QUERY = "persistent_query"
    """``CREATE STREAM|TABLE ... AS SELECT`` and ``INSERT INTO ... SELECT``."""
    PUSH_QUERY = "push_query"
    """``SELECT ... EMIT CHANGES|FINAL``: streams results until stopped."""
    PULL_QUERY = "pull_query"
    """``SELECT`` without EMIT: returns the current state and ends."""
    INSERT_VALUES = "insert_values"
    """``INSERT INTO ... VALUES``."""
    METADATA = "metadata"
    """``SHOW``, ``LIST``, ``DESCRIBE``, ``EXPLAIN``."""
    TERMINATE = "terminate"
    """``TERMINATE query|ALL``."""
    PAUSE_RESUME = "pause_resume"
    """``PAUSE`` / ``RESUME`` a query."""
    PROPERTY = "property"
    """``SET``, ``UNSET``, ``ALTER SYSTEM``."""
    VARIABLE = "variable"
    """``DEFINE`` / ``UNDEFINE``."""
    PRINT = "print"
    """``PRINT topic``."""
    RUN_SCRIPT = "run_script"
    """``RUN SCRIPT 'file'``."""
    CONNECTOR = "connector"
    """``CREATE SOURCE|SINK CONNECTOR``, ``DROP CONNECTOR``."""
    TYPE = "type"
    """``CREATE TYPE`` / ``DROP TYPE``."""
    ASSERT = "assert"
    """``ASSERT [NOT EXISTS] TOPIC|SCHEMA``."""


def _create(tree: exp.Expr) -> StatementKind:
    if tree.args.get("expression") is not None:
        return StatementKind.PERSISTENT_QUERY
    return StatementKind.CREATE_SOURCE


def _select(tree: exp.Expr) -> StatementKind:
    return StatementKind.PUSH_QUERY if tree.args.get("emit") else StatementKind.PULL_QUERY


def _insert(tree: exp.Expr) -> StatementKind:
    if isinstance(tree.args.get("expression"), exp.Values):
        return StatementKind.INSERT_VALUES
    return StatementKind.PERSISTENT_QUERY


_DROP_KINDS = {
    "STREAM": StatementKind.DROP_SOURCE,
    "TABLE": StatementKind.DROP_SOURCE,
    "TYPE": StatementKind.TYPE,
    "CONNECTOR": StatementKind.CONNECTOR,
}


def _fixed(kind: StatementKind) -> Callable[[exp.Expr], StatementKind]:
    return lambda _tree: kind


# Dispatch table: root node class -> kind.
_KINDS: dict[type[exp.Expr], Callable[[exp.Expr], StatementKind]] = {
    n.KsqlCreate: _create,
    n.KsqlSelect: _select,
    n.KsqlInsert: _insert,
    n.KsqlDrop: lambda tree: _DROP_KINDS[tree.text("kind").upper()],
    n.KsqlAlterSource: _fixed(StatementKind.ALTER_SOURCE),
    n.KsqlAlterSystem: _fixed(StatementKind.PROPERTY),
    n.KsqlShow: _fixed(StatementKind.METADATA),
    n.KsqlDescribe: _fixed(StatementKind.METADATA),
    n.KsqlExplain: _fixed(StatementKind.METADATA),
    n.KsqlTerminate: _fixed(StatementKind.TERMINATE),
    n.KsqlPauseResume: _fixed(StatementKind.PAUSE_RESUME),
    n.KsqlSetProperty: _fixed(StatementKind.PROPERTY),
    n.KsqlUnsetProperty: _fixed(StatementKind.PROPERTY),
    n.KsqlDefine: _fixed(StatementKind.VARIABLE),
    n.KsqlUndefine: _fixed(StatementKind.VARIABLE),
    n.KsqlPrint: _fixed(StatementKind.PRINT),
    n.KsqlRunScript: _fixed(StatementKind.RUN_SCRIPT),
    n.KsqlCreateConnector: _fixed(StatementKind.CONNECTOR),
    n.KsqlCreateType: _fixed(StatementKind.TYPE),
    n.KsqlAssertTopic: _fixed(StatementKind.ASSERT),
    n.KsqlAssertSchema: _fixed(StatementKind.ASSERT),
}


def classify(statement: str | Statement | exp.Expr) -> StatementKind:
    """The kind of one statement (text, a ``split`` result or a parsed tree).

    Text is parsed first, so invalid SQL raises KsqlSyntaxError; for a ``split`` result its
    line and column count from the start of the script.

    >>> classify("SELECT * FROM orders EMIT CHANGES;")
    <StatementKind.PUSH_QUERY: 'push_query'>
    """
    if isinstance(statement, Statement):
        try:
            tree = parse_one(statement.text)
        except KsqlSyntaxError as error:
            raise relocate(error, statement.line, statement.column) from None
    elif isinstance(statement, str):
        tree = parse_one(statement)
    else:
        tree = statement
    handler = _KINDS.get(type(tree))
    if handler is None:
        raise TypeError(f"not a ksqlDB statement tree: {type(tree).__name__}")
    return handler(tree)
