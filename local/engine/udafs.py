"""Aggregate functions (ksqlDB's UDAFs): accumulators that fold rows in, and take them back for
the aggregates a table allows."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

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
    def __init__(self, unique: bool) -> None:
        self.unique = unique
        self.items: list[Any] = []

    def add(self, args: Sequence[Any]) -> None:
        # NULLs are collected too, as ksqlDB's COLLECT_LIST/COLLECT_SET do.
        if self.unique and args[0] in self.items:
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


@dataclass(frozen=True, slots=True)
class AggregateFunction:
    """An aggregate: a factory of accumulators and its return-type rule."""

    make: Callable[[bool], Accumulator]
    returns: Callable[[Sequence[SqlType]], SqlType]


def _first(types: Sequence[SqlType]) -> SqlType:
    return types[0] if types else BIGINT


AGGREGATES: dict[str, AggregateFunction] = {
    "COUNT": AggregateFunction(_Count, lambda t: BIGINT),
    "SUM": AggregateFunction(lambda star: _Sum(), _first),
    "AVG": AggregateFunction(lambda star: _Avg(), lambda t: DOUBLE),
    "MIN": AggregateFunction(lambda star: _Extreme(min), _first),
    "MAX": AggregateFunction(lambda star: _Extreme(max), _first),
    "LATEST_BY_OFFSET": AggregateFunction(lambda star: _ByOffset(True), _by_offset_type),
    "EARLIEST_BY_OFFSET": AggregateFunction(lambda star: _ByOffset(False), _by_offset_type),
    "COLLECT_LIST": AggregateFunction(
        lambda star: _Collect(False), lambda t: ArrayType("ARRAY", t[0])
    ),
    "COLLECT_SET": AggregateFunction(
        lambda star: _Collect(True), lambda t: ArrayType("ARRAY", t[0])
    ),
    "COUNT_DISTINCT": AggregateFunction(lambda star: _CountDistinct(), lambda t: BIGINT),
    "TOPK": AggregateFunction(lambda star: _TopK(False), _topk_type),
    "TOPKDISTINCT": AggregateFunction(lambda star: _TopK(True), _topk_type),
    "CORRELATION": AggregateFunction(lambda star: _Correlation(), lambda t: DOUBLE),
    "STDDEV_SAMP": AggregateFunction(lambda star: _StdDev(False), lambda t: DOUBLE),
    "STDDEV_SAMPLE": AggregateFunction(lambda star: _StdDev(True), lambda t: DOUBLE),
    "HISTOGRAM": AggregateFunction(
        lambda star: _Histogram(), lambda t: MapType("MAP", STRING, BIGINT)
    ),
    "SUM_LIST": AggregateFunction(lambda star: _SumList(), _sum_list_type),
}


# The aggregates whose running state is a STRUCT, ARRAY or MAP (ksqlDB's aggregate schemas): a
# value format of primitives only (DELIMITED) cannot hold it.
COMPLEX_STATE = frozenset(
    {
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

# The aggregates that can take back a row (ksqlDB's TableUdafs): the only ones a table allows.
TABLE_AGGREGATES = frozenset(
    {
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


def is_aggregate(node: exp.Expression) -> bool:
    """Whether a node is a call of an aggregate function."""
    return isinstance(node, exp.Anonymous) and str(node.this).upper() in AGGREGATES
