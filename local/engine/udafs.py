"""Aggregate functions (ksqlDB's UDAFs): accumulators that fold rows in, and take them back for
the aggregates a table allows."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlglot import exp

from .convert import hashable
from .errors import KsqlStatementError
from .functions.registry import Signature, check_call, parse_signatures
from .planning_settings import planning_setting
from .types import BIGINT, DOUBLE, STRING, ArrayType, MapType, SqlType, StructType


class Accumulator:
    """The running state of one aggregate call for one group."""

    def add(self, args: Sequence[Any]) -> None:
        """Fold in one row's arguments."""
        raise NotImplementedError

    def value(self) -> Any:
        """The current result."""
        raise NotImplementedError

    def undo(self, args: Sequence[Any]) -> None:
        """Take back one row's arguments (table aggregations: an update or a delete)."""
        raise NotImplementedError


class _Count(Accumulator):
    def __init__(self, star: bool) -> None:
        self.star = star
        self.count = 0

    def add(self, args: Sequence[Any]) -> None:
        if self.star or (args and args[0] is not None):
            self.count += 1

    def undo(self, args: Sequence[Any]) -> None:
        if self.star or (args and args[0] is not None):
            self.count -= 1

    def value(self) -> Any:
        return self.count


class _Sum(Accumulator):
    def __init__(self) -> None:
        self.total: Any = None

    def add(self, args: Sequence[Any]) -> None:
        if args[0] is not None:
            self.total = args[0] if self.total is None else self.total + args[0]

    def undo(self, args: Sequence[Any]) -> None:
        if args[0] is not None and self.total is not None:
            self.total -= args[0]

    def value(self) -> Any:
        return 0 if self.total is None else self.total


class _Avg(Accumulator):
    def __init__(self) -> None:
        self.total: Any = 0
        self.count = 0

    def add(self, args: Sequence[Any]) -> None:
        if args[0] is not None:
            self.total += args[0]
            self.count += 1

    def undo(self, args: Sequence[Any]) -> None:
        if args[0] is not None:
            self.total -= args[0]
            self.count -= 1

    def value(self) -> Any:
        return float(self.total) / self.count if self.count else 0.0


class _Extreme(Accumulator):
    def __init__(self, pick: Callable[[Any, Any], Any]) -> None:
        self.pick = pick
        self.best: Any = None

    def add(self, args: Sequence[Any]) -> None:
        if args[0] is not None:
            self.best = args[0] if self.best is None else self.pick(self.best, args[0])

    def value(self) -> Any:
        return self.best


class _ByOffset(Accumulator):
    """EARLIEST/LATEST_BY_OFFSET(col [, n] [, ignoreNulls]): one value, or with ``n`` an array
    of the first or last n values (nulls skipped unless ignoreNulls is false)."""

    def __init__(self, latest: bool) -> None:
        self.latest = latest
        self.current: Any = None
        self.seen = False
        self.count: int | None = None
        self.items: list[Any] = []

    def add(self, args: Sequence[Any]) -> None:
        value, rest = args[0], list(args[1:])
        if rest and isinstance(rest[0], int) and not isinstance(rest[0], bool):
            self.count = rest.pop(0)
        ignore_nulls = rest[0] if rest and rest[0] is not None else True
        if value is None and ignore_nulls:
            return
        if self.count is not None:
            if self.latest:
                self.items = [*self.items, value][-self.count :]
            elif len(self.items) < self.count:
                self.items.append(value)
        elif self.latest or not self.seen:
            self.current = value
            self.seen = True

    def value(self) -> Any:
        return list(self.items) if self.count is not None else self.current


def _by_offset_type(types: Sequence[SqlType]) -> SqlType:
    """The type of a column, or an array of it when an INT count is the second argument."""
    if len(types) > 1 and types[1].base in ("INTEGER", "BIGINT"):
        return ArrayType("ARRAY", types[0])
    return _first(types)


class _Collect(Accumulator):
    def __init__(self, unique: bool, limit: int | None = None) -> None:
        self.unique = unique
        self.limit = limit  # values beyond it are ignored (ksql.functions.collect_*.limit)
        self.items: list[Any] = []

    def add(self, args: Sequence[Any]) -> None:
        # NULLs are collected too, as ksqlDB's COLLECT_LIST/COLLECT_SET do.
        if self.unique and args[0] in self.items:
            return
        if self.limit is not None and len(self.items) >= self.limit:
            return
        self.items.append(args[0])

    def undo(self, args: Sequence[Any]) -> None:
        # As ksqlDB's COLLECT_LIST: the last occurrence of the value goes.
        for index in range(len(self.items) - 1, -1, -1):
            if self.items[index] == args[0]:
                del self.items[index]
                return

    def value(self) -> Any:
        return list(self.items)


