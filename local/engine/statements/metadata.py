"""SHOW/LIST, DESCRIBE [EXTENDED], DESCRIBE FUNCTION and EXPLAIN: what the metastore holds."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlCreate, KsqlDescribe, KsqlExplain, KsqlInsert, KsqlSelect, KsqlShow

from .. import functions
from ..convert import identifier_name
from ..errors import KsqlStatementError
from ..joinquery import JoinPersistentQuery
from ..metastore import Source
from ..persistent import PersistentQuery, sink_columns
from ..planner import QueryPlan, plan_persistent, plan_select
from ..runtime import (
    DENYLIST,
    INTERNAL_PREFIX,
    PROPERTIES,
    Runtime,
    Session,
    normalize_property,
)
from ..transient import RunningQuery, running_entry, transient_id
from ..types import SqlType


def show(runtime: Runtime, node: KsqlShow, text: str, session: Session) -> dict[str, Any] | None:
    """SHOW|LIST STREAMS|TABLES|TOPICS|QUERIES|PROPERTIES|FUNCTIONS|TYPES|VARIABLES."""
    what = node.this.name.upper()
    if what == "TOPICS":
        every = str(node.args.get("modifier") or "").upper() == "ALL"
        return show_topics(runtime, text, bool(node.args.get("extended")), session, every)
    handler = SHOW.get(what)
    if handler is None:
        raise KsqlStatementError(f"The ksqlpy local server cannot SHOW {what} yet.")
    return handler(runtime, text, bool(node.args.get("extended")), session)


def show_streams(runtime: Runtime, text: str, extended: bool, session: Session) -> dict[str, Any]:
    """SHOW STREAMS [EXTENDED]."""
    if extended:
        return descriptions(runtime, text, runtime.metastore.streams())
    entries = [s.list_entry() for s in runtime.metastore.streams()]
    return {"@type": "streams", "statementText": text, "streams": entries, "warnings": []}


def show_tables(runtime: Runtime, text: str, extended: bool, session: Session) -> dict[str, Any]:
    """SHOW TABLES [EXTENDED]."""
    if extended:
        return descriptions(runtime, text, runtime.metastore.tables())
    entries = [s.list_entry() for s in runtime.metastore.tables()]
    return {"@type": "tables", "statementText": text, "tables": entries, "warnings": []}


def descriptions(runtime: Runtime, text: str, sources: list[Source]) -> dict[str, Any]:
    return {
        "@type": "source_descriptions",
        "statementText": text,
        "sourceDescriptions": [description(runtime, s, True) for s in sources],
        "warnings": [],
    }


def show_topics(
    runtime: Runtime, text: str, extended: bool, session: Session, every: bool = False
) -> dict[str, Any]:
    """SHOW [ALL] TOPICS [EXTENDED]: without ALL, internal and hidden topics are left out."""
    hidden = hidden_topics(runtime.config)
    topics = []
    for info in runtime.log.topics():
        if not every and hidden.fullmatch(info.name):
            continue
        entry: dict[str, Any] = {
            "name": info.name,
            "replicaInfo": [info.replicas] * info.partitions,
        }
        if extended:
            entry.update(consumerCount=0, consumerGroupCount=0)
        topics.append(entry)
    kind = "kafka_topics_extended" if extended else "kafka_topics"
    return {"@type": kind, "statementText": text, "topics": topics, "warnings": []}


def hidden_topics(config: dict[str, str]) -> re.Pattern[str]:
    """ksqlDB's ReservedInternalTopics: its own internal topics and ``ksql.hidden.topics``."""
    listed = config.get("ksql.hidden.topics", HIDDEN_TOPICS)
    patterns = [f"{INTERNAL_PREFIX}.*", *(p.strip() for p in listed.split(",") if p.strip())]
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error:
        return re.compile(f"{INTERNAL_PREFIX}.*")


def show_queries(runtime: Runtime, text: str, extended: bool, session: Session) -> dict[str, Any]:
    """SHOW QUERIES [EXTENDED]."""
    if extended:
        return {
            "@type": "query_descriptions",
            "statementText": text,
            "queryDescriptions": [
                *(persistent_description(q) for q in runtime.persistent.values()),
                *(query_description(q) for q in runtime.queries.values()),
            ],
            "warnings": [],
        }
    entries = [q.entry() for q in runtime.persistent.values()]
    entries += [running_entry(q) for q in runtime.queries.values()]
    return {"@type": "queries", "statementText": text, "queries": entries, "warnings": []}


