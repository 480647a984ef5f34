"""Join operators: the steps of a planned join (:mod:`.joinplan`) fed records in order.

Each step behaves as the Kafka Streams processor ksqlDB builds for it:

* stream-stream (``KStreamKStreamJoin``): each side keeps a window store whose retention is the
  window's size plus its grace, counted from the latest time that side has seen; a record too
  old for its store is not kept, and the other side's expired records are not matched. Without
  ``GRACE PERIOD`` (``JoinWindows.of``) a LEFT/RIGHT/FULL record without a match is emitted
  with NULLs at once; with it, such a record waits until its window closes (its time + the
  window's reach + grace passes the stream time both sides share) and is emitted then, unless a
  match came meanwhile. A record whose window has already closed is emitted at once.
* stream-table (``KStreamKTableJoin``): a stream record looks up the table's current row.
* table-table on the primary key (``KTableKTable*Join``): a change of either side re-emits the
  joined row, or a tombstone when the row of the result goes away.
* foreign-key table-table: a left row joins the right row whose key its join expression
  gives; the result is keyed by the left row's key, and a right change re-emits every left row
  that refers to it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ksqlpy.sql.nodes import KsqlSelect

from ..storage import Log, Record
from .convert import hashable
from .joininputs import Input
from .joinoutputs import check_reserved, join_outputs, validate_join_key
from .joinplan import DEFAULT_GRACE_MS, JoinPlan, Step
from .joinstage import JoinedSource
from .metastore import Source
from .persistent import is_grouped
from .rows import WINDOW_BOUNDS
from .types import SqlType


@dataclass(slots=True)
class Change:
    """A record between join steps: a full-width joined row (None: a tombstone) and its key."""

    row: list[Any] | None
    key: Any
    rowtime: int
    window: Any = None  # (start, end) of a windowed input's record: keys match per window


@dataclass(slots=True)
class Joined:
    """One result record of a join, before projection."""

    row: list[Any] | None  # None: a tombstone (table-table)
    rowtime: int
    key: Any
    headers: tuple[tuple[str, bytes | None], ...] = ()  # of the input record that joined


class _Operator:
    """The state of one join step."""

    def __init__(self, step: Step, plan: JoinPlan) -> None:
        self.step = step
        right = plan.inputs[step.index]
        self.offset, self.span = right.offset, right.width
        self.width, self.key_slot = plan.width, plan.key_slot
        self.outer = {
            "INNER": (False, False),
            "LEFT": (True, False),
            "RIGHT": (False, True),
            "OUTER": (True, True),
        }[step.type]

    def merge(self, left: list[Any] | None, right: list[Any] | None, key: Any) -> list[Any]:
        """The joined row of a left and a right row (either missing: NULLs); the right row may
        be just its input's part (what table state keeps)."""
        row = list(left) if left is not None else [None] * self.width
        if right is not None:
            part = right if len(right) == self.span else self.part(right)
            row[self.offset : self.offset + self.span] = part
        row[self.key_slot] = key
        return row

    def part(self, row: list[Any]) -> list[Any]:
        """The right input's columns of a joined row."""
        return row[self.offset : self.offset + self.span]

    def key(self, side: int, change: Change) -> Any:
        """The join key of a record of one side (a repartition computes it anew)."""
        fn = self.step.left_key if side == 0 else self.step.right_key
        if fn is None:
            return change.key
        return fn(change.row) if change.row is not None else None

    def feed(self, side: int, change: Change) -> list[Change]:
        raise NotImplementedError


