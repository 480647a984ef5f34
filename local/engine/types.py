"""ksqlDB's SQL types as the server models them, spelled exactly as ksqlDB prints them.

``str(t)`` gives the spelling of ``columnTypes`` and header ``schema`` strings (``INTEGER``,
``DECIMAL(4, 2)``, ``STRUCT<`A` INTEGER>``); DESCRIBE's ``SchemaInfo`` objects
are encoded outside the engine (``local/entities.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class SqlType:
    """A primitive SQL type; subclasses add parameters and nested types."""

    base: str

    # The primitive names ksqlDB reports, keyed by every accepted spelling.
    ALIASES: ClassVar[dict[str, str]] = {
        "BOOLEAN": "BOOLEAN",
        "INT": "INTEGER",
        "INTEGER": "INTEGER",
        "BIGINT": "BIGINT",
        "DOUBLE": "DOUBLE",
        "VARCHAR": "STRING",
        "STRING": "STRING",
        "BYTES": "BYTES",
        "DATE": "DATE",
        "TIME": "TIME",
        "TIMESTAMP": "TIMESTAMP",
    }

    def __str__(self) -> str:
        return self.base


@dataclass(frozen=True, slots=True)
class DecimalType(SqlType):
    """``DECIMAL(precision, scale)``."""

    precision: int = 10
    scale: int = 0

    def __str__(self) -> str:
        return f"DECIMAL({self.precision}, {self.scale})"


@dataclass(frozen=True, slots=True)
class ArrayType(SqlType):
    """``ARRAY<element>``."""

    element: SqlType = SqlType("STRING")

    def __str__(self) -> str:
        return f"ARRAY<{self.element}>"


@dataclass(frozen=True, slots=True)
class MapType(SqlType):
    """``MAP<key, value>``."""

    key: SqlType = SqlType("STRING")
    value: SqlType = SqlType("STRING")

    def __str__(self) -> str:
        return f"MAP<{self.key}, {self.value}>"


@dataclass(frozen=True, slots=True)
class StructType(SqlType):
    """``STRUCT<name type, ...>``; field names keep their case."""

    fields: tuple[tuple[str, SqlType], ...] = ()

    def __str__(self) -> str:
        if not self.fields:
            return "STRUCT< >"
        inner = ", ".join(f"`{name}` {kind}" for name, kind in self.fields)
        return f"STRUCT<{inner}>"

    def field(self, name: str) -> SqlType | None:
        """The type of a field, or ``None``."""
        for field_name, kind in self.fields:
            if field_name == name:
                return kind
        return None


BOOLEAN = SqlType("BOOLEAN")
INTEGER = SqlType("INTEGER")
BIGINT = SqlType("BIGINT")
DOUBLE = SqlType("DOUBLE")
STRING = SqlType("STRING")
BYTES = SqlType("BYTES")
DATE = SqlType("DATE")
TIME = SqlType("TIME")
TIMESTAMP = SqlType("TIMESTAMP")
# The type of a bare NULL literal: compatible with every type, never a column's type.
NULL_TYPE = SqlType("NULL")

NUMERIC_RANK = {"INTEGER": 0, "BIGINT": 1, "DECIMAL": 2, "DOUBLE": 3}


def primitive(name: str) -> SqlType | None:
    """The primitive type for a spelling such as ``INT`` or ``VARCHAR``, or ``None``."""
    base = SqlType.ALIASES.get(name.upper())
    return SqlType(base) if base else None


def is_numeric(kind: SqlType) -> bool:
    """Whether the type is INTEGER, BIGINT, DECIMAL or DOUBLE."""
    return kind.base in NUMERIC_RANK


def widest(left: SqlType, right: SqlType) -> SqlType:
    """The result type of arithmetic on two numeric types, as ksqlDB widens them."""
    if left.base == "DOUBLE" or right.base == "DOUBLE":
        return DOUBLE
    if isinstance(left, DecimalType) or isinstance(right, DecimalType):
        a, b = as_decimal(left), as_decimal(right)
        scale = max(a.scale, b.scale)
        digits = max(a.precision - a.scale, b.precision - b.scale)
        return DecimalType("DECIMAL", min(digits + scale + 1, 38), scale)
    return BIGINT if BIGINT in (left, right) else INTEGER


def as_decimal(kind: SqlType) -> DecimalType:
    """The DECIMAL type that holds every value of an integer or decimal type."""
    if isinstance(kind, DecimalType):
        return kind
    if kind.base == "INTEGER":
        return DecimalType("DECIMAL", 10, 0)
    if kind.base == "BIGINT":
        return DecimalType("DECIMAL", 19, 0)
    raise TypeError(f"{kind} is not an exact numeric type")


def has_decimal(kind: SqlType) -> bool:
    """Whether a type is DECIMAL or holds one (in an array, map value or struct field)."""
    if kind.base == "DECIMAL":
        return True
    if isinstance(kind, ArrayType):
        return has_decimal(kind.element)
    if isinstance(kind, MapType):
        return has_decimal(kind.value)
    if isinstance(kind, StructType):
        return any(has_decimal(t) for _, t in kind.fields)
    return False