def show_properties(
    runtime: Runtime, text: str, extended: bool, session: Session
) -> dict[str, Any]:
    """SHOW PROPERTIES."""
    overrides = {normalize_property(k): str(v) for k, v in session.properties.items()}
    merged = {**PROPERTIES, **runtime.config, **overrides}
    entries = [
        {
            "name": name,
            "scope": "KSQL" if not name.startswith("ksql.streams.") else "STREAMS",
            "value": value,
            "editable": name not in DENYLIST,
            "level": "QUERY" if name.endswith("auto.offset.reset") else "SERVER",
        }
        for name, value in sorted(merged.items())
    ]
    return {
        "@type": "properties",
        "statementText": text,
        "properties": entries,
        "overwrittenProperties": sorted(overrides),
        "defaultProperties": sorted(k for k in PROPERTIES if k not in overrides),
        "warnings": [],
    }


def show_functions(runtime: Runtime, text: str, extended: bool, session: Session) -> dict[str, Any]:
    """SHOW FUNCTIONS."""
    entries = [
        {"name": f.name, "type": "SCALAR", "category": f.category}
        for f in sorted(functions.REGISTRY.values(), key=lambda f: f.name)
    ]
    return {
        "@type": "function_names",
        "statementText": text,
        "functions": entries,
        "warnings": [],
    }


def show_types(runtime: Runtime, text: str, extended: bool, session: Session) -> dict[str, Any]:
    """SHOW TYPES."""
    types = {name: kind.schema_info() for name, kind in sorted(runtime.metastore.types.items())}
    return {"@type": "type_list", "statementText": text, "types": types, "warnings": []}


def show_variables(runtime: Runtime, text: str, extended: bool, session: Session) -> dict[str, Any]:
    """SHOW VARIABLES."""
    entries = [{"name": k, "value": v} for k, v in session.variables.items()]
    return {"@type": "variables", "statementText": text, "variables": entries, "warnings": []}


# KsqlConfig's default for ksql.hidden.topics.
HIDDEN_TOPICS = (
    "_confluent.*,__confluent.*,_schemas,__consumer_offsets,__transaction_state,connect-configs,"
    "connect-offsets,connect-status,connect-statuses"
)
ShowHandler = Callable[[Runtime, str, bool, Session], dict[str, Any]]
SHOW: dict[str, ShowHandler] = {
    "STREAMS": show_streams,
    "TABLES": show_tables,
    "TOPICS": show_topics,
    "QUERIES": show_queries,
    "PROPERTIES": show_properties,
    "FUNCTIONS": show_functions,
    "TYPES": show_types,
    "VARIABLES": show_variables,
}


def describe(
    runtime: Runtime, node: KsqlDescribe, text: str, session: Session
) -> dict[str, Any] | None:
    """DESCRIBE name [EXTENDED], DESCRIBE STREAMS|TABLES [EXTENDED], DESCRIBE FUNCTION f."""
    kind = node.args.get("kind")
    extended = bool(node.args.get("extended"))
    if kind is not None and kind.name.upper() == "FUNCTION":
        return describe_function(identifier_name(node.this), text)
    if kind is not None and kind.name.upper() in ("STREAMS", "TABLES"):
        sources = (
            runtime.metastore.streams()
            if kind.name.upper() == "STREAMS"
            else runtime.metastore.tables()
        )
        return descriptions(runtime, text, sources)
    name = identifier_name(node.this)
    source = runtime.metastore.source(name)
    if source is None:
        raise KsqlStatementError(f"Could not find STREAM/TABLE '{name}' in the Metastore")
    return {
        "@type": "sourceDescription",
        "statementText": text,
        "sourceDescription": description(runtime, source, extended),
        "warnings": [],
    }


def description(runtime: Runtime, source: Source, extended: bool) -> dict[str, Any]:
    info = runtime.log.topic(source.topic)
    partitions = info.partitions if (extended and info) else 0
    replication = info.replicas if (extended and info) else 0
    reads = [runtime.persistent[q].entry() for q in source.read_queries if q in runtime.persistent]
    writes = [
        runtime.persistent[q].entry() for q in source.write_queries if q in runtime.persistent
    ]
    return {
        "name": source.name,
        "windowType": source.windowed,
        "readQueries": reads,
        "writeQueries": writes,
        "fields": [c.field_info() for c in source.columns],
        "type": source.kind,
        "timestamp": source.timestamp_column or "",
        "statistics": "",
        "errorStats": "",
        "extended": extended,
        "keyFormat": source.key_format,
        "valueFormat": source.value_format,
        "topic": source.topic,
        "partitions": partitions,
        "replication": replication,
        "statement": source.statement,
        "queryOffsetSummaries": [],
        "sourceConstraints": [],
        "clusterStatistics": [],
        "clusterErrorStats": [],
    }


