"""Persistent queries: CREATE STREAM/TABLE AS SELECT and INSERT INTO ... SELECT.

A persistent query keeps a position in each partition of its source topic. ``pump`` reads what
is new, runs it through the query (filter and projection, or aggregation) and appends the
results to the sink topic with the sink's formats. The engine pumps after every request and on a
short timer, so results follow their inputs closely.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlSelect

from ..storage import Log, Pending, Positions, Record
from .aggregate import Aggregator, Change, default_argument_text
from .convert import hashable, identifier_name
from .errors import KsqlStatementError
from .expr import NULL_TYPE, Fn, Scope, compile_expr
from .flatten import Flattener, refuse_with_aggregation
from .metastore import Column, Source
from .operators import expression_text
from .repartition import Repartition, joined, qualified_text
from .rows import (
    RECORD_ERRORS,
    WINDOW_BOUNDS,
    RowReader,
    compile_where,
    key_serde,
    sink_time,
    skip_record,
    source_scope,
    value_serde,
    windowed_partitions,
)
from .selectitems import ColumnAliases, expand_struct_all, item_name
from .serde_base import Serde
from .types import BIGINT, SqlType
from .udafs import is_aggregate

BATCH = 1000
_log = logging.getLogger("ksqlpy.local")


@dataclass(slots=True)
class Output:
    """An output column of a query: name, type, how to compute it, and whether it is a key."""

    name: str
    type: SqlType
    fn: Fn
    key: bool
    key_index: int = 0  # the position among the result's key columns


@dataclass(slots=True)
class Emitted:
    """One result record before serialization."""

    keys: list[Any]
    values: list[Any] | None  # None: a tombstone
    rowtime: int
    window: tuple[int, int] | None = None


def _star_columns(source: Source) -> list[tuple[str, SqlType, bool]]:
    columns = [(c.name, c.type, True) for c in source.keys]
    if source.windowed:
        columns += [(n, BIGINT, True) for n in WINDOW_BOUNDS]
    columns += [(c.name, c.type, False) for c in source.values + source.headers]
    return columns


def _is_star(item: exp.Expression) -> bool:
    return isinstance(item, exp.Star) or (
        isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
    )


class QueryPipeline:
    """What a SELECT does to each row of its source, as records of the result."""

    def __init__(
        self,
        select: KsqlSelect,
        source: Source,
        scope_alias: str | None,
        custom: dict[str, SqlType],
        star_order: Sequence[str] = (),
    ) -> None:
        self.source = source
        self.star_order = list(star_order)  # a joined source's column order for ``*``
        self.scope = source_scope(source, scope_alias, custom)
        self.where: Fn | None = None
        if select.args.get("where") is not None:
            self.where = compile_where(select.args["where"].this, self.scope, pull=False)
        self.qualifier = scope_alias or source.name
        self.is_table = source.kind == "TABLE"
        refuse_with_aggregation(select.expressions, is_grouped(select))
        select = self._resolved_items(select)
        grouped = is_grouped(select)
        self.aggregator = Aggregator(select, self.scope, self.qualifier) if grouped else None
        if self.aggregator is not None:
            self.aggregator.check_state_format(source.value_format)
        if self.aggregator is not None and self.is_table:
            self.aggregator.check_table_source()
        partition = select.args.get("partition_by")
        self.repartition: Repartition | None = None
        if partition is not None and self.aggregator is None:
            self.repartition = Repartition(_partition_nodes(partition), source, self.scope)
        self.has_star = any(_is_star(item) for item in select.expressions)
        self.flattener = Flattener.of(
            select.expressions,
            self.repartition.scope if self.repartition is not None else self.scope,
            self.aggregator is not None,
            self.is_table,
        )
        self.outputs = self._outputs(select)
        self.window = self.aggregator.window if self.aggregator else None
        # ksqlDB's new (opt-in) planner keeps selected key columns in projection order; its
        # default one orders them as the source does (SelectionUtil.buildProjectionSchema).
        self.keys_in_projection_order = False

    @property
    def keeps_key(self) -> bool:
        """Whether results carry their input record's key object as it is: a stream's projection
        maps values only (ksqlDB's StreamSelectBuilder), so a null key stays null rather than
        becoming a key of NULL columns."""
        return not self.is_table and self.aggregator is None and self.repartition is None

    def _resolved_items(self, select: KsqlSelect) -> KsqlSelect:
        """The SELECT with ``base->*`` expanded and, in an aggregation, ``*`` expanded to the
        source's columns, which must then each be grouped (ksqlDB's SelectionUtil)."""
        items = expand_struct_all(select.expressions, self.scope)
        if is_grouped(select):
            columns = [
                exp.column(exp.to_identifier(name, quoted=True))
                for name, _, _ in _star_columns(self.source)
            ]
            items = [c.copy() for i in items for c in (columns if _is_star(i) else [i])]
        if items == list(select.expressions):
            return select
        resolved = select.copy()
        resolved.set("expressions", items)
        return resolved

    def _outputs(self, select: KsqlSelect) -> list[Output]:
        outputs: list[Output] = []
        source = self.source
        aliases = ColumnAliases(c.name for c in source.keys + source.values + source.headers)
        scope = self.repartition.scope if self.repartition is not None else self.scope
        if self.flattener is not None:
            scope = self.flattener.scope
        for item in select.expressions:
            if _is_star(item):
                outputs += self._star(scope)
                continue
            name = item_name(item, aliases)
            node = item.this if isinstance(item, exp.Alias) else item
            if self.flattener is not None:
                node = self.flattener.rewrite(node)
            key_index = 0
            if self.aggregator is not None:
                fn, kind = self.aggregator.compile_output(node)
                group_index = self.aggregator.group_index(node)
                key_index = group_index or 0
                # A window bound under its own name stays with the key; aliased, it is a value
                # column (ksqlDB's FinalProjectNode).
                is_key = group_index is not None or (
                    isinstance(node, exp.Column)
                    and identifier_name(node.this) in WINDOW_BOUNDS
                    and name in WINDOW_BOUNDS
                )
            elif self.repartition is not None:
                fn, kind = compile_expr(node, scope)
                matched = self.repartition.match(node, self.scope)
                is_key = matched is not None
                if matched is not None:
                    key_index = matched
                    if not isinstance(item, exp.Alias):
                        name = self.repartition.keys[matched].name
            else:
                fn, kind = compile_expr(node, scope)
                is_key = isinstance(node, exp.Column) and any(
                    c.name == identifier_name(node.this) for c in self.source.keys
                )
                if is_key:
                    key_index = [c.name for c in self.source.keys].index(identifier_name(node.this))
            if kind == NULL_TYPE:
                raise KsqlStatementError(
                    "Can't infer a type of null. Please explicitly cast it to a required type, "
                    "e.g. CAST(null AS VARCHAR)."
                )
            if any(o.name == name for o in outputs):
                raise KsqlStatementError(
                    f"Duplicate value columns found in schema: `{name}` {kind}"
                )
            outputs.append(Output(name, kind, fn, is_key, key_index))
        _check_keys_once(outputs, self._key_names() if self.aggregator is None else None)
        return outputs

    def _star(self, scope: Scope) -> list[Output]:
        """``*``: the key columns, then the values; after a PARTITION BY the old key columns
        follow the values, as ksqlDB orders them."""
        repartition = self.repartition
        if repartition is None:
            layout = [n for n, _, _ in _star_columns(self.source)]
            return [
                Output(name, kind, _getter(layout.index(name)), is_key, index)
                for index, (name, kind, is_key) in enumerate(_star_columns(self.source))
            ]
        keys = [k.name for k in repartition.keys]
        out = [
            Output(k.name, k.type, _getter(scope.find(k.name, None)[0]), True, i)
            for i, k in enumerate(repartition.keys)
        ]
        rest = list(self.source.values + self.source.headers + self.source.keys)
        if self.star_order:
            rest.sort(key=lambda c: _position(self.star_order, c.name))
        for column in rest:
            if column.name not in keys:
                index = scope.find(column.name, None)[0]
                out.append(Output(column.name, column.type, _getter(index), False))
        return out

    def _key_names(self) -> list[str]:
        if self.repartition is not None:
            return [k.name for k in self.repartition.keys]
        return [c.name for c in self.source.keys]

    def validate_key_present(self, sink_name: str) -> None:
        """A persistent query must select its key: every partition expression after a
        PARTITION BY, else every key column of its source (``*`` selects them all)."""
        repartition = self.repartition
        if self.aggregator is not None:
            self._validate_group_keys_present(sink_name, self.aggregator)
            return
        if self.has_star:
            return
        if repartition is not None:
            if repartition.by_null:
                return
            kind = "partitioning expression"
            # ksqlDB names every one of them, not only the missing ones.
            wanted = [qualified_text(k.node, self.qualifier) for k in repartition.keys]
        else:
            kind = "key column"
            wanted = [c.name for c in self.source.keys]
        present = {o.key_index for o in self.outputs if o.key}
        if len(present) != len(wanted):
            raise keys_missing(sink_name, kind, wanted)

    def _validate_group_keys_present(self, sink_name: str, aggregator: Aggregator) -> None:
        """ksqlDB's AggregateNode.validateKeyPresent: every GROUP BY expression is selected;
        an aggregation without GROUP BY has no key to select, which a table cannot have."""
        if not aggregator.group_nodes:
            calls = ", ".join(default_argument_text(c) for c in aggregator.calls)
            raise KsqlStatementError(
                f"CREATE TABLE AS SELECT statement does not support aggregate function [{calls}] "
                "without a GROUP BY clause."
            )
        present = {o.key_index for o in self.outputs if o.key and o.name not in WINDOW_BOUNDS}
        missing = [
            expression_text(node)
            for index, node in enumerate(aggregator.group_nodes)
            if index not in present
        ]
        if missing:
            raise keys_missing(sink_name, "grouping expression", missing)

    def key_outputs(self) -> list[Output]:
        """The key columns of the result (without window bounds), in key order."""
        keys = [o for o in self.outputs if o.key and o.name not in WINDOW_BOUNDS]
        reordered = self.repartition is not None or self.aggregator is not None
        if reordered or not self.keys_in_projection_order:
            # Key columns follow the PARTITION BY / GROUP BY / source order, not the projection's.
            keys.sort(key=lambda o: o.key_index)
        return keys

    def feed(self, row: list[Any] | None, rowtime: int, decoded: list[Any] | None) -> list[Emitted]:
        """The result records of one source record. ``row`` is None for a record without a
        value, ``decoded`` then holds what its key gives (or None when it cannot be read)."""
        if self.aggregator is not None:
            passes = row is not None and (self.where is None or self.where(row) is True)
            if self.is_table:
                # An update or delete of a table row moves it between groups; a row the WHERE
                # now rejects leaves its group, as a delete does.
                known = row if row is not None else decoded
                if known is None:
                    return []
                source_key = tuple(hashable(v) for v in known[: self.source.key_count])
                changes = self.aggregator.process_table(
                    source_key, row if passes else None, rowtime
                )
                return [self._from_change(c) for c in changes]
            if row is None or not passes:
                return []
            return [self._from_change(c) for c in self.aggregator.process(row, rowtime)]
        repartition = self.repartition
        if row is None:
            if self.is_table:
                key = decoded[: self.source.key_count] if decoded else []
                return [Emitted(key, None, rowtime, self._window(decoded))]
            # As ksqlDB's SelectValueMapper, a projection forwards a stream record without a
            # value (with its key, or the new key its old key gives); a filter drops it.
            if self.where is not None:
                return []
            if repartition is not None:
                return [Emitted(repartition.key_values(None, decoded), None, rowtime)]
            old = decoded or [None] * self.source.key_count
            keys = [old[o.key_index] for o in self.key_outputs()]
            return [Emitted(keys, None, rowtime, self._window(decoded))]
        if repartition is not None:
            keys_now = repartition.key_values(row, None)
            row = repartition.extend(row)
        else:
            keys_now = [o.fn(row) for o in self.key_outputs()]
        if self.where is not None and self.where(row) is not True:
            return [Emitted(keys_now, None, rowtime)] if self.is_table else []
        window = self._window(row)
        rows = [row] if self.flattener is None else self.flattener.rows(row)
        return [
            Emitted(keys_now, [o.fn(r) for o in self.outputs if not o.key], rowtime, window)
            for r in rows
        ]

    def _window(self, row: list[Any] | None) -> tuple[int, int] | None:
        """A windowed source's record's window: the bounds after its key columns."""
        if not self.source.windowed or row is None:
            return None
        at = len(self.source.keys)
        return (row[at], row[at + 1])

    def project_change(self, change: Change) -> tuple[list[Any], bool]:
        """A transient query's output row for one change (projection order), and tombstone-ness."""
        if change.row is None:
            return [None] * len(self.outputs), True
        return [o.fn(change.row) for o in self.outputs], False

    def _from_change(self, change: Change) -> Emitted:
        if change.row is None:
            keys = list(change.key)
            return Emitted(self._order_keys(keys), None, change.rowtime, change.window)
        keys = [o.fn(change.row) for o in self.key_outputs()]
        values = [o.fn(change.row) for o in self.outputs if not o.key]
        return Emitted(keys, values, change.rowtime, change.window)

    def _order_keys(self, group_values: list[Any]) -> list[Any]:
        """The key columns of a deleted group, from its GROUP BY values."""
        return [group_values[o.key_index] for o in self.key_outputs()]


