"""ksqlDB's REST entities: the JSON objects ``/ksql`` answers, encoded from the engine's results.

Each result type of ``engine/results.py`` has one encoder here, with the field names and order
of ksqlDB's ``KsqlEntity`` classes (``CommandStatusEntity``, ``StreamsList``,
``SourceDescriptionEntity``, ...); the server-state bodies (``/info``, ``/status``,
``/clusterStatus``) are here too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .engine.metastore import Column, Source
from .engine.results import (
    CommandDone,
    FunctionDescribed,
    FunctionDescription,
    FunctionList,
    Notice,
    Overload,
    PropertyList,
    QueriesDescribed,
    QueryDescribed,
    QueryDetail,
    QueryInfo,
    QueryList,
    QueryTerminated,
    Result,
    SourceDescribed,
    SourceDetail,
    SourceList,
    SourcesDescribed,
    TopicList,
    TypeList,
    VariableList,
)
from .engine.types import ArrayType, DecimalType, MapType, SqlType, StructType


def entities(results: Iterable[Result]) -> list[dict[str, Any]]:
    """The ``/ksql`` answer: one entity per result, in order."""
    return [entity(r) for r in results]


def entity(result: Result) -> dict[str, Any]:
    """The ksqlDB entity of one statement's result."""
    body = _ENCODERS[type(result)](result)
    return {"@type": body.pop("@type"), "statementText": result.text, **body, "warnings": []}


# -- values shared by several entities ----------------------------------------------------------


def schema_info(kind: SqlType) -> dict[str, Any]:
    """ksqlDB's ``SchemaInfo``: the type, its struct fields and its array/map member."""
    if isinstance(kind, ArrayType):
        return {"type": "ARRAY", "fields": None, "memberSchema": schema_info(kind.element)}
    if isinstance(kind, MapType):
        return {"type": "MAP", "fields": None, "memberSchema": schema_info(kind.value)}
    if isinstance(kind, StructType):
        fields = [{"name": n, "schema": schema_info(t)} for n, t in kind.fields]
        return {"type": "STRUCT", "fields": fields, "memberSchema": None}
    if isinstance(kind, DecimalType):
        parameters = {"precision": kind.precision, "scale": kind.scale}
        return {"type": "DECIMAL", "fields": None, "memberSchema": None, "parameters": parameters}
    return {"type": kind.base, "fields": None, "memberSchema": None}


def field_info(column: Column) -> dict[str, Any]:
    """ksqlDB's ``FieldInfo`` (``type`` only for keys and headers)."""
    info: dict[str, Any] = {"name": column.name, "schema": schema_info(column.type)}
    if column.role == "KEY":
        info["type"] = "KEY"
    elif column.is_header:
        info["type"] = "HEADER"
        if column.header_key is not None:
            info["headerKey"] = column.header_key
    return info


def _source_entry(source: Source) -> dict[str, Any]:
    """A ``SHOW STREAMS`` / ``SHOW TABLES`` entry."""
    return {
        "type": source.kind,
        "name": source.name,
        "topic": source.topic,
        "keyFormat": source.key_format,
        "valueFormat": source.value_format,
        "isWindowed": source.windowed is not None,
    }


def _query_entry(query: QueryInfo) -> dict[str, Any]:
    """A ``SHOW QUERIES`` entry (``RunningQuery``)."""
    return {
        "queryString": query.sql,
        "sinks": list(query.sinks),
        "sinkKafkaTopics": list(query.sink_topics),
        "id": query.query_id,
        "statusCount": {query.state: 1},
        "queryType": query.query_type,
        "state": query.state,
    }


def _source_description(detail: SourceDetail) -> dict[str, Any]:
    source = detail.source
    return {
        "name": source.name,
        "windowType": source.windowed,
        "readQueries": [_query_entry(q) for q in detail.reads],
        "writeQueries": [_query_entry(q) for q in detail.writes],
        "fields": [field_info(c) for c in source.columns],
        "type": source.kind,
        "timestamp": source.timestamp_column or "",
        "statistics": "",
        "errorStats": "",
        "extended": detail.extended,
        "keyFormat": source.key_format,
        "valueFormat": source.value_format,
        "topic": source.topic,
        "partitions": detail.partitions,
        "replication": detail.replicas,
        "statement": source.statement,
        "queryOffsetSummaries": [],
        "sourceConstraints": [],
        "clusterStatistics": [],
        "clusterErrorStats": [],
    }


def _query_description(detail: QueryDetail) -> dict[str, Any]:
    return {
        "id": detail.query_id,
        "statementText": detail.sql,
        "windowType": detail.window_type,
        "fields": [field_info(c) for c in detail.fields],
        "sources": list(detail.sources),
        "sinks": list(detail.sinks),
        "topology": "",
        "executionPlan": "",
        "overriddenProperties": {},
        "ksqlHostQueryStatus": {},
        "queryType": detail.query_type,
        "queryErrors": [
            {"timestamp": e.timestamp, "errorMessage": e.message, "type": e.kind}
            for e in detail.errors
        ],
        "tasksMetadata": [],
        "state": detail.state,
    }


def _overload(overload: Overload) -> dict[str, Any]:
    return {
        "arguments": [
            {"name": a.name, "type": a.type, "description": "", "isVariadic": a.variadic}
            for a in overload.arguments
        ],
        "returnType": overload.returns,
        "description": overload.description,
        "argumentTypes": [a.type for a in overload.arguments],
    }


