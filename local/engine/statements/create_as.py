"""CSAS/CTAS and INSERT INTO ... SELECT: starting and stopping persistent queries."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlInsert, KsqlSelect

from .. import sqlformat
from ..convert import identifier_name
from ..errors import PREPARING, KsqlStatementError, at
from ..internal_topics import query_topics
from ..join import JoinPipeline
from ..joinquery import JoinPersistentQuery
from ..metastore import Source, compatible_schema, schema_text
from ..persistent import PersistentQuery, QueryPipeline, sink_columns
from ..planner import plan_persistent
from ..results import CommandDone
from ..runtime import Runtime, done, query_group
from ..sources import WRAP_SINGLE_VALUES, check_properties, check_timestamp_exists, make_source
from ..sqlformat_query import Unrenderable, query
from ..statement_text import create_as_text


def create_as_select(
    runtime: Runtime, select: KsqlSelect, name: str, kind: str, props: dict[str, Any], text: str
) -> CommandDone:
    """CREATE STREAM|TABLE name WITH (...) AS SELECT: the sink, then its persistent query."""
    written = dict(props)
    source, pipeline = plan_persistent(runtime.metastore, select)
    if kind == "TABLE" and source.kind == "STREAM" and pipeline.aggregator is None:
        raise KsqlStatementError(
            "Invalid result type. Your SELECT query produces a STREAM. Please use CREATE "
            "STREAM AS SELECT statement instead."
        )
    if kind == "STREAM" and (source.kind == "TABLE" or pipeline.aggregator is not None):
        raise KsqlStatementError(
            "Invalid result type. Your SELECT query produces a TABLE. Please use CREATE "
            "TABLE AS SELECT statement instead."
        )
    new_planner = runtime.session.new_query_planner()
    if isinstance(pipeline, QueryPipeline):
        _key_format_without_key(pipeline, props)
        pipeline.keys_in_projection_order = new_planner
    check_timestamp_exists(props, [o.name for o in pipeline.outputs])
    if not new_planner:  # ksqlDB's opt-in planner drops the key columns left unselected
        pipeline.validate_key_present(name)
    columns = sink_columns(pipeline, kind)
    partitioned, key_format = source, source.key_format
    if isinstance(pipeline, JoinPipeline):
        key_format = pipeline.sources[0].key_format  # the FROM source's
        # A join's result has the partitions of the input joined last (ksqlDB's JoinNode).
        pipeline.check_partitions(runtime.log)
        partitioned = pipeline.partition_source
    if key_format == "NONE" and any(c.role == "KEY" for c in columns):
        # An inherited NONE cannot hold the key columns a join, GROUP BY or PARTITION BY gives:
        # the default key format instead (ksqlDB's LogicalPlanner.getSinkKeyFormat).
        key_format = _default_key_format(runtime)
    info = runtime.log.topic(partitioned.topic)
    # The sink's own name, after the configured prefix (ksqlDB's TopicCreateInjector).
    prefix = runtime.session.setting("ksql.output.topic.name.prefix") or ""
    props.setdefault("KAFKA_TOPIC", prefix + name)
    if "FORMAT" not in props:
        props.setdefault("KEY_FORMAT", key_format)
        props.setdefault("VALUE_FORMAT", source.value_format)
    # A sink of the source's value format inherits its delimiter (ksqlDB's Analyzer).
    value_format = str(props.get("VALUE_FORMAT") or props.get("FORMAT")).upper()
    if value_format == source.value_format == "DELIMITED":
        spelled = {" ": "SPACE", "\t": "TAB"}.get(source.value_delimiter, source.value_delimiter)
        props.setdefault("VALUE_DELIMITER", spelled)
    check_properties(props)
    props.setdefault("PARTITIONS", info.partitions if info else 1)
    statement = create_as_text(text, runtime.metastore, runtime.log, props["PARTITIONS"])
    try:
        sink = make_source(
            runtime.log,
            name,
            kind,
            columns,
            props,
            statement,
            False,
            wrap_default=runtime.session.setting(WRAP_SINGLE_VALUES),
        )
    except KsqlStatementError as exc:
        raise _quoting_statement(exc, runtime, select, name, kind, written) from exc
    if pipeline.window is not None:
        sink.windowed = pipeline.window.kind
        sink.window_size_ms = None if pipeline.window.kind == "SESSION" else pipeline.window.size
    elif source.windowed:
        sink.windowed, sink.window_size_ms = source.windowed, source.window_size_ms
    sink.materialized = kind == "TABLE"
    runtime.metastore.sources[name] = sink
    runtime.forget_table(name)
    prefix = "CSAS" if kind == "STREAM" else "CTAS"
    query = start_persistent(
        runtime, f"{prefix}_{name}_{runtime.sequence + 1}", sink.statement, source, sink, pipeline
    )
    # ksqlDB answers with the statement as its injectors rewrote it (DistributingExecutor).
    return done(
        runtime,
        sink.statement,
        f"{kind.lower()}/`{name}`/create",
        f"Created query with ID {query.query_id}",
        query.query_id,
    )


def insert_select(runtime: Runtime, node: KsqlInsert, text: str) -> CommandDone:
    """INSERT INTO stream SELECT ...: a persistent query writing into an existing stream."""
    target = node.this.this if isinstance(node.this, exp.Schema) else node.this
    name = identifier_name(target.this if isinstance(target, exp.Table) else target)
    sink = runtime.metastore.source(name)
    if sink is None:
        # ksqlDB's AstSanitizer (so found while preparing): an UnknownSourceException located
        # at the statement's start plus len("INSERT INTO"), counted from 1 twice.
        where = at(node, len("INSERT INTO") + 1)
        raise KsqlStatementError(f"{PREPARING}{where}Source `{name}` does not exist.")
    # AstSanitizer's checks first, then the engine's (EngineExecutor).
    if sink.kind != "STREAM":
        raise KsqlStatementError(
            f"INSERT INTO can only be used to insert into a stream. {name} is a table."
        )
    if sink.headers:
        raise KsqlStatementError(f"Cannot insert into {name} because it has header columns")
    if sink.is_source:
        raise KsqlStatementError(f"Cannot insert into read-only {sink.kind.lower()}: {name}")
    source, pipeline = plan_persistent(runtime.metastore, node.expression)
    pipeline.validate_key_present(name)
    if isinstance(pipeline, JoinPipeline):
        pipeline.check_partitions(runtime.log)
    result = sink_columns(pipeline, "STREAM")
    wanted = [*sink.keys, *sink.values]
    if not compatible_schema(result, wanted):
        raise KsqlStatementError(
            "Incompatible schema between results and sink.\n"
            f"Result schema is {schema_text(result)}\nSink schema is {schema_text(wanted)}"
        )
    query = start_persistent(
        runtime, f"INSERTQUERY_{runtime.sequence + 1}", text, source, sink, pipeline
    )
    return done(
        runtime,
        text,
        f"stream/`{name}`/create",
        f"Created query with ID {query.query_id}",
        query.query_id,
    )


def start_persistent(
    runtime: Runtime, query_id: str, text: str, source: Source, sink: Source, pipeline: Any
) -> PersistentQuery | JoinPersistentQuery:
    """Register a persistent query, link it to its sources and sink, and let it catch up."""
    # Persistent queries start at the beginning of their source, as ksqlDB's tests expect
    # with auto.offset.reset=earliest; a query over live data sees it all too.
    query: PersistentQuery | JoinPersistentQuery
    group = query_group(runtime, query_id)
    exactly_once = runtime.session.exactly_once()
    if isinstance(pipeline, JoinPipeline):
        inputs = pipeline.sources
        starts = [[0] * len(runtime.log.end_offsets(s.topic)) for s in inputs]
        query = JoinPersistentQuery(
            query_id, text, inputs, sink, pipeline, starts, group, exactly_once
        )
        for other in inputs[1:]:
            other.read_queries.append(query_id)
    else:
        positions = [0] * len(runtime.log.end_offsets(source.topic))
        query = PersistentQuery(
            query_id, text, source, sink, pipeline, positions, group, exactly_once
        )
    _create_internal_topics(runtime, query, source)
    # After a restart the query goes on from what its group committed with its last output.
    query.resume(runtime.log.committed(group))
    runtime.persistent[query_id] = query
    source.read_queries.append(query_id)
    sink.write_queries.append(query_id)
    runtime.pump()
    return query


def stop_persistent(runtime: Runtime, query_id: str) -> None:
    """Unregister a persistent query, unlink it from its sources and sink, forget its group."""
    query = runtime.persistent.pop(query_id)
    query.state = "TERMINATED"
    for source in getattr(query, "sources", [query.source]):
        if query_id in source.read_queries:
            source.read_queries.remove(query_id)
    if query_id in query.sink.write_queries:
        query.sink.write_queries.remove(query_id)
    runtime.log.delete_group(query.group)
    # ksqlDB's QueryCleanupService deletes a terminated query's internal topics.
    for topic in query.internal_topics:
        runtime.delete_topic(topic)


def _default_key_format(runtime: Runtime) -> str:
    return (runtime.session.setting("ksql.persistence.default.format.key") or "KAFKA").upper()


def _create_internal_topics(
    runtime: Runtime, query: PersistentQuery | JoinPersistentQuery, source: Source
) -> None:
    """Create the internal topics of the query's topology (ksqlpy repartitions and keeps state in
    memory; the topics exist as ksqlDB's do), with the partitions of its inputs."""
    default_key = _default_key_format(runtime)
    inputs = query.pipeline.sources if isinstance(query.pipeline, JoinPipeline) else [source]
    partitions = max(len(runtime.log.end_offsets(s.topic)) for s in inputs) or 1
    for internal in query_topics(query.pipeline, source, query.sink, default_key):
        topic = f"{query.group}-{internal.suffix}"
        query.internal_topics[topic] = internal.describe(topic)
        if runtime.log.topic(topic) is None:  # after a restart it is there already
            runtime.log.create_topic(topic, partitions)