def is_grouped(select: KsqlSelect) -> bool:
    """Whether a SELECT aggregates (GROUP BY, or an aggregate function in its projection)."""
    return select.args.get("group") is not None or any(
        is_aggregate(n) for item in select.expressions for n in item.find_all(exp.Anonymous)
    )


def _position(order: list[str], name: str) -> int:
    """Where a name sits in an order; names it lacks go last."""
    return order.index(name) if name in order else len(order)


def _getter(index: int) -> Fn:
    return lambda row: row[index]


@dataclass(slots=True)
class PersistentQuery:
    """A running CSAS/CTAS/INSERT INTO SELECT: source positions, pipeline, sink serdes.

    Each batch's output is committed with the positions that produced it, in the query's
    consumer group, so a restart resumes exactly where the output stops.
    """

    query_id: str
    sql: str
    source: Source
    sink: Source
    pipeline: QueryPipeline
    positions: list[int]
    group: str = ""
    exactly_once: bool = False
    reader: RowReader = field(init=False)
    keys: Serde = field(init=False)
    values: Serde = field(init=False)
    state: str = "RUNNING"
    quiet_until: list[int] = field(default_factory=list)
    # The internal topics its topology has in ksqlDB, by name (internal_topics.py).
    internal_topics: dict[str, Source] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reader = RowReader(self.source)
        self.keys = key_serde(self.sink)
        self.values = value_serde(self.sink)

    def resume(self, committed: Positions) -> None:
        """Continue after ``committed``: a stateless query starts there; one with state
        (an aggregation) rebuilds it from the beginning, writing nothing before it."""
        if not committed:
            return
        topic = self.source.topic
        count = max([len(self.positions)] + [p + 1 for t, p in committed if t == topic])
        done = [committed.get((topic, p), 0) for p in range(count)]
        if self.pipeline.aggregator is None:
            self.positions = done
        else:
            self.positions = [0] * count
            self.quiet_until = done

    def pump(self, log: Log) -> int:
        """Process every record appended to the source since the last call; return the count."""
        topic = self.source.topic
        if self.state != "RUNNING" or None in (log.topic(topic), log.topic(self.sink.topic)):
            return 0
        ends = log.end_offsets(topic)
        if len(self.positions) < len(ends):
            self.positions += [0] * (len(ends) - len(self.positions))
        done = 0
        for partition, end in enumerate(ends):
            quiet_until = self.quiet_until[partition] if partition < len(self.quiet_until) else 0
            while self.positions[partition] < end:
                records = log.read(topic, partition, self.positions[partition], BATCH)
                if not records:
                    break
                outputs: list[Pending] = []
                for record in records:
                    try:
                        self._process(record, outputs if record.offset >= quiet_until else None)
                    except RECORD_ERRORS as error:
                        skip_record(self.query_id, record, error)
                self.positions[partition] = records[-1].offset + 1
                done += len(records)
                if self.positions[partition] > quiet_until:  # else: replayed, committed before
                    position = {(topic, partition): self.positions[partition]}
                    if not commit_output(log, self, outputs, position):
                        return done
        return done

    def _process(self, record: Record, outputs: list[Pending] | None) -> None:
        """Feed one record; its results go to ``outputs`` (None: replaying, results dropped)."""
        if record.value is None:
            decoded = self.reader.row(record)
            results = self.pipeline.feed(None, record.timestamp, decoded)
        else:
            if record.key is None and self.pipeline.is_table:
                return
            row = self.reader.row(record)
            if row is None:
                return
            results = self.pipeline.feed(row, row[-3], None)
        if outputs is not None:
            null_key = record.key is None and self.pipeline.keeps_key
            for out in results:
                self._write(outputs, out, record.headers, null_key)

    def _write(
        self,
        outputs: list[Pending],
        out: Emitted,
        headers: tuple[tuple[str, bytes | None], ...],
        null_key: bool,
    ) -> None:
        pending = emitted_record(self.sink, self.keys, self.values, out, headers, null_key)
        if pending is not None:
            outputs.append(pending)