def function_description(function: FunctionDescription) -> dict[str, Any]:
    """The fields of ``describe_function`` (its ``FunctionDescriptionList``)."""
    return {
        "name": function.name,
        "description": function.description,
        "author": function.author,
        "version": function.version,
        "path": function.path,
        "functions": [_overload(o) for o in function.overloads],
        "type": function.kind,
    }


# -- one encoder per result ---------------------------------------------------------------------

R = TypeVar("R", bound=Result)
_ENCODERS: dict[type[Result], Callable[[Any], dict[str, Any]]] = {}


def _encodes(kind: type[R]) -> Callable[[Callable[[R], dict[str, Any]]], Callable[[R], Any]]:
    def register(encoder: Callable[[R], dict[str, Any]]) -> Callable[[R], Any]:
        _ENCODERS[kind] = encoder
        return encoder

    return register


@_encodes(CommandDone)
def _command(done: CommandDone) -> dict[str, Any]:
    return {
        "@type": "currentStatus",
        "commandId": done.command_id,
        "commandStatus": {"status": "SUCCESS", "message": done.message, "queryId": done.query_id},
        "commandSequenceNumber": done.sequence,
    }


@_encodes(Notice)
def _notice(notice: Notice) -> dict[str, Any]:
    return {"@type": "warning_entity", "message": notice.message}


@_encodes(QueryTerminated)
def _terminated(result: QueryTerminated) -> dict[str, Any]:
    return {"@type": "terminate_query", "queryId": result.query_id, "wasTerminated": True}


@_encodes(SourceList)
def _sources(result: SourceList) -> dict[str, Any]:
    plural = "streams" if result.kind == "STREAM" else "tables"
    return {"@type": plural, plural: [_source_entry(s) for s in result.sources]}


@_encodes(SourceDescribed)
def _described(result: SourceDescribed) -> dict[str, Any]:
    return {"@type": "sourceDescription", "sourceDescription": _source_description(result.detail)}


@_encodes(SourcesDescribed)
def _all_described(result: SourcesDescribed) -> dict[str, Any]:
    described = [_source_description(d) for d in result.details]
    return {"@type": "source_descriptions", "sourceDescriptions": described}


@_encodes(TopicList)
def _topics(result: TopicList) -> dict[str, Any]:
    topics = []
    for info in result.topics:
        entry: dict[str, Any] = {
            "name": info.name,
            "replicaInfo": [info.replicas] * info.partitions,
        }
        if result.extended:
            entry.update(consumerCount=0, consumerGroupCount=0)
        topics.append(entry)
    kind = "kafka_topics_extended" if result.extended else "kafka_topics"
    return {"@type": kind, "topics": topics}


@_encodes(QueryList)
def _queries(result: QueryList) -> dict[str, Any]:
    return {"@type": "queries", "queries": [_query_entry(q) for q in result.queries]}


@_encodes(QueryDescribed)
def _explained(result: QueryDescribed) -> dict[str, Any]:
    return {"@type": "queryDescription", "queryDescription": _query_description(result.detail)}


@_encodes(QueriesDescribed)
def _all_explained(result: QueriesDescribed) -> dict[str, Any]:
    described = [_query_description(d) for d in result.details]
    return {"@type": "query_descriptions", "queryDescriptions": described}


@_encodes(PropertyList)
def _properties(result: PropertyList) -> dict[str, Any]:
    return {
        "@type": "properties",
        "properties": [
            {
                "name": p.name,
                "scope": "KSQL",
                "value": p.value,
                "editable": p.editable,
                "level": p.level,
            }
            for p in result.properties
        ],
        "overwrittenProperties": list(result.overwritten),
        "defaultProperties": list(result.defaults),
    }


@_encodes(FunctionList)
def _functions(result: FunctionList) -> dict[str, Any]:
    listed = [{"name": f.name, "type": f.kind, "category": f.category} for f in result.functions]
    return {"@type": "function_names", "functions": listed}


@_encodes(FunctionDescribed)
def _function(result: FunctionDescribed) -> dict[str, Any]:
    return {"@type": "describe_function", **function_description(result.function)}


@_encodes(TypeList)
def _types(result: TypeList) -> dict[str, Any]:
    return {"@type": "type_list", "types": {name: schema_info(t) for name, t in result.types}}


@_encodes(VariableList)
def _variables(result: VariableList) -> dict[str, Any]:
    listed = [{"name": k, "value": v} for k, v in result.variables]
    return {"@type": "variables", "variables": listed}


# -- server state -------------------------------------------------------------------------------


def server_info(version: str, cluster_id: str, service_id: str) -> dict[str, Any]:
    """``/info``'s ``KsqlServerInfo``."""
    return {
        "version": version,
        "kafkaClusterId": cluster_id,
        "ksqlServiceId": service_id,
        "serverStatus": "RUNNING",
    }


def cluster_status(host: str) -> dict[str, Any]:
    """``/clusterStatus``'s body: this one host, alive, with no standbys or lags."""
    now = int(time.time() * 1000)
    return {
        "clusterStatus": {
            host: {
                "hostAlive": True,
                "lastStatusUpdateMs": now,
                "activeStandbyPerQuery": {},
                "hostStoreLags": {"stateStoreLags": {}, "updateTimeMs": now},
            }
        }
    }


__all__ = ["cluster_status", "entities", "entity", "field_info", "schema_info", "server_info"]
