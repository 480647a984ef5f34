"""Queries and expressions written back as ksqlDB writes them (its SqlFormatter and
ExpressionFormatter), after its AstSanitizer has qualified every column reference with its
source and given every select item an alias.

A node without a rendering here raises :class:`Unrenderable`; callers then keep the user's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlglot import exp

from ksqlpy.sql.nodes import (
    KsqlDereference,
    KsqlDuration,
    KsqlJoin,
    KsqlMap,
    KsqlSelect,
    KsqlStructAll,
    KsqlWindow,
    KsqlWithin,
)

from .convert import identifier_name, sql_type
from .metastore import Metastore, Source
from .rows import PSEUDO_NAMES, WINDOW_BOUNDS
from .selectitems import ColumnAliases
from .sqlformat import name
from .sqlformat import sql_type as type_text


class Unrenderable(Exception):
    """A node ksqlpy cannot write back as ksqlDB would."""


_TIME_UNITS = frozenset(
    u + s for u in ("DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND") for s in ("", "S")
)
_JOIN_TYPES = {"": "INNER", "INNER": "INNER", "LEFT": "LEFT OUTER", "RIGHT": "RIGHT OUTER"}
_JOIN_TYPES["FULL"] = _JOIN_TYPES["OUTER"] = "FULL OUTER"
_BINARY: dict[type[exp.Expression], str] = {
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.Div: "/",
    exp.Mod: "%",
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.And: "AND",
    exp.Or: "OR",
    exp.NullSafeNEQ: "IS DISTINCT FROM",
}


@dataclass(slots=True)
class _Scope:
    """The aliased sources of a query, as ksqlDB's DataSourceExtractor sees them."""

    sources: list[tuple[str, Source]]
    metastore: Metastore
    lambdas: list[set[str]] = field(default_factory=list)

    @property
    def is_join(self) -> bool:
        return len(self.sources) > 1

    def owners(self, column: str) -> list[str]:
        """The aliases of the sources that have a column of this name."""
        return [alias for alias, source in self.sources if _has_column(source, column)]

    def clashes(self, column: str) -> bool:
        """A column name more than one source of a join has (every pseudo column does)."""
        if not self.is_join:
            return False
        if column in PSEUDO_NAMES:
            return True
        holders = [s for _, s in self.sources if any(c.name == column for c in s.columns)]
        return len(holders) > 1

    def is_lambda_variable(self, text: str) -> bool:
        return any(text in names for names in self.lambdas)


def _has_column(source: Source, column: str) -> bool:
    if column in PSEUDO_NAMES or (source.windowed and column in WINDOW_BOUNDS):
        return True
    return any(c.name == column for c in source.columns)


def query(select: KsqlSelect, metastore: Metastore) -> str:
    """The query of a CREATE ... AS SELECT or INSERT INTO ... SELECT (always with its EMIT)."""
    scope = _Scope(_sources(select, metastore), metastore)
    lines = [_select_clause(select, scope), "FROM " + _relations(select, scope)]
    window = select.args.get("window")
    if window is not None:
        lines.append("WINDOW" + _window(window))
    where = select.args.get("where")
    if where is not None:
        lines.append("WHERE " + expression(where.this, scope))
    group = select.args.get("group")
    if group is not None:
        lines.append("GROUP BY " + ", ".join(expression(e, scope) for e in group.expressions))
    partition = select.args.get("partition_by")
    if partition is not None:
        by = partition.this
        nodes = by.expressions if isinstance(by, exp.Tuple) else [by]
        lines.append("PARTITION BY " + ", ".join(expression(e, scope) for e in nodes))
    having = select.args.get("having")
    if having is not None:
        lines.append("HAVING " + expression(having.this, scope))
    # Persistent queries always have a refinement: ksqlDB's parser adds CHANGES when none is given.
    emit = select.args.get("emit")
    lines.append("EMIT " + (emit.name.upper() if emit is not None else "CHANGES"))
    limit = select.args.get("limit")
    if limit is not None:
        lines.append("LIMIT " + str(int(limit.expression.name)))
    return "\n".join(lines)


