"""Syntax-tree nodes for the parts of ksqlDB's grammar that sqlglot has no node for.

Statement roots that have a close sqlglot counterpart subclass it (``KsqlSelect`` is an
``exp.Select``, ``KsqlCreate`` an ``exp.Create``), so tree walkers written for sqlglot keep working.
Extra arguments are declared in ``arg_types``: sqlglot rejects unknown keys when it runs under a
test runner, so setting them on the stock classes would behave differently in tests.
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp

__all__ = [
    "KsqlAlterSource",
    "KsqlAlterSystem",
    "KsqlAssertSchema",
    "KsqlAssertTopic",
    "KsqlCreate",
    "KsqlCreateConnector",
    "KsqlCreateType",
    "KsqlDefine",
    "KsqlDereference",
    "KsqlDescribe",
    "KsqlDrop",
    "KsqlDuration",
    "KsqlExplain",
    "KsqlHeaderConstraint",
    "KsqlHeadersConstraint",
    "KsqlInsert",
    "KsqlJoin",
    "KsqlKeyConstraint",
    "KsqlMap",
    "KsqlPauseResume",
    "KsqlPrint",
    "KsqlRunScript",
    "KsqlSelect",
    "KsqlSetProperty",
    "KsqlShow",
    "KsqlStructAll",
    "KsqlTerminate",
    "KsqlUndefine",
    "KsqlUnsetProperty",
    "KsqlVariable",
    "KsqlWindow",
    "KsqlWithin",
]


# --- queries -------------------------------------------------------------------------------------


class KsqlSelect(exp.Select):
    """A ksqlDB query: ``SELECT`` plus ``WINDOW``, ``PARTITION BY`` and ``EMIT`` clauses."""

    arg_types: ClassVar[dict[str, bool]] = {
        **exp.Select.arg_types,
        "window": False,
        "partition_by": False,
        "emit": False,
    }


class KsqlJoin(exp.Join):
    """A join with an optional ``WITHIN`` window (stream-stream joins)."""

    arg_types: ClassVar[dict[str, bool]] = {**exp.Join.arg_types, "within": False}


class KsqlDuration(exp.Expression):
    """A ``number unit`` duration such as ``5 MINUTES``; ``this`` is the number, ``unit`` a Var."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "unit": True}


class KsqlWindow(exp.Expression):
    """``WINDOW TUMBLING|HOPPING|SESSION (...)``; ``kind`` is the window type in upper case."""

    arg_types: ClassVar[dict[str, bool]] = {
        "this": False,  # the optional window name of the grammar
        "kind": True,
        "size": True,
        "advance": False,
        "retention": False,
        "grace": False,
    }


class KsqlWithin(exp.Expression):
    """``WITHIN d`` or ``WITHIN (before, after)`` with an optional ``GRACE PERIOD``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "after": False, "grace": False}


# --- expressions ---------------------------------------------------------------------------------


class KsqlDereference(exp.Expression):
    """Struct field access ``this->field``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expression": True}


class KsqlStructAll(exp.Expression):
    """``base->*`` in a projection: every field of a struct."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class KsqlMap(exp.Expression, exp.Func):
    """``MAP(k := v, ...)``; ``keys`` and ``values`` are parallel lists."""

    arg_types: ClassVar[dict[str, bool]] = {"keys": False, "values": False}


class KsqlVariable(exp.Expression):
    """An unsubstituted ``${name}`` variable reference; ``this`` is the name."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class KsqlKeyConstraint(exp.Expression, exp.ColumnConstraintKind):
    """The ``KEY`` column constraint of streams."""

    arg_types: ClassVar[dict[str, bool]] = {}


class KsqlHeadersConstraint(exp.Expression, exp.ColumnConstraintKind):
    """The ``HEADERS`` column constraint: the column holds every record header."""

    arg_types: ClassVar[dict[str, bool]] = {}


