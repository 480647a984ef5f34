"""The syntax-tree node types of ksqlDB statements that sqlglot has no node for.

``ksqlpy.sql.parse_one`` returns them for KSQL-only statements and clauses; tools that walk
parsed statements (the local server, linters) match on these types.

>>> from ksqlpy.sql import parse_one
>>> from ksqlpy.sql.nodes import KsqlShow
>>> isinstance(parse_one("SHOW STREAMS;"), KsqlShow)
True
"""

from __future__ import annotations

from ._nodes import (
    KsqlAlterSource,
    KsqlAlterSystem,
    KsqlAssertSchema,
    KsqlAssertTopic,
    KsqlCreate,
    KsqlCreateConnector,
    KsqlCreateType,
    KsqlDefine,
    KsqlDereference,
    KsqlDescribe,
    KsqlDrop,
    KsqlDuration,
    KsqlExplain,
    KsqlHeaderConstraint,
    KsqlHeadersConstraint,
    KsqlInsert,
    KsqlJoin,
    KsqlKeyConstraint,
    KsqlMap,
    KsqlPauseResume,
    KsqlPrint,
    KsqlRunScript,
    KsqlSelect,
    KsqlSetProperty,
    KsqlShow,
    KsqlStructAll,
    KsqlTerminate,
    KsqlUndefine,
    KsqlUnsetProperty,
    KsqlVariable,
    KsqlWindow,
    KsqlWithin,
)

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
