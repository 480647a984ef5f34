"""A SELECT's items as ksqlDB resolves them before planning.

Unaliased expressions are named as ksqlDB's AstSanitizer names them (with the alias generators
of its ``ColumnNames``), and ``base->*`` becomes one column per field of the struct, as its
``SelectionUtil.resolveStructAll`` expands it. The sanitized statement, written back as its
SqlFormatter writes it, is what some of its messages quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlDereference, KsqlSelect, KsqlStructAll

from . import sqlformat
from .convert import identifier_name
from .errors import KsqlStatementError
from .expr import Scope, compile_expr
from .operators import expression_text
from .types import StructType

GENERATED = "KSQL_COL"


def _split(name: str) -> tuple[str, int]:
    """``KSQL_COL_2`` -> (``KSQL_COL``, 2); a name without a number counts as number 0."""
    match = re.fullmatch(r"(.*?)(?:_(\d+))?", name, re.DOTALL)
    assert match is not None  # the pattern matches any text
    return match.group(1), int(match.group(2) or 0)


class ColumnAliases:
    """ksqlDB's ``ColumnNames.columnAliasGenerator``: ``KSQL_COL_n`` for an expression and the
    field's name for ``a->b``, each skipping the numbers the sources' columns already use (a
    source column ``B`` makes a second ``->B`` field ``B_1``)."""

    def __init__(self, source_names: Iterable[str]) -> None:
        self._used: dict[str, set[int]] = {}
        for name in source_names:
            base, number = _split(name)
            self._used.setdefault(base, set()).add(number)
        self._next: dict[str, int] = {}

    def _next_name(self, base: str) -> str:
        used = self._used.get(base, set())
        index = self._next.get(base, 0)
        while index in used:
            index += 1
        self._next[base] = index + 1
        # Only generated names spell their number 0; a field's first use is its bare name.
        return base if index == 0 and base != GENERATED else f"{base}_{index}"

    def for_expression(self, node: exp.Expression) -> str:
        """The name of an unaliased expression that is not a column."""
        if isinstance(node, KsqlDereference):
            return self._next_name(_split(identifier_name(node.expression))[0])
        return self._next_name(GENERATED)


def item_name(item: exp.Expression, aliases: ColumnAliases) -> str:
    """The output name of a select item: its alias, a column's name, else a generated one."""
    if isinstance(item, exp.Alias):
        return identifier_name(item.args["alias"])
    if isinstance(item, exp.Column):
        return identifier_name(item.this)
    return aliases.for_expression(item)


def expand_struct_all(items: Sequence[exp.Expression], scope: Scope) -> list[exp.Expression]:
    """The items with each ``base->*`` replaced by ``base->field AS field`` for every field of
    the struct (its names kept as declared, quoted or not)."""
    expanded: list[exp.Expression] = []
    for item in items:
        if not isinstance(item, KsqlStructAll):
            expanded.append(item)
            continue
        _, kind = compile_expr(item.this, scope)
        if not isinstance(kind, StructType):
            raise KsqlStatementError(f"{item.this.sql(dialect='ksql')} is not a STRUCT type.")
        for name, _ in kind.fields:
            field = KsqlDereference(
                this=item.this.copy(), expression=exp.to_identifier(name, quoted=True)
            )
            expanded.append(exp.Alias(this=field, alias=exp.to_identifier(name, quoted=True)))
    return expanded


# ExpressionFormatter parenthesizes comparisons and AND/OR as it does arithmetic.
_CONDITIONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.And: "AND",
    exp.Or: "OR",
}


def _qualified(node: exp.Expression, qualifier: str) -> str:
    """An expression as ksqlDB's ExpressionFormatter writes it, columns qualified."""
    while isinstance(node, exp.Paren):
        node = node.this
    if type(node) in _CONDITIONS:
        left, right = _qualified(node.this, qualifier), _qualified(node.expression, qualifier)
        return f"({left} {_CONDITIONS[type(node)]} {right})"
    holder = exp.Paren(this=node.copy())  # so that a bare column can be replaced too
    for column in list(holder.find_all(exp.Column)):
        if not isinstance(column.this, exp.Star):
            name = sqlformat.name(identifier_name(column.this))
            column.replace(exp.Var(this=f"{sqlformat.name(qualifier)}.{name}"))
    return expression_text(holder.this)


def sanitized_text(
    head: str, select: KsqlSelect, source_names: Iterable[str], source: str, alias: str
) -> str | None:
    """``head`` (``CREATE TABLE T WITH (...)``) AS the SELECT over one source as ksqlDB's
    AstSanitizer leaves it: columns qualified, items named, EMIT CHANGES. None for a clause
    this does not write (a join, a WINDOW)."""
    if select.args.get("joins") or select.args.get("window") is not None:
        return None
    aliases = ColumnAliases(source_names)
    items = []
    for item in select.expressions:
        starred = isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
        if starred or isinstance(item, (exp.Star, KsqlStructAll)):
            items.append(item.sql(dialect="ksql"))  # * and T.* stay as written
            continue
        node = item.this if isinstance(item, exp.Alias) else item
        named = sqlformat.name(item_name(item, aliases))
        items.append(f"{_qualified(node, alias)} {named}")
    # SqlFormatter.visitSelect: one item follows SELECT, several go one a line.
    listed = f" {items[0]}" if len(items) == 1 else "\n  " + ",\n  ".join(items)
    text = f"{head} AS SELECT{listed}"
    text += f"\nFROM {sqlformat.name(source)} {sqlformat.name(alias)}"
    if select.args.get("where") is not None:
        text += f"\nWHERE {_qualified(select.args['where'].this, alias)}"
    group = select.args.get("group")
    if group is not None:
        text += "\nGROUP BY " + ", ".join(_qualified(n, alias) for n in group.expressions)
    partition = select.args.get("partition_by")
    if partition is not None:
        inner = partition.this
        nodes = list(inner.expressions) if isinstance(inner, exp.Tuple) else [inner]
        text += "\nPARTITION BY " + ", ".join(_qualified(n, alias) for n in nodes)
    if select.args.get("having") is not None:
        text += f"\nHAVING {_qualified(select.args['having'].this, alias)}"
    emit = select.args.get("emit")
    return text + f"\nEMIT {emit.name.upper() if emit is not None else 'CHANGES'}"
