"""Table functions (EXPLODE, CUBE_EXPLODE): each call gives a list, one output row per element.

They register with ``kind="TABLE"``; a query's projection flattens them (``flatten.py``), and
their return-type rule gives the type of one element.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..types import SqlType
from .registry import element, register

TABLE = "TABLE"
_MAX_CUBE_COLUMNS = 20


def _explode(items: list[Any] | None) -> list[Any]:
    return [] if items is None else list(items)


def _cube(columns: list[Any] | None) -> list[list[Any]]:
    """Every combination of the columns and NULL, as ksqlDB orders them; a NULL column gives
    no combination twice."""
    if columns is None:
        return []
    size = len(columns)
    if size > _MAX_CUBE_COLUMNS:
        raise ValueError(f"cube_explode: too many columns ({size}); max is {_MAX_CUBE_COLUMNS}")
    present = sum(1 << (size - 1 - i) for i, c in enumerate(columns) if c is not None)
    rows = []
    for mask in range(1 << size):
        if mask & present != mask:
            continue
        rows.append([columns[i] if mask & (1 << (size - 1 - i)) else None for i in range(size)])
    return rows


def _same(args: Sequence[SqlType]) -> SqlType:
    return args[0]


register(
    "EXPLODE",
    _explode,
    element,
    TABLE,
    "Explodes an array. This function outputs one value for each element of the array.",
    1,
    strict=False,
    signatures=["ARRAY<T> list", "ARRAY<DECIMAL> input"],
    kind=TABLE,
)
register(
    "CUBE_EXPLODE",
    _cube,
    _same,
    TABLE,
    "Takes as argument a list of columns and outputs all possible combinations of them. It "
    "produces 2^d new rows where d is the number of columns given as parameter. Duplicate "
    "entries for columns with null value are skipped.",
    1,
    strict=False,
    signatures=["ARRAY<T> columns"],
    kind=TABLE,
)