def _collecting(unique: bool) -> Callable[[], Callable[[bool], Accumulator]]:
    """COLLECT_LIST/COLLECT_SET configured as their Udaf's configure() reads the limit: a
    number, negative for none."""
    config = f"ksql.functions.collect_{'set' if unique else 'list'}.limit"

    def configure() -> Callable[[bool], Accumulator]:
        text = planning_setting(config)
        limit = None if text is None or int(text) < 0 else int(text)
        return lambda star: _Collect(unique, limit)

    return configure


class _CountDistinct(Accumulator):
    def __init__(self) -> None:
        self.seen: set[Any] = set()

    def add(self, args: Sequence[Any]) -> None:
        if args[0] is not None:
            self.seen.add(repr(args[0]))

    def value(self) -> Any:
        return len(self.seen)


class _TopK(Accumulator):
    """TOPK(col [, other ...], k): the k largest values, largest first; with other columns, as
    structs of ``sort_col`` and ``col0``... (a new value replaces the smallest only if larger)."""

    def __init__(self, distinct: bool) -> None:
        self.distinct = distinct
        self.items: list[Any] = []

    def add(self, args: Sequence[Any]) -> None:
        value, others, k = args[0], list(args[1:-1]), args[-1]
        if value is None or k is None:
            return
        if self.items and len(self.items) >= k and value <= _sort_key(self.items[-1]):
            return
        item: Any = value
        if others:
            item = {"sort_col": value, **{f"col{i}": v for i, v in enumerate(others)}}
        if self.distinct and any(_sort_key(i) == value for i in self.items):
            return
        if len(self.items) >= k:
            self.items[-1] = item
        else:
            self.items.append(item)
        self.items.sort(key=_sort_key, reverse=True)

    def value(self) -> Any:
        return list(self.items)


def _sort_key(item: Any) -> Any:
    return item["sort_col"] if isinstance(item, dict) else item


def _topk_type(types: Sequence[SqlType]) -> SqlType:
    if len(types) > 2:
        fields = [("sort_col", types[0])]
        fields += [(f"col{i}", t) for i, t in enumerate(types[1:-1])]
        return ArrayType("ARRAY", StructType("STRUCT", tuple(fields)))
    return ArrayType("ARRAY", types[0])


def java_divide(numerator: float, denominator: float) -> float:
    """Java's double division: x/0 is an infinity, 0/0 NaN."""
    if denominator != 0:
        return numerator / denominator
    if numerator == 0 or math.isnan(numerator):
        return math.nan
    return math.copysign(math.inf, numerator) * math.copysign(1.0, denominator)


class _Correlation(Accumulator):
    """Pearson's coefficient from running sums (ksqlDB's single-pass formula)."""

    def __init__(self) -> None:
        self.sums = [0.0] * 5  # x, y, x*x, y*y, x*y
        self.count = 0

    def _fold(self, args: Sequence[Any], sign: int) -> None:
        if args[0] is None or args[1] is None:
            return
        x, y = float(args[0]), float(args[1])
        for i, term in enumerate((x, y, x * x, y * y, x * y)):
            self.sums[i] += sign * term
        self.count += sign

    def add(self, args: Sequence[Any]) -> None:
        self._fold(args, 1)

    def undo(self, args: Sequence[Any]) -> None:
        self._fold(args, -1)

    def value(self) -> Any:
        sx, sy, sxx, syy, sxy = self.sums
        n = self.count
        numerator = n * sxy - sx * sy
        spread = (n * sxx - sx * sx) * (n * syy - sy * sy)
        return java_divide(numerator, math.sqrt(spread) if spread >= 0 else math.nan)


