"""The internal topics a persistent query's topology creates, named and formatted as ksqlDB's.

ksqlDB runs a query as a Kafka Streams topology: a re-keyed stream goes through a repartition
topic and each state store is backed by a changelog topic, all named
``_confluent-ksql-<service id>query_<query id>-<step>``. ksqlpy repartitions and keeps state in
memory, so it writes nothing through these topics; it creates them so that they exist (and are
deleted with the query) as in ksqlDB, on a Kafka-backed storage too.

The step names follow ksqlDB's planner: ``LogicalPlanner.buildJoin`` (``KafkaTopic_<prefix>Left``
sources, ``<prefix>LeftSourceKeyed`` re-keys, ``<prefix>Join``, the prefix ``L_`` per nesting),
``SourceBuilder`` (a table source is materialized in ``<source>-Reduce`` unless it is re-keyed),
``TableSelectKeyBuilder`` (``-SelectKey`` repartition, ``-Materialize`` store),
``AggregateNode`` (``Aggregate-GroupBy``, ``Aggregate-Aggregate-Materialize``),
``TableSelectBuilder`` (``Project-Last``) and Kafka Streams' own names for stream-stream join
stores and foreign-key join topics (``KSTREAM-JOINTHIS-<n>-store``, numbered by the
topology's node counter).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from .join import JoinPipeline
from .joinplan import JoinPlan, Step
from .metastore import Column, Source
from .persistent import QueryPipeline
from .scope import Scope, canonical
from .types import SqlType

# Formats whose serde infers its schema: ksqlDB always repartitions a join side in them
# (PreJoinRepartitionNode.maybeForceInternalKeyFormat, ksql issue 6332).
_SCHEMA_INFERENCE = frozenset({"AVRO", "PROTOBUF", "JSON_SR"})

KeyFormat = tuple[str, str | None, int | None]  # format, window type, window size


@dataclass(slots=True)
class Internal:
    """One internal topic: its name after the query's prefix and its formats."""

    suffix: str
    key_format: KeyFormat
    key_types: tuple[SqlType, ...]
    value_format: str

    def describe(self, topic: str) -> Source:
        """The topic as a source description (never registered in the metastore)."""
        keys = tuple(Column(f"K{i}", t, "KEY") for i, t in enumerate(self.key_types))
        fmt, window, size = self.key_format
        described = Source(topic, "STREAM", keys, topic, fmt, self.value_format, "")
        described.windowed, described.window_size_ms = window, size
        return described


def key_format_of(source: Source) -> KeyFormat:
    """A source's key format with its window."""
    size = None if source.windowed == "SESSION" else source.window_size_ms
    return (source.key_format, source.windowed, size)


# -- joins: LogicalPlanner.buildJoin and JoinNode.resolveKeyFormats (KLIP-33) -------------------


@dataclass(slots=True)
class _Side:
    """One side of a join: a source (a leaf) or a nested join, re-keyed or not."""

    source: Source | None
    nested: _Join | None
    requires: bool  # the join expression is not the side's key: a repartition is needed
    through: bool  # no repartition node (a foreign-key join, or a nested join on its key)
    force: bool = False
    forced: KeyFormat | None = None

    def sources(self) -> list[Source]:
        """The sources the side reads, leftmost first."""
        if self.nested is not None:
            return self.nested.sources()
        assert self.source is not None
        return [self.source]

    def current(self) -> KeyFormat:
        """The key format of what the side reads before any re-key."""
        if self.nested is not None:
            assert self.nested.format is not None
            return self.nested.format
        assert self.source is not None
        return key_format_of(self.source)

    def preferred(self) -> KeyFormat | None:
        if self.nested is not None:
            return None if self.requires and not self.through else self.nested.preferred()
        assert self.source is not None
        return None if self.requires and not self.through else key_format_of(self.source)

    def set_format(self, fmt: KeyFormat, default_key: str) -> None:
        nested = self.nested
        if self.through:
            if nested is not None:
                nested.set_format(fmt, default_key)
            return
        if fmt[0] in _SCHEMA_INFERENCE:
            self.force = True
        if self.requires or self.force:
            self.forced = fmt
            if nested is not None:
                nested.resolve(default_key)
            return
        if nested is not None:
            preferred = nested.preferred()
            if preferred is None or preferred == fmt:
                nested.set_format(fmt, default_key)
            else:
                self.forced = fmt
                nested.resolve(default_key)
            return
        if fmt != self.current():
            self.forced = fmt

    @property
    def rekeyed(self) -> bool:
        """Whether the side has a select-key step (SchemaKStream.selectKey)."""
        if self.through:
            return False
        changed = self.forced is not None and self.forced != self.current()
        return changed or self.force or self.requires


