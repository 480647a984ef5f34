"""Array functions (ARRAY_UNION, ARRAY_SORT, ARRAY_JOIN, SLICE, ENTRIES, GENERATE_SERIES, ...).

As ksqlDB's: set operations keep the order of first occurrence and drop duplicates; NULL
elements take part like any other value; the ARRAY<T> arguments share one element type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ..convert import hashable, java_double_text
from ..types import BIGINT, INTEGER, STRING, ArrayType, MapType, SqlType, StructType
from .registry import element, first, fixed, register

ARRAY = "ARRAY"
MAX_ELEMENTS = 10_000_000  # the most values or characters one call may build


def _distinct(items: Sequence[Any]) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for item in items:
        key = hashable(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _keys(items: Sequence[Any]) -> set[Any]:
    return {hashable(i) for i in items}


def _union(left: list[Any], right: list[Any]) -> list[Any]:
    return _distinct([*left, *right])


def _intersect(left: list[Any], right: list[Any]) -> list[Any]:
    keep = _keys(right)
    return [i for i in _distinct(left) if hashable(i) in keep]


def _except(left: list[Any], right: list[Any]) -> list[Any]:
    drop = _keys(right)
    return [i for i in _distinct(left) if hashable(i) not in drop]


def _concat(left: list[Any] | None, right: list[Any] | None) -> list[Any] | None:
    if left is None and right is None:
        return None
    return [*(left or []), *(right or [])]


def _remove(array: list[Any] | None, victim: Any) -> list[Any] | None:
    return None if array is None else [i for i in array if i != victim]


def _extreme(pick: Callable[..., Any]) -> Callable[[list[Any]], Any]:
    def run(array: list[Any]) -> Any:
        present = [i for i in array if i is not None]
        return pick(present) if present else None

    return run


def _sort(array: list[Any], direction: str = "ASC") -> list[Any] | None:
    order = direction.upper()
    if order not in ("ASC", "ASCENDING", "DESC", "DESCENDING"):
        return None
    present = sorted((i for i in array if i is not None), reverse=order.startswith("DESC"))
    return present + [None] * (len(array) - len(present))


def java_text(value: Any) -> str:
    """A primitive as Java's toString writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_text(value)
    if isinstance(value, (str, int, Decimal)):
        return str(value)
    raise ValueError(f"ARRAY_JOIN: hit an element of unsupported type {type(value).__name__}")


def _join(array: list[Any] | None, delimiter: str | None = ",") -> str | None:
    if array is None:
        return None
    return (delimiter or "").join("null" if i is None else java_text(i) for i in array)


def _slice(array: list[Any] | None, start: int | None, end: int | None) -> list[Any] | None:
    # java.util.List.subList: out-of-range bounds fail the call (NULL).
    if array is None:
        return None
    begin = 0 if start is None else start - 1
    stop = len(array) if end is None else end
    if begin < 0 or stop > len(array) or begin > stop:
        return None
    return array[begin:stop]


def _entries(mapping: dict[str, Any], ordered: bool) -> list[dict[str, Any]]:
    items = sorted(mapping.items()) if ordered else list(mapping.items())
    return [{"K": k, "V": v} for k, v in items]


def _entries_type(args: Sequence[SqlType]) -> SqlType:
    value = args[0].value if isinstance(args[0], MapType) else STRING
    return ArrayType(ARRAY, StructType("STRUCT", (("K", STRING), ("V", value))))


def _series(start: int, end: int, step: int | None = None) -> list[int]:
    if step is None:
        step = 1 if end - start > 0 else -1
    if step == 0:
        raise ValueError("GENERATE_SERIES step cannot be zero")
    if (end - start > 0 > step) or (end - start < 0 < step):
        raise ValueError("GENERATE_SERIES step has wrong sign")
    series = range(start, end + (1 if step > 0 else -1), step)
    if len(series) > MAX_ELEMENTS:
        # ksqlDB would exhaust the heap; the embedded server refuses before it does.
        raise ValueError(f"GENERATE_SERIES would give {len(series)} values, over {MAX_ELEMENTS}")
    return list(series)


def _series_type(args: Sequence[SqlType]) -> SqlType:
    wide = any(a.base == "BIGINT" for a in args[:2])
    return ArrayType(ARRAY, BIGINT if wide else INTEGER)


