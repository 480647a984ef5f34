"""Planning SELECTs: one FROM resolution for transient and persistent queries.

:func:`plan_select` makes the plan of a transient query (push or pull); :func:`plan_persistent`
the source and pipeline of a CREATE ... AS SELECT or INSERT INTO ... SELECT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlSelect

from .coercion import CoercionFailed
from .convert import clause_integer, identifier_name
from .errors import KsqlStatementError, at
from .expr import Fn, Scope, compile_expr
from .flatten import Flattener
from .join import JoinPipeline
from .joininputs import resolve_inputs
from .metastore import Column, Metastore, Source
from .persistent import QueryPipeline, is_grouped
from .pull_filter import PullOptions, check_pull_where
from .rows import PSEUDO_NAMES, WINDOW_BOUNDS, RowReader, compile_where, source_scope
from .scope import unknown_column
from .selectitems import ColumnAliases, expand_struct_all, item_name
from .types import BIGINT, SqlType


@dataclass(slots=True)
class Projection:
    """The output columns of a query: names, types and the functions computing them."""

    names: list[str]
    types: list[SqlType]
    fns: list[Fn]
    key_flags: list[bool]
    header_columns: list[Column | None]
    flattener: Flattener | None = None  # table functions: one output row per element
    star: bool = False  # the query is ``SELECT *``

    @classmethod
    def of(cls, outputs: Sequence[Any]) -> Projection:
        """The projection of a pipeline's outputs (objects with ``name``, ``type``, ``fn``)."""
        return cls(
            [o.name for o in outputs],
            [o.type for o in outputs],
            [o.fn for o in outputs],
            [False] * len(outputs),
            [None] * len(outputs),
        )

    def apply(self, row: Sequence[Any]) -> list[Any]:
        """The output row."""
        return [fn(row) for fn in self.fns]

    def apply_all(self, row: Sequence[Any]) -> list[list[Any]]:
        """The output rows of one input row (several with table functions, maybe none)."""
        if self.flattener is None:
            return [[fn(row) for fn in self.fns]]
        return [[fn(r) for fn in self.fns] for r in self.flattener.rows(row)]


def _getter(index: int) -> Fn:
    return lambda row: row[index]


def plan_projection(
    select: KsqlSelect, source: Source, scope: Scope, pull_table: bool
) -> Projection:
    """Resolve ``SELECT`` items to named, typed output columns (``*`` expands to keys+values)."""
    names: list[str] = []
    types: list[SqlType] = []
    fns: list[Fn] = []
    keys: list[bool] = []
    headers: list[Column | None] = []
    bounds = tuple(Column(n, BIGINT, "KEY") for n in WINDOW_BOUNDS) if source.windowed else ()
    # SELECT * gives keys (and window bounds), values, then headers, as the rows hold them.
    star = source.keys + bounds + source.values + source.headers
    layout = [c.name for c in star]
    aliases = ColumnAliases(c.name for c in source.keys + source.values + source.headers)
    items = expand_struct_all(select.expressions, scope)
    flattener = Flattener.of(items, scope, False, source.kind == "TABLE")
    if flattener is not None:
        scope = flattener.scope
    for item in items:
        if isinstance(item, exp.Star) or (
            isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
        ):
            for column in star:
                names.append(column.name)
                types.append(column.type)
                fns.append(_getter(layout.index(column.name)))
                keys.append(column.role == "KEY")
                headers.append(column if column.is_header else None)
            continue
        node = item.this if isinstance(item, exp.Alias) else item
        fn, kind = compile_expr(flattener.rewrite(node) if flattener else node, scope)
        name = item_name(item, aliases)
        if name in names:
            raise KsqlStatementError(f"Duplicate value columns found in schema: `{name}` {kind}")
        names.append(name)
        types.append(kind)
        fns.append(fn)
        direct = None
        if isinstance(node, exp.Column):
            wanted = identifier_name(node.this)
            direct = next((c for c in star if c.name == wanted), None)
        keys.append(direct is not None and direct.role == "KEY")
        is_header = direct is not None and direct.is_header
        headers.append(direct if is_header else None)
    star_only = len(items) == 1 and (
        isinstance(items[0], exp.Star)
        or (isinstance(items[0], exp.Column) and isinstance(items[0].this, exp.Star))
    )
    return Projection(names, types, fns, keys, headers, flattener, star_only)