class _StreamStream(_Operator):
    def __init__(self, step: Step, plan: JoinPlan) -> None:
        super().__init__(step, plan)
        self.fix = step.grace is not None  # the spurious-result-free left/outer join
        grace = step.grace if step.grace is not None else max(DEFAULT_GRACE_MS - 2 * step.before, 0)
        self.grace = grace
        self.retention = step.before + step.after + grace
        # How far a record of each side reaches into the other's future.
        # ksqlDB runs a RIGHT join as the right stream's LEFT join with the same window, so
        # the window is seen from the right side: its before and after trade places.
        self.before, self.after = (
            (step.after, step.before) if step.type == "RIGHT" else (step.before, step.after)
        )
        self.reach = (self.after, self.before)
        self.stores: tuple[dict[Any, list[tuple[int, list[Any]]]], ...] = ({}, {})
        self.observed = [-(2**62), -(2**62)]
        self.stream_time = -(2**62)
        self.waiting: list[tuple[int, int, Any, Any, list[Any]]] = []  # ts, side, lookup, key, row

    def feed(self, side: int, change: Change) -> list[Change]:
        row = change.row
        if row is None:
            return []
        key = self.key(side, change)
        if key is None:
            # KIP-962: a LEFT/OUTER join keeps a record without a key, with NULLs at once.
            if not self.outer[side]:
                return []
            return [Change(self._padded(side, row, None), None, change.rowtime, change.window)]
        lookup = (hashable(key), change.window)
        time = change.rowtime
        self.stream_time = max(self.stream_time, time)
        self.observed[side] = max(self.observed[side], time)
        if time > self.observed[side] - self.retention:
            self.stores[side].setdefault(lookup, []).append((time, row))
        results: list[Change] = []
        if self.fix and time == self.stream_time:
            results += self._closed()
        other = 1 - side
        reach_back, reach_ahead = (
            (self.before, self.after) if side == 0 else (self.after, self.before)
        )
        low = max(time - reach_back, self.observed[other] - self.retention + 1)
        matches = [
            (t, r) for t, r in self.stores[other].get(lookup, []) if low <= t <= time + reach_ahead
        ]
        matches.sort(key=lambda m: m[0])
        for other_time, other_row in matches:
            if self.fix:
                self.waiting = [
                    w
                    for w in self.waiting
                    if not (w[1] == other and w[2] == lookup and w[0] == other_time)
                ]
            left, right = (row, other_row) if side == 0 else (other_row, row)
            joined = self.merge(left, right, key)
            results.append(Change(joined, key, max(time, other_time), change.window))
        if not matches and self.outer[side]:
            if not self.fix or time + reach_ahead < self.stream_time:
                results.append(Change(self._padded(side, row, key), key, time, change.window))
            else:
                self.waiting.append((time, side, lookup, key, row))
                self.waiting.sort(key=lambda w: w[0])
        return results

    def _padded(self, side: int, row: list[Any], key: Any) -> list[Any]:
        return self.merge(row, None, key) if side == 0 else self.merge(None, row, key)

    def _closed(self) -> list[Change]:
        """The waiting records without a match whose window has closed, oldest first."""
        out: list[Change] = []
        keep = []
        for waiting in self.waiting:
            time, side, lookup, key, row = waiting
            if time + self.reach[side] + self.grace < self.stream_time:
                out.append(Change(self._padded(side, row, key), key, time, lookup[1]))
            else:
                keep.append(waiting)
        self.waiting = keep
        return out


class _StreamTable(_Operator):
    def __init__(self, step: Step, plan: JoinPlan) -> None:
        super().__init__(step, plan)
        self.table: dict[Any, list[Any]] = {}

    def feed(self, side: int, change: Change) -> list[Change]:
        key = self.key(side, change)
        if side == 1:
            if key is not None:
                if change.row is None:
                    self.table.pop((hashable(key), change.window), None)
                else:
                    self.table[(hashable(key), change.window)] = self.part(change.row)
            return []
        if change.row is None:
            return []
        if key is None:  # KIP-962: a LEFT join keeps a stream record without a key
            if not self.outer[0]:
                return []
            return [Change(self.merge(change.row, None, None), None, change.rowtime)]
        found = self.table.get((hashable(key), change.window))
        if found is None and not self.outer[0]:
            return []
        return [Change(self.merge(change.row, found, key), key, change.rowtime, change.window)]


class _TableTable(_Operator):
    def __init__(self, step: Step, plan: JoinPlan) -> None:
        super().__init__(step, plan)
        self.tables: tuple[dict[Any, tuple[int, list[Any]]], ...] = ({}, {})
        self.shown: set[Any] = set()

    def feed(self, side: int, change: Change) -> list[Change]:
        key = change.key
        if key is None:
            return []
        lookup = (hashable(key), change.window)
        if change.row is None:
            self.tables[side].pop(lookup, None)
        else:
            kept = change.row if side == 0 else self.part(change.row)
            self.tables[side][lookup] = (change.rowtime, kept)
        left, right = self.tables[0].get(lookup), self.tables[1].get(lookup)
        present = (left is not None and right is not None) or (
            (left is not None and self.outer[0]) or (right is not None and self.outer[1])
        )
        if not present:
            if lookup in self.shown:
                self.shown.discard(lookup)
                return [Change(None, key, change.rowtime, change.window)]
            return []
        self.shown.add(lookup)
        other = right if side == 0 else left
        stamp = max(change.rowtime, other[0]) if other is not None else change.rowtime
        row = self.merge(left[1] if left else None, right[1] if right else None, key)
        return [Change(row, key, stamp, change.window)]


