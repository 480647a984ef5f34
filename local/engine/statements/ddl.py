"""CREATE STREAM/TABLE/TYPE and DROP: statements that change the metastore's sources and types."""

from __future__ import annotations

import dataclasses

from sqlglot import exp

from ksqlpy.sql import KsqlSyntaxError, parse_one
from ksqlpy.sql.nodes import KsqlAlterSource, KsqlCreate, KsqlCreateType, KsqlDrop, KsqlSelect

from .. import sqlformat
from ..convert import identifier_name, sql_type
from ..errors import KsqlStatementError
from ..metastore import Column, Source
from ..results import Notice, Result
from ..runtime import Runtime, Session, done
from ..sources import (
    WRAP_SINGLE_VALUES,
    check_properties,
    define_columns,
    inject_default_formats,
    make_source,
    with_properties,
)
from ..statement_text import create_source_text
from .create_as import create_as_select


def create_source(runtime: Runtime, node: KsqlCreate, text: str, session: Session) -> Result | None:
    """CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] name (columns) WITH (...)."""
    kind = str(node.args.get("kind", "")).upper()
    if kind not in ("STREAM", "TABLE"):
        raise KsqlStatementError(f"The ksqlpy local server cannot CREATE {kind} yet.")
    target = node.this
    table = target.this if isinstance(target, exp.Schema) else target
    name = identifier_name(table.this if isinstance(table, exp.Table) else table)
    existing = runtime.metastore.source(name)
    if existing is not None and not node.args.get("replace"):
        label = existing.kind.lower()
        if node.args.get("exists"):
            return Notice(
                text,
                f"Cannot add {kind.lower()} `{name}`: A {label} with the same name already exists.",
            )
        raise KsqlStatementError(
            f"Cannot add {kind.lower()} '{name}': A {label} with the same name already exists"
        )
    props = with_properties(node.args.get("properties"))
    check_properties(props)
    if isinstance(node.args.get("expression"), KsqlSelect):
        return create_as_select(runtime, node.args["expression"], name, kind, props, text)
    inject_default_formats(props, session.setting)
    columns = define_columns(runtime.metastore, target, kind)
    if node.args.get("replace") and (
        node.args.get("source") or (existing is not None and existing.is_source)
    ):
        label = kind.lower()
        raise KsqlStatementError(
            f"Cannot add {label} '{name}': CREATE OR REPLACE is not supported on source {label}s."
        )
    source = make_source(
        runtime.log,
        name,
        kind,
        columns,
        props,
        create_source_text(text, runtime.metastore, props),
        bool(node.args.get("source")),
        replace=bool(node.args.get("replace")),
        not_exists=bool(node.args.get("exists")),
        wrap_default=session.setting(WRAP_SINGLE_VALUES),
    )
    runtime.metastore.sources[name] = source
    runtime.forget_table(name)
    label = "Stream" if kind == "STREAM" else "Table"
    # ksqlDB answers with the statement as its injectors rewrote it (DistributingExecutor).
    return done(runtime, source.statement, f"{kind.lower()}/`{name}`/create", f"{label} created")