def _key_format_without_key(pipeline: QueryPipeline, props: dict[str, Any]) -> None:
    """PARTITION BY NULL gives a stream without key columns: its key format is NONE, and
    asking for another is refused (ksqlDB's Analyzer)."""
    if pipeline.repartition is None or not pipeline.repartition.by_null:
        return
    explicit = props.get("KEY_FORMAT") or props.get("FORMAT")
    if explicit is not None and str(explicit).upper() != "NONE":
        raise KsqlStatementError("Key format specified for stream without key columns.")
    if "FORMAT" in props:
        props.setdefault("VALUE_FORMAT", props.pop("FORMAT"))
    props["KEY_FORMAT"] = "NONE"


def _quoting_statement(
    error: KsqlStatementError,
    runtime: Runtime,
    select: KsqlSelect,
    name: str,
    kind: str,
    written: dict[str, Any],
) -> KsqlStatementError:
    """A sink format's refusal of its schema quotes the statement as ksqlDB sanitized it."""
    if "format does not support schema" not in error.message:
        return error
    head = f"CREATE {kind} {sqlformat.name(name)}"
    if written:
        head += f" WITH ({sqlformat.properties(written)})"
    try:
        text: str | None = f"{head} AS {query(select, runtime.metastore)}"
    except (Unrenderable, LookupError, ValueError):  # the refusal stands without the quote
        text = None
    return error if text is None else KsqlStatementError(f"{error.message}\nStatement: {text}")