@dataclass(slots=True)
class QueryPlan:
    """A planned transient query: what to read, how to filter and project, and when to stop."""

    sql: str
    source: Source
    reader: RowReader
    where: Fn | None
    projection: Projection
    limit: int | None
    push: bool
    pipeline: Any = None  # a persistent.QueryPipeline for GROUP BY queries
    where_node: exp.Expression | None = None

    def header_v1(self, query_id: str) -> dict[str, Any]:
        """The StreamedRow header (KEY marked on pull queries over tables)."""
        mark = not self.push and self.source.kind == "TABLE"
        parts: list[Any] = []
        projection = self.projection
        for name, kind, is_key, header in zip(
            projection.names,
            projection.types,
            projection.key_flags,
            projection.header_columns,
            strict=True,
        ):
            text = f"`{name}` {kind}" + (" KEY" if mark and is_key else "")
            if header is not None:
                text = f"`{name}` {kind} " + header.schema_text(mark_key=False).split(" ", 2)[2]
            parts.append((0 if mark and is_key else 1 if header is not None else 2, text))
        # QueryProjectNode builds SELECT *'s schema by namespace (keys, headers, values), any
        # other projection's in the order of its items.
        if projection.star:
            parts.sort(key=lambda part: part[0])
        texts = [text for _, text in parts]
        return {"queryId": query_id, "schema": ", ".join(texts)}

    def header_plain(self, query_id: str) -> dict[str, Any]:
        """The ``/query-stream`` header object."""
        return {
            "queryId": query_id,
            "columnNames": list(self.projection.names),
            "columnTypes": [str(t) for t in self.projection.types],
        }


def limit_of(select: KsqlSelect) -> int | None:
    """The LIMIT of a query as a number (``LIMIT -1`` parses as a negation of 1)."""
    clause = select.args.get("limit")
    if clause is None:
        return None
    node = clause.expression
    sign = 1
    while isinstance(node, exp.Neg):
        node, sign = node.this, -sign
    if not isinstance(node, exp.Literal) or node.is_string:
        raise KsqlStatementError("Value must be integer for command: LIMIT")
    return sign * clause_integer(node.this, "LIMIT")


def _plan_join(
    metastore: Metastore, select: KsqlSelect, sql: str, push: bool, limit: int | None
) -> QueryPlan:
    inputs = resolve_inputs(metastore.sources, select, metastore.types)
    check_kafka_values([(i.alias, i.source) for i in inputs], True, is_grouped(select))
    pipeline = JoinPipeline(select, inputs, metastore.types)
    if pipeline.post is not None and (pipeline.aggregator is None or pipeline.plan.is_table):
        raise KsqlStatementError(
            "The ksqlpy local server runs PARTITION BY over a join, and GROUP BY over a "
            "table-table join, in persistent queries only (CREATE STREAM/TABLE AS SELECT) for now."
        )
    projection = Projection.of(pipeline.outputs)
    first = inputs[0].source
    return QueryPlan(sql, first, RowReader(first), None, projection, limit, push, pipeline)


def resolve_from(metastore: Metastore, select: KsqlSelect) -> tuple[Source, str | None]:
    """The single source a SELECT reads (and its alias), or ksqlDB's refusal."""
    from_ = select.args.get("from_")
    if from_ is None or not isinstance(from_.this, exp.Table):
        raise KsqlStatementError("A query needs FROM <stream or table>.")
    table = from_.this
    name = identifier_name(table.this)
    source = metastore.source(name)
    if source is None:
        raise KsqlStatementError(f"{name} does not exist.{metastore.alternatives(name)}")
    alias = identifier_name(table.args["alias"].this) if table.args.get("alias") else None
    return source, alias


