"""A SELECT's items as ksqlDB resolves them before planning.

Unaliased expressions are named as ksqlDB's AstSanitizer names them (with the alias generators
of its ``ColumnNames``), and ``base->*`` becomes one column per field of the struct, as its
``SelectionUtil.resolveStructAll`` expands it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlDereference, KsqlStructAll

from .convert import identifier_name
from .errors import KsqlStatementError
from .expr import Scope, compile_expr
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