class _StdDev(Accumulator):
    """ksqlDB's STDDEV_SAMP (which gives the sample variance) and STDDEV_SAMPLE (its square
    root), from a running sum, count and M2 as its Welford-style update computes them."""

    def __init__(self, root: bool) -> None:
        self.root = root
        self.total: Any = 0
        self.count = 0
        self.m2 = 0.0

    def _delta(self, value: Any) -> float:
        return float(value * (self.count + 1) - (self.total + value))

    def add(self, args: Sequence[Any]) -> None:
        value = args[0]
        if value is None:
            return
        if self.count > 0:
            delta = self._delta(value)
            self.m2 += delta * delta / ((self.count + 1) * self.count)
        self.count += 1
        self.total += value

    def undo(self, args: Sequence[Any]) -> None:
        value = args[0]
        if value is None:
            return
        count = self.count - 1
        if count > 0:
            delta = self._delta(value)
            self.m2 -= delta * delta / (count * (count + 1))
        else:
            self.m2 -= 0.0
        self.count = count
        self.total -= value

    def value(self) -> Any:
        if self.count < 2:
            return 0.0
        variance = self.m2 / (self.count - 1)
        return math.sqrt(variance) if self.root else variance


class _Histogram(Accumulator):
    """Counts per distinct string, at most 1000 of them."""

    def __init__(self) -> None:
        self.counts: dict[Any, int] = {}

    def add(self, args: Sequence[Any]) -> None:
        value = args[0]
        if len(self.counts) < 1000 or value in self.counts:
            self.counts[value] = self.counts.get(value, 0) + 1

    def undo(self, args: Sequence[Any]) -> None:
        value = args[0]
        if value in self.counts:
            self.counts[value] -= 1
            if self.counts[value] < 1:
                del self.counts[value]

    def value(self) -> Any:
        return dict(self.counts)


class _SumList(Accumulator):
    """The sum of every element of every list (NULL elements skipped)."""

    def __init__(self) -> None:
        self.total: Any = 0

    @staticmethod
    def _sum(items: Sequence[Any] | None) -> Any:
        return sum((i for i in items or [] if i is not None), 0)

    def add(self, args: Sequence[Any]) -> None:
        self.total += self._sum(args[0])

    def undo(self, args: Sequence[Any]) -> None:
        self.total -= self._sum(args[0])

    def value(self) -> Any:
        return float(self.total) if isinstance(self.total, float) else self.total


def _sum_list_type(types: Sequence[SqlType]) -> SqlType:
    kind = types[0] if types else DOUBLE
    return kind.element if isinstance(kind, ArrayType) else DOUBLE


class _Attr(Accumulator):
    """The one value a group holds, or NULL when it holds several (counted, so undo works)."""

    def __init__(self) -> None:
        self.counts: dict[Any, int] = {}
        self.values: dict[Any, Any] = {}

    def _fold(self, value: Any, step: int) -> None:
        key = hashable(value)
        self.counts[key] = self.counts.get(key, 0) + step
        self.values[key] = value

    def add(self, args: Sequence[Any]) -> None:
        self._fold(args[0], 1)

    def undo(self, args: Sequence[Any]) -> None:
        self._fold(args[0], -1)

    def value(self) -> Any:
        present = [k for k, n in self.counts.items() if n > 0]
        return self.values[present[0]] if len(present) == 1 else None


@dataclass(frozen=True, slots=True)
class AggregateFunction:
    """An aggregate: a factory of accumulators, its return-type rule and ksqlDB's description."""

    make: Callable[[bool], Accumulator]
    returns: Callable[[Sequence[SqlType]], SqlType]
    description: str = ""
    signatures: tuple[Signature, ...] = ()  # ksqlDB's UdafFactory overloads; none: any types
    # A user aggregate's choice of overload for the argument types (its literals come last).
    pick: Callable[[Sequence[SqlType]], tuple[AggregateFunction, list[SqlType]]] | None = None
    # Builds ``make`` from the settings of the statement planning a call (Udaf configure()).
    configure: Callable[[], Callable[[bool], Accumulator]] | None = None


def choose_aggregate(
    name: str, spec: AggregateFunction, types: Sequence[SqlType]
) -> tuple[AggregateFunction, list[SqlType]]:
    """The overload of an aggregate for arguments of these types, and the types they are
    passed as; ksqlDB's error when none fits."""
    if spec.pick is not None:
        return spec.pick(types)
    passed = check_call(name, spec.signatures, types)
    if spec.configure is not None:
        spec = replace(spec, make=spec.configure())
    return spec, passed


def _first(types: Sequence[SqlType]) -> SqlType:
    return types[0] if types else BIGINT