def plan_persistent(metastore: Metastore, select: KsqlSelect) -> tuple[Source, Any]:
    """The input and pipeline (a QueryPipeline or JoinPipeline) of a persistent query."""
    _check_reserved_names(select)
    _check_star_qualifiers(select)
    if select.args.get("joins"):
        inputs = resolve_inputs(metastore.sources, select, metastore.types)
        check_kafka_values([(i.alias, i.source) for i in inputs], True, is_grouped(select))
        return inputs[0].source, JoinPipeline(select, inputs, metastore.types)
    source, alias = resolve_from(metastore, select)
    check_kafka_values([(alias or source.name, source)], False, is_grouped(select))
    if source.kind == "TABLE" and source.windowed:
        raise KsqlStatementError("KSQL does not support persistent queries on windowed tables.")
    if select.args.get("window") is not None and not is_grouped(select):
        where = at(select.args["window"])  # ksqlDB's LogicalPlanner locates the window
        raise KsqlStatementError(f"{where}WINDOW clause requires a GROUP BY clause.")
    try:
        pipeline = QueryPipeline(select, source, alias, metastore.types)
    except CoercionFailed as exc:
        raise KsqlStatementError(f"Invalid Select: {exc.message}") from exc
    except KsqlStatementError as exc:
        # Clauses that name their own unknown columns have done so; what is left is the
        # projection's, which ksqlDB's analyzer words as a SELECT column.
        missing = unknown_column(exc)
        if missing is not None:
            raise KsqlStatementError(
                f"{missing.at}SELECT column '{missing.shown}' cannot be resolved."
            ) from exc
        raise
    emit = select.args.get("emit")
    if emit is not None and emit.name.upper() == "FINAL" and pipeline.window is None:
        raise KsqlStatementError("EMIT FINAL is only supported for windowed aggregations.")
    return source, pipeline


_KAFKA_VALUES = (
    "The KAFKA format is primarily intended for use as a key format. It can be used as a value "
    "format, but can not be used in any operation that requires a repartition or changelog "
    "topic.\nRemoving this limitation requires enhancements to the core of KSQL. This will come "
    "in a future release. Until then, avoid using the KAFKA format for values.\nIf you have an "
    "existing topic with KAFKA formatted values you can duplicate the data and serialize using "
    "Avro or JSON with a statement such as: \n\n'CREATE STREAM <new-stream-name> "
    "WITH(VALUE_FORMAT='Avro') AS SELECT * FROM <existing-kafka-formated-stream-name>;'"
)


def check_kafka_values(sources: list[tuple[str, Source]], join: bool, grouped: bool) -> None:
    """ksqlDB's Analyzer refuses to join or group sources whose values are KAFKA-formatted:
    the repartition and changelog topics that needs cannot hold them."""
    kafka = ", ".join(alias for alias, s in sources if s.value_format.upper() == "KAFKA")
    if not kafka or not (join or grouped):
        return
    operation = "JOIN" if join else "GROUP BY"
    raise KsqlStatementError(
        f"Source(s) {kafka} are using the 'KAFKA' value format. This format does not yet "
        f"support {operation}.\n{_KAFKA_VALUES}"
    )


def _check_reserved_names(select: KsqlSelect) -> None:
    """A persistent query's columns cannot take system column names (ksqlDB's LogicalPlanner):
    selecting ROWTIME & co. under their own name, or aliasing anything to one, is refused. A
    windowed aggregation keeps WINDOWSTART and WINDOWEND as its key."""
    windowed = select.args.get("window") is not None
    joined = bool(select.args.get("joins"))
    for item in select.expressions:
        node = item.this if isinstance(item, exp.Alias) else item
        alias = identifier_name(item.args["alias"]) if isinstance(item, exp.Alias) else None
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            name = identifier_name(node.this)
            table = node.args.get("table")
            # A join names a qualified column after its source (S.ROWTIME is S_ROWTIME).
            output = name
            if joined and table is not None:
                output = f"{identifier_name(table)}_{name}"
            if name in SYSTEM_COLUMNS and (alias or output) in SYSTEM_COLUMNS:
                if windowed and name in WINDOW_BOUNDS and alias in (None, name):
                    continue
                raise KsqlStatementError(
                    f"Reserved column name in select: `{name}`. Please remove or alias the column."
                )
        if alias in SYSTEM_COLUMNS:
            raise KsqlStatementError(
                f"`{alias}` is a reserved column name. You cannot use it as an alias for a column."
            )


SYSTEM_COLUMNS = PSEUDO_NAMES | frozenset(WINDOW_BOUNDS)


