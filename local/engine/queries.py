"""Transient queries: planning a SELECT over one source, and running it as push or pull.

A plan is a pipeline of operators over records of the source's topic: deserialize key and value,
build the row (keys, values, headers, pseudocolumns), filter, project, limit. Push queries follow
the log as it grows; pull queries over streams stop at the end offsets seen at start; pull
queries over tables answer from the table's materialized state (latest row per key).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from ksqlpy.sql._nodes import KsqlDereference, KsqlSelect, KsqlStructAll

from ..storage import Record, UnknownTopicError
from ..wire import RowEncoder, http_error
from .convert import clause_integer, identifier_name
from .errors import KsqlStatementError
from .expr import Fn, Scope, Slot, compile_expr
from .metastore import Column, Source
from .serde import EmptyValueSerde, Serde, SerdeError, WindowedSerde, make_serde
from .types import BIGINT, BYTES, INTEGER, STRING, ArrayType, SqlType, StructType

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger("ksqlpy.local")

PSEUDO = (("ROWTIME", BIGINT), ("ROWPARTITION", INTEGER), ("ROWOFFSET", BIGINT))
PSEUDO_NAMES = frozenset(name for name, _ in PSEUDO)
WINDOW_BOUNDS = ("WINDOWSTART", "WINDOWEND")
HEADERS_TYPE = ArrayType("ARRAY", StructType("STRUCT", (("KEY", STRING), ("VALUE", BYTES))))
IDLE_WAIT_S = 1.0


def key_serde(source: Source) -> Serde:
    """The serde of a source's key columns (one JSON key column is written unwrapped)."""
    keys = source.keys
    serde = make_serde(
        source.key_format, keys, unwrapped=len(keys) == 1, delimiter=source.value_delimiter
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
        source.value_format, values, unwrapped=unwrapped, delimiter=source.value_delimiter
    )


@dataclass(slots=True)
class RowReader:
    """Turns records of a source's topic into rows laid out as :func:`source_scope` says."""

    source: Source
    keys: Serde = field(init=False)
    values: Serde = field(init=False)
    header_columns: tuple[Column, ...] = field(init=False)
    timestamp_index: int | None = field(init=False)

    def __post_init__(self) -> None:
        self.keys = key_serde(self.source)
        self.values = value_serde(self.source)
        self.header_columns = self.source.headers
        column = self.source.timestamp_column
        values = [c.name for c in self.source.values]
        keys = [c.name for c in self.source.keys]
        if column in values:
            self.timestamp_index = self.source.key_count + values.index(column)
        elif column in keys:
            self.timestamp_index = keys.index(column)
        else:
            self.timestamp_index = None

    def row(self, record: Record) -> list[Any] | None:
        """The row of a record, or ``None`` when it cannot be deserialized (it is skipped)."""
        try:
            row = self.keys.deserialize(record.key)
            row += self.values.deserialize(record.value)
        except SerdeError as exc:
            log.warning(
                "skipping record %s/%s@%s: %s", record.topic, record.partition, record.offset, exc
            )
            return None
        for column in self.header_columns:
            if column.role == "HEADERS":
                row.append([{"KEY": k, "VALUE": v} for k, v in record.headers])
            else:
                found = [v for k, v in record.headers if k == column.header_key]
                row.append(found[-1] if found else None)
        rowtime = record.timestamp
        if self.timestamp_index is not None:
            stamp = row[self.timestamp_index]
            if isinstance(stamp, dt.datetime):
                rowtime = (stamp - dt.datetime(1970, 1, 1)) // dt.timedelta(milliseconds=1)
            elif isinstance(stamp, int):
                rowtime = stamp
        row += (rowtime, record.partition, record.offset)
        return row

    def is_tombstone(self, record: Record) -> bool:
        """A table record whose value is null deletes its key."""
        return record.value is None


def source_scope(source: Source, alias: str | None, custom: dict[str, SqlType]) -> Scope:
    """The names of a source's rows: keys (and window bounds), values, headers, pseudocolumns."""
    qualifiers = frozenset({source.name} | ({alias} if alias else set()))
    slots = [Slot(c.name, c.type, qualifiers) for c in source.keys]
    if source.windowed:
        slots += [Slot(n, BIGINT, qualifiers) for n in WINDOW_BOUNDS]
    slots += [Slot(c.name, c.type, qualifiers) for c in source.values + source.headers]
    slots += [Slot(name, kind, qualifiers) for name, kind in PSEUDO]
    return Scope(slots, custom)


