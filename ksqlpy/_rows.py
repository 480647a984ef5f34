"""``Row``: a tuple with column names, and the per-query row factory that builds rows fast.

Each query gets its own ``Row`` subclass carrying the columns (as ``collections.namedtuple`` does),
so a row costs one tuple and nothing else; the factory converts only the columns whose JSON form
differs from the Python value (DECIMAL, BYTES, temporal types and containers of them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, SupportsIndex, overload

from ._types import Column, converter, has_decimal, timestamp_converter

__all__ = ["Row", "RowFactory", "row_factory", "row_type"]


class Row(tuple[Any, ...]):
    """One result row: a tuple (0-based indices, unpacking, ``==``) that also answers by name.

    >>> row = result.rows[0]                      # columns ID, NAME
    >>> row[0] == row["ID"], row.as_dict()
    (True, {'ID': 1, 'NAME': 'alice'})
    """

    __slots__ = ()
    columns: ClassVar[tuple[str, ...]] = ()
    """The column names, in order."""
    column_types: ClassVar[tuple[Column, ...]] = ()
    """The columns with their types (and key/header flags when the server gave them)."""
    tombstone: ClassVar[bool] = False
    """True for a table push query's deletion marker (key columns set, others None)."""
    _index: ClassVar[dict[str, int]] = {}

    @overload
    def __getitem__(self, key: SupportsIndex | str, /) -> Any: ...
    @overload
    def __getitem__(self, key: slice, /) -> tuple[Any, ...]: ...
    def __getitem__(self, key: SupportsIndex | str | slice, /) -> Any:
        """The value at an index, slice or column name (exact, else case-insensitive)."""
        if key.__class__ is str:
            try:
                return tuple.__getitem__(self, self._index[key])
            except KeyError:
                raise KeyError(
                    f"no column {key!r}; the columns are {', '.join(self.columns) or '(none)'}"
                ) from None
        return tuple.__getitem__(self, key)  # type: ignore[index]

    def get(self, name: str, default: Any = None) -> Any:
        """The value of column ``name``, or ``default`` when there is no such column."""
        index = self._index.get(name)
        return default if index is None else tuple.__getitem__(self, index)

    def as_dict(self) -> dict[str, Any]:
        """The row as ``{column name: value}``, in column order."""
        return dict(zip(self.columns, self, strict=False))

    def keys(self) -> tuple[str, ...]:
        """The column names (so ``dict(row)``-style code can find them)."""
        return self.columns

    def __repr__(self) -> str:
        if not self.columns:
            return f"Row{tuple.__repr__(self)}"
        inner = ", ".join(
            f"{name}={value!r}" for name, value in zip(self.columns, self, strict=False)
        )
        return f"Row({inner}{', tombstone' if self.tombstone else ''})"

    def __reduce__(self) -> tuple[Callable[..., Row], tuple[Any, ...]]:
        return _rebuild, (self.column_types, tuple(self))


def _rebuild(columns: tuple[Column, ...], values: tuple[Any, ...]) -> Row:
    return row_type(columns)(values)


def row_type(columns: Sequence[Column]) -> type[Row]:
    """A ``Row`` subclass for these columns (one per query, like ``namedtuple``)."""
    names = tuple(column.name for column in columns)
    index: dict[str, int] = {}
    folded: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)
        folded.setdefault(name.upper(), []).append(i)
    for upper, positions in folded.items():
        if len(positions) == 1:  # case-insensitive lookup only where it is unambiguous
            index.setdefault(upper, positions[0])
            index.setdefault(upper.lower(), positions[0])
    namespace = {
        "__slots__": (),
        "columns": names,
        "column_types": tuple(columns),
        "_index": index,
        "__doc__": Row.__doc__,
    }
    return type("Row", (Row,), namespace)


RowFactory = Callable[[list[Any]], Row]
"""Turns one decoded JSON array (which it may modify) into a ``Row``."""


def row_factory(columns: Sequence[Column]) -> tuple[RowFactory, bool]:
    """The row builder for these columns, and whether JSON floats must be decoded as Decimal.

    The builder is generated code with one line per converted column and no loop, because it
    runs once per row: identity columns cost nothing beyond the tuple itself. A value that does
    not convert is kept as JSON gave it: ksqlDB itself sometimes lists columns in its header in
    another order than in its rows (header columns of a source table, in its own REST tests),
    and one odd value must not make a whole stream unreadable.
    """
    cls = row_type(columns)
    exact = any(has_decimal(column.type) for column in columns)
    convs = [(i, converter(column.type, exact)) for i, column in enumerate(columns)]
    active = [(i, conv) for i, conv in convs if conv is not None]
    width = len(columns)
    namespace: dict[str, Any] = {
        "cls": cls,
        "width": width,
        "mismatch": _mismatch,
        "Decimal": Decimal,
        "fromiso": datetime.fromisoformat,
        "kept": _kept,
    }
    lines = [
        "def build(values):",
        "    if len(values) != width:",
        "        mismatch(values, width)",
    ]
    for i, conv in active:
        namespace[f"c{i}"] = conv
        lines += [f"    v = values[{i}]", *_INLINE.get(conv, _CALL).format(i=i).splitlines()]
    lines.append("    return cls(values)")
    exec("\n".join(lines), namespace)  # same technique as collections.namedtuple / dataclasses
    build: RowFactory = namespace["build"]
    return build, exact


# Per-column code of the generated builder. The common cases avoid a Python call per value:
# exact decoding already made most DECIMALs Decimal, and appending the UTC offset lets the C
# parser build an aware TIMESTAMP directly (``.replace(tzinfo=...)`` costs ten times more).
_CALL = """\
    if v is not None:
        try:
            values[{i}] = c{i}(v)
        except (ValueError, TypeError, ArithmeticError):
            pass"""
_INLINE: dict[Any, str] = {
    Decimal: """\
    if v is not None and v.__class__ is not Decimal:
        try:
            values[{i}] = Decimal(v)
        except (ValueError, TypeError, ArithmeticError):
            pass""",
    timestamp_converter: """\
    if v is not None:
        try:
            values[{i}] = fromiso(v + "+00:00")
        except (ValueError, TypeError):
            values[{i}] = kept(c{i}, v)""",
}


def _kept(conv: Any, value: Any) -> Any:
    try:
        return conv(value)
    except (ValueError, TypeError, ArithmeticError):
        return value


def _mismatch(values: Any, width: int) -> None:
    if not isinstance(values, list):
        raise TypeError(f"a row must be a JSON array, got {type(values).__name__}")
    raise ValueError(f"a row has {len(values)} values but the header has {width} columns")
