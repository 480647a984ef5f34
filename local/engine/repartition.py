"""PARTITION BY of a persistent stream query: new key columns computed from each input row.

As ksqlDB's ``PartitionByParamsFactory`` does, the repartition happens on the input, before the
projection: a PARTITION BY of a column makes that column the key and moves the old key columns
into the value; a PARTITION BY of any other expression adds a new key column (named after a
struct field for ``a->b``, else ``KSQL_COL_n``); PARTITION BY NULL leaves no key at all. A
select item equal to a partition expression is that key column (its alias, if any, names it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlDereference

from .convert import identifier_name
from .errors import KsqlStatementError
from .expr import Fn, Scope, Slot, compile_expr
from .metastore import Source
from .scope import canonical
from .types import SqlType


@dataclass(slots=True)
class PartitionKey:
    """One key column of the repartitioned rows."""

    name: str
    type: SqlType
    fn: Fn  # evaluated on an input row
    node: exp.Expression
    canonical: str  # the expression with its columns resolved, for matching select items
    new: bool  # not an input column: its value is appended to the row
    key_only: bool  # depends on input key columns only (evaluated for null-value records too)


def qualified_text(node: exp.Expression, qualifier: str) -> str:
    """The expression as ksqlDB prints it in messages, columns qualified by their source."""
    holder = exp.Paren(this=node.copy())
    for column in list(holder.find_all(exp.Column)):
        name = identifier_name(column.this)
        column.replace(exp.Var(this=f"{qualifier}.{name}"))
    return str(holder.this.sql(dialect="ksql"))


def joined(items: Sequence[str], last: str = "and") -> str:
    """``A``, ``A and B``, ``A, B and C``: ksqlDB's GrammaticalJoiner."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


class Repartition:
    """The key columns a PARTITION BY gives, and the scope of the repartitioned rows."""

    def __init__(self, nodes: Sequence[exp.Expression], source: Source, scope: Scope) -> None:
        if not nodes:
            raise KsqlStatementError("PARTITION BY requires at least one expression")
        self.by_null = any(isinstance(n, exp.Null) for n in nodes)
        if self.by_null and len(nodes) > 1:
            raise KsqlStatementError("Cannot PARTITION BY multiple columns including NULL")
        self.nodes = list(nodes)
        self.keys: list[PartitionKey] = []
        self.width = len(scope.slots)
        slots = list(scope.slots)
        if self.by_null:
            self.scope = scope
            return
        key_names = {c.name for c in source.keys}
        used = {s.name for s in scope.slots}
        for node in nodes:
            _check_columns(node, scope)
            fn, kind = compile_expr(node, scope)
            columns = [identifier_name(c.this) for c in node.find_all(exp.Column)]
            if isinstance(node, exp.Column):
                name, new = identifier_name(node.this), False
            else:
                name, new = _new_name(node, used), True
                used.add(name)
                slots.append(Slot(name, kind, frozenset()))
            self.keys.append(
                PartitionKey(
                    name,
                    kind,
                    fn,
                    node,
                    canonical(node, scope),
                    new,
                    all(c in key_names for c in columns),
                )
            )
        self.scope = Scope(slots, scope.custom_types)

    def extend(self, row: list[Any]) -> list[Any]:
        """The input row with the values of new key columns appended (as the scope lays out)."""
        new = [k.fn(row) for k in self.keys if k.new]
        return row + new if new else row

    def key_values(self, row: list[Any] | None, key_row: list[Any] | None) -> list[Any]:
        """The new key of a record; a record without a value keeps only keys computable from
        its old key (ksqlDB evaluates those on the key alone), the rest are null."""
        if row is not None:
            return [k.fn(row) for k in self.keys]
        return [k.fn(key_row) if k.key_only and key_row is not None else None for k in self.keys]

    def match(self, node: exp.Expression, scope: Scope) -> int | None:
        """The index of the key column a select expression is, or None."""
        text = canonical(node, scope)
        return next((i for i, k in enumerate(self.keys) if k.canonical == text), None)


def _check_columns(node: exp.Expression, scope: Scope) -> None:
    """An unknown column is ksqlDB's PARTITION BY refusal, which says where it must come from."""
    for column in node.find_all(exp.Column):
        table = column.args.get("table")
        qualifier = identifier_name(table) if table is not None else None
        name = identifier_name(column.this)
        try:
            scope.find(name, qualifier)
        except KsqlStatementError:
            shown = f"{qualifier}.{name}" if qualifier else name
            raise KsqlStatementError(
                f"PARTITION BY column '{shown}' cannot be resolved. '{shown}' must be a column in "
                "the source schema since PARTITION BY is applied on the input."
            ) from None


def _new_name(node: exp.Expression, used: set[str]) -> str:
    """ksqlDB's alias of a new key column: a struct field's name, else the next KSQL_COL_n."""
    if isinstance(node, KsqlDereference):
        base = identifier_name(node.expression)
        if base not in used:
            return base
        return _next_numbered(base, used, 1)
    return _next_numbered("KSQL_COL", used, 0)


def _next_numbered(base: str, used: set[str], start: int) -> str:
    taken = {int(m.group(1)) for n in used if (m := re.fullmatch(re.escape(base) + r"_(\d+)", n))}
    number = start
    while number in taken:
        number += 1
    return f"{base}_{number}"