def describe_function(name: str, text: str) -> dict[str, Any]:
    """DESCRIBE FUNCTION name."""
    function = functions.REGISTRY.get(name)
    if function is None:
        raise KsqlStatementError(f"Can't find any functions with the name '{name}'")
    return {
        "@type": "describe_function",
        "statementText": text,
        "name": function.name,
        "description": function.description,
        "author": "ksqlpy",
        "version": "",
        "path": "internal",
        "functions": [
            {
                "arguments": [],
                "returnType": "",
                "description": function.description,
                "argumentTypes": [],
            }
        ],
        "type": "SCALAR",
        "warnings": [],
    }


def query_description(query: RunningQuery) -> dict[str, Any]:
    """The QueryDescription of a running transient query."""
    return _description(
        query.query_id,
        query.plan.sql,
        [{"name": n, "schema": t.schema_info()} for n, t in _projected(query.plan)],
        [query.plan.source.name],
        [],
        "PUSH",
    )


def persistent_description(query: PersistentQuery | JoinPersistentQuery) -> dict[str, Any]:
    """The QueryDescription of a persistent query: its sink's columns, sources and sink."""
    sources = query.sources if isinstance(query, JoinPersistentQuery) else [query.source]
    return _description(
        query.query_id,
        query.sql,
        [c.field_info() for c in query.sink.columns],
        [s.name for s in sources],
        [query.sink.name],
        "PERSISTENT",
        query.sink.windowed,
        query.state,
    )


def explain(
    runtime: Runtime, node: KsqlExplain, text: str, session: Session
) -> dict[str, Any] | None:
    """EXPLAIN query-id (a persistent query) or EXPLAIN statement (planned, not run)."""
    target = node.this
    if isinstance(target, exp.Identifier):
        wanted = target.name
        query = next(
            (q for q in runtime.persistent.values() if q.query_id.upper() == wanted.upper()), None
        )
        if query is None:
            raise KsqlStatementError(
                f"Query with id:{wanted} does not exist, use SHOW QUERIES to view the full set "
                "of queries."
            )
        description = persistent_description(query)
    else:
        inner = re.sub(r"(?is)^\s*EXPLAIN\s+", "", text)
        description = _explain_statement(runtime, target, inner)
    return {
        "@type": "queryDescription",
        "statementText": text,
        "queryDescription": description,
        "warnings": [],
    }


def _explain_statement(runtime: Runtime, node: exp.Expression, text: str) -> dict[str, Any]:
    """The description of the query a statement would run, without running it."""
    if isinstance(node, KsqlSelect):
        plan = plan_select(runtime.metastore, node, text)
        fields = [{"name": n, "schema": t.schema_info()} for n, t in _projected(plan)]
        kind = "PUSH" if plan.push else "PULL"
        return _description(transient_id(plan.source), text, fields, [plan.source.name], [], kind)
    select = node.args.get("expression")
    if isinstance(node, (KsqlCreate, KsqlInsert)) and isinstance(select, KsqlSelect):
        target = node.this.this if isinstance(node.this, exp.Schema) else node.this
        name = identifier_name(target.this if isinstance(target, exp.Table) else target)
        source, pipeline = plan_persistent(runtime.metastore, select)
        if isinstance(node, KsqlInsert):
            kind, query_id = "STREAM", f"INSERTQUERY_{runtime.sequence + 1}"
        else:
            kind = str(node.args.get("kind", "")).upper()
            prefix = "CSAS" if kind == "STREAM" else "CTAS"
            query_id = f"{prefix}_{name}_{runtime.sequence + 1}"
        fields = [c.field_info() for c in sink_columns(pipeline, kind)]
        return _description(query_id, text, fields, [source.name], [name], "PERSISTENT")
    raise KsqlStatementError("The provided statement does not run a ksql query")


def _projected(plan: QueryPlan) -> list[tuple[str, SqlType]]:
    return list(zip(plan.projection.names, plan.projection.types, strict=True))


def _description(
    query_id: str,
    sql: str,
    fields: list[dict[str, Any]],
    sources: list[str],
    sinks: list[str],
    query_type: str,
    window_type: str | None = None,
    state: str = "RUNNING",
) -> dict[str, Any]:
    return {
        "id": query_id,
        "statementText": sql,
        "windowType": window_type,
        "fields": fields,
        "sources": sources,
        "sinks": sinks,
        "topology": "",
        "executionPlan": "",
        "overriddenProperties": {},
        "ksqlHostQueryStatus": {},
        "queryType": query_type,
        "queryErrors": [],
        "tasksMetadata": [],
        "state": state,
    }