def _sources(select: KsqlSelect, metastore: Metastore) -> list[tuple[str, Source]]:
    from_ = select.args.get("from_")
    tables = [from_.this if from_ is not None else None]
    tables += [j.this for j in select.args.get("joins") or []]
    out: list[tuple[str, Source]] = []
    for table in tables:
        if not isinstance(table, exp.Table):
            raise Unrenderable("a query reads from a table or stream by name")
        source = metastore.source(identifier_name(table))
        if source is None:
            raise Unrenderable(f"unknown source {identifier_name(table)}")
        out.append((_alias_of(table), source))
    return out


def _alias_of(table: exp.Table) -> str:
    alias = table.args.get("alias")
    return identifier_name(alias.this) if alias is not None else identifier_name(table)


def _relation(table: exp.Expression) -> str:
    assert isinstance(table, exp.Table)  # _sources refused anything else
    return f"{name(identifier_name(table))} {name(_alias_of(table))}"


def _relations(select: KsqlSelect, scope: _Scope) -> str:
    text = _relation(select.args["from_"].this)
    for join in select.args.get("joins") or []:
        side = str(join.args.get("side") or join.args.get("kind") or "").upper()
        if side not in _JOIN_TYPES:
            raise Unrenderable(f"join type {side}")
        text += f"\n{_JOIN_TYPES[side]} JOIN {_relation(join.this)}"
        within = join.args.get("within") if isinstance(join, KsqlJoin) else None
        if within is not None:
            text += _within(within)
        on = join.args.get("on")
        if on is None:
            raise Unrenderable("a join without ON")
        text += f" ON ({expression(on, scope)})"
    return text


def _select_clause(select: KsqlSelect, scope: _Scope) -> str:
    names = (c.name for _, s in scope.sources for c in s.columns)
    aliases = ColumnAliases(names)
    items = [_select_item(item, scope, aliases) for item in select.expressions]
    if len(items) == 1:
        return "SELECT " + items[0]
    return "SELECT" + ",".join("\n  " + item for item in items)


def _select_item(item: exp.Expression, scope: _Scope, aliases: ColumnAliases) -> str:
    if isinstance(item, exp.Star):
        return "*"
    if isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
        return name(identifier_name(item.args["table"])) + ".*"
    if isinstance(item, KsqlStructAll):
        # ksqlDB's sanitizer leaves the base as written, and Expression.toString quotes nothing.
        return expression(item.this, _Scope([], scope.metastore), quote=False) + "->*"
    if isinstance(item, exp.Alias):
        alias = identifier_name(item.args["alias"])
        return f"{expression(item.this, scope)} {name(alias)}"
    return f"{expression(item, scope)} {name(_alias_for(item, scope, aliases))}"


def _alias_for(node: exp.Expression, scope: _Scope, aliases: ColumnAliases) -> str:
    """The alias ksqlDB's AstSanitizer gives a select item written without one."""
    if isinstance(node, exp.Column):
        column = identifier_name(node)
        qualifier = _qualifier(node, scope)
        if qualifier is not None and scope.clashes(column):
            return f"{qualifier}_{column}"
        return column
    return aliases.for_expression(node)


def _qualifier(column: exp.Column, scope: _Scope) -> str | None:
    table = column.args.get("table")
    if table is not None:
        return identifier_name(table)
    owners = scope.owners(identifier_name(column))
    # No owner: left for the planner to refuse; several: ambiguous, refused likewise.
    return owners[0] if len(owners) == 1 else None


def _duration(node: exp.Expression) -> str:
    if not isinstance(node, KsqlDuration):
        raise Unrenderable("a duration")
    unit = node.args["unit"].name.upper()
    # ksqlDB keeps a java.util.concurrent.TimeUnit, whose names are plural.
    return f"{int(node.this.name)} {unit if unit.endswith('S') else unit + 'S'}"


def _window(window: KsqlWindow) -> str:
    kind = str(window.args["kind"]).upper()
    parts = [_duration(window.args["size"])]
    if kind in ("TUMBLING", "HOPPING"):
        parts[0] = "SIZE " + parts[0]
    if kind == "HOPPING":
        parts.append("ADVANCE BY " + _duration(window.args["advance"]))
    for label, key in (("RETENTION", "retention"), ("GRACE PERIOD", "grace")):
        if window.args.get(key) is not None:
            parts.append(f"{label} {_duration(window.args[key])}")
    return f" {kind} ( " + " , ".join(parts) + " ) "