@dataclass(slots=True)
class Projection:
    """The output columns of a query: names, types and the functions computing them."""

    names: list[str]
    types: list[SqlType]
    fns: list[Fn]
    key_flags: list[bool]
    header_columns: list[Column | None]

    @classmethod
    def of(cls, outputs: Sequence[Any]) -> Projection:
        """The projection of a pipeline's outputs (objects with ``name``, ``type``, ``fn``)."""
        return cls(
            [o.name for o in outputs],
            [o.type for o in outputs],
            [o.fn for o in outputs],
            [False] * len(outputs),
            [None] * len(outputs),
        )

    def apply(self, row: Sequence[Any]) -> list[Any]:
        """The output row."""
        return [fn(row) for fn in self.fns]


def _getter(index: int) -> Fn:
    return lambda row: row[index]


def plan_projection(
    select: KsqlSelect, source: Source, scope: Scope, pull_table: bool
) -> Projection:
    """Resolve ``SELECT`` items to named, typed output columns (``*`` expands to keys+values)."""
    names: list[str] = []
    types: list[SqlType] = []
    fns: list[Fn] = []
    keys: list[bool] = []
    headers: list[Column | None] = []
    bounds = tuple(Column(n, BIGINT, "KEY") for n in WINDOW_BOUNDS) if source.windowed else ()
    # SELECT * gives keys (and window bounds), values, then headers, as the rows hold them.
    star = source.keys + bounds + source.values + source.headers
    layout = [c.name for c in star]
    synthetic = 0
    for item in select.expressions:
        if (
            isinstance(item, exp.Star)
            or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star))
            or isinstance(item, KsqlStructAll)
        ):
            for column in star:
                names.append(column.name)
                types.append(column.type)
                fns.append(_getter(layout.index(column.name)))
                keys.append(column.role == "KEY")
                headers.append(column if column.role in ("HEADER", "HEADERS") else None)
            continue
        node = item.this if isinstance(item, exp.Alias) else item
        fn, kind = compile_expr(node, scope)
        if isinstance(item, exp.Alias):
            name = identifier_name(item.args["alias"])
        elif isinstance(node, exp.Column):
            name = identifier_name(node.this)
        elif isinstance(node, KsqlDereference):
            name = identifier_name(node.expression)
        else:
            name = f"KSQL_COL_{synthetic}"
            synthetic += 1
        if name in names:
            raise KsqlStatementError(f"Duplicate value columns found in schema: `{name}` {kind}")
        names.append(name)
        types.append(kind)
        fns.append(fn)
        direct = None
        if isinstance(node, exp.Column):
            wanted = identifier_name(node.this)
            direct = next((c for c in star if c.name == wanted), None)
        keys.append(direct is not None and direct.role == "KEY")
        is_header = direct is not None and direct.role in ("HEADER", "HEADERS")
        headers.append(direct if is_header else None)
    return Projection(names, types, fns, keys, headers)


@dataclass(slots=True)
class QueryPlan:
    """A planned transient query: what to read, how to filter and project, and when to stop."""

    sql: str
    source: Source
    reader: RowReader
    where: Fn | None
    projection: Projection
    limit: int | None
    push: bool
    pipeline: Any = None  # a persistent.QueryPipeline for GROUP BY queries
    where_node: exp.Expression | None = None

    def header_v1(self, query_id: str) -> dict[str, Any]:
        """The StreamedRow header (KEY marked on pull queries over tables)."""
        mark = not self.push and self.source.kind == "TABLE"
        parts: list[Any] = []
        projection = self.projection
        for name, kind, is_key, header in zip(
            projection.names,
            projection.types,
            projection.key_flags,
            projection.header_columns,
            strict=True,
        ):
            text = f"`{name}` {kind}" + (" KEY" if mark and is_key else "")
            if header is not None:
                text = f"`{name}` {kind} " + header.schema_text(mark_key=False).split(" ", 2)[2]
            parts.append((0 if mark and is_key else 1 if header is not None else 2, text))
        # ksqlDB prints a schema by namespace: keys, then headers, then values.
        parts = [text for _, text in sorted(parts, key=lambda part: part[0])]
        return {"queryId": query_id, "schema": ", ".join(parts)}

    def header_plain(self, query_id: str) -> dict[str, Any]:
        """The ``/query-stream`` header object."""
        return {
            "queryId": query_id,
            "columnNames": list(self.projection.names),
            "columnTypes": [str(t) for t in self.projection.types],
        }


