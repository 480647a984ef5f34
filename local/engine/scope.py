"""Names visible to an expression: the slots of a row and the sources that qualify them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from .convert import identifier_name
from .errors import PREPARING, KsqlStatementError, at
from .types import SqlType

_UNKNOWN = re.compile(
    r"((?:Line: \d+, Col: \d+: )?)Column '(?:([^.']*)\.)?([^']*)' cannot be resolved\."
)


@dataclass(frozen=True, slots=True)
class UnknownColumn:
    """Scope.find's unknown column, read back by the clauses that reword it (ksqlDB's
    UnknownColumnException names the clause): ``at`` is its location prefix, maybe empty."""

    at: str
    qualifier: str | None
    name: str

    @property
    def shown(self) -> str:
        """The column as written, qualified or not."""
        return f"{self.qualifier}.{self.name}" if self.qualifier else self.name


def unknown_column(error: KsqlStatementError) -> UnknownColumn | None:
    """The unknown column ``error`` is about, when it is Scope.find's error for one."""
    found = _UNKNOWN.fullmatch(error.message)
    return UnknownColumn(found[1], found[2], found[3]) if found else None


@dataclass(frozen=True, slots=True)
class Slot:
    """One position of a row: a column name, the source aliases that qualify it, its type."""

    name: str
    type: SqlType
    qualifiers: frozenset[str] = frozenset()


class Scope:
    """Names visible to an expression and where their values sit in the row."""

    def __init__(
        self,
        slots: Sequence[Slot],
        custom_types: dict[str, SqlType] | None = None,
        lambda_names: frozenset[str] = frozenset(),
    ):
        self.slots = list(slots)
        self.custom_types = custom_types or {}
        self.lambda_names = lambda_names
        self.aliases = frozenset(q for s in self.slots for q in s.qualifiers)

    def find(
        self, name: str, qualifier: str | None, node: exp.Expr | None = None
    ) -> tuple[int, SqlType]:
        """The index and type of a column, or a ksqlDB-style error (located at ``node``)."""
        if qualifier is not None and qualifier not in self.aliases:
            raise KsqlStatementError(f"'{qualifier}' is not a valid stream/table name or alias.")
        matches = [
            (i, s.type)
            for i, s in enumerate(self.slots)
            if s.name == name and (qualifier is None or qualifier in s.qualifiers)
        ]
        if not matches:
            shown = f"{qualifier}.{name}" if qualifier else name
            # ksqlDB's InvalidColumnException starts with the column's NodeLocation.
            raise KsqlStatementError(f"{at(node)}Column '{shown}' cannot be resolved.")
        if len(matches) > 1:
            # ksqlDB's AstSanitizer finds it while preparing (an AmbiguousColumnException).
            raise KsqlStatementError(f"{PREPARING}{at(node)}Column '{name}' is ambiguous.")
        return matches[0]

    def extended(self, names: Sequence[str], types: Sequence[SqlType]) -> Scope:
        """This scope with lambda variables appended (lambda names keep their case)."""
        extra = [Slot(n, t) for n, t in zip(names, types, strict=True)]
        return Scope(self.slots + extra, self.custom_types, self.lambda_names | frozenset(names))


def canonical(node: exp.Expression, scope: Scope) -> str:
    """An expression's text with every column replaced by its position in the scope and function
    names upper-cased: ``id``, ``S.ID`` and ``ID`` compare equal when they name one column, as
    ksqlDB compares expressions after resolving them (GROUP BY, PARTITION BY, joins)."""
    while isinstance(node, exp.Paren):  # ksqlDB's expression trees hold no parentheses
        node = node.this
    holder = exp.Paren(this=node.copy())  # so that a bare column can be replaced too
    for column in list(holder.find_all(exp.Column)):
        table = column.args.get("table")
        qualifier = identifier_name(table) if table is not None else None
        try:
            index, _ = scope.find(identifier_name(column.this), qualifier)
        except KsqlStatementError:
            continue
        column.replace(exp.Var(this=f"#{index}"))
    for call in holder.find_all(exp.Anonymous):
        call.set("this", str(call.this).upper())
    return str(holder.this.sql(dialect="ksql"))