class KsqlHeaderConstraint(exp.Expression, exp.ColumnConstraintKind):
    """The ``HEADER('key')`` column constraint; ``this`` is the header key literal."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


# --- statements ----------------------------------------------------------------------------------


class KsqlCreate(exp.Create):
    """``CREATE [OR REPLACE] [SOURCE] STREAM|TABLE`` with or without ``AS SELECT``."""

    arg_types: ClassVar[dict[str, bool]] = {**exp.Create.arg_types, "source": False}


class KsqlInsert(exp.Insert):
    """``INSERT INTO s [(cols)] VALUES (...)`` or ``INSERT INTO s [WITH (...)] SELECT ...``."""

    arg_types: ClassVar[dict[str, bool]] = {**exp.Insert.arg_types, "properties": False}


class KsqlCreateType(exp.Expression):
    """``CREATE TYPE [IF NOT EXISTS] name AS type``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "kind": True, "exists": False}


class KsqlCreateConnector(exp.Expression):
    """``CREATE SOURCE|SINK CONNECTOR [IF NOT EXISTS] name WITH (...)``."""

    arg_types: ClassVar[dict[str, bool]] = {
        "this": True,
        "kind": True,
        "properties": True,
        "exists": False,
    }


class KsqlDrop(exp.Expression):
    """``DROP STREAM|TABLE|TYPE|CONNECTOR [IF EXISTS] name [DELETE TOPIC]``."""

    arg_types: ClassVar[dict[str, bool]] = {
        "this": True,
        "kind": True,
        "exists": False,
        "delete_topic": False,
    }


class KsqlAlterSource(exp.Expression):
    """``ALTER STREAM|TABLE name ADD [COLUMN] c type, ...``; ``expressions`` are ColumnDefs."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "kind": True, "expressions": True}


class KsqlAlterSystem(exp.Expression):
    """``ALTER SYSTEM 'k' = 'v'``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expression": True}


class KsqlShow(exp.Expression):
    """``SHOW|LIST what [EXTENDED]``; ``this`` is the listed thing (``STREAMS``, ``QUERIES``...)."""

    arg_types: ClassVar[dict[str, bool]] = {
        "this": True,
        "verb": False,  # "LIST" when written that way, so the text round-trips
        "modifier": False,  # ALL (topics) or SOURCE/SINK (connectors)
        "extended": False,
    }


class KsqlDescribe(exp.Expression):
    """``DESCRIBE [STREAMS|TABLES|FUNCTION|CONNECTOR] name [EXTENDED]``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": False, "kind": False, "extended": False}


class KsqlExplain(exp.Expression):
    """``EXPLAIN statement`` or ``EXPLAIN query_id``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class KsqlTerminate(exp.Expression):
    """``TERMINATE query_id`` or ``TERMINATE ALL`` (``this`` is None for ALL)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": False, "all": False}


class KsqlPauseResume(exp.Expression):
    """``PAUSE|RESUME query_id|ALL``; ``kind`` is ``PAUSE`` or ``RESUME``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": False, "kind": True, "all": False}


class KsqlPrint(exp.Expression):
    """``PRINT topic [FROM BEGINNING] [INTERVAL|SAMPLE n] [LIMIT n]``."""

    arg_types: ClassVar[dict[str, bool]] = {
        "this": True,
        "from_beginning": False,
        "interval": False,
        "limit": False,
    }


class KsqlSetProperty(exp.Expression):
    """``SET 'property' = 'value'``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expression": True}


class KsqlUnsetProperty(exp.Expression):
    """``UNSET 'property'``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class KsqlDefine(exp.Expression):
    """``DEFINE name = 'value'``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expression": True}


class KsqlUndefine(exp.Expression):
    """``UNDEFINE name``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class KsqlRunScript(exp.Expression):
    """``RUN SCRIPT 'path'``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class KsqlAssertTopic(exp.Expression):
    """``ASSERT [NOT EXISTS] TOPIC name [WITH (...)] [TIMEOUT n unit]``."""

    arg_types: ClassVar[dict[str, bool]] = {
        "this": True,
        "not_exists": False,
        "properties": False,
        "timeout": False,
    }


class KsqlAssertSchema(exp.Expression):
    """``ASSERT [NOT EXISTS] SCHEMA [SUBJECT name] [ID n] [TIMEOUT n unit]``."""

    arg_types: ClassVar[dict[str, bool]] = {
        "subject": False,
        "id": False,
        "not_exists": False,
        "timeout": False,
    }
