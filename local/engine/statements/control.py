"""TERMINATE, SET/UNSET and DEFINE/UNDEFINE: queries, properties and variables."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import (
    KsqlDefine,
    KsqlSetProperty,
    KsqlTerminate,
    KsqlUndefine,
    KsqlUnsetProperty,
)

from ..errors import KsqlStatementError
from ..runtime import Runtime, Session, check_property, status_entity
from .create_as import stop_persistent


def terminate(
    runtime: Runtime, node: KsqlTerminate, text: str, session: Session
) -> dict[str, Any] | None:
    """TERMINATE id | ALL."""
    if node.args.get("all"):
        for query in list(runtime.queries.values()):
            query.close()
        for query_id in list(runtime.persistent):
            stop_persistent(runtime, query_id)
        return status_entity(runtime, text, "terminate/ALL/execute", "Query terminated.")
    query_id = node.this.name
    persistent_id = next((q for q in runtime.persistent if q.upper() == query_id.upper()), None)
    if persistent_id is not None:
        stop_persistent(runtime, persistent_id)
        return status_entity(
            runtime, text, f"terminate/{persistent_id}/execute", "Query terminated."
        )
    found = runtime.queries.get(query_id)
    if found is None:
        raise KsqlStatementError(
            f"Failed to terminate query with query ID: '{query_id}'", code=40000
        )
    found.close()
    return {
        "@type": "terminate_query",
        "statementText": text,
        "queryId": query_id,
        "wasTerminated": True,
        "warnings": [],
    }


def set_property(
    runtime: Runtime, node: KsqlSetProperty, text: str, session: Session
) -> dict[str, Any] | None:
    """SET 'name'='value' for the rest of the request."""
    name = node.this.name
    check_property(name)
    session.properties[name] = node.expression.name
    return None


def unset_property(
    runtime: Runtime, node: KsqlUnsetProperty, text: str, session: Session
) -> dict[str, Any] | None:
    """UNSET 'name' for the rest of the request."""
    session.properties.pop(node.this.name, None)
    return None


def define(
    runtime: Runtime, node: KsqlDefine, text: str, session: Session
) -> dict[str, Any] | None:
    """DEFINE name = 'value' (already applied while substituting)."""
    session.variables[node.this.name] = literal_text(node.expression)
    return None


def undefine(
    runtime: Runtime, node: KsqlUndefine, text: str, session: Session
) -> dict[str, Any] | None:
    """UNDEFINE name."""
    name = node.this.name
    if session.variables.pop(name, None) is None:
        return {
            "@type": "warning_entity",
            "statementText": text,
            "message": f"Cannot undefine variable '{name}' which was never defined",
            "warnings": [],
        }
    return None


def literal_text(node: exp.Expression) -> str:
    return node.name if isinstance(node, exp.Literal) else node.sql(dialect="ksql")
