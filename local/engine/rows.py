"""Rows of a source: serde lookup, record -> row readers, the scope of names, WHERE compilation.

A row is laid out as :func:`source_scope` names it: keys (and window bounds), values, headers,
then the pseudocolumns ROWTIME, ROWPARTITION, ROWOFFSET.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp

from ..storage import Log, Pending, Record, partition_for
from . import functions
from .coercion import CoercionFailed
from .convert import CoercionError
from .errors import KsqlStatementError, QueryFailure
from .expr import Fn, Scope, Slot, compile_expr
from .metastore import Column, Source
from .operators import comparable, expression_text, string_as
from .planning_settings import planning_setting
from .processing_log import deserialization_error, record_processing_error
from .scope import unknown_column
from .serde import EmptyValueSerde, WindowedSerde, make_serde
from .serde_base import Serde, SerdeError
from .types import (
    BIGINT,
    BOOLEAN,
    BYTES,
    INTEGER,
    NULL_TYPE,
    STRING,
    ArrayType,
    SqlType,
    StructType,
)
from .udafs import is_aggregate

# What evaluating or writing one record can raise; the record is skipped, the query goes on.
RECORD_ERRORS: tuple[type[Exception], ...] = (
    ArithmeticError,
    AttributeError,
    LookupError,
    TypeError,
    ValueError,
    SerdeError,
    CoercionError,
    KsqlStatementError,
)


def skip_record(query_id: str, record: Record, error: Exception) -> None:
    """Write a failed record to the processing log (it is skipped, as ksqlDB skips it)."""
    record_processing_error(
        f"{query_id}: skipping record {record.topic}/{record.partition}@{record.offset}: "
        f"{type(error).__name__}",
        error,
    )


PSEUDO = (("ROWTIME", BIGINT), ("ROWPARTITION", INTEGER), ("ROWOFFSET", BIGINT))
PSEUDO_NAMES = frozenset(name for name, _ in PSEUDO)
WINDOW_BOUNDS = ("WINDOWSTART", "WINDOWEND")
HEADERS_TYPE = ArrayType("ARRAY", StructType("STRUCT", (("KEY", STRING), ("VALUE", BYTES))))


def key_serde(source: Source) -> Serde:
    """The serde of a source's key columns (one JSON key column is written unwrapped)."""
    keys = source.keys
    serde = make_serde(
        source.key_format, keys, unwrapped=len(keys) == 1, delimiter=source.key_delimiter
    )
    if source.windowed:
        return WindowedSerde(serde, source.windowed, source.window_size_ms)
    return serde


def value_serde(source: Source) -> Serde:
    """The serde of a source's value columns."""
    values = source.values
    if not values:
        return EmptyValueSerde(source.value_format)
    unwrapped = source.wrap_single_value is False and len(values) == 1
    return make_serde(
        source.value_format,
        values,
        unwrapped=unwrapped,
        delimiter=source.value_delimiter,
        key=False,
    )