def _plan_join(engine: Engine, select: KsqlSelect, sql: str, push: bool) -> QueryPlan:
    from .join import JoinPipeline, join_sources

    sources = join_sources(engine.metastore.sources, select)
    pipeline = JoinPipeline(select, sources, engine.metastore.types)
    projection = Projection.of(pipeline.outputs)
    limit = None
    if select.args.get("limit") is not None:
        limit = clause_integer(select.args["limit"].expression.name, "LIMIT")
    return QueryPlan(
        sql, sources[0][0], RowReader(sources[0][0]), None, projection, limit, push, pipeline
    )


def compile_where(node: exp.Expression, scope: Scope, pull: bool) -> Fn:
    """Compile a WHERE clause; an unknown column is reported as ksqlDB words it there."""
    try:
        return compile_expr(node, scope)[0]
    except KsqlStatementError as exc:
        missing = re.fullmatch(r"Column '(?:[^.']*\.)?([^']*)' cannot be resolved\.", exc.message)
        if missing is None:
            raise
        if pull:
            raise KsqlStatementError(
                f"WHERE column '{missing.group(1)}' cannot be resolved."
            ) from exc
        raise KsqlStatementError(
            f"Error in WHERE expression: Unknown column {missing.group(1)}."
        ) from exc


def plan_select(engine: Engine, select: KsqlSelect, sql: str) -> QueryPlan:
    """Plan a transient ``SELECT`` over a single source."""
    push = select.args.get("emit") is not None
    if not push:
        _check_pull(select)
    if select.args.get("joins"):
        return _plan_join(engine, select, sql, push)
    if select.args.get("partition_by"):
        raise KsqlStatementError(
            "PARTITION BY in transient queries is not supported by the ksqlpy local server yet."
        )
    from_ = select.args.get("from_")
    if from_ is None or not isinstance(from_.this, exp.Table):
        raise KsqlStatementError("A query needs FROM <stream or table>.")
    table = from_.this
    name = identifier_name(table.this)
    source = engine.metastore.source(name)
    if source is None:
        raise KsqlStatementError(f"{name} does not exist.")
    alias = identifier_name(table.args["alias"].this) if table.args.get("alias") else None
    pull_table = not push and source.kind == "TABLE"
    scope = source_scope(source, alias, engine.metastore.types)
    where = None
    if select.args.get("where") is not None:
        where = compile_where(select.args["where"].this, scope, pull=not push)
    from .persistent import QueryPipeline, is_grouped

    pipeline = None
    if is_grouped(select):
        pipeline = QueryPipeline(select, source, alias, engine.metastore.types)
        projection = Projection.of(pipeline.outputs)
    else:
        projection = plan_projection(select, source, scope, pull_table)
    if pull_table and not (source.is_source or source.materialized):
        raise KsqlStatementError(
            f"The `{source.name}` table isn't queryable. To derive a queryable table, you can do "
            f"'CREATE TABLE QUERYABLE_{source.name} AS SELECT * FROM {source.name}'. See "
            "https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue a "
            "push query."
        )
    limit = None
    if select.args.get("limit") is not None:
        limit = clause_integer(select.args["limit"].expression.name, "LIMIT")
        if limit < 0:
            raise KsqlStatementError("LIMIT must not be negative")
    where_node = select.args["where"].this if select.args.get("where") is not None else None
    return QueryPlan(
        sql, source, RowReader(source), where, projection, limit, push, pipeline, where_node
    )


PULL_HINT = (
    " See https://cnfl.io/queries for more info.\n"
    "Add EMIT CHANGES if you intended to issue a push query."
)


def _check_pull(select: KsqlSelect) -> None:
    """ksqlDB's refusals of what pull queries cannot do, with its messages."""
    for clause, label in (("joins", "JOIN"), ("group", "GROUP BY"), ("window", "WINDOW")):
        if select.args.get(clause):
            raise KsqlStatementError(f"Pull queries don't support {label} clauses.{PULL_HINT}")
    limit = select.args.get("limit")
    if limit is not None and limit.expression.name.startswith("-"):
        raise KsqlStatementError(
            "Pull queries don't support negative integers in the LIMIT clause. "
            "See https://cnfl.io/queries for more info."
        )
    where = select.args.get("where")
    for label, nodes in (("SELECT", select.expressions), ("WHERE", [where] if where else [])):
        used = sorted(
            {
                identifier_name(column.this)
                for node in nodes
                for column in node.find_all(exp.Column)
                if identifier_name(column.this) in ("ROWPARTITION", "ROWOFFSET")
            }
        )
        if used:
            names = ", ".join(f"`{n}`" for n in used)
            raise KsqlStatementError(
                f"Pull queries don't support the following columns in {label} clauses: {names}"
            )