def _check_star_qualifiers(select: KsqlSelect) -> None:
    """``X.*`` must name a source of the query by its alias (else its name)."""
    from_ = select.args.get("from_")
    tables = [from_.this] if from_ is not None else []
    tables += [j.this for j in select.args.get("joins") or []]
    names = {
        identifier_name(t.args["alias"].this) if t.args.get("alias") else identifier_name(t.this)
        for t in tables
        if isinstance(t, exp.Table)
    }
    for item in select.expressions:
        table = item.args.get("table") if isinstance(item, exp.Column) else None
        if table is not None and isinstance(item.this, exp.Star):
            qualifier = identifier_name(table)
            if qualifier not in names:
                raise KsqlStatementError(
                    f"'{qualifier}' is not a valid stream/table name or alias."
                )


def plan_select(
    metastore: Metastore, select: KsqlSelect, sql: str, pull: PullOptions | None = None
) -> QueryPlan:
    """Plan a transient ``SELECT`` over a single source (``pull``: the request's pull-query
    planner settings)."""
    push = select.args.get("emit") is not None
    if not push:
        _check_pull(select)
    limit = limit_of(select)
    if limit is not None and limit < 0:
        raise KsqlStatementError("LIMIT must not be negative")
    if not push and limit is not None and not (pull or PullOptions()).limit:
        raise KsqlStatementError(
            "LIMIT clause in pull queries is currently disabled. You can enable them by setting "
            f"ksql.query.pull.limit.clause.enabled=true.{PULL_HINT}"
        )
    if select.args.get("joins"):
        return _plan_join(metastore, select, sql, push, limit)
    if select.args.get("partition_by"):
        raise KsqlStatementError(
            "PARTITION BY in transient queries is not supported by the ksqlpy local server yet."
        )
    source, alias = resolve_from(metastore, select)
    check_kafka_values([(alias or source.name, source)], False, is_grouped(select))
    pull_table = not push and source.kind == "TABLE"
    scope = source_scope(source, alias, metastore.types)
    where = None
    if select.args.get("where") is not None:
        where = compile_where(select.args["where"].this, scope, pull=not push)
        if pull_table:
            check_pull_where(select.args["where"].this, source, pull or PullOptions())
    pipeline = None
    if is_grouped(select):
        pipeline = QueryPipeline(select, source, alias, metastore.types)
        projection = Projection.of(pipeline.outputs)
    else:
        projection = plan_projection(select, source, scope, pull_table)
    if pull_table and not (source.is_source or source.materialized):
        raise KsqlStatementError(
            f"The `{source.name}` table isn't queryable. To derive a queryable table, you can do "
            f"'CREATE TABLE QUERYABLE_{source.name} AS SELECT * FROM {source.name}'. See "
            "https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue a "
            "push query."
        )
    where_node = select.args["where"].this if select.args.get("where") is not None else None
    return QueryPlan(
        sql, source, RowReader(source), where, projection, limit, push, pipeline, where_node
    )


PULL_HINT = (
    " See https://cnfl.io/queries for more info.\n"
    "Add EMIT CHANGES if you intended to issue a push query."
)


def _check_pull(select: KsqlSelect) -> None:
    """ksqlDB's refusals of what pull queries cannot do, with its messages."""
    for clause, label in (("joins", "JOIN"), ("group", "GROUP BY"), ("window", "WINDOW")):
        if select.args.get(clause):
            raise KsqlStatementError(f"Pull queries don't support {label} clauses.{PULL_HINT}")
    limit = limit_of(select)
    if limit is not None and limit < 0:
        raise KsqlStatementError(
            "Pull queries don't support negative integers in the LIMIT clause. "
            "See https://cnfl.io/queries for more info."
        )
    where = select.args.get("where")
    for label, nodes in (("SELECT", select.expressions), ("WHERE", [where] if where else [])):
        used = sorted(
            {
                identifier_name(column.this)
                for node in nodes
                for column in node.find_all(exp.Column)
                if identifier_name(column.this) in ("ROWPARTITION", "ROWOFFSET")
            }
        )
        if used:
            names = ", ".join(f"`{n}`" for n in used)
            raise KsqlStatementError(
                f"Pull queries don't support the following columns in {label} clauses: {names}"
            )