@dataclass(slots=True)
class RowReader:
    """Turns records of a source's topic into rows laid out as :func:`source_scope` says."""

    source: Source
    keys: Serde = field(init=False)
    values: Serde = field(init=False)
    header_columns: tuple[Column, ...] = field(init=False)
    timestamp_index: int | None = field(init=False)
    # ksql.timestamp.throw.on.invalid as the query was built: a time that cannot be extracted
    # fails the query instead of skipping the record (LoggingTimestampExtractor).
    throw_on_invalid: bool = field(init=False)

    def __post_init__(self) -> None:
        setting = planning_setting("ksql.timestamp.throw.on.invalid")
        self.throw_on_invalid = (setting or "false").lower() == "true"
        self.keys = key_serde(self.source)
        self.values = value_serde(self.source)
        self.header_columns = self.source.headers
        column = self.source.timestamp_column
        values = [c.name for c in self.source.values]
        keys = [c.name for c in self.source.keys]
        if column in values:  # key_count covers the window bounds of a windowed source
            self.timestamp_index = self.source.key_count + values.index(column)
        elif column in keys:
            self.timestamp_index = keys.index(column)
        else:
            self.timestamp_index = None

    def row(self, record: Record) -> list[Any] | None:
        """The row of a record, or ``None`` when it cannot be deserialized (it is skipped)."""
        try:
            row = self.keys.deserialize(record.key)
        except SerdeError as exc:
            deserialization_error(record, exc, is_key=True)
            return None
        try:
            row += self.values.deserialize(record.value)
        except SerdeError as exc:
            deserialization_error(record, exc, is_key=False)
            return None
        for column in self.header_columns:
            if column.role == "HEADERS":
                row.append([{"KEY": k, "VALUE": v} for k, v in record.headers])
            else:
                found = [v for k, v in record.headers if k == column.header_key]
                row.append(found[-1] if found else None)
        rowtime: int | None = record.timestamp
        if self.timestamp_index is not None and (
            record.value is not None or self.timestamp_index < self.source.key_count
        ):
            raw = row[self.timestamp_index]
            extracted = extracted_time(raw, self.source.timestamp_format)
            rowtime = None if extracted is None or extracted < 0 else extracted
            if extracted is None and self.throw_on_invalid:
                # Only a failing extraction throws: a negative time is returned, then skipped.
                raise QueryFailure(
                    "org.apache.kafka.streams.errors.StreamsException: Fatal user code error in "
                    f"TimestampExtractor callback for record {record.topic}/{record.partition}@"
                    f"{record.offset}.\nCaused by: invalid timestamp {raw!r} in "
                    f"{self.source.timestamp_column}"
                )
            if rowtime is None:
                # ksqlDB's timestamp extractor logs and skips a record without a valid time.
                record_processing_error(
                    f"Failed to extract timestamp from row: skipping record {record.topic}/"
                    f"{record.partition}@{record.offset}: invalid timestamp "
                    f"{row[self.timestamp_index]!r} in {self.source.timestamp_column}",
                    None,
                    row,
                )
                return None
        row += (rowtime, record.partition, record.offset)
        return row

    def is_tombstone(self, record: Record) -> bool:
        """A table record whose value is null deletes its key."""
        return record.value is None


def extracted_time(value: Any, pattern: str | None) -> int | None:
    """What ksqlDB's timestamp extractor makes of a TIMESTAMP column's value, as epoch millis
    (maybe negative): BIGINT as is, TIMESTAMP converted, STRING parsed with the
    TIMESTAMP_FORMAT pattern; None where the extractor throws (NULL, unparsable)."""
    if isinstance(value, dt.datetime):
        millis: Any = (value - dt.datetime(1970, 1, 1)) // dt.timedelta(milliseconds=1)
    elif isinstance(value, str) and pattern:
        try:
            millis = functions.lookup("STRINGTOTIMESTAMP", 2).call(value, pattern)
        except (KsqlStatementError, ValueError):
            return None
    else:
        millis = value
    if isinstance(millis, bool) or not isinstance(millis, int):
        return None
    return millis


def record_time(value: Any, pattern: str | None) -> int | None:
    """A TIMESTAMP column's value as epoch millis; None when it is not a valid (non-negative)
    time."""
    millis = extracted_time(value, pattern)
    return None if millis is None or millis < 0 else millis


def sink_time(
    sink: Source, keys: Sequence[Any], values: Sequence[Any] | None, rowtime: int
) -> int | None:
    """A result record's time: its sink's TIMESTAMP column when it has one (None when that
    holds no valid time, and the record is skipped), else the input's time."""
    column = sink.timestamp_column
    if column is None:
        return rowtime
    key_names = [c.name for c in sink.keys]
    if column in key_names:
        return record_time(keys[key_names.index(column)], sink.timestamp_format)
    if values is None:
        return rowtime
    value_names = [c.name for c in sink.values]
    return record_time(values[value_names.index(column)], sink.timestamp_format)


