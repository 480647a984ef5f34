"""Transient queries: running a planned SELECT as push or pull.

Push queries follow the log as it grows; pull queries over streams stop at the end offsets seen
at start; pull queries over tables answer from the table's materialized state (latest row per
key).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from ..storage import Log, Record, UnknownTopicError
from .convert import CoercionError, coerce, hashable, identifier_name
from .errors import EngineError, KsqlStatementError, QueryFailure
from .expr import Scope, compile_expr
from .join import drain, ordered
from .metastore import Column, Source
from .planner import QueryPlan
from .rows import RECORD_ERRORS, skip_record

IDLE_WAIT_S = 1.0


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
        log: Log,
        plan: QueryPlan,
        query_id: str,
        from_beginning: bool,
        until_end: bool,
        on_close: Callable[[str], None],
        scalable: bool = False,
    ) -> None:
        self.log = log
        self.on_close = on_close
        self.plan = plan
        self.query_id = query_id
        self.header_v1 = plan.header_v1(query_id)
        self.header_plain = plan.header_plain(query_id)
        self.column_types = plan.projection.types
        self.final_message: str | None = None
        self.emitted = 0
        self.started = time.time()
        self._closed = asyncio.Event()
        self._done = False
        topic = plan.source.topic
        ends = log.end_offsets(topic)
        self.positions = [0] * len(ends) if from_beginning else list(ends)
        self.stop_at = list(ends) if until_end else None
        self.is_table = plan.source.kind == "TABLE"
        self.table_push = plan.push and self.is_table
        # A scalable push query drops records without a value, or without the key its source
        # has (ScalablePushConsumer.handleRow).
        self.scalable = scalable

    def close(self) -> None:
        """Stop the query; its stream ends (``Query Completed`` on the v1 framing)."""
        if not self._closed.is_set():
            self._closed.set()
            if self.final_message is None and not self._done:
                self.final_message = "Query Completed"
        self.on_close(self.query_id)

    @property
    def _keyed_scalable(self) -> bool:
        return self.scalable and bool(self.plan.source.keys)

    @property
    def closed(self) -> bool:
        """Whether the query was closed."""
        return self._closed.is_set()

    def _collect(self, limit: int) -> tuple[list[list[Any]], list[bool]]:
        plan, log_ = self.plan, self.log
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
                    if record.value is None and (self.scalable or not self.table_push):
                        continue
                    if record.key is None and (self.is_table or self._keyed_scalable):
                        continue
                    try:
                        self._take(record, rows, tombstones)
                    except RECORD_ERRORS as error:
                        skip_record(self.query_id, record, error)
                    if remaining is not None and len(rows) >= remaining:
                        break
            self.positions[partition] = position
        return rows, tombstones

    def _take(self, record: Record, rows: list[list[Any]], tombstones: list[bool]) -> None:
        """Add what one record gives to the batch (filtered, projected or aggregated)."""
        plan = self.plan
        row = plan.reader.row(record)
        if row is None:
            return
        tombstone = self.table_push and record.value is None
        if plan.pipeline is not None:
            if tombstone or (plan.where is not None and plan.where(row) is not True):
                return
            for change in plan.pipeline.aggregator.process(row, row[-3]):
                out, gone = plan.pipeline.project_change(change)
                rows.append(out)
                tombstones.append(gone)
            return
        if not tombstone and plan.where is not None and plan.where(row) is not True:
            return
        for out in plan.projection.apply_all(row):
            rows.append(out)
            tombstones.append(tombstone)

    async def next_batch(self, limit: int) -> tuple[list[list[Any]], list[bool] | None] | None:
        """Rows ready now, waiting for new records if there are none; ``None`` at the end."""
        plan, log_ = self.plan, self.log
        while True:
            if self._done or self._closed.is_set():
                return None
            topics = self._watched()
            versions = [log_.version(t) for t in topics]
            try:
                rows, tombstones = self._collect(limit)
            except UnknownTopicError:
                raise EngineError(f"Topic {plan.source.topic} was deleted", 50000) from None
            except QueryFailure as failure:  # the query's stream thread dies: the query ends
                raise EngineError(failure.message, 50000) from None
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
    """A push query over a join: all inputs followed, records taken by timestamp."""

    def __init__(
        self,
        log: Log,
        plan: QueryPlan,
        query_id: str,
        from_beginning: bool,
        on_close: Callable[[str], None],
    ) -> None:
        super().__init__(log, plan, query_id, from_beginning, False, on_close)
        pipeline = plan.pipeline
        self.inputs = pipeline.sources
        self.join_positions = []
        for source in self.inputs:
            ends = log.end_offsets(source.topic)
            self.join_positions.append([0] * len(ends) if from_beginning else list(ends))

    def _watched(self) -> list[str]:
        return [s.topic for s in self.inputs]

    def _collect(self, limit: int) -> tuple[list[list[Any]], list[bool]]:
        plan = self.plan
        pipeline = plan.pipeline
        batches = drain(self.log, self.inputs, self.join_positions)
        rows: list[list[Any]] = []
        remaining = None if plan.limit is None else plan.limit - self.emitted
        stage = pipeline.post
        for joined in pipeline.run(ordered(batches, pipeline.event_time, pipeline.tables)):
            if joined.row is None:
                continue
            if stage is None:
                rows.append([o.fn(joined.row) for o in pipeline.outputs])
                continue
            # An aggregation of a join reads the join's result as its source.
            aggregation = stage.pipeline
            row = stage.row(joined.row, joined.key, joined.rowtime)
            if aggregation.where is not None and aggregation.where(row) is not True:
                continue
            for change in aggregation.aggregator.process(row, joined.rowtime):
                rows.append(aggregation.project_change(change)[0])
        if remaining is not None:
            rows = rows[:remaining]
        return rows, [False] * len(rows)


class TablePullQuery:
    """A pull query over a SOURCE table: the latest row per key, filtered, all at once."""

    buffered = True

    def __init__(
        self,
        plan: QueryPlan,
        state: dict[tuple[Any, ...], list[Any]],
        place: Callable[[tuple[Any, ...]], tuple[int, bytes]],
    ) -> None:
        self.plan = plan
        self.query_id = f"query_{int(time.time() * 1000)}"
        self.header_v1 = plan.header_v1(self.query_id)
        self.header_plain = plan.header_plain(self.query_id)
        self.column_types = plan.projection.types
        self.final_message: str | None = None
        keys = None if plan.source.windowed else key_lookups(plan.where_node, plan.source)
        if keys is None:
            # A scan of ksqlDB's state store (KsMaterializedTableIQv2) goes partition by
            # partition, each in RocksDB's order of the serialized key bytes: what LIMIT keeps.
            keys = sorted(state, key=place)
        candidates = [state[k] for k in keys if k in state]
        rows = []
        for row in candidates:
            if plan.where is not None and plan.where(row) is not True:
                continue
            rows += plan.projection.apply_all(row)
            if plan.limit is not None and len(rows) >= plan.limit:
                del rows[plan.limit :]
                break
        self._rows: list[list[Any]] | None = rows

    def close(self) -> None:
        """Nothing runs in the background."""
        self._rows = None

    async def next_batch(self, limit: int) -> tuple[list[list[Any]], list[bool] | None] | None:
        """All rows at once, then the end."""
        rows, self._rows = self._rows, None
        return None if rows is None else (rows, None)
