"""Typed values for what ksqlDB returns from ``/ksql`` and its informational endpoints.

Every entity keeps the server's JSON in ``raw`` so nothing the server said is lost; the
parsers, one per ``@type``, are in ``_entity_parsers``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import ProtocolError
from ._fields import flag, integer, optional_text, text
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
]


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
            version=text(info, "version"),
            kafka_cluster_id=text(info, "kafkaClusterId"),
            ksql_service_id=text(info, "ksqlServiceId"),
            server_status=optional_text(info, "serverStatus"),
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
            server_state=optional_text(data, "serverState"),
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
                    str(host),
                    flag(info, "hostAlive"),
                    integer(info, "lastStatusUpdateMs"),
                    raw=info,
                )
                for host, info in status.items()
                if isinstance(info, Mapping)
            }
        )
