"""GROUP BY and PARTITION BY over a join: the join's result seen as one source.

As ksqlDB's planner does, the aggregation or repartition reads the join's output schema: its key
column, then every joined column under its ``ALIAS_COLUMN`` name (pseudocolumns included), and
the query's expressions are rewritten to those names. A :class:`QueryPipeline` over that
schema then does what it does for any single source.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlSelect

from .convert import identifier_name
from .errors import KsqlStatementError
from .expr import Scope
from .joinoutputs import column_name, join_aliases, star_columns
from .joinplan import JoinPlan
from .metastore import Column, Source
from .persistent import Emitted, QueryPipeline
from .rows import PSEUDO, PSEUDO_NAMES, WINDOW_BOUNDS
from .selectitems import expand_struct_all
from .types import SqlType


class JoinedSource:
    """The schema of a join's result and the rows of it a QueryPipeline reads."""

    def __init__(self, plan: JoinPlan, select: KsqlSelect, custom: dict[str, SqlType]) -> None:
        self.plan = plan
        scope = plan.scope
        key_name = plan.key_name or f"{plan.inputs[0].alias}_{plan.inputs[0].names[0]}"
        self.names: dict[int, str] = {}
        columns = [Column(key_name, plan.key_type, "KEY")]
        self.slots: list[int] = []
        for item in plan.inputs:
            for offset, name in enumerate(item.names):
                position = item.offset + offset
                joined = f"{item.alias}_{name}"
                self.names[position] = joined
                if joined != key_name:
                    self.slots.append(position)
                    columns.append(Column(joined, scope.slots[position].type))
        self.names[plan.key_slot] = key_name
        first = plan.inputs[0].source
        self.source = Source(
            "JOIN",
            "TABLE" if plan.is_table else "STREAM",
            tuple(columns),
            first.topic,
            first.key_format,
            first.value_format,
            "",
        )
        self.windowed = first.windowed
        self.window_at = plan.inputs[0].names.index(WINDOW_BOUNDS[0]) if first.windowed else 0
        self.source.windowed = first.windowed
        self.source.window_size_ms = first.window_size_ms
        rewritten = _rewrite(select, scope, self.names, plan)
        self.pipeline = QueryPipeline(rewritten, self.source, None, custom, _star_order(plan))

    def feed(self, row: list[Any] | None, key: Any, rowtime: int) -> list[Emitted]:
        """The results of one join result (``row`` None: a tombstone of a table join)."""
        if row is None:
            base = [key, None, None] if self.windowed else [key]
            return self.pipeline.feed(None, rowtime, base)
        return self.pipeline.feed(self.row(row, key, rowtime), rowtime, None)

    def row(self, row: list[Any], key: Any, rowtime: int) -> list[Any]:
        """A joined row as a row of the join's result (as source_scope lays rows out)."""
        base = [key]
        if self.windowed:
            start = self.plan.inputs[0].offset + self.window_at
            base += [row[start], row[start + 1]]
        return [*base, *(row[p] for p in self.slots), rowtime, 0, 0]


def _rewrite(select: KsqlSelect, scope: Scope, names: dict[int, str], plan: JoinPlan) -> KsqlSelect:
    """The SELECT over the join's result: columns renamed to what the result calls them, and
    select items named as ksqlDB names them in a join."""
    copy = select.copy()
    copy.set("joins", None)
    if select.args.get("window") is not None:
        _refuse_bare_window_bounds(select.expressions)
    items: list[exp.Expression] = []
    aliases = join_aliases(plan)
    for item in expand_struct_all(copy.expressions, scope):
        if isinstance(item, exp.Star):
            items.append(item)  # after a repartition, * is every column of the join's result
            continue
        if isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
            table = item.args.get("table")
            wanted = identifier_name(table) if table is not None else None
            for name, position in star_columns(plan, wanted):
                items.append(_named(exp.Column(this=_quoted(names[position])), name))
            continue
        if isinstance(item, exp.Alias):
            items.append(item)
            continue
        items.append(_named(item, column_name(plan, item, aliases)))
    copy.set("expressions", items)
    for column in list(copy.find_all(exp.Column)):
        if column.args.get("table") is None and identifier_name(column.this) in names.values():
            continue  # already renamed
        table = column.args.get("table")
        qualifier = identifier_name(table) if table is not None else None
        name = identifier_name(column.this)
        if qualifier is None and (name in PSEUDO_NAMES or name in WINDOW_BOUNDS):
            continue  # the result's own ROWTIME and window bounds
        try:
            position, _ = scope.find(name, qualifier)
        except KsqlStatementError:  # left for the pipeline to report as ksqlDB words it
            continue
        column.replace(exp.Column(this=_quoted(names[position])))
    return copy


def _star_order(plan: JoinPlan) -> list[str]:
    """The join's columns as ksqlDB's pre-join projections lay each source out (its
    LogicalSchema.withPseudoAndKeyColsInValue): values, headers, pseudocolumns, keys, bounds."""
    order = []
    for item in plan.inputs:
        source = item.source
        names = [c.name for c in source.values + source.headers] + [n for n, _ in PSEUDO]
        names += [c.name for c in source.keys] + (list(WINDOW_BOUNDS) if source.windowed else [])
        order += [f"{item.alias}_{name}" for name in names]
    return order


def _refuse_bare_window_bounds(items: list[exp.Expression]) -> None:
    """Every joined source has the window bounds of a windowed aggregation, so an unqualified
    one is unresolved (ksqlDB's ColumnReferenceValidator; its issue #5931)."""
    for item in items:
        for column in item.find_all(exp.Column):
            name = identifier_name(column.this)
            if column.args.get("table") is None and name in WINDOW_BOUNDS:
                raise KsqlStatementError(f"SELECT column '{name}' cannot be resolved.")


def _quoted(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _named(node: exp.Expression, name: str) -> exp.Alias:
    return exp.Alias(this=node, alias=_quoted(name))