class _ForeignKey(_Operator):
    def __init__(self, step: Step, plan: JoinPlan) -> None:
        super().__init__(step, plan)
        self.left: dict[Any, tuple[Any, list[Any], Any]] = {}  # key -> (key, row, foreign key)
        self.right: dict[Any, list[Any]] = {}
        self.referrers: dict[Any, set[Any]] = {}

    def feed(self, side: int, change: Change) -> list[Change]:
        if side == 1:
            return self._right(change)
        lookup = hashable(change.key)
        old = self.left.pop(lookup, None)
        if old is not None and old[2] is not None:
            self.referrers.get(old[2], set()).discard(lookup)
        if change.row is None:
            # A deleted left row deletes its result, matched or not (as Kafka's subscription).
            return [Change(None, change.key, change.rowtime)] if old is not None else []
        foreign = self.key(0, change)
        reference = hashable(foreign) if foreign is not None else None
        self.left[lookup] = (change.key, change.row, reference)
        if reference is not None:
            self.referrers.setdefault(reference, set()).add(lookup)
        found = self.right.get(reference) if reference is not None else None
        if found is None and not self.outer[0] and old is None:
            return []  # a new left row without a match has no result to delete
        return self._result(change.key, change.row, found, change.rowtime)

    def _right(self, change: Change) -> list[Change]:
        reference = hashable(change.key)
        if change.row is None:
            self.right.pop(reference, None)
        else:
            self.right[reference] = self.part(change.row)
        out = []
        for lookup in sorted(self.referrers.get(reference, set()), key=repr):
            key, row, _ = self.left[lookup]
            out += self._result(key, row, change.row, change.rowtime)
        return out

    def _result(
        self, key: Any, left: list[Any], right: list[Any] | None, time: int
    ) -> list[Change]:
        """The joined row, or for an inner join without a match a tombstone."""
        if right is None and not self.outer[0]:
            return [Change(None, key, time)]
        return [Change(self.merge(left, right, key), key, time)]


_OPERATORS: dict[str, type[_Operator]] = {
    "SS": _StreamStream,
    "ST": _StreamTable,
    "TT": _TableTable,
}


