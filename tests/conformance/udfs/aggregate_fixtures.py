"""ksqlDB's test UDAFs (its ksqldb-engine test sources: TestUdaf, GenericVarArgUdaf,
MiddleVarArgUdaf, ObjVarColArgUdaf, VarArgUdaf, MultiArgUdaf, FourArgUdaf, FiveArgUdaf) as
Python UDAFs."""

from __future__ import annotations

from typing import Any

from ksqlpy.local.udf import udaf

AUTHOR = "Confluent"


class _Sum:
    def initialize(self) -> Any:
        return 0

    def aggregate(self, value: Any, total: Any) -> Any:
        return total + value

    def undo(self, value: Any, total: Any) -> Any:
        return total - value

    def merge(self, one: Any, two: Any) -> Any:
        return one + two

    def map(self, total: Any) -> Any:
        return total


@udaf("test_udaf", signature="(BIGINT) -> BIGINT", description="test_udaf", author=AUTHOR)
class SumLong(_Sum):
    pass


@udaf("test_udaf", signature="(INT) -> BIGINT")
class SumInt(_Sum):
    pass


@udaf("test_udaf", signature="(DOUBLE) -> DOUBLE")
class SumDouble(_Sum):
    def initialize(self) -> Any:
        return 0.0

    undo = None  # ksqlDB's double overload is a plain Udaf: no undo


@udaf("test_udaf", signature="(STRING) -> BIGINT", literals="STRING")
class SumLengthString(_Sum):
    def __init__(self, initial: str) -> None:
        self.initial = initial

    def initialize(self) -> Any:
        return len(self.initial)

    def aggregate(self, value: Any, total: Any) -> Any:
        return total + len(value)

    undo = None


@udaf(
    "test_udaf",
    signature="(STRUCT<A INTEGER, B INTEGER>) -> STRUCT<A INTEGER, B INTEGER>",
)
class SumStruct(_Sum):
    def initialize(self) -> Any:
        return {"A": 0, "B": 0}

    def aggregate(self, value: Any, total: Any) -> Any:
        return {"A": total["A"] + value["A"], "B": total["B"] + value["B"]}

    undo = None


class _Collect:
    """The first argument of each row whose arguments are all non-null."""

    def initialize(self) -> Any:
        return []

    def aggregate(self, value: Any, items: list[Any]) -> Any:
        first, *rest = value
        *fixed, variadic = rest
        if first is not None and None not in fixed and None not in variadic:
            items.append(first)
        return items

    def merge(self, one: list[Any], two: list[Any]) -> Any:
        return one + two

    def map(self, items: list[Any]) -> Any:
        return items


@udaf(
    "GENERIC_VAR_ARG",
    signature="(A, B, C...) -> ARRAY<A>",
    description="Returns an array of rows where all the given columns are non-null.",
    author=AUTHOR,
)
class GenericVarArg(_Collect):
    pass


@udaf(
    "OBJ_COL_ARG",
    signature="(INT, ANY...) -> ARRAY<INT>",
    description="Returns an array of rows where all the given columns are non-null.",
    author=AUTHOR,
)
class ObjColArg(_Collect):
    pass


class _LengthSum:
    def __init__(self, *constants: int) -> None:
        self.constant = sum(constants)

    def initialize(self) -> Any:
        return 0

    def aggregate(self, value: Any, total: Any) -> Any:
        first, strings = value
        return total + (first or 0) + sum(len(s) for s in strings if s is not None)

    def merge(self, one: Any, two: Any) -> Any:
        return one + two

    def map(self, total: Any) -> Any:
        return total + self.constant


@udaf(
    "MID_VAR_ARG",
    signature="(BIGINT, STRING...) -> BIGINT",
    literals="INT, INT",
    description="Returns the sum of the provided longs, lengths of strings, and initial arguments.",
    author=AUTHOR,
)
class MidVarArg(_LengthSum):
    pass


@udaf(
    "VAR_ARG",
    signature="(BIGINT, STRING...) -> BIGINT",
    description="Returns the sum of the provided longs and lengths of strings.",
    author=AUTHOR,
)
class VarArg(_LengthSum):
    pass


class _InitialSum:
    """The sum of its number arguments and the lengths of its strings, starting from the initial
    literal plus the lengths of the literal strings after it."""

    def __init__(self, initial: int, *strings: str) -> None:
        self.initial = initial + sum(len(s) for s in strings)

    def initialize(self) -> Any:
        return self.initial

    def aggregate(self, value: Any, total: Any) -> Any:
        # Numbers count as they are, strings by their length; NULL as 0.
        return total + sum(v if isinstance(v, int) else len(v) for v in value if v is not None)

    def merge(self, one: Any, two: Any) -> Any:
        return one + two

    def map(self, total: Any) -> Any:
        return total


_INITIAL = "INT, STRING..."
_SUMMED = "Returns the sum of the provided longs and lengths of strings."


@udaf(
    "MULTI_ARG",
    signature="(BIGINT, STRING) -> BIGINT",
    literals=_INITIAL,
    description=_SUMMED,
    author=AUTHOR,
)
class MultiArg(_InitialSum):
    pass


@udaf(
    "FOUR_ARG",
    signature="(BIGINT, STRING, STRING, STRING) -> BIGINT",
    literals=_INITIAL,
    description=_SUMMED,
    author=AUTHOR,
)
class FourArg(_InitialSum):
    pass


@udaf(
    "FIVE_ARG",
    signature="(BIGINT, STRING, STRING, STRING, INT) -> BIGINT",
    literals=_INITIAL,
    description=_SUMMED,
    author=AUTHOR,
)
class FiveArg(_InitialSum):
    pass