def key_lookups(where: exp.Expression | None, source: Source) -> list[tuple[Any, ...]] | None:
    """The keys a WHERE pins down (``K = 1`` or ``K IN (1, 2)`` per key column), else None.

    With them a pull query reads those rows of the table's state instead of scanning it; the
    full WHERE still filters what is found.
    """
    if where is None:
        return None
    conjuncts: list[exp.Expression] = [
        c
        for c in (where.flatten() if isinstance(where, exp.And) else [where])
        if isinstance(c, exp.Expression)
    ]
    per_key: list[list[Any]] = []
    for column in source.keys:
        values = None
        for node in conjuncts:
            found = _pinned(node, column)
            if found is not None:
                values = found
                break
        if values is None:
            return None
        per_key.append(values)
    combos: list[tuple[Any, ...]] = [()]
    for values in per_key:
        combos = [(*c, v) for c in combos for v in values]
    return combos


def _pinned(node: exp.Expression, column: Column) -> list[Any] | None:
    """The constant values a predicate gives a key column, or None if it gives none."""
    from .convert import CoercionError, coerce, hashable

    def constant(value_node: exp.Expression) -> Any:
        fn, _ = compile_expr(value_node, Scope([]))
        return hashable(coerce(fn([]), column.type, lenient=True))

    def is_key(side: exp.Expression) -> bool:
        return isinstance(side, exp.Column) and identifier_name(side.this) == column.name

    try:
        if isinstance(node, exp.EQ):
            if is_key(node.this) and not node.expression.find(exp.Column):
                return [constant(node.expression)]
            if is_key(node.expression) and not node.this.find(exp.Column):
                return [constant(node.this)]
        if isinstance(node, exp.In) and is_key(node.this):
            if any(e.find(exp.Column) for e in node.expressions):
                return None
            return [constant(e) for e in node.expressions]
    except (KsqlStatementError, CoercionError, ValueError, TypeError):
        return None
    return None


def transient_id(source: Source) -> str:
    """``transient_<SOURCE>_<non-negative long>``, as ksqlDB names transient queries."""
    return f"transient_{source.name}_{random.getrandbits(63)}"