def _array_of(args: Sequence[SqlType]) -> SqlType:
    """ARRAY<T> of the first typed argument (a NULL literal leaves the other to decide)."""
    return next((a for a in args if isinstance(a, ArrayType)), first(args))


_SETS = "The two arrays must be of the same type."
register(
    "ARRAY_CONCAT",
    _concat,
    _array_of,
    ARRAY,
    "Concatenates two arrays, creating an array that contains all the elements in the first "
    "array followed by all the elements in the second array. Returns NULL if both input arrays "
    "are NULL. If only one argument is NULL, the result is the other argument. " + _SETS,
    2,
    strict=False,
    signatures=["ARRAY<T>, ARRAY<T>"],
)
register(
    "ARRAY_DISTINCT",
    _distinct,
    first,
    ARRAY,
    "Returns an array of all the distinct values, including NULL if present, from the input "
    "array. The output array elements will be in order of their first occurrence in the input. "
    "Returns NULL if the input array is NULL.",
    1,
    signatures=["ARRAY<T>"],
)
register(
    "ARRAY_EXCEPT",
    _except,
    _array_of,
    ARRAY,
    "Returns an array of all the elements in an array except for those also present in a second "
    "array. The order of entries in the first array is preserved although any duplicates are "
    "removed. Returns NULL if either input is NULL.",
    2,
    signatures=["ARRAY<T>, ARRAY<T>"],
)
register(
    "ARRAY_INTERSECT",
    _intersect,
    _array_of,
    ARRAY,
    "Returns an array of all the distinct elements from the intersection of both input arrays, "
    "or NULL if either input array is NULL. The order of entries in the output is the same as "
    "in the first input array.",
    2,
    signatures=["ARRAY<T>, ARRAY<T>"],
)
register(
    "ARRAY_UNION",
    _union,
    _array_of,
    ARRAY,
    "Returns an array of all the distinct elements from both input arrays, or NULL if either "
    "array is NULL.",
    2,
    signatures=["ARRAY<T>, ARRAY<T>"],
)
register(
    "ARRAY_REMOVE",
    _remove,
    first,
    ARRAY,
    "Removes all the elements equal to a specific value from an array. Returns NULL if the "
    "input array is NULL.",
    2,
    strict=False,
    signatures=["ARRAY<T>, T"],
)
register(
    "ARRAY_MAX",
    _extreme(max),
    element,
    ARRAY,
    "Return the maximum value from within an array of primitive values, according to their "
    "natural sort order. If the array is NULL, or contains only NULLs, return NULL.",
    1,
    signatures=["ARRAY<T>"],
)
register(
    "ARRAY_MIN",
    _extreme(min),
    element,
    ARRAY,
    "Return the minimum value from within an array of primitive values, according to their "
    "natural sort order. If the array is NULL, or contains only NULLs, return NULL.",
    1,
    signatures=["ARRAY<T>"],
)
register(
    "ARRAY_SORT",
    _sort,
    first,
    ARRAY,
    "Sort an array of primitive values, according to their natural sort order. Any NULLs in "
    "the array will be placed at the end.",
    1,
    2,
    signatures=["ARRAY<T>", "ARRAY<T>, STRING"],
)
register(
    "ARRAY_JOIN",
    lambda array, delimiter=",": _join(array, delimiter),
    fixed(STRING),
    ARRAY,
    "joins the array elements into a flat string representation",
    1,
    2,
    strict=False,
    signatures=["ARRAY<T>", "ARRAY<T>, STRING"],
)
register(
    "SLICE",
    _slice,
    first,
    ARRAY,
    "slice of an ARRAY",
    3,
    strict=False,
    signatures=["ARRAY<T>, INT, INT"],
)
register(
    "ENTRIES",
    _entries,
    _entries_type,
    "MAP",
    "Construct an array from the entries in a map.The array can be optionally sorted on the keys.",
    2,
    signatures=[
        f"MAP<STRING, {t}>, BOOLEAN" for t in ("INT", "BIGINT", "DOUBLE", "BOOLEAN", "STRING")
    ],
)
register(
    "GENERATE_SERIES",
    _series,
    _series_type,
    ARRAY,
    "Construct an array of a range of values",
    2,
    3,
    signatures=["INT, INT", "INT, INT, INT", "BIGINT, BIGINT", "BIGINT, BIGINT, INT"],
)