def _within(within: KsqlWithin) -> str:
    after = within.args.get("after")
    text = " WITHIN " + _duration(within.this)
    if after is not None:
        text = f" WITHIN ({_duration(within.this)}, {_duration(after)})"
    if within.args.get("grace") is not None:
        text += " GRACE PERIOD " + _duration(within.args["grace"])
    return text


# -- expressions ----------------------------------------------------------------------------------


def expression(node: exp.Expression, scope: _Scope, *, quote: bool = True) -> str:
    """One expression as ksqlDB's ExpressionFormatter writes it."""
    return _Expressions(scope, quote).render(node)


class _Expressions:
    def __init__(self, scope: _Scope, quote: bool) -> None:
        self.scope = scope
        self.quote = quote
        self.handlers: dict[type[exp.Expression], Callable[[exp.Expression], str]] = {
            exp.Column: self._column,
            exp.Identifier: self._identifier,
            exp.Literal: self._literal,
            exp.Boolean: lambda n: "true" if n.this else "false",
            exp.Null: lambda n: "null",
            exp.Paren: lambda n: self.render(n.this),
            exp.Neg: self._negative,
            exp.Not: self._not,
            exp.Is: self._is_null,
            exp.Like: self._like,
            exp.Escape: self._like,
            exp.Between: self._between,
            exp.In: self._in,
            exp.NullSafeEQ: self._not_distinct,
            exp.Case: self._case,
            exp.Cast: self._cast,
            exp.Bracket: self._subscript,
            exp.Array: lambda n: "ARRAY[" + self._list(n.expressions) + "]",
            KsqlMap: self._map,
            exp.Struct: self._struct,
            KsqlDereference: self._dereference,
            exp.Lambda: self._lambda,
            exp.Anonymous: self._function,
            exp.DPipe: self._concat,
            exp.Star: lambda n: "*",
        }

    def render(self, node: exp.Expression) -> str:
        operator = _BINARY.get(type(node))
        if operator is not None:
            return f"({self.render(node.this)} {operator} {self.render(node.expression)})"
        handler = self.handlers.get(type(node))
        if handler is None:
            raise Unrenderable(type(node).__name__)
        return handler(node)

    def _name(self, text: str) -> str:
        return name(text) if self.quote else text

    def _list(self, nodes: Iterable[exp.Expression]) -> str:
        return ", ".join(self.render(n) for n in nodes)

    def _column(self, node: exp.Expression) -> str:
        assert isinstance(node, exp.Column)
        column = identifier_name(node)
        if node.args.get("table") is None and self.scope.is_lambda_variable(column):
            return column
        qualifier = _qualifier(node, self.scope)
        if qualifier is None:
            return self._name(column)
        return f"{self._name(qualifier)}.{self._name(column)}"

    def _identifier(self, node: exp.Expression) -> str:
        return identifier_name(node)  # a lambda variable, written as its name

    def _literal(self, node: exp.Expression) -> str:
        assert isinstance(node, exp.Literal)
        text = str(node.this)
        if node.is_string:
            return "'" + text.replace("'", "''") + "'"
        if re.fullmatch(r"\d+", text):
            return str(int(text))
        if "e" in text.lower():
            return _scientific(Decimal(text))
        return str(Decimal(text))  # BigDecimal.toString and Decimal agree on notation

    def _negative(self, node: exp.Expression) -> str:
        value = self.render(node.this)
        # A space keeps "- -x" from reading as a comment.
        return "- " + value if value.startswith("-") else "-" + value

    def _not(self, node: exp.Expression) -> str:
        inner = node.this
        if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null):
            return f"({self.render(inner.this)} IS NOT NULL)"
        return f"(NOT {self.render(inner)})"

    def _is_null(self, node: exp.Expression) -> str:
        if not isinstance(node.expression, exp.Null):
            raise Unrenderable("IS with something other than NULL")
        return f"({self.render(node.this)} IS NULL)"

    def _like(self, node: exp.Expression) -> str:
        escape = ""
        if isinstance(node, exp.Escape):
            escape = f" ESCAPE '{node.expression.name}'"
            node = node.this
        text = f"({self.render(node.this)} LIKE {self.render(node.expression)}{escape})"
        return f"(NOT {text})" if node.args.get("negate") else text

    def _between(self, node: exp.Expression) -> str:
        value, low, high = (self.render(node.args[k]) for k in ("this", "low", "high"))
        return f"({value} BETWEEN {low} AND {high})"

    def _in(self, node: exp.Expression) -> str:
        if not node.expressions:
            raise Unrenderable("IN without a list")
        return f"({self.render(node.this)} IN ({self._list(node.expressions)}))"

    def _not_distinct(self, node: exp.Expression) -> str:
        left, right = self.render(node.this), self.render(node.expression)
        return f"(NOT ({left} IS DISTINCT FROM {right}))"

    def _case(self, node: exp.Expression) -> str:
        parts = ["CASE"]
        if node.this is not None:
            parts.append(self.render(node.this))
        for when in node.args.get("ifs") or []:
            parts.append(f"WHEN {self.render(when.this)} THEN {self.render(when.args['true'])}")
        default = node.args.get("default")
        if default is not None:
            parts += ["ELSE", self.render(default)]
        return "(" + " ".join([*parts, "END"]) + ")"

    def _cast(self, node: exp.Expression) -> str:
        kind = type_text(sql_type(node.args["to"], self.scope.metastore.types))
        return f"CAST({self.render(node.this)} AS {kind})"

    def _subscript(self, node: exp.Expression) -> str:
        if len(node.expressions) != 1:
            raise Unrenderable("a subscript with several indexes")
        return f"{self.render(node.this)}[{self.render(node.expressions[0])}]"

    def _map(self, node: exp.Expression) -> str:
        keys, values = node.args.get("keys") or [], node.args.get("values") or []
        pairs = (f"{self.render(k)}:={self.render(v)}" for k, v in zip(keys, values, strict=True))
        return "MAP(" + ", ".join(pairs) + ")"

    def _struct(self, node: exp.Expression) -> str:
        fields = []
        for item in node.expressions:
            if not isinstance(item, exp.PropertyEQ):
                raise Unrenderable("a struct field without a name")
            fields.append(
                f"{self._name(identifier_name(item.this))}:={self.render(item.expression)}"
            )
        return "STRUCT(" + ", ".join(fields) + ")"

    def _dereference(self, node: exp.Expression) -> str:
        return f"{self.render(node.this)}->{self._name(identifier_name(node.expression))}"

    def _lambda(self, node: exp.Expression) -> str:
        arguments = [identifier_name(a) for a in node.expressions]
        self.scope.lambdas.append(set(arguments))
        try:
            body = self.render(node.this)
        finally:
            self.scope.lambdas.pop()
        return "(" + ", ".join(arguments) + ") => " + body

    def _function(self, node: exp.Expression) -> str:
        function = node.this
        text = identifier_name(function if isinstance(function, exp.Identifier) else str(function))
        arguments = [self._argument(a) for a in node.expressions]
        if text == "COUNT" and not arguments:
            arguments = ["*"]
        return f"{self._name(text)}({', '.join(arguments)})"

    def _concat(self, node: exp.Expression) -> str:
        # ksqlDB's parser makes ``a || b`` a call of a function named in lower case, which its
        # formatter then quotes.
        return f"{self._name('concat')}({self.render(node.this)}, {self.render(node.expression)})"

    def _argument(self, node: exp.Expression) -> str:
        # A time unit argument (DATEADD(DAYS, ...)) is the grammar's windowUnit, written as
        # java.util.concurrent.TimeUnit names it.
        if isinstance(node, exp.Column) and node.args.get("table") is None:
            unit = identifier_name(node)
            if unit in _TIME_UNITS and not node.this.quoted and not self.scope.owners(unit):
                return unit if unit.endswith("S") else unit + "S"
        return self.render(node)


def _scientific(value: Decimal) -> str:
    """A DOUBLE literal as ksqlDB writes it: shortest digits in scientific notation (1.5E10)."""
    sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(str(d) for d in digits)
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return ("-" if sign else "") + f"{mantissa}E{exponent + len(text) - 1}"
