"""Statement executors: one function per statement kind, found through :data:`EXECUTORS`.

An executor takes ``(runtime, node, text, session)`` and returns the typed result of its
statement (``results.py``), or ``None`` for statements that produce none (SET, INSERT VALUES, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import (
    KsqlAlterSource,
    KsqlCreate,
    KsqlCreateType,
    KsqlDefine,
    KsqlDescribe,
    KsqlDrop,
    KsqlExplain,
    KsqlInsert,
    KsqlSetProperty,
    KsqlShow,
    KsqlTerminate,
    KsqlUndefine,
    KsqlUnsetProperty,
)

from ..results import Result
from ..runtime import Runtime, Session
from . import control, ddl, dml, metadata

Executor = Callable[[Runtime, Any, str, Session], Result | None]

EXECUTORS: dict[type[exp.Expr], Executor] = {
    KsqlCreate: ddl.create_source,
    KsqlAlterSource: ddl.alter_source,
    KsqlDrop: ddl.drop,
    KsqlCreateType: ddl.create_type,
    KsqlInsert: dml.insert_values,
    KsqlShow: metadata.show,
    KsqlDescribe: metadata.describe,
    KsqlExplain: metadata.explain,
    KsqlTerminate: control.terminate,
    KsqlSetProperty: control.set_property,
    KsqlUnsetProperty: control.unset_property,
    KsqlDefine: control.define,
    KsqlUndefine: control.undefine,
}

# Statements whose success changes the metastore: the command log keeps them for replay.
LOGGED = (KsqlCreate, KsqlAlterSource, KsqlDrop, KsqlCreateType, KsqlTerminate, KsqlInsert)

__all__ = ["EXECUTORS", "LOGGED", "Executor"]