def drop(runtime: Runtime, node: KsqlDrop, text: str, session: Session) -> Result | None:
    """DROP STREAM|TABLE|TYPE [IF EXISTS] name [DELETE TOPIC]."""
    kind = str(node.args.get("kind", "")).upper()
    name = identifier_name(node.this)
    if kind == "TYPE":
        if name not in runtime.metastore.types:
            if node.args.get("exists"):
                return done(runtime, text, f"type/{name}/drop", f"Type '{name}' does not exist.")
            raise KsqlStatementError(f"Type {name} does not exist.")
        del runtime.metastore.types[name]
        return done(runtime, text, f"type/{name}/drop", f"Dropped type '{name}'")
    if kind not in ("STREAM", "TABLE"):
        raise KsqlStatementError(f"The ksqlpy local server cannot DROP {kind} yet.")
    command_id = f"{kind.lower()}/{name}/drop"
    if node.args.get("delete_topic"):
        # ksqlDB's TopicDeleteInjector answers (and keeps) the statement without DELETE TOPIC.
        exists = "IF EXISTS " if node.args.get("exists") else ""
        text = f"DROP {kind} {exists}{sqlformat.name(name)};"
    source = runtime.metastore.source(name)
    if source is None or source.kind != kind:
        if node.args.get("exists"):
            return done(runtime, text, command_id, f"Source `{name}` does not exist.")
        label = "Stream" if kind == "STREAM" else "Table"
        hint = runtime.metastore.alternatives(name, kind) if source is None else ""
        raise KsqlStatementError(f"{label} {name} does not exist.{hint}")
    if node.args.get("delete_topic") and source.is_source:
        raise KsqlStatementError(f"Cannot delete topic for read-only source: {name}")
    for label, ids in (
        ("write into", source.write_queries),
        ("read from", source.read_queries),
    ):
        if ids:
            raise KsqlStatementError(
                f"Cannot drop {name}.\nThe following queries {label} this source: "
                f"[{', '.join(ids)}].\nYou need to terminate them before dropping {name}."
            )
    for query in list(runtime.queries.values()):
        if query.plan.source.name == name:
            query.close()
    del runtime.metastore.sources[name]
    runtime.forget_table(name)
    shared = any(s.topic == source.topic for s in runtime.metastore.sources.values())
    if node.args.get("delete_topic") and not shared:
        runtime.delete_topic(source.topic)
    return done(runtime, text, command_id, f"Source `{name}` (topic: {source.topic}) was dropped.")


def alter_source(
    runtime: Runtime, node: KsqlAlterSource, text: str, session: Session
) -> Result | None:
    """ALTER STREAM|TABLE name ADD [COLUMN] c type, ...: value columns appended to the schema,
    with ksqlDB's checks in its order (AlterSourceFactory, then DdlCommandExec)."""
    kind = str(node.args.get("kind", "")).upper()
    name = identifier_name(node.this.this if isinstance(node.this, exp.Table) else node.this)
    source = runtime.metastore.source(name)
    if source is not None and source.is_source:
        raise KsqlStatementError(
            f"Cannot alter {kind.lower()} '{name}': ALTER operations are not supported on "
            f"source {kind.lower()}s."
        )
    if source is None:
        raise KsqlStatementError(f"Source {name} does not exist.")
    if source.kind != kind:
        raise KsqlStatementError(
            f"Incompatible data source type is {source.kind}, but statement was ALTER {kind}"
        )
    if _created_as_select(source):
        raise KsqlStatementError("ALTER command is not supported for CREATE ... AS statements.")
    added: list[Column] = []
    taken = {c.name for c in source.columns}
    for definition in node.expressions:
        column = identifier_name(definition.this)
        if column in taken:
            raise KsqlStatementError(
                f"Cannot add column {column} to schema. A column with the same name already exists."
            )
        taken.add(column)
        added.append(Column(column, sql_type(definition.args["kind"], runtime.metastore.types)))
    # New value columns follow the existing ones; headers stay last, as ksqlDB's schema keeps them.
    last_value = max(
        (i for i, c in enumerate(source.columns) if c.role in ("KEY", "VALUE")), default=-1
    )
    columns = (*source.columns[: last_value + 1], *added, *source.columns[last_value + 1 :])
    runtime.metastore.sources[name] = dataclasses.replace(source, columns=columns, statement=text)
    runtime.forget_table(name)
    label = "Stream" if kind == "STREAM" else "Table"
    return done(runtime, text, f"{kind.lower()}/`{name}`/alter", f"{label} {name} altered.")


def _created_as_select(source: Source) -> bool:
    try:
        statement = parse_one(source.statement)
    except KsqlSyntaxError:
        return False
    return isinstance(statement, KsqlCreate) and isinstance(
        statement.args.get("expression"), KsqlSelect
    )


def create_type(
    runtime: Runtime, node: KsqlCreateType, text: str, session: Session
) -> Result | None:
    """CREATE TYPE name AS type."""
    name = identifier_name(node.this)
    kind = sql_type(node.args["kind"], runtime.metastore.types)
    if name in runtime.metastore.types:
        if node.args.get("exists"):
            return done(runtime, text, f"type/{name}/create", f"Type '{name}' already exists")
        raise KsqlStatementError(
            f"Cannot register custom type '{name}' since it is already registered with type: "
            f"{runtime.metastore.types[name]}"
        )
    runtime.metastore.types[name] = kind
    return done(
        runtime,
        text,
        f"type/{name}/create",
        f"Registered custom type with name '{name}' and SQL type {kind}",
    )