def source_scope(source: Source, alias: str | None, custom: dict[str, SqlType]) -> Scope:
    """The names of a source's rows: keys (and window bounds), values, headers, pseudocolumns."""
    qualifiers = frozenset({source.name} | ({alias} if alias else set()))
    slots = [Slot(c.name, c.type, qualifiers) for c in source.keys]
    if source.windowed:
        slots += [Slot(n, BIGINT, qualifiers) for n in WINDOW_BOUNDS]
    slots += [Slot(c.name, c.type, qualifiers) for c in source.values + source.headers]
    slots += [Slot(name, kind, qualifiers) for name, kind in PSEUDO]
    return Scope(slots, custom)


def compile_where(node: exp.Expression, scope: Scope, pull: bool) -> Fn:
    """Compile a WHERE clause; an unknown column is reported as ksqlDB words it there."""
    try:
        # ksqlDB types an aggregate's arguments before it looks the function up, so an unknown
        # column among them is what it reports (ExpressionTypeManager.visitFunctionCall).
        for call in node.find_all(exp.Anonymous):
            if is_aggregate(call):
                for arg in call.expressions:
                    if not isinstance(arg, exp.Star):
                        compile_expr(arg, scope)
        fn, kind = compile_expr(node, scope)
    except CoercionFailed as exc:
        raise KsqlStatementError(f"Invalid Predicate: {exc.message}") from exc
    except KsqlStatementError as exc:
        if exc.message.startswith("Error processing expression"):
            # ExpressionTypeManager's type errors, as ksqlDB's FilterTypeValidator wraps them.
            raise KsqlStatementError(f"Error in WHERE expression: {exc.message}") from exc
        missing = unknown_column(exc)
        if missing is None:
            raise
        # Only a window bound, which a windowed aggregation's WHERE cannot see yet (it runs
        # before the window), gets ksqlDB's older wording.
        if pull or missing.name not in WINDOW_BOUNDS:
            raise KsqlStatementError(
                f"{missing.at}WHERE column '{missing.name}' cannot be resolved."
            ) from exc
        raise KsqlStatementError(
            f"Error in WHERE expression: Unknown column {missing.name}."
        ) from exc
    if kind not in (BOOLEAN, NULL_TYPE):
        raise KsqlStatementError(
            "Type error in WHERE expression: Should evaluate to boolean but is "
            f"{expression_text(node)} ({kind}) instead."
        )
    if pull:
        _check_between(node, scope)
    return fn


def _check_between(node: exp.Expression, scope: Scope) -> None:
    """ksqlDB's pull queries interpret ``v BETWEEN a AND b`` as ``v >= a AND v <= b``
    (TermCompiler), and check those comparisons' types there: ``Invalid expression``."""
    for between in node.find_all(exp.Between):
        value, (_, kind) = between.this, compile_expr(between.this, scope)
        for end, name in (("low", "GREATER_THAN_OR_EQUAL"), ("high", "LESS_THAN_OR_EQUAL")):
            bound = between.args[end]
            bound_fn, bound_kind = compile_expr(bound, scope)
            _, bound_kind = string_as(value, kind, bound, bound_fn, bound_kind)
            if not comparable(kind, bound_kind, equality=False):
                raise KsqlStatementError(
                    f"Invalid expression: Cannot compare {expression_text(value)} ({kind}) to "
                    f"{expression_text(bound)} ({bound_kind}) with {name}."
                )


def windowed_partitions(log: Log, sink: Source, outputs: list[Pending]) -> list[Pending]:
    """Place the sink's windowed records by their key without its window bytes, as Kafka
    Streams' WindowedStreamPartitioner does: every window of a key lands in one partition."""
    info = log.topic(sink.topic)
    if info is None:
        return outputs
    suffix = 16 if sink.windowed == "SESSION" else 8
    return [
        replace(p, partition=partition_for(p.key[:-suffix], info.partitions))
        if p.topic == sink.topic and p.partition is None and p.key is not None
        else p
        for p in outputs
    ]
