"""TERMINATE, SET/UNSET and DEFINE/UNDEFINE: queries, properties and variables."""

from __future__ import annotations

from sqlglot import exp

from ksqlpy.sql.nodes import (
    KsqlDefine,
    KsqlSetProperty,
    KsqlTerminate,
    KsqlUndefine,
    KsqlUnsetProperty,
)

from ..errors import KsqlStatementError
from ..results import Notice, QueryTerminated, Result
from ..runtime import Runtime, Session, check_property, done
from .create_as import stop_persistent


def terminate(runtime: Runtime, node: KsqlTerminate, text: str, session: Session) -> Result | None:
    """TERMINATE id | ALL."""
    if node.args.get("all"):
        for query in list(runtime.queries.values()):
            query.close()
        for query_id in list(runtime.persistent):
            stop_persistent(runtime, query_id)
        return done(runtime, text, "terminate/ALL/execute", "Query terminated.")
    query_id = node.this.name
    persistent_id = next((q for q in runtime.persistent if q.upper() == query_id.upper()), None)
    if persistent_id is not None:
        stop_persistent(runtime, persistent_id)
        return done(runtime, text, f"terminate/{persistent_id}/execute", "Query terminated.")
    found = runtime.queries.get(query_id)
    if found is None:
        raise KsqlStatementError(
            f"Failed to terminate query with query ID: '{query_id}'", code=40000
        )
    found.close()
    return QueryTerminated(text, query_id)


def set_property(
    runtime: Runtime, node: KsqlSetProperty, text: str, session: Session
) -> Result | None:
    """SET 'name'='value' for the rest of the request."""
    name = node.this.name
    check_property(name)
    session.properties[name] = node.expression.name
    return None


def unset_property(
    runtime: Runtime, node: KsqlUnsetProperty, text: str, session: Session
) -> Result | None:
    """UNSET 'name' for the rest of the request."""
    session.properties.pop(node.this.name, None)
    return None


def define(runtime: Runtime, node: KsqlDefine, text: str, session: Session) -> Result | None:
    """DEFINE name = 'value' (already applied while substituting)."""
    session.variables[node.this.name] = literal_text(node.expression)
    return None


def undefine(runtime: Runtime, node: KsqlUndefine, text: str, session: Session) -> Result | None:
    """UNDEFINE name."""
    name = node.this.name
    if session.variables.pop(name, None) is None:
        return Notice(text, f"Cannot undefine variable '{name}' which was never defined")
    return None


def literal_text(node: exp.Expression) -> str:
    return node.name if isinstance(node, exp.Literal) else node.sql(dialect="ksql")