@dataclass(slots=True)
class _Join:
    step: Step
    prefix: str
    left: _Side
    right: _Side
    format: KeyFormat | None = None

    def sources(self) -> list[Source]:
        return self.left.sources() + self.right.sources()

    def preferred(self) -> KeyFormat | None:
        return self.left.preferred() or self.right.preferred()

    def resolve(self, default_key: str) -> None:
        fmt = self.preferred()
        if fmt is None:
            keyed = [key_format_of(s) for s in self.sources() if s.key_format != "NONE"]
            fmt = keyed[0] if keyed else (default_key, None, None)
        self.set_format(fmt, default_key)

    def set_format(self, fmt: KeyFormat, default_key: str) -> None:
        self.format = fmt
        self.left.set_format(fmt, default_key)
        self.right.set_format(fmt, default_key)


def _join_tree(plan: JoinPlan) -> _Join:
    """ksqlDB's left-deep join tree with its key formats resolved."""
    count = len(plan.steps)
    tree: _Join | None = None
    for position, step in enumerate(plan.steps):
        prefix = "L_" * (count - 1 - position)
        if tree is None:
            first = plan.inputs[0].source
            left = _Side(first, None, step.left_key is not None, step.foreign)
        else:
            # A nested join on its own key is joined as it is (no repartition node).
            on_key = step.left_key is None
            left = _Side(None, tree, not on_key, step.foreign or on_key)
        right = _Side(
            plan.inputs[step.index].source, None, step.right_key is not None, step.foreign
        )
        tree = _Join(step, prefix, left, right)
    assert tree is not None
    return tree


@dataclass(slots=True)
class _Counter:
    """Kafka Streams' processor-name counter, as ksqlDB's steps consume it."""

    next: int = 0
    topics: list[Internal] = field(default_factory=list)

    def take(self, count: int) -> int:
        first = self.next
        self.next += count
        return first


def _value_format(side: _Side) -> str:
    return side.sources()[0].value_format


def _table_leaf(side: _Side, name: str, key_type: SqlType, out: _Counter) -> None:
    """A table source of a join: materialized in ``-Reduce``, or re-keyed through a repartition
    and materialized in ``-Materialize`` (SourceBuilder, TableSelectKeyBuilder)."""
    source = side.source
    assert source is not None
    if side.rekeyed:
        fmt = side.forced or side.current()
        out.take(12)
        for suffix in ("SelectKey-repartition", "Materialize-changelog"):
            out.topics.append(Internal(f"{name}-{suffix}", fmt, (key_type,), source.value_format))
    else:
        out.take(6)
        keys = tuple(c.type for c in source.keys)
        reduce = f"KafkaTopic_{name.removesuffix('SourceKeyed')}-Reduce-changelog"
        out.topics.append(Internal(reduce, key_format_of(source), keys, source.value_format))


def _walk(join: _Join, key_type: SqlType, out: _Counter, nested: bool = False) -> None:
    """The topics of one join and what it reads, in the order Kafka Streams builds them."""
    step, p = join.step, join.prefix
    fmt = join.format
    assert fmt is not None
    sides = (("Left", join.left), ("Right", join.right))
    if step.mode == "ST":
        sides = (sides[1], sides[0])  # a stream-table join builds its table side first
    for name, side in sides:
        if side.nested is not None:
            _walk(side.nested, key_type, out, nested=True)
            out.take(1 if side.rekeyed else 0)
            if side.rekeyed and side.nested.step.mode == "TT":
                for suffix in ("SelectKey-repartition", "Materialize-changelog"):
                    out.topics.append(
                        Internal(
                            f"{p}{name}SourceKeyed-{suffix}", fmt, (key_type,), _value_format(side)
                        )
                    )
        elif side.source is not None and side.source.kind == "TABLE":
            _table_leaf(side, f"{p}{name}SourceKeyed", key_type, out)
        else:
            out.take(4 if side.rekeyed else 3)
    left_value, right_value = _value_format(join.left), _value_format(join.right)
    if step.mode == "ST" and join.left.rekeyed:
        out.topics.append(Internal(f"{p}Join-repartition", fmt, (key_type,), left_value))
    if step.foreign:
        _foreign_key_join(join, out, nested)
        return
    if step.mode != "SS":
        out.take(3 if step.mode == "TT" else 1 + (3 if join.left.rekeyed else 0))
        return
    repartitioned = 0
    for name, side, value in (("left", join.left, left_value), ("right", join.right, right_value)):
        if side.rekeyed:
            repartitioned += 1
            out.topics.append(Internal(f"{p}Join-{name}-repartition", fmt, (key_type,), value))
    out.take(2 + 3 * repartitioned)
    this = "OUTERTHIS" if step.type == "OUTER" else "JOINTHIS"
    other = "JOINOTHER" if step.type == "INNER" else "OUTEROTHER"  # RIGHT too
    first = out.take(2)
    stores = [(this, first, left_value), (other, first + 1, right_value)]
    if step.grace is not None and step.type in ("LEFT", "OUTER"):
        # With a GRACE PERIOD an outer join keeps unmatched records in a shared store.
        stores.append(("OUTERSHARED", first, left_value))
    for kind, number, value in stores:
        store = f"KSTREAM-{kind}-{number:010d}-store-changelog"
        out.topics.append(Internal(store, fmt, (key_type,), value))
    out.take(1)