def emitted_record(
    sink: Source,
    keys: Serde,
    values: Serde,
    out: Emitted,
    headers: tuple[tuple[str, bytes | None], ...],
    null_key: bool = False,
) -> Pending | None:
    """The record a result becomes in its sink (None: skipped for an invalid sink time);
    ``null_key``: its input's null key passes through."""
    key_values = list(out.keys)
    if sink.windowed:
        window = out.window or (None, None)
        key_values += list(window)
    timestamp = sink_time(sink, out.keys, out.values, out.rowtime)
    if timestamp is None:
        return None  # an invalid time in the sink's TIMESTAMP column: the record is skipped
    key = keys.serialize(key_values) if sink.key_count and not null_key else None
    value = None if out.values is None else values.serialize(out.values)
    # The input record's headers go with what it produces, as in Kafka Streams.
    return Pending(sink.topic, key, value, timestamp, headers)


class Committing(Protocol):
    """What :func:`commit_output` needs of a persistent query."""

    query_id: str
    group: str
    exactly_once: bool
    state: str
    sink: Source


def commit_output(
    log: Log,
    query: Committing,
    outputs: list[Pending],
    positions: Positions,
) -> bool:
    """Commit a batch's output with its positions; a storage failure stops the query (it
    resumes from its last commit at the next start), as a Kafka Streams error would."""
    if query.sink.windowed:
        outputs = windowed_partitions(log, query.sink, outputs)
    try:
        log.commit(query.group, outputs, positions, exactly_once=query.exactly_once)
    except OSError as error:
        query.state = "ERROR"
        _log.error("query %s stopped: its output could not be stored: %s", query.query_id, error)
        return False
    return True