# ksqlDB's descriptions (UdafDescription).
_D_COUNT = "Counts records by key."
_D_SUM = "Computes the sum for a key."
_D_AVG = (
    "Returns the average value of the column computed as the sum divided by thecount. "
    "Applicable only to numeric types."
)
_D_MIN = "Computes the minimum value for a key."
_D_MAX = "Computes the maximum value for a key."
_D_LATEST_BY_OFFSET = (
    "This function returns the most recent N values for the column, computed by offset."
)
_D_EARLIEST_BY_OFFSET = (
    "This function returns the oldest N values for the column, computed by offset."
)
_D_COLLECT_LIST = (
    "Gather all of the values from an input grouping into a single Array field.\nAlthough "
    "this aggregate works on both Stream and Table inputs, the order of entries in the "
    "result array is not guaranteed when working on Table input data.\nYou may limit the "
    "size of the resultant Array to N entries, beyond which any further values will be "
    "silently ignored, by setting the ksql.functions.collect_list.limit configuration to N."
)
_D_COLLECT_SET = (
    "Gather all of the distinct values from an input grouping into a single Array.\nNot "
    "available for aggregating values from an input Table.\nYou may limit the size of the "
    "resultant Array to N entries, beyond which any further values will be silently ignored, "
    "by setting the ksql.functions.collect_list.limit configuration to N."
)
_D_COUNT_DISTINCT = (
    "This function returns the number of items found in a group. The implementation is "
    "probabilistic with a typical accuracy (standard error) of less than 1%."
)
_D_TOPK = "Returns the top k values for a column and other values in those records."
_D_TOPKDISTINCT = "Computes the top k distinct values for a column, per key."
_D_CORRELATION = "Computes the Pearson correlation coefficient between two columns of data."
_D_STDDEV_SAMP = (
    "Returns the sample standard deviation of the column. Applicable only to numeric types."
)
_D_STDDEV_SAMPLE = (
    "Returns the sample standard deviation of the column. Applicable only to numeric types."
)
_D_HISTOGRAM = (
    "Returns a map of each distinct String from the input Stream or Table and how many times "
    "each occurs. \nThis version limits the size of the resultant Map to 1000 entries. Any "
    "entries added beyond this limit will be ignored."
)
_D_SUM_LIST = "Returns the sum of elements contained in the list."
_D_ATTR = (
    "The ATTR() aggregation indicates there are multiple values, but only one was expected. "
    "For example, if aggregating against a table that semantically should have only one value "
    "for a column given a key, this aggregation enables users to indicate that they expect only "
    "a single value.\n\nIf the aggregation encounters more than a single value for the "
    "expected singular column, the entire aggregation will return null."
)

AGGREGATES: dict[str, AggregateFunction] = {
    "COUNT": AggregateFunction(_Count, lambda t: BIGINT, _D_COUNT),
    "SUM": AggregateFunction(lambda star: _Sum(), _first, _D_SUM),
    "AVG": AggregateFunction(lambda star: _Avg(), lambda t: DOUBLE, _D_AVG),
    "MIN": AggregateFunction(lambda star: _Extreme(min), _first, _D_MIN),
    "MAX": AggregateFunction(lambda star: _Extreme(max), _first, _D_MAX),
    "LATEST_BY_OFFSET": AggregateFunction(
        lambda star: _ByOffset(True), _by_offset_type, _D_LATEST_BY_OFFSET
    ),
    "EARLIEST_BY_OFFSET": AggregateFunction(
        lambda star: _ByOffset(False), _by_offset_type, _D_EARLIEST_BY_OFFSET
    ),
    "COLLECT_LIST": AggregateFunction(
        lambda star: _Collect(False),
        lambda t: ArrayType("ARRAY", t[0]),
        _D_COLLECT_LIST,
        configure=_collecting(False),
    ),
    "COLLECT_SET": AggregateFunction(
        lambda star: _Collect(True),
        lambda t: ArrayType("ARRAY", t[0]),
        _D_COLLECT_SET,
        configure=_collecting(True),
    ),
    "COUNT_DISTINCT": AggregateFunction(
        lambda star: _CountDistinct(), lambda t: BIGINT, _D_COUNT_DISTINCT
    ),
    "TOPK": AggregateFunction(lambda star: _TopK(False), _topk_type, _D_TOPK),
    "TOPKDISTINCT": AggregateFunction(lambda star: _TopK(True), _topk_type, _D_TOPKDISTINCT),
    "CORRELATION": AggregateFunction(lambda star: _Correlation(), lambda t: DOUBLE, _D_CORRELATION),
    "STDDEV_SAMP": AggregateFunction(lambda star: _StdDev(False), lambda t: DOUBLE, _D_STDDEV_SAMP),
    "STDDEV_SAMPLE": AggregateFunction(
        lambda star: _StdDev(True), lambda t: DOUBLE, _D_STDDEV_SAMPLE
    ),
    "HISTOGRAM": AggregateFunction(
        lambda star: _Histogram(), lambda t: MapType("MAP", STRING, BIGINT), _D_HISTOGRAM
    ),
    "SUM_LIST": AggregateFunction(lambda star: _SumList(), _sum_list_type, _D_SUM_LIST),
    "ATTR": AggregateFunction(lambda star: _Attr(), _first, _D_ATTR),
}

