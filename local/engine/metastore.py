"""The metastore: streams, tables and custom types, as DESCRIBE and SHOW report them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .types import DecimalType, SqlType


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a source: a key, a value, or a header (all headers, or one by key)."""

    name: str
    type: SqlType
    role: str = "VALUE"  # KEY, VALUE, HEADERS (all headers) or HEADER (one header key)
    header_key: str | None = None

    @property
    def is_header(self) -> bool:
        return self.role in ("HEADER", "HEADERS")

    def schema_text(self, mark_key: bool) -> str:
        """The column as written in a ``/query`` header ``schema`` string."""
        text = f"`{self.name}` {self.type}"
        if self.role == "KEY" and mark_key:
            text += " KEY"
        elif self.role == "HEADERS":
            text += " HEADERS"
        elif self.role == "HEADER":
            text += f" HEADER('{self.header_key}')"
        return text


@dataclass(slots=True)
class Source:
    """A stream or table: columns, topic, formats and the statement that made it."""

    name: str
    kind: str  # STREAM or TABLE
    columns: tuple[Column, ...]
    topic: str
    key_format: str
    value_format: str
    statement: str
    timestamp_column: str | None = None
    timestamp_format: str | None = None  # a Java pattern for a STRING timestamp column
    is_source: bool = False
    materialized: bool = False  # a table a persistent query maintains (pull-queryable)
    windowed: str | None = None  # TUMBLING, HOPPING or SESSION
    window_size_ms: int | None = None
    value_delimiter: str = ","
    key_delimiter: str = ","
    wrap_single_value: bool | None = None
    read_queries: list[str] = field(default_factory=list)
    write_queries: list[str] = field(default_factory=list)

    @property
    def keys(self) -> tuple[Column, ...]:
        """The key columns, in order."""
        return tuple(c for c in self.columns if c.role == "KEY")

    @property
    def values(self) -> tuple[Column, ...]:
        """The value columns, in order."""
        return tuple(c for c in self.columns if c.role == "VALUE")

    @property
    def headers(self) -> tuple[Column, ...]:
        """The header columns, in order."""
        return tuple(c for c in self.columns if c.is_header)

    @property
    def key_count(self) -> int:
        """Key positions in a row: the key columns, plus WINDOWSTART and WINDOWEND if windowed."""
        return len(self.keys) + (2 if self.windowed else 0)

    def column(self, name: str) -> Column | None:
        """A column by its exact (case-sensitive) name."""
        for column in self.columns:
            if column.name == name:
                return column
        return None


def schema_text(columns: Sequence[Column]) -> str:
    """Columns as ksqlDB's LogicalSchema prints them: `` `K` STRING KEY, `V` INTEGER``."""
    return ", ".join(c.schema_text(mark_key=True) for c in columns)


def compatible_schema(result: Sequence[Column], sink: Sequence[Column]) -> bool:
    """Whether a query's result can be written to an existing sink (LogicalSchema's
    compatibleSchema): the same columns by name and role, in order, each of the sink's type or a
    decimal that fits it."""
    return len(result) == len(sink) and all(
        (r.name, r.role) == (s.name, s.role) and _fits(r.type, s.type)
        for r, s in zip(result, sink, strict=True)
    )


def _fits(given: SqlType, wanted: SqlType) -> bool:
    if isinstance(given, DecimalType) and isinstance(wanted, DecimalType):
        return given.scale <= wanted.scale and (
            given.precision - given.scale <= wanted.precision - wanted.scale
        )
    return given == wanted


@dataclass(slots=True)
class Metastore:
    """Sources and custom types by (upper-case or quoted) name."""

    sources: dict[str, Source] = field(default_factory=dict)
    types: dict[str, SqlType] = field(default_factory=dict)

    def source(self, name: str) -> Source | None:
        """A source by name."""
        return self.sources.get(name)

    def streams(self) -> list[Source]:
        """Every stream, by name."""
        return [s for _, s in sorted(self.sources.items()) if s.kind == "STREAM"]

    def tables(self) -> list[Source]:
        """Every table, by name."""
        return [s for _, s in sorted(self.sources.items()) if s.kind == "TABLE"]

    def alternatives(self, name: str, kind: str | None = None) -> str:
        """ksqlDB's hint after "... does not exist": the sources whose names differ from
        ``name`` only in case (of ``kind`` when given), or ``""``."""
        return alternatives(self.sources, name, kind)


def alternatives(sources: dict[str, Source], name: str, kind: str | None = None) -> str:
    """MetaStoreImpl.checkAlternatives over ``sources``."""
    found = sorted(
        (s for n, s in sources.items() if n.lower() == name.lower() and kind in (None, s.kind)),
        key=lambda s: s.name,
    )
    if not found:
        return ""
    quote = "Hint: wrap the source name in double quotes to make it case-sensitive."
    if len(found) == 1:
        only = found[0].name
        if any(c.islower() for c in only):
            return f'\nDid you mean "{only}"? {quote}'
        return f"\nDid you mean {only}? Hint: try removing double quotes from the source name."
    named = [f'"{s.name}" ({s.kind})' for s in found]
    listed = " or ".join(named) if len(named) == 2 else ", ".join(named[:-1]) + ", or " + named[-1]
    return f"\nDid you mean {listed}? {quote}"