def sink_columns(pipeline: QueryPipeline, kind: str) -> list[Column]:
    """The columns of the sink a query creates: its keys first, then its values."""
    columns = [Column(o.name, o.type, "KEY") for o in pipeline.key_outputs()]
    columns += [Column(o.name, o.type, "VALUE") for o in pipeline.outputs if not o.key]
    if not any(c.role == "VALUE" for c in columns):
        raise KsqlStatementError("The projection contains no value columns.")
    if kind == "TABLE" and not any(c.role == "KEY" for c in columns):
        if pipeline.aggregator is not None:
            group = ", ".join(n.sql(dialect="ksql") for n in pipeline.aggregator.group_nodes)
            raise KsqlStatementError(
                "Key missing from projection (ie, SELECT).\n"
                f"The query used to build the table must include the grouping expression(s) "
                f"{group} in its projection (eg, SELECT {group}...)."
            )
        raise KsqlStatementError(
            "Key missing from projection (ie, SELECT).\nThe query used to build the table must "
            "include the key column(s) of its source in its projection."
        )
    return columns


def keys_missing(sink_name: str, kind: str, wanted: list[str]) -> KsqlStatementError:
    """ksqlDB's PlanNode.throwKeysNotIncludedError: the keys a persistent query must select."""
    plural = "s" if len(wanted) > 1 else ""
    return KsqlStatementError(
        f"Key{plural} missing from projection (ie, SELECT). \nThe query used to build "
        f"`{sink_name}` must include the {kind}{plural} {joined(wanted)} "
        f"in its projection (eg, SELECT {', '.join(wanted)}...)."
    )