def _foreign_key_join(join: _Join, out: _Counter, nested: bool) -> None:
    """Kafka Streams' topics of a foreign-key join: the left rows subscribe by the foreign key
    (the right table's key) and the right table responds by the left key. Materialized for a
    join that follows, its output gets a store of its own."""
    left, right = join.left.sources()[0], join.right.sources()[0]
    left_keys = tuple(c.type for c in left.keys)
    right_keys = tuple(c.type for c in right.keys)
    base = out.take(13)
    value = left.value_format
    out.topics += [
        Internal(
            f"KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-{base:010d}-topic",
            key_format_of(right),
            right_keys,
            value,
        ),
        Internal(
            f"KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-{base + 4:010d}-changelog",
            key_format_of(right),
            right_keys,
            value,
        ),
        Internal(
            f"KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-{base + 8:010d}-topic",
            key_format_of(left),
            left_keys,
            value,
        ),
    ]
    if nested:
        number = out.take(1)
        store = f"KTABLE-FK-JOIN-OUTPUT-STATE-STORE-{number:010d}-changelog"
        out.topics.append(Internal(store, key_format_of(left), left_keys, value))


def join_topics(plan: JoinPlan, default_key: str) -> tuple[list[Internal], KeyFormat]:
    """The internal topics of a join's steps, and the key format of the join's result."""
    tree = _join_tree(plan)
    tree.resolve(default_key)
    out = _Counter()
    _walk(tree, plan.key_type, out)
    assert tree.format is not None
    return out.topics, tree.format


# -- single-source queries and what follows a join ---------------------------------------------


def on_key(group_nodes: list[exp.Expression], scope: Scope, key_count: int) -> bool:
    """Whether GROUP BY is the one key column: the rows are then grouped by their key, with no
    repartition (ksqlDB's Repartitioning.repartitionNeeded: with several key columns there
    always is one)."""
    if key_count != 1 or len(group_nodes) != 1 or not isinstance(group_nodes[0], exp.Column):
        return False
    return canonical(group_nodes[0], scope) == "#0"


def query_topics(
    pipeline: QueryPipeline | JoinPipeline, source: Source, sink: Source, default_key: str
) -> list[Internal]:
    """The internal topics of a persistent query (its pipeline planned over ``source``)."""
    topics: list[Internal] = []
    read = source
    stage: QueryPipeline | JoinPipeline = pipeline
    fmt = key_format_of(source)
    value_format = source.value_format
    materialized = True  # whether the rows read carry a store (a table select needs none)
    if isinstance(pipeline, JoinPipeline):
        plan = pipeline.plan
        topics, fmt = join_topics(plan, default_key)
        value_format = plan.inputs[0].source.value_format
        post = pipeline.post
        materialized = not plan.is_table
        if post is None:
            if plan.is_table:
                keys = tuple(c.type for c in sink.keys)
                topics.append(Internal("Project-Last-changelog", fmt, keys, sink.value_format))
            return topics
        stage = post.pipeline
        read = post.source
    elif source.kind == "TABLE":
        keys = tuple(c.type for c in source.keys)
        topics.append(Internal("KsqlTopic-Reduce-changelog", fmt, keys, value_format))
    aggregator = stage.aggregator
    if aggregator is None:
        return topics
    group_types = tuple(aggregator.group_types)
    grouped = fmt
    rekey = (
        read.kind == "TABLE"
        or bool(read.windowed)
        or not on_key(aggregator.group_nodes, aggregator.scope, len(read.keys))
    )
    if rekey:
        # The grouped rows take the result's key format (AggregateNode, SchemaKStream.groupBy).
        grouped = (sink.key_format if sink.key_format != "NONE" else default_key, None, None)
        if read.kind == "TABLE" and not materialized:
            topics.append(
                Internal(
                    "Aggregate-Prepare-Last-changelog",
                    fmt,
                    tuple(c.type for c in read.keys),
                    value_format,
                )
            )
        topics.append(Internal("Aggregate-GroupBy-repartition", grouped, group_types, value_format))
    window = aggregator.window
    stored = grouped
    if window is not None:
        stored = (grouped[0], window.kind, None if window.kind == "SESSION" else window.size)
    topics.append(
        Internal("Aggregate-Aggregate-Materialize-changelog", stored, group_types, value_format)
    )
    return topics
