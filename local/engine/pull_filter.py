"""Which WHERE clauses a pull query over a table may have, as ksqlDB's QueryFilterNode decides.

The clause is taken as a disjunction of conjunctions (IN becomes one equality per value,
BETWEEN two bounds). Each disjunct must bind every key column with a constant, unless table
scans are enabled (``ksql.query.pull.table.scan.enabled``); a range on a STRING key is a range
scan (``ksql.query.pull.range.scan.enabled``); anything else needs a table scan. Key values are
checked as ksqlDB resolves them: a NULL key and a value of another type are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from .convert import identifier_name
from .errors import KsqlStatementError
from .metastore import Column, Source
from .operators import SYMBOLS, expression_text

_HELP = (
    " See https://cnfl.io/queries for more info.\n"
    "Pull queries require a WHERE clause that:\n"
    " - includes a key equality expression, e.g. `SELECT * FROM X WHERE <key-column> = Y;`.\n"
    " - in the case of a multi-column key, is a conjunction of equality expressions that cover "
    "all key columns."
)
SCAN_DISABLED = (
    "Query requires table scan to be enabled. Table scans can be enabled by setting "
    "ksql.query.pull.table.scan.enabled=true"
)


@dataclass(frozen=True, slots=True)
class PullOptions:
    """The request's (else the server's) pull-query planner settings."""

    table_scan: bool = True
    range_scan: bool = True
    limit: bool = True

    @classmethod
    def of(cls, *settings: Mapping[str, Any]) -> PullOptions:
        """The options from request properties, then server config (first found wins)."""

        def flag(name: str) -> bool:
            for source in settings:
                if name in source:
                    return str(source[name]).strip().lower() != "false"
            return True

        return cls(
            flag("ksql.query.pull.table.scan.enabled"),
            flag("ksql.query.pull.range.scan.enabled"),
            flag("ksql.query.pull.limit.clause.enabled"),
        )


def _invalid(message: str) -> KsqlStatementError:
    return KsqlStatementError(f"{message}.{_HELP}")


def disjuncts(node: exp.Expression) -> list[list[exp.Expression]]:
    """The clause as OR-ed conjunctions of leaves (PullQueryRewriter + LogicRewriter)."""
    if isinstance(node, exp.Paren):
        return disjuncts(node.this)
    if isinstance(node, exp.Or):
        return disjuncts(node.this) + disjuncts(node.expression)
    if isinstance(node, exp.And):
        return [a + b for a in disjuncts(node.this) for b in disjuncts(node.expression)]
    if isinstance(node, exp.In):
        return [[exp.EQ(this=node.this, expression=value)] for value in node.expressions]
    if isinstance(node, exp.Between):
        low = exp.GTE(this=node.this, expression=node.args["low"])
        return [[low, exp.LTE(this=node.this, expression=node.args["high"])]]
    return [[node]]


def _text(node: exp.Expression) -> str:
    if type(node) in SYMBOLS:
        symbol = SYMBOLS[type(node)][0]
        return f"({_text(node.this)} {symbol} {_text(node.expression)})"
    return expression_text(node)


def _conjunction_text(leaves: list[exp.Expression]) -> str:
    text = _text(leaves[0])
    for leaf in leaves[1:]:
        text = f"({text} AND {_text(leaf)})"
    return text


def _column_side(node: exp.Expression) -> tuple[exp.Column, exp.Expression] | None:
    for side, other in ((node.expression, node.this), (node.this, node.expression)):
        if isinstance(side, exp.Column) and not isinstance(side.this, exp.Star):
            return side, other
    return None


def check_pull_where(where: exp.Expression, source: Source, options: PullOptions) -> None:
    """Refuse a WHERE clause ksqlDB refuses for a pull query on this table."""
    keys = list(source.keys)
    key_text = "[" + ", ".join(f"`{c.name}` {c.type} KEY" for c in keys) + "]"
    needs_scan = False
    constraints: list[list[tuple[type, Column]]] = []
    for leaves in disjuncts(where):
        seen: list[Column] = []
        ops: list[tuple[type, Column]] = []
        scan = False

        def scan_or(message: str) -> None:
            nonlocal scan
            if not options.table_scan:
                raise _invalid(message)
            scan = True

        for leaf in leaves:
            if isinstance(leaf, exp.Like):
                if not isinstance(leaf.this, exp.Column):
                    scan_or("Like condition must be between strings")
                continue
            if type(leaf) not in SYMBOLS and not isinstance(
                leaf, (exp.NullSafeEQ, exp.NullSafeNEQ)
            ):
                raise _invalid(f"Unsupported expression in WHERE clause: {_text(leaf)}")
            found = _column_side(leaf)
            if found is None:
                scan_or("A comparison must directly reference a key column")
                continue
            column, other = found
            if other.find(exp.Column):
                scan_or("A comparison must be between a key column and a resolvable expression")
                continue
            key = next((c for c in keys if c.name == identifier_name(column.this)), None)
            if key is None:
                continue
            if isinstance(leaf, (exp.NEQ, exp.NullSafeEQ, exp.NullSafeNEQ)):
                scan_or(f"Bound on key columns '{key_text}' must currently be '='")
            if key in seen and not options.table_scan:
                raise _invalid(
                    "A comparison condition on the key column cannot be combined with other "
                    "comparisons such as an IN predicate"
                )
            seen.append(key)
            ops.append((type(leaf), key))
            _check_key_value(leaf, other, key)
        if scan:
            needs_scan = True
            continue
        if not seen:
            if not options.table_scan:
                raise _invalid(
                    f"WHERE clause missing key column for disjunct: {_conjunction_text(leaves)}"
                )
            needs_scan = True
            continue
        if len({c.name for c in seen}) != len(keys):
            if not options.table_scan:
                named = "[" + ", ".join(f"`{c.name}`" for c in seen) + "]"
                raise _invalid(
                    "Multi-column sources must specify every key in the WHERE clause. "
                    f"Specified: {named} Expected: {key_text}"
                )
            needs_scan = True
            continue
        constraints.append(ops)
    if needs_scan or options.table_scan:
        return
    # PullPhysicalPlanBuilder: key lookups when every disjunct is equalities; one range on a
    # STRING/BYTES key is a range scan; anything else is a table scan.
    if all(all(op is exp.EQ for op, _ in ops) for ops in constraints):
        return
    ranged = len(constraints) == 1 and len(constraints[0]) == 1
    stringly = ranged and constraints[0][0][1].type.base in ("STRING", "BYTES")
    if not (stringly and options.range_scan and not source.windowed):
        raise KsqlStatementError(SCAN_DISABLED)


def _check_key_value(leaf: exp.Expression, other: exp.Expression, key: Column) -> None:
    """QueryFilterNode.resolveKey: a NULL or a literal of another type cannot be a key."""
    if isinstance(other, exp.Null):
        raise KsqlStatementError(f"Primary key columns can not be NULL: {_text(leaf)}")
    # Strict coercion: text only becomes a STRING or a temporal key.
    textual = ("STRING", "TIMESTAMP", "DATE", "TIME", "BYTES")
    if isinstance(other, exp.Literal) and other.is_string and key.type.base not in textual:
        raise KsqlStatementError(
            f"'{other.this}' can not be converted to the type of the key column: "
            f"{key.name} {key.type} KEY"
        )