_COPY_HINT = (
    "\nEach key column must only be in the projection once. If you intended to copy the key into "
    "the value, then consider using the AS_VALUE function to indicate which key reference should "
    "be copied."
)


def _check_keys_once(outputs: list[Output], key_names: list[str] | None) -> None:
    """A key column selected twice would make two key columns of one: refused as ksqlDB's
    FinalProjectNode words it, or, for GROUP BY (``key_names`` None), as its
    LogicalPlanner.buildAggregateSchema does."""
    aliases: dict[int, list[str]] = {}
    for output in outputs:
        if output.key and output.name not in WINDOW_BOUNDS:
            aliases.setdefault(output.key_index, []).append(output.name)
    for index, names in sorted(aliases.items()):
        if len(names) < 2:
            continue
        if key_names is None:
            quoted = joined([f"`{n}`" for n in names])
            head = f"The projection contains a key column more than once: {quoted}."
        else:
            head = (
                f"The projection contains a key column (`{key_names[index]}`) more than once, "
                f"aliased as: {joined(sorted(names))}."
            )
        raise KsqlStatementError(head + _COPY_HINT)


def _partition_nodes(clause: exp.Expression) -> list[exp.Expression]:
    """The expressions of a PARTITION BY clause (the parser wraps them in a tuple)."""
    inner = clause.this
    return list(inner.expressions) if isinstance(inner, exp.Tuple) else [inner]
