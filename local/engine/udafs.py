"""Aggregate functions (ksqlDB's UDAFs): accumulators that fold rows in, and take them back for
the aggregates a table allows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from .types import BIGINT, DOUBLE, ArrayType, SqlType


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
        if args[0] is None or (self.unique and args[0] in self.items):
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
}


# The aggregates that can take back a row (ksqlDB's TableUdafs): the only ones a table allows.
TABLE_AGGREGATES = frozenset({"COUNT", "SUM", "AVG", "COLLECT_LIST"})


def is_aggregate(node: exp.Expression) -> bool:
    """Whether a node is a call of an aggregate function."""
    return isinstance(node, exp.Anonymous) and str(node.this).upper() in AGGREGATES
