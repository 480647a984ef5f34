"""ksqlDB's ``/ksql`` entities parsed into the typed values of ``_entities``.

One parser per ``@type`` (§7 of the wire reference), chosen from a table; an ``@type`` this
version does not know becomes ``UnknownEntity`` instead of an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._entities import (
    AssertSchemaResult,
    AssertTopicResult,
    CommandResult,
    ConnectorDescription,
    ConnectorInfo,
    ConnectorList,
    ConnectorPlugin,
    ConnectorPluginsList,
    ConnectorSummary,
    DroppedConnector,
    Entity,
    FieldInfo,
    FunctionArgument,
    FunctionDescription,
    FunctionList,
    FunctionName,
    FunctionVariant,
    PropertiesList,
    Property,
    QueriesList,
    QueryDescription,
    QueryDescriptionList,
    QueryDescriptionResult,
    RunningQuery,
    SourceDescription,
    SourceDescriptionList,
    SourceDescriptionResult,
    SourceInfo,
    SourceList,
    TerminateQueryResult,
    TopicInfo,
    TopicList,
    TypeList,
    UnknownEntity,
    VariableList,
    WarningResult,
)
from ._errors import ProtocolError
from ._fields import Raw, flag, integer, items, objects, optional_text, text, texts
from ._types import SqlType

__all__ = ["parse_entities", "parse_entity"]


def _schema_type(raw: Any) -> SqlType:
    """A ``SchemaInfo`` (``{"type","fields","memberSchema","parameters"}``) as a SqlType."""
    if not isinstance(raw, Mapping):
        return SqlType("UNKNOWN")
    name = text(raw, "type", "UNKNOWN").upper()
    if name == "ARRAY":
        return SqlType("ARRAY", element=_schema_type(raw.get("memberSchema")))
    if name == "MAP":  # SchemaInfo has no key schema; ksqlDB map keys are strings
        return SqlType("MAP", key=SqlType("STRING"), value=_schema_type(raw.get("memberSchema")))
    if name == "STRUCT":
        fields = tuple(
            (text(f, "name"), _schema_type(f.get("schema"))) for f in objects(raw, "fields")
        )
        return SqlType("STRUCT", fields=fields)
    if name == "DECIMAL":
        params = raw.get("parameters")
        params = params if isinstance(params, Mapping) else {}
        return SqlType(
            "DECIMAL", precision=integer(params, "precision"), scale=integer(params, "scale")
        )
    return SqlType(name)


def _field(raw: Raw) -> FieldInfo:
    kind = text(raw, "type")
    return FieldInfo(
        text(raw, "name"),
        _schema_type(raw.get("schema")),
        key=kind == "KEY",
        header=kind == "HEADER",
        header_key=optional_text(raw, "headerKey"),
    )


def _running_query(raw: Raw) -> RunningQuery:
    counts = raw.get("statusCount")
    return RunningQuery(
        id=text(raw, "id"),
        query_string=text(raw, "queryString"),
        sinks=texts(raw, "sinks"),
        sink_kafka_topics=texts(raw, "sinkKafkaTopics"),
        query_type=text(raw, "queryType"),
        state=text(raw, "state"),
        status_count=dict(counts) if isinstance(counts, Mapping) else {},
    )


def _source_info(raw: Raw) -> SourceInfo:
    return SourceInfo(
        name=text(raw, "name"),
        type=text(raw, "type"),
        topic=text(raw, "topic"),
        key_format=text(raw, "keyFormat"),
        value_format=text(raw, "valueFormat", text(raw, "format")),
        is_windowed=flag(raw, "isWindowed"),
    )


def _source_description(raw: Raw) -> SourceDescription:
    return SourceDescription(
        name=text(raw, "name"),
        type=text(raw, "type"),
        topic=text(raw, "topic"),
        key_format=text(raw, "keyFormat"),
        value_format=text(raw, "valueFormat"),
        window_type=optional_text(raw, "windowType"),
        timestamp=text(raw, "timestamp"),
        fields=tuple(_field(f) for f in objects(raw, "fields")),
        read_queries=tuple(_running_query(q) for q in objects(raw, "readQueries")),
        write_queries=tuple(_running_query(q) for q in objects(raw, "writeQueries")),
        statement=text(raw, "statement"),
        partitions=integer(raw, "partitions"),
        replication=integer(raw, "replication"),
        extended=flag(raw, "extended"),
        statistics=text(raw, "statistics"),
        error_stats=text(raw, "errorStats"),
        raw=raw,
    )


def _query_description(raw: Raw) -> QueryDescription:
    overridden = raw.get("overriddenProperties")
    hosts = raw.get("ksqlHostQueryStatus")
    return QueryDescription(
        id=text(raw, "id") if not isinstance(raw.get("id"), Mapping) else text(raw["id"], "id"),
        statement_text=text(raw, "statementText"),
        query_type=text(raw, "queryType"),
        state=text(raw, "state"),
        fields=tuple(_field(f) for f in objects(raw, "fields")),
        sources=texts(raw, "sources"),
        sinks=texts(raw, "sinks"),
        topology=text(raw, "topology"),
        execution_plan=text(raw, "executionPlan"),
        overridden_properties=dict(overridden) if isinstance(overridden, Mapping) else {},
        host_status={str(k): str(v) for k, v in hosts.items()}
        if isinstance(hosts, Mapping)
        else {},
        raw=raw,
    )


def _common(raw: Raw) -> dict[str, Any]:
    warnings = tuple(
        text(w, "message") if isinstance(w, Mapping) else str(w) for w in items(raw, "warnings")
    )
    return {
        "type": text(raw, "@type"),
        "statement_text": text(raw, "statementText"),
        "warnings": warnings,
        "raw": raw,
    }


def _command(raw: Raw) -> Entity:
    status = raw.get("commandStatus")
    status = status if isinstance(status, Mapping) else {}
    return CommandResult(
        **_common(raw),
        command_id=text(raw, "commandId"),
        status=text(status, "status"),
        message=text(status, "message"),
        query_id=optional_text(status, "queryId"),
        command_sequence_number=integer(raw, "commandSequenceNumber", -1),
    )


def _topics(raw: Raw) -> Entity:
    topics = tuple(
        TopicInfo(
            name=text(t, "name"),
            replica_info=tuple(int(r) for r in items(t, "replicaInfo") if isinstance(r, int)),
            consumer_count=t.get("consumerCount"),
            consumer_group_count=t.get("consumerGroupCount"),
        )
        for t in objects(raw, "topics")
    )
    return TopicList(**_common(raw), topics=topics)


def _describe_function(raw: Raw) -> Entity:
    variants = tuple(
        FunctionVariant(
            arguments=tuple(
                FunctionArgument(
                    text(a, "name"), text(a, "type"), text(a, "description"), flag(a, "isVariadic")
                )
                for a in objects(v, "arguments")
            ),
            return_type=text(v, "returnType"),
            description=text(v, "description"),
        )
        for v in objects(raw, "functions")
    )
    return FunctionDescription(
        **_common(raw),
        name=text(raw, "name"),
        description=text(raw, "description"),
        author=text(raw, "author"),
        version=text(raw, "version"),
        path=text(raw, "path"),
        kind=text(raw, "type"),
        variants=variants,
    )


def _type_list(raw: Raw) -> Entity:
    types = raw.get("types")
    parsed = (
        {str(name): _schema_type(schema) for name, schema in types.items()}
        if isinstance(types, Mapping)
        else {}
    )
    return TypeList(**_common(raw), types=parsed)


def _variables(raw: Raw) -> Entity:
    variables = {text(v, "name"): text(v, "value") for v in objects(raw, "variables")}
    return VariableList(**_common(raw), variables=variables)


def _properties(raw: Raw) -> Entity:
    properties = tuple(
        Property(
            text(p, "name"),
            text(p, "value"),
            text(p, "scope"),
            text(p, "level"),
            flag(p, "editable"),
        )
        for p in objects(raw, "properties")
    )
    return PropertiesList(
        **_common(raw),
        properties=properties,
        overwritten=texts(raw, "overwrittenProperties"),
        defaults=texts(raw, "defaultProperties"),
    )


def _connector_info(raw: Raw) -> Entity:
    info = raw.get("info")
    info = info if isinstance(info, Mapping) else {}
    config = info.get("config")
    return ConnectorInfo(
        **_common(raw),
        name=text(info, "name"),
        config={str(k): str(v) for k, v in config.items()} if isinstance(config, Mapping) else {},
        connector_type=text(info, "type"),
    )


def _connector_description(raw: Raw) -> Entity:
    status = raw.get("status")
    return ConnectorDescription(
        **_common(raw),
        connector_class=text(raw, "connectorClass"),
        status=dict(status) if isinstance(status, Mapping) else {},
        sources=tuple(_source_description(s) for s in objects(raw, "sources")),
        topics=texts(raw, "topics"),
    )


def _assert_schema(raw: Raw) -> Entity:
    schema_id = raw.get("id")
    return AssertSchemaResult(
        **_common(raw),
        subject=optional_text(raw, "subject"),
        id=schema_id if isinstance(schema_id, int) else None,
        exists=flag(raw, "exists"),
    )


_PARSERS: dict[str, Callable[[Raw], Entity]] = {
    "currentStatus": _command,
    "warning_entity": lambda r: WarningResult(**_common(r), message=text(r, "message")),
    "terminate_query": lambda r: TerminateQueryResult(
        **_common(r), query_id=text(r, "queryId"), was_terminated=flag(r, "wasTerminated")
    ),
    "streams": lambda r: SourceList(
        **_common(r), sources=tuple(_source_info(s) for s in objects(r, "streams"))
    ),
    "tables": lambda r: SourceList(
        **_common(r), sources=tuple(_source_info(s) for s in objects(r, "tables"))
    ),
    "queries": lambda r: QueriesList(
        **_common(r), queries=tuple(_running_query(q) for q in objects(r, "queries"))
    ),
    "sourceDescription": lambda r: SourceDescriptionResult(
        **_common(r), source=_source_description(_mapping(r, "sourceDescription"))
    ),
    "source_descriptions": lambda r: SourceDescriptionList(
        **_common(r),
        sources=tuple(_source_description(s) for s in objects(r, "sourceDescriptions")),
    ),
    "queryDescription": lambda r: QueryDescriptionResult(
        **_common(r), query=_query_description(_mapping(r, "queryDescription"))
    ),
    "query_descriptions": lambda r: QueryDescriptionList(
        **_common(r),
        queries=tuple(_query_description(q) for q in objects(r, "queryDescriptions")),
    ),
    "properties": _properties,
    "kafka_topics": _topics,
    "kafka_topics_extended": _topics,
    "function_names": lambda r: FunctionList(
        **_common(r),
        functions=tuple(
            FunctionName(text(f, "name"), text(f, "type"), text(f, "category"))
            for f in objects(r, "functions")
        ),
    ),
    "describe_function": _describe_function,
    "type_list": _type_list,
    "variables": _variables,
    "connector_list": lambda r: ConnectorList(
        **_common(r),
        connectors=tuple(
            ConnectorSummary(
                text(c, "name"), text(c, "type"), text(c, "className"), text(c, "state")
            )
            for c in objects(r, "connectors")
        ),
    ),
    "connector_plugins_list": lambda r: ConnectorPluginsList(
        **_common(r),
        plugins=tuple(
            ConnectorPlugin(text(p, "className"), text(p, "type"), text(p, "version"))
            for p in objects(r, "connectorPlugins")
        ),
    ),
    "connector_info": _connector_info,
    "connector_description": _connector_description,
    "drop_connector": lambda r: DroppedConnector(
        **_common(r), connector_name=text(r, "connectorName")
    ),
    "assert_topic": lambda r: AssertTopicResult(
        **_common(r), topic_name=text(r, "topicName"), exists=flag(r, "exists")
    ),
    "assert_schema": _assert_schema,
}


def _mapping(raw: Raw, key: str) -> Raw:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise ProtocolError(f"ksqlDB sent a {raw.get('@type')} entity without {key!r}")
    return value


def parse_entity(raw: Mapping[str, Any]) -> Entity:
    """One ``/ksql`` response entity, typed by its ``@type`` (unknown types are kept raw)."""
    parser = _PARSERS.get(text(raw, "@type"))
    if parser is None:
        return UnknownEntity(**_common(raw))
    return parser(raw)


def parse_entities(data: Any, *, where: str = "/ksql") -> list[Entity]:
    """The ``/ksql`` response body (a JSON array of entities), typed."""
    if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
        raise ProtocolError(
            f"ksqlDB answered {where} with {type(data).__name__}, not a list of entities"
        )
    return [parse_entity(item) for item in data]
