"""Persistent queries over a join: CREATE STREAM/TABLE AS SELECT ... JOIN ...

Both inputs are read as far as they go and taken in timestamp order; the output of a pass is
committed with the positions of both inputs in the query's consumer group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..storage import Log, Pending, Positions, Record
from .join import JoinPipeline, drain, ordered
from .metastore import Source
from .persistent import commit_output, emitted_record
from .rows import RECORD_ERRORS, key_serde, sink_time, skip_record, value_serde
from .serde_base import Serde


@dataclass(slots=True)
class JoinPersistentQuery:
    """A persistent query over a join: positions in both inputs, records taken by timestamp."""

    query_id: str
    sql: str
    sources: list[Source]
    sink: Source
    pipeline: JoinPipeline
    positions: list[list[int]]
    group: str = ""
    exactly_once: bool = False
    keys: Serde = field(init=False)
    values: Serde = field(init=False)
    state: str = "RUNNING"
    # Per input: the committed positions to rebuild the join's state up to, quietly.
    quiet_until: list[list[int]] = field(default_factory=list)
    # The internal topics its topology has in ksqlDB, by name (internal_topics.py).
    internal_topics: dict[str, Source] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keys = key_serde(self.sink)
        self.values = value_serde(self.sink)

    @property
    def source(self) -> Source:
        """The left input (where SHOW and DESCRIBE list the query as a reader)."""
        return self.sources[0]

    def resume(self, committed: Positions) -> None:
        """Rebuild the join's state from the beginning up to ``committed``, writing nothing."""
        if not committed:
            return
        self.quiet_until = []
        for side, source in enumerate(self.sources):
            count = max(
                [len(self.positions[side])] + [p + 1 for t, p in committed if t == source.topic]
            )
            self.quiet_until.append([committed.get((source.topic, p), 0) for p in range(count)])

    def pump(self, log: Log) -> int:
        """Process what is new in either input, oldest first; return how many records."""
        if self.state != "RUNNING" or any(
            log.topic(s.topic) is None for s in [*self.sources, self.sink]
        ):
            return 0
        done = 0
        if self.quiet_until:
            # First the records processed before the restart, in the order they were then.
            replayed = ordered(
                drain(log, self.sources, self.positions, self.quiet_until),
                self.pipeline.event_time,
                self.pipeline.tables,
            )
            self._run(replayed, None)
            self.quiet_until = []
            done += len(replayed)
        records = ordered(
            drain(log, self.sources, self.positions), self.pipeline.event_time, self.pipeline.tables
        )
        if not records:
            return done
        outputs: list[Pending] = []
        self._run(records, outputs)
        positions = {
            (source.topic, partition): position
            for side, source in enumerate(self.sources)
            for partition, position in enumerate(self.positions[side])
        }
        commit_output(log, self, outputs, positions)
        return done + len(records)

    def _run(self, records: list[tuple[int, Record]], outputs: list[Pending] | None) -> None:
        post = self.pipeline.post
        for item in records:
            try:
                for result in self.pipeline.run([item]):
                    if post is None:
                        if outputs is not None:
                            self._write(outputs, result)
                        continue
                    # An aggregation or repartition keeps its state also while replaying.
                    for out in post.feed(result.row, result.key, result.rowtime):
                        pending = emitted_record(
                            self.sink, self.keys, self.values, out, result.headers
                        )
                        if outputs is not None and pending is not None:
                            outputs.append(pending)
            except RECORD_ERRORS as error:
                skip_record(self.query_id, item[1], error)

    def _write(self, outputs: list[Pending], joined: Any) -> None:
        results = self.pipeline.outputs
        values: list[Any] | None = None
        if joined.row is None:
            keys = list(joined.key) if isinstance(joined.key, tuple) else [joined.key]
        else:
            keys = [o.fn(joined.row) for o in results if o.key]
            values = [o.fn(joined.row) for o in results if not o.key]
        timestamp = sink_time(self.sink, keys, values, joined.rowtime)
        if timestamp is None:
            return
        value = None if values is None else self.values.serialize(values)
        if self.sink.windowed:
            # A join of windowed sources keeps the left row's window (bounds follow its keys).
            width = len(self.sources[0].keys)
            row = joined.row
            keys += [None, None] if row is None else [row[width], row[width + 1]]
        key = self.keys.serialize(keys) if self.sink.key_count else None
        outputs.append(Pending(self.sink.topic, key, value, timestamp, joined.headers))
