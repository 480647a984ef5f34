"""NULL handling, arrays, maps and lambdas (COALESCE, ARRAY_CONTAINS, TRANSFORM, ...)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..types import (
    BOOLEAN,
    INTEGER,
    STRING,
    ArrayType,
    MapType,
    SqlType,
)
from .registry import first, fixed, register


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if a is not None), None)


def _nullif(a: Any, b: Any) -> Any:
    return None if a is not None and a == b else a


def _array_contains(array: list[Any], value: Any) -> bool:
    return value in array


def _transform(collection: Any, *fns: Callable[..., Any]) -> Any:
    if isinstance(collection, dict):
        key_fn, value_fn = fns
        return {key_fn(k, v): value_fn(k, v) for k, v in collection.items()}
    (fn,) = fns
    return [fn(x) for x in collection]


def _transform_type(args: Sequence[SqlType]) -> SqlType:
    if isinstance(args[0], MapType):
        return MapType("MAP", args[1], args[2])
    return ArrayType("ARRAY", args[1])


def _filter(collection: Any, fn: Callable[..., Any]) -> Any:
    if isinstance(collection, dict):
        return {k: v for k, v in collection.items() if fn(k, v)}
    return [x for x in collection if fn(x)]


def _reduce(collection: Any, state: Any, fn: Callable[..., Any]) -> Any:
    # As ksqlDB: no initial state gives NULL; no collection gives the initial state.
    if state is None:
        return None
    if collection is None:
        return state
    if isinstance(collection, dict):
        for key, value in collection.items():
            state = fn(state, key, value)
        return state
    for item in collection:
        state = fn(state, item)
    return state


register(
    "COALESCE",
    _coalesce,
    first,
    "CONDITIONAL",
    "Returns first non-null element",
    1,
    1000,
    strict=False,
    signatures=["T first, T... others"],
)
register(
    "IFNULL",
    _coalesce,
    first,
    "CONDITIONAL",
    "Returns expression if NOT NULL, otherwise the alternative value",
    2,
    strict=False,
    signatures=["T expression, T altValue"],
)
register(
    "NULLIF",
    _nullif,
    first,
    "CONDITIONAL",
    "Returns NULL if value1 and value2 are equal. Otherwise it returns value1.",
    2,
    strict=False,
    signatures=["T expr1, T expr2"],
)
register(
    "ARRAY_LENGTH",
    len,
    fixed(INTEGER),
    "ARRAY",
    "Returns the length on an array",
    1,
    signatures=["ARRAY<T> array"],
)
register(
    "ARRAY_CONTAINS",
    _array_contains,
    fixed(BOOLEAN),
    "ARRAY",
    "Returns true if the array is non-null and contains the supplied value.",
    2,
    signatures=["ARRAY<T> array, T val"],
)
register(
    "MAP_KEYS",
    list,
    lambda a: ArrayType("ARRAY", STRING),
    "MAP",
    "Returns an array of all the keys from the specified map, or NULL if the input map is NULL.",
    1,
    signatures=["MAP<STRING, T> input"],
)
register(
    "MAP_VALUES",
    lambda m: list(m.values()),
    lambda a: ArrayType("ARRAY", a[0].value if isinstance(a[0], MapType) else STRING),
    "MAP",
    "Returns an array of all the values from the specified map, or NULL if the input map is NULL.",
    1,
    signatures=["MAP<STRING, T> input"],
)
register(
    "TRANSFORM",
    _transform,
    _transform_type,
    "LAMBDA",
    "Applies a lambda to each element.",
    2,
    3,
    lambdas=True,
)
register(
    "FILTER", _filter, first, "LAMBDA", "Keeps the elements a lambda accepts.", 2, lambdas=True
)
register(
    "REDUCE",
    _reduce,
    lambda a: a[-1],
    "LAMBDA",
    "Folds a collection with a lambda.",
    3,
    strict=False,
    lambdas=True,
)


def _as_map(keys: list[Any], values: list[Any]) -> dict[Any, Any]:
    return {k: (values[i] if i < len(values) else None) for i, k in enumerate(keys)}


def _map_union(*maps: dict[Any, Any] | None) -> dict[Any, Any] | None:
    present = [m for m in maps if m is not None]
    if not present:
        return None
    out: dict[Any, Any] = {}
    for mapping in present:
        out.update(mapping)
    return out


def _map_of(args: Sequence[SqlType]) -> SqlType:
    return next((a for a in args if isinstance(a, MapType)), first(args))


register(
    "AS_MAP",
    _as_map,
    lambda a: MapType("MAP", STRING, a[1].element if isinstance(a[1], ArrayType) else STRING),
    "MAP",
    "Construct a list based on some inputs",
    2,
    signatures=["ARRAY<STRING>, ARRAY<T>"],
)
register(
    "MAP_UNION",
    _map_union,
    _map_of,
    "MAP",
    "Returns a new map containing the union of all entries from both input maps. If a key is "
    "present in both input maps then the value from map2 is the one which appears in the "
    "result. Returns NULL if all of the input maps are NULL.",
    2,
    strict=False,
    signatures=["MAP<STRING, T>, MAP<STRING, T>"],
)
