"""PEP 249's type objects and constructors, ``Cursor.description``, and the SHOW listings
that read as result sets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from ksqlpy._entities import Entity, QueriesList, SourceList, TopicList
from ksqlpy._types import Column, SqlType


class _TypeObject:
    """A DB-API type object: equal to every ``description`` type code of its KSQL base types."""

    __slots__ = ("name", "names")

    def __init__(self, name: str, *names: str) -> None:
        self.name = name
        self.names = frozenset(names)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _TypeObject):
            return self.names == other.names
        if isinstance(other, str):
            return _base_name(other) in self.names
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.names)

    def __repr__(self) -> str:
        return f"<dbapi type {self.name}: {', '.join(sorted(self.names)) or 'none'}>"


def _base_name(type_code: str) -> str:
    for stop in ("(", "<"):
        cut = type_code.find(stop)
        if cut >= 0:
            type_code = type_code[:cut]
    return type_code.strip().upper()


STRING = _TypeObject("STRING", "STRING", "VARCHAR")
"""Text columns (``STRING``)."""
BINARY = _TypeObject("BINARY", "BYTES")
"""Binary columns (``BYTES``)."""
NUMBER = _TypeObject("NUMBER", "INTEGER", "INT", "BIGINT", "DOUBLE", "DECIMAL")
"""Numeric columns (``INTEGER``, ``BIGINT``, ``DOUBLE``, ``DECIMAL(p, s)``)."""
DATETIME = _TypeObject("DATETIME", "TIMESTAMP", "DATE", "TIME")
"""Temporal columns (``TIMESTAMP``, ``DATE``, ``TIME``)."""
ROWID = _TypeObject("ROWID")
"""Row ids: ksqlDB has none, so no type code equals it."""
BOOLEAN = _TypeObject("BOOLEAN", "BOOLEAN")
"""``BOOLEAN`` columns (an extension of PEP 249)."""
ARRAY = _TypeObject("ARRAY", "ARRAY")
"""``ARRAY<...>`` columns (an extension of PEP 249)."""
MAP = _TypeObject("MAP", "MAP")
"""``MAP<...>`` columns (an extension of PEP 249)."""
STRUCT = _TypeObject("STRUCT", "STRUCT")
"""``STRUCT<...>`` columns (an extension of PEP 249)."""

Date = date
"""Build a DATE value: ``Date(2024, 1, 31)``."""
Time = time
"""Build a TIME value: ``Time(12, 30, 0)``."""
Timestamp = datetime
"""Build a TIMESTAMP value (naive means UTC): ``Timestamp(2024, 1, 31, 12, 30)``."""
Binary = bytes
"""Build a BYTES value: ``Binary(b"...")``."""


def DateFromTicks(ticks: float) -> date:
    """The UTC date of a POSIX timestamp (ksqlDB keeps time in UTC)."""
    return datetime.fromtimestamp(ticks, UTC).date()


def TimeFromTicks(ticks: float) -> time:
    """The UTC time of day of a POSIX timestamp (ksqlDB keeps time in UTC)."""
    return datetime.fromtimestamp(ticks, UTC).time()


def TimestampFromTicks(ticks: float) -> datetime:
    """The aware UTC datetime of a POSIX timestamp, as query results give TIMESTAMPs."""
    return datetime.fromtimestamp(ticks, UTC)


def _describe(columns: Sequence[Column]) -> tuple[tuple[Any, ...], ...]:
    """PEP 249 ``description`` 7-tuples for result columns.

    The type code is ksqlDB's spelling of the type (``"DECIMAL(10, 2)"``), which compares equal
    to its type object (``NUMBER``); precision and scale are set for DECIMAL only.
    """
    return tuple(
        (
            column.name,
            str(column.type),
            None,
            None,
            column.type.precision,
            column.type.scale,
            None,
        )
        for column in columns
    )


_TEXT, _FLAG = SqlType("STRING"), SqlType("BOOLEAN")
# Never part of an INSERT without a column list (older servers list them in DESCRIBE).
_PSEUDO_COLUMNS = frozenset({"ROWTIME", "ROWPARTITION", "ROWOFFSET"})


def _columns(*spec: tuple[str, SqlType]) -> tuple[Column, ...]:
    return tuple(Column(name, sql_type) for name, sql_type in spec)


_SOURCE_COLUMNS = _columns(
    ("NAME", _TEXT),
    ("TYPE", _TEXT),
    ("TOPIC", _TEXT),
    ("KEY_FORMAT", _TEXT),
    ("VALUE_FORMAT", _TEXT),
    ("IS_WINDOWED", _FLAG),
)
_TOPIC_COLUMNS = _columns(("NAME", _TEXT), ("PARTITIONS", SqlType("INTEGER")))
_QUERY_COLUMNS = _columns(
    ("ID", _TEXT), ("QUERY_TYPE", _TEXT), ("STATE", _TEXT), ("QUERY_STRING", _TEXT)
)


def _source_rows(entity: Any) -> list[tuple[Any, ...]]:
    return [
        (s.name, s.type, s.topic, s.key_format, s.value_format, s.is_windowed)
        for s in entity.sources
    ]


def _topic_rows(entity: Any) -> list[tuple[Any, ...]]:
    return [(t.name, len(t.replica_info)) for t in entity.topics]


def _query_rows(entity: Any) -> list[tuple[Any, ...]]:
    return [(q.id, q.query_type, q.state, q.query_string) for q in entity.queries]


# Entity class -> (columns, rows): SHOW/LIST STREAMS, TABLES, TOPICS and QUERIES as result sets.
_LISTINGS: dict[type[Entity], tuple[tuple[Column, ...], Callable[[Any], list[tuple[Any, ...]]]]] = {
    SourceList: (_SOURCE_COLUMNS, _source_rows),
    TopicList: (_TOPIC_COLUMNS, _topic_rows),
    QueriesList: (_QUERY_COLUMNS, _query_rows),
}
