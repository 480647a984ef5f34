"""Compiles parsed expressions into Python closures over a row, with their SQL types.

A row is a list of values laid out as the :class:`Scope` says. ``compile_expr`` returns
``(fn, type)`` where ``fn(row)`` evaluates the expression; NULL propagates as ksqlDB does, and a
runtime failure (division by zero, bad cast) gives NULL rather than failing the query.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from decimal import Decimal, localcontext
from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlDereference, KsqlMap

from . import functions
from .coercion import CoercionFailed, Typed, list_type, parse_boolean
from .convert import DECIMAL_CONTEXT, CoercionError, cast_value, identifier_name, sql_type
from .errors import KsqlStatementError
from .operators import (
    ARITH,
    COMPARE,
    SYMBOLS,
    Fn,
    arith_refusal,
    arith_type,
    as_float,
    bind,
    common_type,
    comparable,
    constant,
    expression_text,
    fit,
    like_regex,
    literal,
    nulls,
    string_as,
    unboxed_call,
)
from .scope import Scope, Slot
from .types import (
    BOOLEAN,
    NULL_TYPE,
    STRING,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
    StructType,
    is_numeric,
)


class Compiler:
    """Compiles expressions against one scope."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.dispatch: dict[type[exp.Expression], Callable[[Any], tuple[Fn, SqlType]]] = {
            exp.Literal: literal,
            exp.Boolean: lambda n: constant(bool(n.this), BOOLEAN),
            exp.Null: lambda n: constant(None, NULL_TYPE),
            exp.Column: self.column,
            exp.Identifier: self.identifier,
            exp.Paren: lambda n: self.compile(n.this),
            exp.Neg: self.neg,
            exp.Not: self.not_,
            exp.And: self.and_,
            exp.Or: self.or_,
            exp.Is: self.is_,
            exp.NullSafeEQ: self.distinct(False),
            exp.NullSafeNEQ: self.distinct(True),
            exp.Between: self.between,
            exp.In: self.in_,
            exp.Like: self.like,
            exp.Escape: self.like,
            exp.Case: self.case,
            exp.Cast: self.cast,
            exp.TryCast: self.cast,
            exp.Array: self.array,
            exp.Struct: self.struct,
            exp.Bracket: self.bracket,
            exp.DPipe: self.concat,
            exp.Anonymous: self.function,
            KsqlMap: self.map,
            KsqlDereference: self.dereference,
        }

    def compile(self, node: exp.Expression) -> tuple[Fn, SqlType]:
        """``(fn, type)`` for an expression."""
        kind = type(node)
        if kind in ARITH:
            return self.arith(node)
        if kind in COMPARE:
            return self.compare(node)
        handler = self.dispatch.get(kind)
        if handler is None:
            raise KsqlStatementError(f"Unsupported expression: {node.sql(dialect='ksql')}")
        return handler(node)

    def column(self, node: exp.Column) -> tuple[Fn, SqlType]:
        table = node.args.get("table")
        name = node.this
        if (
            table is None
            and isinstance(name, exp.Identifier)
            and name.name in self.scope.lambda_names
        ):
            index, kind = self.scope.find(name.name, None, node)
        else:
            qualifier = identifier_name(table) if table is not None else None
            index, kind = self.scope.find(identifier_name(name), qualifier, node)
        return (lambda row: row[index]), kind

    def identifier(self, node: exp.Identifier) -> tuple[Fn, SqlType]:
        name = node.name if node.name in self.scope.lambda_names else identifier_name(node)
        index, kind = self.scope.find(name, None)
        return (lambda row: row[index]), kind

    def arith(self, node: exp.Expression) -> tuple[Fn, SqlType]:
        symbol, fn = ARITH[type(node)]
        left, left_type = self.compile(node.this)
        right, right_type = self.compile(node.expression)
        if symbol == "+" and left_type.base == right_type.base == "STRING":
            return nulls(operator.add, left, right), STRING
        if not (is_numeric(left_type) and is_numeric(right_type)):
            raise KsqlStatementError(
                f"Error processing expression: ({expression_text(node.this)} {symbol} "
                f"{expression_text(node.expression)}). {arith_refusal(left_type, right_type)}",
                code=40000,
            )
        kind = arith_type(symbol, left_type, right_type)
        if isinstance(kind, DecimalType):
            inner = fn

            def fn(a: Any, b: Any) -> Any:
                with localcontext(DECIMAL_CONTEXT):
                    return inner(Decimal(a), Decimal(b))

        elif kind.base == "DOUBLE":
            # DECIMAL with DOUBLE is DOUBLE arithmetic in ksqlDB (Decimal and float do not mix).
            left, right = as_float(left), as_float(right)

        return fit(kind, nulls(fn, left, right, unboxed=bool(self.scope.lambda_names))), kind

    def neg(self, node: exp.Neg) -> tuple[Fn, SqlType]:
        # A negative number literal is one literal (-9223372036854775808 fits a long).
        if isinstance(node.this, exp.Literal) and not node.this.is_string:
            return literal(exp.Literal(this="-" + node.this.this, is_string=False), node.this)
        inner, kind = self.compile(node.this)
        return (lambda row: None if (v := inner(row)) is None else -v), kind

    def compare(self, node: exp.Expression) -> tuple[Fn, SqlType]:
        left, left_type = self.compile(node.this)
        right, right_type = self.compile(node.expression)
        left_text, right_text = expression_text(node.this), expression_text(node.expression)
        statement = f"\nStatement: ({left_text} {SYMBOLS[type(node)][0]} {right_text})"
        right, right_type = string_as(node.this, left_type, node.expression, right, right_type)
        left, left_type = string_as(node.expression, right_type, node.this, left, left_type)
        if NULL_TYPE in (left_type, right_type):
            # ComparisonUtil names each side's base type, or NULL, in the order written.
            sides = ["NULL" if t == NULL_TYPE else t.base for t in (left_type, right_type)]
            raise KsqlStatementError(
                f"Error in WHERE expression: Comparison with NULL not supported: "
                f"{sides[0]} {SYMBOLS[type(node)][0]} {sides[1]}\n"
                f"Use 'IS NULL' or 'IS NOT NULL' instead.{statement}"
            )
        if not comparable(left_type, right_type, type(node) in (exp.EQ, exp.NEQ)):
            raise KsqlStatementError(
                f"Error in WHERE expression: Cannot compare {left_text} ({left_type}) to "
                f"{right_text} ({right_type}) with {SYMBOLS[type(node)][1]}.{statement}"
            )
        if "DOUBLE" in (left_type.base, right_type.base) and left_type.base != right_type.base:
            # Decimal and float never compare equal in Python; ksqlDB compares as doubles.
            left, right = as_float(left), as_float(right)
        compare = COMPARE[type(node)]

        def run(row: Sequence[Any]) -> Any:
            # ksqlDB's generated code: a comparison with a NULL operand is false, not NULL.
            a, b = left(row), right(row)
            return False if a is None or b is None else compare(a, b)

        return run, BOOLEAN

    def not_(self, node: exp.Not) -> tuple[Fn, SqlType]:
        inner, _ = self.compile(node.this)
        return (lambda row: None if (v := inner(row)) is None else not v), BOOLEAN

    def and_(self, node: exp.And) -> tuple[Fn, SqlType]:
        left, _ = self.compile(node.this)
        right, _ = self.compile(node.expression)

        def run(row: Sequence[Any]) -> Any:
            a = left(row)
            if a is False:
                return False
            b = right(row)
            if b is False:
                return False
            return None if a is None or b is None else True

        return run, BOOLEAN

    def or_(self, node: exp.Or) -> tuple[Fn, SqlType]:
        left, _ = self.compile(node.this)
        right, _ = self.compile(node.expression)

        def run(row: Sequence[Any]) -> Any:
            a = left(row)
            if a is True:
                return True
            b = right(row)
            if b is True:
                return True
            return None if a is None or b is None else False

        return run, BOOLEAN

    def is_(self, node: exp.Is) -> tuple[Fn, SqlType]:
        inner, _ = self.compile(node.this)
        target = node.expression
        if isinstance(target, exp.Null):
            return (lambda row: inner(row) is None), BOOLEAN
        expected = bool(target.this) if isinstance(target, exp.Boolean) else None
        return (lambda row: inner(row) is expected), BOOLEAN

    def distinct(self, negate: bool) -> Callable[[exp.Expression], tuple[Fn, SqlType]]:
        def build(node: exp.Expression) -> tuple[Fn, SqlType]:
            left, left_type = self.compile(node.this)
            right, right_type = self.compile(node.expression)
            if _mixes_double([left_type, right_type]):
                left, right = as_float(left), as_float(right)
            return (lambda row: (left(row) != right(row)) == negate), BOOLEAN

        return build

    def between(self, node: exp.Between) -> tuple[Fn, SqlType]:
        value, kind = self.compile(node.this)
        (low, low_type), (high, high_type) = (
            string_as(node.this, kind, node.args[end], *self.compile(node.args[end]))
            for end in ("low", "high")
        )
        if _mixes_double([kind, low_type, high_type]):
            # A DOUBLE with a DECIMAL compares as doubles in ksqlDB (1.11 BETWEEN 1.0 AND 1.11).
            value, low, high = as_float(value), as_float(low), as_float(high)

        def run(row: Sequence[Any]) -> Any:
            v, a, b = value(row), low(row), high(row)
            if v is None or a is None or b is None:
                return False  # as its two comparisons are
            return a <= v <= b

        return run, BOOLEAN

    def in_(self, node: exp.In) -> tuple[Fn, SqlType]:
        # ksqlDB coerces the value and the list to their common type first (CoercionUtil).
        nodes = [node.this, *node.expressions]
        compiled = [self.compile(n) for n in nodes]
        typed = [Typed(n, kind) for n, (_, kind) in zip(nodes, compiled, strict=True)]
        common = list_type(typed, self.describe)
        converted = self.to_common(nodes, compiled, common)
        value, options = converted[0], converted[1:]

        def run(row: Sequence[Any]) -> Any:
            v = value(row)
            if v is None:
                return None
            return any(v == option(row) for option in options)

        return run, BOOLEAN

    def describe(self, node: exp.Expression) -> tuple[str, SqlType]:
        """An expression's text as ksqlDB prints it, and its type."""
        return expression_text(node), self.compile(node)[1]

    def to_common(
        self,
        nodes: list[exp.Expression],
        compiled: list[tuple[Fn, SqlType]],
        common: SqlType | None,
    ) -> list[Fn]:
        """Each expression of a list as its common type: literals read as it, others CAST."""
        return [
            constant(parse_boolean(n.this), BOOLEAN)[0]
            if common == BOOLEAN and isinstance(n, exp.Literal) and n.is_string
            else self.converted(fn, kind, common)
            for n, (fn, kind) in zip(nodes, compiled, strict=True)
        ]

    @staticmethod
    def converted(fn: Fn, kind: SqlType, common: SqlType | None) -> Fn:
        """A value converted to the common type of its list (a CAST, as ksqlDB adds one)."""
        if common is None or kind in (common, NULL_TYPE):
            return fn

        def run(row: Sequence[Any]) -> Any:
            value = fn(row)
            try:
                return None if value is None else cast_value(value, kind, common)
            except (CoercionError, ValueError, ArithmeticError):
                return None

        return run

    def like(self, node: exp.Expression) -> tuple[Fn, SqlType]:
        escape = None
        if isinstance(node, exp.Escape):
            escape = node.expression.name
            node = node.this
        # NOT LIKE is the parser's LIKE with negate set.
        negate = bool(node.args.get("negate"))
        value, _ = self.compile(node.this)
        pattern_node = node.expression
        if isinstance(pattern_node, exp.Literal) and pattern_node.is_string:
            regex = like_regex(pattern_node.this, escape)
            return (
                lambda row: (
                    None if (v := value(row)) is None else bool(regex.fullmatch(v)) is not negate
                )
            ), BOOLEAN
        pattern, _ = self.compile(pattern_node)

        def run(row: Sequence[Any]) -> Any:
            v, p = value(row), pattern(row)
            if v is None or p is None:
                return None
            return bool(like_regex(p, escape).fullmatch(v)) is not negate

        return run, BOOLEAN

    def case(self, node: exp.Case) -> tuple[Fn, SqlType]:
        subject = self.compile(node.this)[0] if node.this else None
        branches = []
        kind: SqlType = NULL_TYPE
        for branch in node.args.get("ifs") or []:
            condition, _ = self.compile(branch.this)
            result, result_type = self.compile(branch.args["true"])
            kind = result_type if kind == NULL_TYPE else kind
            branches.append((condition, result))
        default = None
        if node.args.get("default") is not None:
            default, default_type = self.compile(node.args["default"])
            kind = default_type if kind == NULL_TYPE else kind
        if kind == NULL_TYPE:
            raise KsqlStatementError("Invalid Case expression. All case branches have NULL type")

        def run(row: Sequence[Any]) -> Any:
            value = subject(row) if subject else None
            for condition, result in branches:
                test = condition(row)
                if (subject is None and test is True) or (subject is not None and test == value):
                    return result(row)
            return default(row) if default else None

        return run, kind

    def cast(self, node: exp.Cast) -> tuple[Fn, SqlType]:
        inner, from_type = self.compile(node.this)
        target = sql_type(node.args["to"], self.scope.custom_types)
        complex_types = ("ARRAY", "MAP", "STRUCT")
        if (
            from_type != NULL_TYPE
            and from_type.base != target.base
            and (
                target.base in complex_types
                or (from_type.base in complex_types and target != STRING)
            )
        ):
            # ksqlDB's CastEvaluator has no conversion between these (the caller names the
            # clause: "Invalid Select: ...").
            raise CoercionFailed(f"Cast of {from_type} to {target} is not supported")

        def run(row: Sequence[Any]) -> Any:
            value = inner(row)
            if value is None:
                return None
            try:
                return cast_value(value, from_type, target)
            except (CoercionError, ValueError, ArithmeticError):
                return None

        return run, target

    def array(self, node: exp.Array) -> tuple[Fn, SqlType]:
        if not node.expressions:
            raise KsqlStatementError(
                "Array constructor cannot be empty. Please supply at least one element "
                f"(see {_ISSUE_4239})."
            )
        items = [self.compile(e) for e in node.expressions]
        if all(t == NULL_TYPE for _, t in items):
            raise KsqlStatementError(
                f"Cannot construct an array with all NULL elements (see {_ISSUE_4239}). As a "
                "workaround, you may cast a NULL value to the desired type."
            )
        element = self.list_type(node.expressions, items) or common_type([t for _, t in items])
        fns = self.to_common(node.expressions, items, element)
        return (lambda row: [f(row) for f in fns]), ArrayType("ARRAY", element)

    def list_type(
        self, nodes: list[exp.Expression], compiled: list[tuple[Fn, SqlType]]
    ) -> SqlType | None:
        """The common type of a constructor's elements (ksqlDB's CoercionUtil refusals)."""
        typed = [Typed(n, kind) for n, (_, kind) in zip(nodes, compiled, strict=True)]
        try:
            return list_type(typed, self.describe)
        except CoercionFailed as error:
            raise KsqlStatementError(error.message) from error

    def map(self, node: KsqlMap) -> tuple[Fn, SqlType]:
        key_nodes = node.args.get("keys") or []
        value_nodes = node.args.get("values") or []
        if not key_nodes:
            raise KsqlStatementError(
                "Map constructor cannot be empty. Please supply at least one key value pair "
                f"(see {_ISSUE_4239})."
            )
        compiled_keys = [self.compile(k) for k in key_nodes]
        values = [self.compile(v) for v in value_nodes]
        if (key_type := self.list_type(key_nodes, compiled_keys)) is None:
            raise KsqlStatementError("Cannot construct a map with all NULL keys")
        if (value_type := self.list_type(value_nodes, values)) is None:
            raise KsqlStatementError("Cannot construct a map with all NULL values")
        keys = self.to_common(key_nodes, compiled_keys, key_type)
        pairs = list(zip(keys, self.to_common(value_nodes, values, value_type), strict=True))
        null_key = "null" if key_type == STRING else None  # Jackson's name for a null key

        def run(row: Sequence[Any]) -> Any:
            return {(null_key if (k := kf(row)) is None else k): vf(row) for kf, vf in pairs}

        return run, MapType("MAP", key_type, value_type)

    def struct(self, node: exp.Struct) -> tuple[Fn, SqlType]:
        fields: list[tuple[str, Fn, SqlType]] = []
        for item in node.expressions:
            if not isinstance(item, exp.PropertyEQ):
                raise KsqlStatementError("STRUCT fields must be written as name := value")
            fn, kind = self.compile(item.expression)
            name = identifier_name(item.this)
            if any(name == seen for seen, _, _ in fields):
                raise KsqlStatementError("Duplicate field names found in STRUCT")
            fields.append((name, fn, kind))
        struct_type = StructType("STRUCT", tuple((n, t) for n, _, t in fields))
        return (lambda row: {n: f(row) for n, f, _ in fields}), struct_type

    def bracket(self, node: exp.Bracket) -> tuple[Fn, SqlType]:
        container, kind = self.compile(node.this)
        index, _ = self.compile(node.expressions[0])
        if isinstance(kind, MapType):
            return (
                lambda row: None if (m := container(row)) is None else m.get(index(row))
            ), kind.value
        if not isinstance(kind, ArrayType):
            raise KsqlStatementError(f"Cannot subscript a value of type {kind}")

        def run(row: Sequence[Any]) -> Any:
            array, position = container(row), index(row)
            if array is None or position is None:
                return None
            # ksqlDB arrays are 1-based; negative positions count from the end.
            at = position - 1 if position > 0 else len(array) + position
            return array[at] if 0 <= at < len(array) else None

        return run, kind.element

    def dereference(self, node: KsqlDereference) -> tuple[Fn, SqlType]:
        inner, kind = self.compile(node.this)
        if not isinstance(kind, StructType):
            raise KsqlStatementError(f"Can't dereference a value of type {kind}")
        wanted = identifier_name(node.expression)
        field = kind.field(wanted)
        if field is None:
            raise KsqlStatementError(
                f"Could not find field '{wanted}' in '{node.this.sql(dialect='ksql')}'."
            )
        return (lambda row: None if (v := inner(row)) is None else v.get(wanted)), field

    def concat(self, node: exp.DPipe) -> tuple[Fn, SqlType]:
        left, _ = self.compile(node.this)
        right, _ = self.compile(node.expression)
        return nulls(operator.add, left, right), STRING

    def function(self, node: exp.Anonymous) -> tuple[Fn, SqlType]:
        name = str(node.this).upper()
        # f(*) calls f with no arguments, as ksqlDB reads it (COUNT(*) is an aggregate's own).
        args = [a for a in node.expressions if not isinstance(a, exp.Star)]
        function = functions.lookup(name, len(args))
        if function.kind == "TABLE":
            raise KsqlStatementError(
                f"Table function {name} can only be used in the SELECT list of a query."
            )
        if function.lambdas:
            return self.lambda_call(function, args)
        units = function.takes_units
        compiled = [(units and functions.interval_unit(a)) or self.compile(a) for a in args]
        function, passed = functions.resolve_passed(name, [t for _, t in compiled])
        kind = function.returns(passed)
        fns = [functions.cast_argument(f, t, p) for (f, t), p in zip(compiled, passed, strict=True)]
        return functions.bind(function, fns), kind

    def lambda_call(
        self, function: functions.Function, args: list[exp.Expression]
    ) -> tuple[Fn, SqlType]:
        collection, collection_type = self.compile(args[0])
        compiled: list[Fn] = [collection]
        types: list[SqlType] = [collection_type]
        state_type: SqlType | None = None
        for arg in args[1:]:
            if not isinstance(arg, exp.Lambda):
                fn, kind = self.compile(arg)
                compiled.append(fn)
                types.append(kind)
                state_type = kind
                continue
            names = [
                identifier_name(v) if not isinstance(v, exp.Identifier) else v.name
                for v in arg.expressions
            ]
            if isinstance(collection_type, MapType):
                params = [collection_type.key, collection_type.value]
            elif isinstance(collection_type, ArrayType):
                params = [collection_type.element]
            else:
                raise KsqlStatementError(
                    f"{function.name} needs an ARRAY or a MAP, got {collection_type}"
                )
            if state_type is not None:
                params = [state_type, *params]
            if len(params) != len(names):
                raise KsqlStatementError(
                    f"Lambda of {function.name} takes {len(params)} arguments, got {len(names)}"
                )
            body, body_type = Compiler(self.scope.extended(names, params)).compile(arg.this)
            compiled.append(bind(body))
            types.append(body_type)
        call = unboxed_call(function.call)
        kind = function.returns(types)

        passes_null = function.name == "REDUCE"

        def run(row: Sequence[Any]) -> Any:
            values = [compiled[0](row)]
            if values[0] is None and not passes_null:
                return None
            values += [f(row) for f in compiled[1:]]
            return call(*values)

        return run, kind


def compile_expr(node: exp.Expression, scope: Scope) -> tuple[Fn, SqlType]:
    """Compile one expression against a scope."""
    return Compiler(scope).compile(node)


def is_null_type(kind: SqlType) -> bool:
    """Whether an expression's type is the type of a bare NULL."""
    return kind == NULL_TYPE


_ISSUE_4239 = "https://github.com/confluentinc/ksql/issues/4239"


def _mixes_double(kinds: list[SqlType]) -> bool:
    """Whether DOUBLE meets another numeric type (the values then compare as doubles)."""
    bases = {k.base for k in kinds if is_numeric(k)}
    return "DOUBLE" in bases and len(bases) > 1


__all__ = [
    "NULL_TYPE",
    "Compiler",
    "Fn",
    "Scope",
    "Slot",
    "compile_expr",
    "is_null_type",
]
