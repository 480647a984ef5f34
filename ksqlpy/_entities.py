"""Typed values for what ksqlDB returns from ``/ksql`` and its informational endpoints.

One parser per ``@type`` (§7 of the wire reference), chosen from a table; an ``@type`` this
version does not know becomes ``UnknownEntity`` instead of an error, and every entity keeps the
server's JSON in ``raw`` so nothing the server said is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import ProtocolError
from ._types import SqlType

__all__ = [
    "AssertSchemaResult",
    "AssertTopicResult",
    "ClusterStatus",
    "CommandResult",
    "ConnectorDescription",
    "ConnectorInfo",
    "ConnectorList",
    "ConnectorPlugin",
    "ConnectorPluginsList",
    "ConnectorSummary",
    "DroppedConnector",
    "Entity",
    "FieldInfo",
    "FunctionArgument",
    "FunctionDescription",
    "FunctionList",
    "FunctionName",
    "FunctionVariant",
    "HealthStatus",
    "HostStatus",
    "PropertiesList",
    "Property",
    "QueriesList",
    "QueryDescription",
    "QueryDescriptionList",
    "QueryDescriptionResult",
    "RunningQuery",
    "ServerInfo",
    "SourceDescription",
    "SourceDescriptionList",
    "SourceDescriptionResult",
    "SourceInfo",
    "SourceList",
    "TerminateQueryResult",
    "TopicInfo",
    "TopicList",
    "TypeList",
    "UnknownEntity",
    "VariableList",
    "WarningResult",
    "parse_entities",
    "parse_entity",
]

_Raw = Mapping[str, Any]


def _s(raw: _Raw, key: str, default: str = "") -> str:
    value = raw.get(key)
    return default if value is None else str(value)


def _opt(raw: _Raw, key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else str(value)


def _i(raw: _Raw, key: str, default: int = 0) -> int:
    value = raw.get(key)
    return value if isinstance(value, int) else default


def _b(raw: _Raw, key: str) -> bool:
    return bool(raw.get(key, False))


def _list(raw: _Raw, key: str) -> list[Any]:
    value = raw.get(key)
    return value if isinstance(value, list) else []


def _dicts(raw: _Raw, key: str) -> list[_Raw]:
    return [item for item in _list(raw, key) if isinstance(item, Mapping)]


def _strs(raw: _Raw, key: str) -> tuple[str, ...]:
    return tuple(str(item) for item in _list(raw, key))


@dataclass(frozen=True, slots=True, kw_only=True)
class Entity:
    """What one statement returned: its ``@type``, the statement text, warnings and raw JSON."""

    type: str
    statement_text: str = ""
    warnings: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandResult(Entity):
    """A command ksqlDB ran (``currentStatus``): CREATE, DROP, CSAS/CTAS, TERMINATE, ...

    ``query_id`` is set for statements that start a persistent query; pass
    ``command_sequence_number`` on to make a later request wait for this command.
    """

    command_id: str = ""
    status: str = ""
    message: str = ""
    query_id: str | None = None
    command_sequence_number: int = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class WarningResult(Entity):
    """A statement that did nothing and said why (e.g. ``CREATE ... IF NOT EXISTS`` on a source)."""

    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminateQueryResult(Entity):
    """``TERMINATE`` of a transient (push) query."""

    query_id: str = ""
    was_terminated: bool = False


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One stream or table of ``SHOW STREAMS`` / ``SHOW TABLES``."""

    name: str
    type: str
    topic: str
    key_format: str
    value_format: str
    is_windowed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceList(Entity):
    """``SHOW STREAMS`` or ``SHOW TABLES``."""

    sources: tuple[SourceInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class RunningQuery:
    """One query of ``SHOW QUERIES`` (also the read/write queries of a source description)."""

    id: str
    query_string: str
    sinks: tuple[str, ...]
    sink_kafka_topics: tuple[str, ...]
    query_type: str
    state: str
    status_count: Mapping[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueriesList(Entity):
    """``SHOW QUERIES``."""

    queries: tuple[RunningQuery, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """A column of a described source: name, type, and whether it is a key or header column."""

    name: str
    type: SqlType
    key: bool = False
    header: bool = False
    header_key: str | None = None


@dataclass(frozen=True, slots=True)
class SourceDescription:
    """``DESCRIBE`` of a stream or table (non-extended fields are empty or 0)."""

    name: str
    type: str
    topic: str
    key_format: str
    value_format: str
    window_type: str | None
    timestamp: str
    fields: tuple[FieldInfo, ...]
    read_queries: tuple[RunningQuery, ...]
    write_queries: tuple[RunningQuery, ...]
    statement: str
    partitions: int
    replication: int
    extended: bool
    statistics: str
    error_stats: str
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDescriptionResult(Entity):
    """``DESCRIBE source`` (``sourceDescription``)."""

    source: SourceDescription


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDescriptionList(Entity):
    """``SHOW STREAMS EXTENDED`` / ``SHOW TABLES EXTENDED``."""

    sources: tuple[SourceDescription, ...] = ()


@dataclass(frozen=True, slots=True)
class QueryDescription:
    """``EXPLAIN`` of a query: its sources, sinks, schema, topology and plan."""

    id: str
    statement_text: str
    query_type: str
    state: str
    fields: tuple[FieldInfo, ...]
    sources: tuple[str, ...]
    sinks: tuple[str, ...]
    topology: str
    execution_plan: str
    overridden_properties: Mapping[str, Any]
    host_status: Mapping[str, str]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryDescriptionResult(Entity):
    """``EXPLAIN`` (``queryDescription``)."""

    query: QueryDescription


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryDescriptionList(Entity):
    """``SHOW QUERIES EXTENDED``."""

    queries: tuple[QueryDescription, ...] = ()


@dataclass(frozen=True, slots=True)
class Property:
    """One property of ``SHOW PROPERTIES`` (values are always strings)."""

    name: str
    value: str
    scope: str
    level: str
    editable: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PropertiesList(Entity):
    """``SHOW PROPERTIES``."""

    properties: tuple[Property, ...] = ()
    overwritten: tuple[str, ...] = ()
    defaults: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """A Kafka topic of ``SHOW TOPICS`` (consumer counts only with EXTENDED)."""

    name: str
    replica_info: tuple[int, ...]
    consumer_count: int | None = None
    consumer_group_count: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicList(Entity):
    """``SHOW TOPICS [EXTENDED]``."""

    topics: tuple[TopicInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class FunctionName:
    """A function of ``SHOW FUNCTIONS``: name, SCALAR/AGGREGATE/TABLE, category."""

    name: str
    type: str
    category: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionList(Entity):
    """``SHOW FUNCTIONS``."""

    functions: tuple[FunctionName, ...] = ()


@dataclass(frozen=True, slots=True)
class FunctionArgument:
    """One argument of a function variant."""

    name: str
    type: str
    description: str
    is_variadic: bool


@dataclass(frozen=True, slots=True)
class FunctionVariant:
    """One signature of a function: arguments and return type."""

    arguments: tuple[FunctionArgument, ...]
    return_type: str
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionDescription(Entity):
    """``DESCRIBE FUNCTION``."""

    name: str = ""
    description: str = ""
    author: str = ""
    version: str = ""
    path: str = ""
    kind: str = ""
    variants: tuple[FunctionVariant, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeList(Entity):
    """``SHOW TYPES``: custom type name to its type."""

    types: Mapping[str, SqlType] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class VariableList(Entity):
    """``SHOW VARIABLES``: the session variables the server saw with the request."""

    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConnectorSummary:
    """A connector of ``SHOW CONNECTORS``."""

    name: str
    type: str
    class_name: str
    state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorList(Entity):
    """``SHOW CONNECTORS``."""

    connectors: tuple[ConnectorSummary, ...] = ()


@dataclass(frozen=True, slots=True)
class ConnectorPlugin:
    """A connector class Kafka Connect can run (``SHOW CONNECTOR PLUGINS``)."""

    class_name: str
    type: str
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorPluginsList(Entity):
    """``SHOW CONNECTOR PLUGINS``."""

    plugins: tuple[ConnectorPlugin, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorInfo(Entity):
    """``CREATE SOURCE|SINK CONNECTOR``: the created connector's name, config and type."""

    name: str = ""
    config: Mapping[str, str] = field(default_factory=dict)
    connector_type: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorDescription(Entity):
    """``DESCRIBE CONNECTOR``: class, status, the sources it feeds and its topics."""

    connector_class: str = ""
    status: Mapping[str, Any] = field(default_factory=dict)
    sources: tuple[SourceDescription, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DroppedConnector(Entity):
    """``DROP CONNECTOR``."""

    connector_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AssertTopicResult(Entity):
    """``ASSERT [NOT EXISTS] TOPIC`` that held."""

    topic_name: str = ""
    exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AssertSchemaResult(Entity):
    """``ASSERT [NOT EXISTS] SCHEMA`` that held."""

    subject: str | None = None
    id: int | None = None
    exists: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownEntity(Entity):
    """An ``@type`` this version of ksqlpy does not know; read ``raw``."""


# --- parsers -------------------------------------------------------------------------------------


def _schema_type(raw: Any) -> SqlType:
    """A ``SchemaInfo`` (``{"type","fields","memberSchema","parameters"}``) as a SqlType."""
    if not isinstance(raw, Mapping):
        return SqlType("UNKNOWN")
    name = _s(raw, "type", "UNKNOWN").upper()
    if name == "ARRAY":
        return SqlType("ARRAY", element=_schema_type(raw.get("memberSchema")))
    if name == "MAP":  # SchemaInfo has no key schema; ksqlDB map keys are strings
        return SqlType("MAP", key=SqlType("STRING"), value=_schema_type(raw.get("memberSchema")))
    if name == "STRUCT":
        fields = tuple(
            (_s(f, "name"), _schema_type(f.get("schema"))) for f in _dicts(raw, "fields")
        )
        return SqlType("STRUCT", fields=fields)
    if name == "DECIMAL":
        params = raw.get("parameters")
        params = params if isinstance(params, Mapping) else {}
        return SqlType("DECIMAL", precision=_i(params, "precision"), scale=_i(params, "scale"))
    return SqlType(name)


def _field(raw: _Raw) -> FieldInfo:
    kind = _s(raw, "type")
    return FieldInfo(
        _s(raw, "name"),
        _schema_type(raw.get("schema")),
        key=kind == "KEY",
        header=kind == "HEADER",
        header_key=_opt(raw, "headerKey"),
    )


def _running_query(raw: _Raw) -> RunningQuery:
    counts = raw.get("statusCount")
    return RunningQuery(
        id=_s(raw, "id"),
        query_string=_s(raw, "queryString"),
        sinks=_strs(raw, "sinks"),
        sink_kafka_topics=_strs(raw, "sinkKafkaTopics"),
        query_type=_s(raw, "queryType"),
        state=_s(raw, "state"),
        status_count=dict(counts) if isinstance(counts, Mapping) else {},
    )


def _source_info(raw: _Raw) -> SourceInfo:
    return SourceInfo(
        name=_s(raw, "name"),
        type=_s(raw, "type"),
        topic=_s(raw, "topic"),
        key_format=_s(raw, "keyFormat"),
        value_format=_s(raw, "valueFormat", _s(raw, "format")),
        is_windowed=_b(raw, "isWindowed"),
    )


def _source_description(raw: _Raw) -> SourceDescription:
    return SourceDescription(
        name=_s(raw, "name"),
        type=_s(raw, "type"),
        topic=_s(raw, "topic"),
        key_format=_s(raw, "keyFormat"),
        value_format=_s(raw, "valueFormat"),
        window_type=_opt(raw, "windowType"),
        timestamp=_s(raw, "timestamp"),
        fields=tuple(_field(f) for f in _dicts(raw, "fields")),
        read_queries=tuple(_running_query(q) for q in _dicts(raw, "readQueries")),
        write_queries=tuple(_running_query(q) for q in _dicts(raw, "writeQueries")),
        statement=_s(raw, "statement"),
        partitions=_i(raw, "partitions"),
        replication=_i(raw, "replication"),
        extended=_b(raw, "extended"),
        statistics=_s(raw, "statistics"),
        error_stats=_s(raw, "errorStats"),
        raw=raw,
    )


def _query_description(raw: _Raw) -> QueryDescription:
    overridden = raw.get("overriddenProperties")
    hosts = raw.get("ksqlHostQueryStatus")
    return QueryDescription(
        id=_s(raw, "id") if not isinstance(raw.get("id"), Mapping) else _s(raw["id"], "id"),
        statement_text=_s(raw, "statementText"),
        query_type=_s(raw, "queryType"),
        state=_s(raw, "state"),
        fields=tuple(_field(f) for f in _dicts(raw, "fields")),
        sources=_strs(raw, "sources"),
        sinks=_strs(raw, "sinks"),
        topology=_s(raw, "topology"),
        execution_plan=_s(raw, "executionPlan"),
        overridden_properties=dict(overridden) if isinstance(overridden, Mapping) else {},
        host_status={str(k): str(v) for k, v in hosts.items()}
        if isinstance(hosts, Mapping)
        else {},
        raw=raw,
    )


def _common(raw: _Raw) -> dict[str, Any]:
    warnings = tuple(
        _s(w, "message") if isinstance(w, Mapping) else str(w) for w in _list(raw, "warnings")
    )
    return {
        "type": _s(raw, "@type"),
        "statement_text": _s(raw, "statementText"),
        "warnings": warnings,
        "raw": raw,
    }


def _command(raw: _Raw) -> Entity:
    status = raw.get("commandStatus")
    status = status if isinstance(status, Mapping) else {}
    return CommandResult(
        **_common(raw),
        command_id=_s(raw, "commandId"),
        status=_s(status, "status"),
        message=_s(status, "message"),
        query_id=_opt(status, "queryId"),
        command_sequence_number=_i(raw, "commandSequenceNumber", -1),
    )


def _topics(raw: _Raw) -> Entity:
    topics = tuple(
        TopicInfo(
            name=_s(t, "name"),
            replica_info=tuple(int(r) for r in _list(t, "replicaInfo") if isinstance(r, int)),
            consumer_count=t.get("consumerCount"),
            consumer_group_count=t.get("consumerGroupCount"),
        )
        for t in _dicts(raw, "topics")
    )
    return TopicList(**_common(raw), topics=topics)


def _describe_function(raw: _Raw) -> Entity:
    variants = tuple(
        FunctionVariant(
            arguments=tuple(
                FunctionArgument(
                    _s(a, "name"), _s(a, "type"), _s(a, "description"), _b(a, "isVariadic")
                )
                for a in _dicts(v, "arguments")
            ),
            return_type=_s(v, "returnType"),
            description=_s(v, "description"),
        )
        for v in _dicts(raw, "functions")
    )
    return FunctionDescription(
        **_common(raw),
        name=_s(raw, "name"),
        description=_s(raw, "description"),
        author=_s(raw, "author"),
        version=_s(raw, "version"),
        path=_s(raw, "path"),
        kind=_s(raw, "type"),
        variants=variants,
    )


def _type_list(raw: _Raw) -> Entity:
    types = raw.get("types")
    parsed = (
        {str(name): _schema_type(schema) for name, schema in types.items()}
        if isinstance(types, Mapping)
        else {}
    )
    return TypeList(**_common(raw), types=parsed)


def _variables(raw: _Raw) -> Entity:
    variables = {_s(v, "name"): _s(v, "value") for v in _dicts(raw, "variables")}
    return VariableList(**_common(raw), variables=variables)


def _properties(raw: _Raw) -> Entity:
    properties = tuple(
        Property(_s(p, "name"), _s(p, "value"), _s(p, "scope"), _s(p, "level"), _b(p, "editable"))
        for p in _dicts(raw, "properties")
    )
    return PropertiesList(
        **_common(raw),
        properties=properties,
        overwritten=_strs(raw, "overwrittenProperties"),
        defaults=_strs(raw, "defaultProperties"),
    )


def _connector_info(raw: _Raw) -> Entity:
    info = raw.get("info")
    info = info if isinstance(info, Mapping) else {}
    config = info.get("config")
    return ConnectorInfo(
        **_common(raw),
        name=_s(info, "name"),
        config={str(k): str(v) for k, v in config.items()} if isinstance(config, Mapping) else {},
        connector_type=_s(info, "type"),
    )


def _connector_description(raw: _Raw) -> Entity:
    status = raw.get("status")
    return ConnectorDescription(
        **_common(raw),
        connector_class=_s(raw, "connectorClass"),
        status=dict(status) if isinstance(status, Mapping) else {},
        sources=tuple(_source_description(s) for s in _dicts(raw, "sources")),
        topics=_strs(raw, "topics"),
    )


def _assert_schema(raw: _Raw) -> Entity:
    schema_id = raw.get("id")
    return AssertSchemaResult(
        **_common(raw),
        subject=_opt(raw, "subject"),
        id=schema_id if isinstance(schema_id, int) else None,
        exists=_b(raw, "exists"),
    )


_PARSERS: dict[str, Callable[[_Raw], Entity]] = {
    "currentStatus": _command,
    "warning_entity": lambda r: WarningResult(**_common(r), message=_s(r, "message")),
    "terminate_query": lambda r: TerminateQueryResult(
        **_common(r), query_id=_s(r, "queryId"), was_terminated=_b(r, "wasTerminated")
    ),
    "streams": lambda r: SourceList(
        **_common(r), sources=tuple(_source_info(s) for s in _dicts(r, "streams"))
    ),
    "tables": lambda r: SourceList(
        **_common(r), sources=tuple(_source_info(s) for s in _dicts(r, "tables"))
    ),
    "queries": lambda r: QueriesList(
        **_common(r), queries=tuple(_running_query(q) for q in _dicts(r, "queries"))
    ),
    "sourceDescription": lambda r: SourceDescriptionResult(
        **_common(r), source=_source_description(_mapping(r, "sourceDescription"))
    ),
    "source_descriptions": lambda r: SourceDescriptionList(
        **_common(r),
        sources=tuple(_source_description(s) for s in _dicts(r, "sourceDescriptions")),
    ),
    "queryDescription": lambda r: QueryDescriptionResult(
        **_common(r), query=_query_description(_mapping(r, "queryDescription"))
    ),
    "query_descriptions": lambda r: QueryDescriptionList(
        **_common(r),
        queries=tuple(_query_description(q) for q in _dicts(r, "queryDescriptions")),
    ),
    "properties": _properties,
    "kafka_topics": _topics,
    "kafka_topics_extended": _topics,
    "function_names": lambda r: FunctionList(
        **_common(r),
        functions=tuple(
            FunctionName(_s(f, "name"), _s(f, "type"), _s(f, "category"))
            for f in _dicts(r, "functions")
        ),
    ),
    "describe_function": _describe_function,
    "type_list": _type_list,
    "variables": _variables,
    "connector_list": lambda r: ConnectorList(
        **_common(r),
        connectors=tuple(
            ConnectorSummary(_s(c, "name"), _s(c, "type"), _s(c, "className"), _s(c, "state"))
            for c in _dicts(r, "connectors")
        ),
    ),
    "connector_plugins_list": lambda r: ConnectorPluginsList(
        **_common(r),
        plugins=tuple(
            ConnectorPlugin(_s(p, "className"), _s(p, "type"), _s(p, "version"))
            for p in _dicts(r, "connectorPlugins")
        ),
    ),
    "connector_info": _connector_info,
    "connector_description": _connector_description,
    "drop_connector": lambda r: DroppedConnector(
        **_common(r), connector_name=_s(r, "connectorName")
    ),
    "assert_topic": lambda r: AssertTopicResult(
        **_common(r), topic_name=_s(r, "topicName"), exists=_b(r, "exists")
    ),
    "assert_schema": _assert_schema,
}


def _mapping(raw: _Raw, key: str) -> _Raw:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise ProtocolError(f"ksqlDB sent a {raw.get('@type')} entity without {key!r}")
    return value


def parse_entity(raw: Mapping[str, Any]) -> Entity:
    """One ``/ksql`` response entity, typed by its ``@type`` (unknown types are kept raw)."""
    parser = _PARSERS.get(_s(raw, "@type"))
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


# --- informational endpoints ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """``GET /info``: server version, Kafka cluster id, service id and command-runner status."""

    version: str
    kafka_cluster_id: str
    ksql_service_id: str
    server_status: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def parse(cls, data: Any) -> ServerInfo:
        """From the ``{"KsqlServerInfo": {...}}`` body."""
        info = data.get("KsqlServerInfo") if isinstance(data, Mapping) else None
        if not isinstance(info, Mapping):
            raise ProtocolError("ksqlDB answered /info without a KsqlServerInfo object")
        return cls(
            version=_s(info, "version"),
            kafka_cluster_id=_s(info, "kafkaClusterId"),
            ksql_service_id=_s(info, "ksqlServiceId"),
            server_status=_opt(info, "serverStatus"),
            raw=info,
        )


@dataclass(frozen=True, slots=True)
class HealthStatus:
    """``GET /healthcheck``: overall health, per-subsystem health and the server state."""

    is_healthy: bool
    details: Mapping[str, bool]
    server_state: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def parse(cls, data: Any) -> HealthStatus:
        """From the ``HealthCheckResponse`` body."""
        if not isinstance(data, Mapping) or "isHealthy" not in data:
            raise ProtocolError("ksqlDB answered /healthcheck without isHealthy")
        details = data.get("details")
        return cls(
            is_healthy=bool(data["isHealthy"]),
            details={
                str(name): bool(value.get("isHealthy"))
                for name, value in details.items()
                if isinstance(value, Mapping)
            }
            if isinstance(details, Mapping)
            else {},
            server_state=_opt(data, "serverState"),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class HostStatus:
    """One server of ``GET /clusterStatus``: alive, last update and its queries' stores."""

    host: str
    alive: bool
    last_status_update_ms: int
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """``GET /clusterStatus``: the status of every server of the ksqlDB cluster, by host."""

    hosts: Mapping[str, HostStatus]

    @classmethod
    def parse(cls, data: Any) -> ClusterStatus:
        """From the ``{"clusterStatus": {host: {...}}}`` body."""
        status = data.get("clusterStatus") if isinstance(data, Mapping) else None
        if not isinstance(status, Mapping):
            raise ProtocolError("ksqlDB answered /clusterStatus without a clusterStatus object")
        return cls(
            {
                str(host): HostStatus(
                    str(host), _b(info, "hostAlive"), _i(info, "lastStatusUpdateMs"), raw=info
                )
                for host, info in status.items()
                if isinstance(info, Mapping)
            }
        )
