"""The table-function operator: a projection with EXPLODE/CUBE_EXPLODE calls gives one row per
element, as ksqlDB's ``KudtfFlatMapper`` does.

Every table function of the projection is evaluated on the input row; row ``i`` of the output
takes element ``i`` of each list, NULL where a list is shorter (several calls are zipped); no
element at all gives no row. The calls are replaced by columns of an extended scope, so the
rest of each expression (``EXPLODE(a)->F1``, ``ABS(EXPLODE(b))``) compiles as usual.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from sqlglot import exp

from . import functions
from .errors import KsqlStatementError
from .expr import Fn, Scope, Slot, compile_expr
from .operators import expression_text
from .scope import canonical


def refuse_with_aggregation(items: Sequence[exp.Expression], grouped: bool) -> None:
    """ksqlDB's analyzer refuses table functions in an aggregating query before it checks the
    grouping, so this runs first."""
    if grouped and any(table_calls(item) for item in items):
        raise KsqlStatementError("Table functions cannot be used with aggregations.")


def table_calls(node: exp.Expression) -> list[exp.Anonymous]:
    """The table-function calls in an expression."""
    return [c for c in node.find_all(exp.Anonymous) if is_table_function(c)]


def is_table_function(node: exp.Expression) -> bool:
    """Whether a node is a call of a table function."""
    if not isinstance(node, exp.Anonymous):
        return False
    function = functions.REGISTRY.get(str(node.this).upper())
    return function is not None and function.kind == "TABLE"


class Flattener:
    """The table functions of one projection over one scope."""

    def __init__(self, items: Sequence[exp.Expression], scope: Scope) -> None:
        self.texts: list[str] = []
        self.calls: list[tuple[Any, list[Fn]]] = []
        slots = list(scope.slots)
        for item in items:
            for call in table_calls(item):
                text = canonical(call, scope)
                if text in self.texts:
                    continue
                args = [compile_expr(a, scope) for a in call.expressions]
                function, kind = functions.resolve(str(call.this), [t for _, t in args])
                self.texts.append(text)
                self.calls.append((function.call, [f for f, _ in args]))
                slots.append(Slot(f"__UDTF_{len(self.texts) - 1}", kind))
        self.base = scope
        self.scope = Scope(slots, scope.custom_types, scope.lambda_names)

    @classmethod
    def of(
        cls, items: Sequence[exp.Expression], scope: Scope, grouped: bool, table_source: bool
    ) -> Flattener | None:
        """The operator of a projection, or None when it calls no table function; ksqlDB's
        refusals (its Analyzer and QueryAnalyzer) first."""
        if not any(table_calls(i) for i in items):
            return None
        for item in items:
            for call in table_calls(item):
                inner = next((c for a in call.expressions for c in table_calls(a)), None)
                if inner is not None:
                    raise KsqlStatementError(
                        "Table functions cannot be nested: "
                        f"{str(call.this).upper()}({str(inner.this).upper()}())"
                    )
                case = call.find_ancestor(exp.Case)
                if case is not None:
                    raise KsqlStatementError(
                        f"Table functions cannot be used in CASE: {expression_text(case)}"
                    )
        refuse_with_aggregation(items, grouped)
        if table_source:
            raise KsqlStatementError("Table source is not supported with table functions")
        return cls(items, scope)

    def rewrite(self, node: exp.Expression) -> exp.Expression:
        """A copy of an expression reading each table function's current element."""

        def swap(child: exp.Expression) -> exp.Expression:
            if is_table_function(child):
                index = self.texts.index(canonical(child, self.base))
                return exp.column(exp.to_identifier(f"__UDTF_{index}", quoted=True))
            return child

        return copy.deepcopy(node).transform(swap)

    def rows(self, row: Sequence[Any]) -> list[list[Any]]:
        """The extended rows one input row gives."""
        lists = []
        for call, args in self.calls:
            try:
                lists.append(call(*[f(row) for f in args]))
            except (ValueError, TypeError, ArithmeticError):
                lists.append([])  # a failing call gives no element, as a NULL one would
        count = max((len(v) for v in lists), default=0)
        # The elements go right after the scope's own slots, whatever else the row carries.
        width = len(self.base.slots)
        base = [*row[:width], *[None] * (width - len(row))]
        return [[*base, *(v[i] if i < len(v) else None for v in lists)] for i in range(count)]