_NUMBERS = ("INT", "BIGINT", "DOUBLE")
_COMPARABLE = ("INT", "BIGINT", "DOUBLE", "DECIMAL", "DATE", "TIME", "TIMESTAMP", "STRING", "BYTES")
_SIGNATURES = {
    "SUM": [*_NUMBERS, "DECIMAL"],
    "AVG": list(_NUMBERS),
    "MIN": list(_COMPARABLE),
    "MAX": list(_COMPARABLE),
    "LATEST_BY_OFFSET": ["T", "T, BOOLEAN", "T, INT", "T, INT, BOOLEAN"],
    "EARLIEST_BY_OFFSET": ["T", "T, BOOLEAN", "T, INT", "T, INT, BOOLEAN"],
    "COLLECT_LIST": ["T"],
    "COLLECT_SET": ["T"],
    "COUNT_DISTINCT": ["T"],
    "ATTR": ["T"],
    "TOPKDISTINCT": [f"{t}, INT" for t in _COMPARABLE],
    "CORRELATION": [f"{t}, {t}" for t in _NUMBERS],
    "STDDEV_SAMP": list(_NUMBERS),
    "STDDEV_SAMPLE": list(_NUMBERS),
    "HISTOGRAM": ["STRING"],
    "SUM_LIST": [f"ARRAY<{t}>" for t in _NUMBERS],
}
for _name, _texts in _SIGNATURES.items():
    _spec = AGGREGATES[_name]
    AGGREGATES[_name] = replace(_spec, signatures=parse_signatures(_texts))


# The aggregates whose running state is a STRUCT, ARRAY or MAP (ksqlDB's aggregate schemas): a
# value format of primitives only (DELIMITED) cannot hold it. User aggregates add theirs.
COMPLEX_STATE = set(
    {
        "ATTR",
        "AVG",
        "COLLECT_LIST",
        "COLLECT_SET",
        "CORRELATION",
        "COUNT_DISTINCT",
        "EARLIEST_BY_OFFSET",
        "HISTOGRAM",
        "LATEST_BY_OFFSET",
        "STDDEV_SAMP",
        "STDDEV_SAMPLE",
        "TOPK",
        "TOPKDISTINCT",
    }
)

# The aggregates that can take back a row (ksqlDB's TableUdafs): the only ones a table allows;
# user aggregates with an undo add theirs.
TABLE_AGGREGATES = set(
    {
        "ATTR",
        "AVG",
        "COLLECT_LIST",
        "CORRELATION",
        "COUNT",
        "HISTOGRAM",
        "STDDEV_SAMP",
        "STDDEV_SAMPLE",
        "SUM",
        "SUM_LIST",
    }
)


def check_literal_arguments(name: str, args: Sequence[exp.Expression]) -> None:
    """ksqlDB's refusal of a non-literal where an aggregate takes a constant (a count, a flag)."""
    if name in ("EARLIEST_BY_OFFSET", "LATEST_BY_OFFSET"):
        positions = range(2, len(args) + 1)
    elif name in ("TOPK", "TOPKDISTINCT"):
        positions = range(len(args), len(args) + 1)
    else:
        return
    for position in positions:
        node = args[position - 1]
        inner = node.this if isinstance(node, exp.Neg) else node
        if not isinstance(inner, (exp.Literal, exp.Boolean, exp.Null)):
            raise KsqlStatementError(
                f"Parameter {position} passed to function {name} must be a literal constant, "
                f"but was expression: '{node.sql(dialect='ksql').upper()}'"
            )


def is_aggregate(node: exp.Expression) -> bool:
    """Whether a node is a call of an aggregate function."""
    return isinstance(node, exp.Anonymous) and str(node.this).upper() in AGGREGATES
