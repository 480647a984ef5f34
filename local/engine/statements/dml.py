"""INSERT INTO ... VALUES: one row written to a source's topic."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlInsert, KsqlSelect

from ..convert import CoercionError, coerce, identifier_name
from ..errors import EngineError, KsqlStatementError, with_cause
from ..expr import Scope, compile_expr, is_null_type
from ..results import Result
from ..runtime import Runtime, Session
from .create_as import insert_select


def insert_values(runtime: Runtime, node: KsqlInsert, text: str, session: Session) -> Result | None:
    """INSERT INTO name [(columns)] VALUES (...): one record, no result."""
    if isinstance(node.expression, KsqlSelect):
        return insert_select(runtime, node, text)
    target = node.this
    table = target.this if isinstance(target, exp.Schema) else target
    name = identifier_name(table.this if isinstance(table, exp.Table) else table)
    source = runtime.metastore.source(name)
    if source is None:
        raise KsqlStatementError(
            f"Cannot insert values into an unknown stream/table: `{name}`"
            + runtime.metastore.alternatives(name)
        )
    if source.windowed:
        raise KsqlStatementError("Cannot insert values into windowed stream/table!")
    if source.is_source:
        raise KsqlStatementError(
            f"Cannot insert values into read-only {source.kind.lower()}: {source.name}"
        )
    if isinstance(target, exp.Schema) and target.expressions:
        names = [identifier_name(c) for c in target.expressions]
        headers = [n for n in names if (c := source.column(n)) is not None and c.is_header]
    else:
        names = [c.name for c in source.keys + source.values]
        headers = [c.name for c in source.headers]
    if headers:  # before the values are counted (ksqlDB's InsertValuesExecutor.validateInsert)
        raise KsqlStatementError(f"Cannot insert into HEADER columns: {', '.join(headers)}")
    (row,) = node.expression.expressions
    values = row.expressions if isinstance(row, exp.Tuple) else [row]
    if len(values) != len(names):
        raise KsqlStatementError(
            f"Failed to prepare statement: Expected number columns and values to match: "
            f"{names}, {[v.sql(dialect='ksql') for v in values]}"
        )
    scope = Scope([], runtime.metastore.types)
    given: dict[str, Any] = {}
    for column_name, value_node in zip(names, values, strict=True):
        if column_name in ("ROWPARTITION", "ROWOFFSET"):
            raise KsqlStatementError(f"Inserting into column `{column_name}` is not allowed.")
        try:
            fn, kind = compile_expr(value_node, scope)
        except KsqlStatementError as exc:
            raise KsqlStatementError(f"Failed to prepare statement: {exc.message}") from exc
        value = fn([])
        if column_name == "ROWTIME":
            given["ROWTIME"] = value
            continue
        column = source.column(column_name)
        if column is None:
            raise KsqlStatementError(f"Column name {column_name} does not exist.")
        try:
            given[column_name] = (
                None if is_null_type(kind) else coerce(value, column.type, lenient=True)
            )
        except CoercionError as exc:
            raise KsqlStatementError(f"Failed to insert values into '{name}'. {exc}") from exc
    try:
        runtime.write_row(source, given)
    except OSError as exc:
        # ksqlDB's InsertValuesExecutor: whatever kept the record out (a broker gone, a full
        # disk) is a KsqlException, answered 400 with its cause.
        message = with_cause(f"Failed to insert values into '{name}'.", str(exc))
        raise EngineError(message, 40000) from exc
    return None