class JoinPipeline:
    """A compiled join of two or more sources, with its WHERE and projection."""

    def __init__(self, select: KsqlSelect, inputs: list[Input], custom: dict[str, SqlType]) -> None:
        self.plan = JoinPlan(select, inputs, custom)
        self.inputs = inputs
        self.sources: list[Source] = [i.source for i in inputs]
        self.scope = self.plan.scope
        # GROUP BY or PARTITION BY read the join's result as a source of its own.
        self.post: JoinedSource | None = None
        if is_grouped(select) or select.args.get("partition_by") is not None:
            self.post = JoinedSource(self.plan, select, custom)
        stage = self.post.pipeline if self.post is not None else None
        self.outputs: list[Any] = (
            stage.outputs if stage is not None else join_outputs(self.plan, select)
        )
        self.where = self.plan.where(select) if stage is None else None
        self.is_table = stage.is_table if stage is not None else self.plan.is_table
        self.window = stage.window if stage is not None else None
        self.aggregator = stage.aggregator if stage is not None else None
        self.repartition = stage.repartition if stage is not None else None
        self.operators = [
            _ForeignKey(step, self.plan) if step.foreign else _OPERATORS[step.mode](step, self.plan)
            for step in self.plan.steps
        ]
        self._rowtimes = [i.offset + i.names.index("ROWTIME") for i in inputs]
        self._keys = [i.key_value for i in inputs]  # built once: they run for every record
        self._windows = [i.window for i in inputs]

    def validate_key_present(self, sink_name: str) -> None:
        """ksqlDB's refusal of a persistent join query that does not select its key."""
        if self.post is not None:
            self.post.pipeline.validate_key_present(sink_name)
        else:
            check_reserved([o.name for o in self.outputs])
            validate_join_key(self.plan, sink_name, self.outputs)

    @property
    def partition_source(self) -> Source:
        """The input whose partition count the result takes: the left table of a foreign-key
        join, else the input joined last (ksqlDB's JoinNode)."""
        return self.sources[0] if self.plan.foreign else self.sources[-1]

    @property
    def tables(self) -> frozenset[int]:
        """The positions of the inputs that are tables."""
        return frozenset(n for n, s in enumerate(self.sources) if s.kind == "TABLE")

    def event_time(self, index: int, record: Record) -> int:
        """A record's time as its input's timestamp extractor gives it (TIMESTAMP column)."""
        item = self.inputs[index]
        if item.source.timestamp_column is None or record.value is None:
            return record.timestamp
        row = item.reader.row(record)
        time = row[item.names.index("ROWTIME")] if row is not None else None
        return record.timestamp if time is None else int(time)

    def check_partitions(self, log: Log) -> None:
        """ksqlDB's refusal of inputs that are not co-partitioned."""
        self.plan.check_partitions(lambda source: len(log.end_offsets(source.topic)))

    def key_outputs(self) -> list[Any]:
        """The key columns of the result."""
        if self.post is not None:
            return self.post.pipeline.key_outputs()
        return [o for o in self.outputs if o.key and o.name not in WINDOW_BOUNDS]

    def run(self, records: Sequence[tuple[int, Record]]) -> Iterator[Joined]:
        """Results of input records taken in order (streams skip records without a value)."""
        for index, record in records:
            item = self.inputs[index]
            if record.value is None and item.source.kind != "TABLE":
                continue
            decoded = item.reader.row(record)
            if decoded is None:
                continue
            full: list[Any] = [None] * self.plan.width
            full[item.offset : item.offset + item.width] = decoded
            time = full[self._rowtimes[index]]
            change = Change(
                None if record.value is None else full,
                self._keys[index](full),
                record.timestamp if time is None else time,
                self._windows[index](full),
            )
            position, side = (0, 0) if index == 0 else (index - 1, 1)
            for result in self._push(position, side, change):
                where, row = self.where, result.row
                if where is not None and row is not None and where(row) is not True:
                    continue
                yield Joined(result.row, result.rowtime, result.key, record.headers)

    def _push(self, position: int, side: int, change: Change) -> list[Change]:
        results = self.operators[position].feed(side, change)
        if position + 1 == len(self.operators):
            return results
        out: list[Change] = []
        for result in results:
            out += self._push(position + 1, 0, result)
        return out


def drain(
    log: Log,
    sources: Sequence[Source],
    positions: list[list[int]],
    until: list[list[int]] | None = None,
) -> list[tuple[int, list[Record]]]:
    """The records appended to each input since ``positions`` (up to ``until`` when given),
    which move past them."""
    batches = []
    for side, source in enumerate(sources):
        ends = log.end_offsets(source.topic)
        if until is not None:
            stops = until[side] if side < len(until) else []
            ends = [min(e, stops[p] if p < len(stops) else 0) for p, e in enumerate(ends)]
        mine = positions[side]
        mine += [0] * (len(ends) - len(mine))
        records: list[Record] = []
        for partition, end in enumerate(ends):
            if mine[partition] < end:
                records += log.read(source.topic, partition, mine[partition], end - mine[partition])
                mine[partition] = end
        batches.append((side, records))
    return batches


def ordered(
    batches: Sequence[tuple[int, Sequence[Any]]],
    time: Callable[[int, Any], int] | None = None,
    tables: frozenset[int] = frozenset(),
) -> list[tuple[int, Any]]:
    """Records of several inputs in the order a Kafka Streams task takes them: each partition in
    offset order, the next record always from the partition whose head is the oldest (by
    ``time``, the input's timestamp extractor, when given). At equal times a table's change
    goes first, so a stream record sees the table as of its own time."""
    queues: dict[tuple[int, int], list[Any]] = {}
    for side, records in batches:
        for record in records:
            queues.setdefault((side, record.partition), []).append(record)

    def stamp(side: int, record: Any) -> int:
        return time(side, record) if time is not None else int(record.timestamp)

    heads = [
        (stamp(side, q[0]), side not in tables, side, partition, 0)
        for (side, partition), q in queues.items()
    ]
    heapq.heapify(heads)
    merged: list[tuple[int, Any]] = []
    while heads:
        _, stream, side, partition, at = heapq.heappop(heads)
        queue = queues[(side, partition)]
        merged.append((side, queue[at]))
        if at + 1 < len(queue):
            heapq.heappush(heads, (stamp(side, queue[at + 1]), stream, side, partition, at + 1))
    return merged


__all__ = ["JoinPipeline", "Joined", "drain", "ordered"]