class RunningQuery:
    """A push query (or a pull query over a stream) following a topic's partitions."""

    buffered = False

    def __init__(
        self,
        engine: Engine,
        plan: QueryPlan,
        query_id: str,
        from_beginning: bool,
        until_end: bool,
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.query_id = query_id
        self.header_v1 = plan.header_v1(query_id)
        self.header_plain = plan.header_plain(query_id)
        self.encoder = RowEncoder(plan.projection.types)
        self.final_message: str | None = None
        self.emitted = 0
        self.started = time.time()
        self._closed = asyncio.Event()
        self._done = False
        topic = plan.source.topic
        ends = engine.log.end_offsets(topic)
        self.positions = [0] * len(ends) if from_beginning else list(ends)
        self.stop_at = list(ends) if until_end else None
        self.is_table = plan.source.kind == "TABLE"
        self.table_push = plan.push and self.is_table

    def close(self) -> None:
        """Stop the query; its stream ends (``Query Completed`` on the v1 framing)."""
        if not self._closed.is_set():
            self._closed.set()
            if self.final_message is None and not self._done:
                self.final_message = "Query Completed"
        self.engine.forget_query(self.query_id)

    @property
    def closed(self) -> bool:
        """Whether the query was closed."""
        return self._closed.is_set()

    def _collect(self, limit: int) -> tuple[list[list[Any]], list[bool]]:
        plan, log_ = self.plan, self.engine.log
        rows: list[list[Any]] = []
        tombstones: list[bool] = []
        remaining = None if plan.limit is None else plan.limit - self.emitted
        for partition, start in enumerate(self.positions):
            position = start
            end = self.stop_at[partition] if self.stop_at is not None else None
            while len(rows) < limit and (remaining is None or len(rows) < remaining):
                want = limit - len(rows)
                if end is not None:
                    want = min(want, end - position)
                    if want <= 0:
                        break
                records = log_.read(plan.source.topic, partition, position, want)
                if not records:
                    break
                for record in records:
                    position = record.offset + 1
                    # Streams ignore records without a value; tables those without a key.
                    if record.value is None and not self.table_push:
                        continue
                    if record.key is None and self.is_table:
                        continue
                    row = plan.reader.row(record)
                    if row is None:
                        continue
                    tombstone = self.table_push and record.value is None
                    if plan.pipeline is not None:
                        if tombstone or (plan.where is not None and plan.where(row) is not True):
                            continue
                        for change in plan.pipeline.aggregator.process(row, row[-3]):
                            out, gone = plan.pipeline.project_change(change)
                            rows.append(out)
                            tombstones.append(gone)
                        continue
                    if not tombstone and plan.where is not None and plan.where(row) is not True:
                        continue
                    rows.append(plan.projection.apply(row))
                    tombstones.append(tombstone)
                    if remaining is not None and len(rows) >= remaining:
                        break
            self.positions[partition] = position
        return rows, tombstones

    async def next_batch(self, limit: int) -> tuple[list[list[Any]], list[bool] | None] | None:
        """Rows ready now, waiting for new records if there are none; ``None`` at the end."""
        plan, log_ = self.plan, self.engine.log
        while True:
            if self._done or self._closed.is_set():
                return None
            topics = self._watched()
            versions = [log_.version(t) for t in topics]
            try:
                rows, tombstones = self._collect(limit)
            except UnknownTopicError:
                raise http_error(50000, f"Topic {plan.source.topic} was deleted") from None
            self.emitted += len(rows)
            if plan.limit is not None and self.emitted >= plan.limit:
                self.final_message = "Limit Reached"
                self._done = True
            elif self.stop_at is not None and self.positions >= self.stop_at:
                self.final_message = "Query Completed"
                self._done = True
            if rows:
                return rows, (tombstones if any(tombstones) else None)
            if self._done:
                return None
            tasks = [
                asyncio.ensure_future(log_.wait(t, v, IDLE_WAIT_S))
                for t, v in zip(topics, versions, strict=True)
            ]
            tasks.append(asyncio.ensure_future(self._closed.wait()))
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    def _watched(self) -> list[str]:
        """The topics whose new records this query waits for."""
        return [self.plan.source.topic]


class JoinRunningQuery(RunningQuery):
    """A push query over a two-way join: both inputs followed, records taken by timestamp."""

    def __init__(
        self, engine: Engine, plan: QueryPlan, query_id: str, from_beginning: bool
    ) -> None:
        super().__init__(engine, plan, query_id, from_beginning, until_end=False)
        pipeline = plan.pipeline
        self.inputs = [pipeline.left.source, pipeline.right.source]
        self.join_positions = []
        for source in self.inputs:
            ends = engine.log.end_offsets(source.topic)
            self.join_positions.append([0] * len(ends) if from_beginning else list(ends))

    def _watched(self) -> list[str]:
        return [s.topic for s in self.inputs]

    def _collect(self, limit: int) -> tuple[list[list[Any]], list[bool]]:
        from .join import drain, ordered

        plan = self.plan
        pipeline = plan.pipeline
        batches = drain(self.engine.log, self.inputs, self.join_positions)
        rows: list[list[Any]] = []
        remaining = None if plan.limit is None else plan.limit - self.emitted
        for joined in pipeline.run(ordered(batches)):
            if joined.row is not None:
                rows.append([o.fn(joined.row) for o in pipeline.outputs])
        if remaining is not None:
            rows = rows[:remaining]
        return rows, [False] * len(rows)


class TablePullQuery:
    """A pull query over a SOURCE table: the latest row per key, filtered, all at once."""

    buffered = True

    def __init__(self, engine: Engine, plan: QueryPlan) -> None:
        self.plan = plan
        self.query_id = f"query_{int(time.time() * 1000)}"
        self.header_v1 = plan.header_v1(self.query_id)
        self.header_plain = plan.header_plain(self.query_id)
        self.encoder = RowEncoder(plan.projection.types)
        self.final_message: str | None = None
        state = engine.table_state(plan.source)
        keys = None if plan.source.windowed else key_lookups(plan.where_node, plan.source)
        candidates = state.values() if keys is None else [state[k] for k in keys if k in state]
        rows = []
        for row in candidates:
            if plan.where is not None and plan.where(row) is not True:
                continue
            rows.append(plan.projection.apply(row))
            if plan.limit is not None and len(rows) >= plan.limit:
                break
        self._rows: list[list[Any]] | None = rows

    def close(self) -> None:
        """Nothing runs in the background."""
        self._rows = None

    async def next_batch(self, limit: int) -> tuple[list[list[Any]], list[bool] | None] | None:
        """All rows at once, then the end."""
        rows, self._rows = self._rows, None
        return None if rows is None else (rows, None)


def running_entry(query: RunningQuery) -> dict[str, Any]:
    """The ``SHOW QUERIES`` entry of a transient push query."""
    return {
        "queryString": query.plan.sql,
        "sinks": [],
        "sinkKafkaTopics": [],
        "id": query.query_id,
        "statusCount": {"RUNNING": 1},
        "queryType": "PUSH",
        "state": "RUNNING",
    }


Callback = Callable[[], None]
