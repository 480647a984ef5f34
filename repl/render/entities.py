"""One renderer per response entity type, as the ksql CLI lays them out (tables and fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ksqlpy import (
    AssertSchemaResult,
    AssertTopicResult,
    CommandResult,
    ConnectorDescription,
    ConnectorInfo,
    ConnectorList,
    DroppedConnector,
    Entity,
    FieldInfo,
    FunctionDescription,
    FunctionList,
    PropertiesList,
    QueriesList,
    QueryDescription,
    QueryDescriptionList,
    QueryDescriptionResult,
    RunningQuery,
    SourceDescription,
    SourceDescriptionList,
    SourceDescriptionResult,
    SourceList,
    TerminateQueryResult,
    TopicList,
    TypeList,
    UnknownEntity,
    VariableList,
    WarningResult,
)

from .table import fields, mapping_rows, table, to_json

E = TypeVar("E", bound=Entity)
Renderer = Callable[[Any, "int | None"], str]


def _message(message: str, width: int | None) -> str:
    return table(["Message"], [[message]], width=width)


def command_result(entity: CommandResult, width: int | None) -> str:
    """CREATE/DROP/TERMINATE...: the server's message (and the query it started)."""
    message = entity.message or entity.status
    text = _message(message, width)
    if entity.query_id and entity.query_id not in message:  # ksqlDB's message usually names it
        text += f"\nCreated query with ID {entity.query_id}"
    return text


def warning_result(entity: WarningResult, width: int | None) -> str:
    """A statement that did nothing and said why."""
    return _message(entity.message, width)


def terminate_result(entity: TerminateQueryResult, width: int | None) -> str:
    """TERMINATE of a push query."""
    verb = "terminated" if entity.was_terminated else "not terminated"
    return _message(f"Query {entity.query_id} {verb}.", width)


def source_list(entity: SourceList, width: int | None) -> str:
    """SHOW STREAMS / SHOW TABLES."""
    kind = "Table" if entity.type == "tables" else "Stream"
    rows = [
        [s.name, s.topic, s.key_format, s.value_format, "true" if s.is_windowed else "false"]
        for s in sorted(entity.sources, key=lambda s: s.name)
    ]
    headers = [f"{kind} Name", "Kafka Topic", "Key Format", "Value Format", "Windowed"]
    return table(headers, rows, width=width)


def topic_list(entity: TopicList, width: int | None) -> str:
    """SHOW TOPICS [EXTENDED]."""
    extended = entity.type == "kafka_topics_extended"
    headers = ["Kafka Topic", "Partitions", "Partition Replicas"]
    if extended:
        headers += ["Consumers", "ConsumerGroups"]
    rows = []
    for topic in sorted(entity.topics, key=lambda t: t.name):
        replicas = str(max(topic.replica_info, default=0))
        row = [topic.name, str(len(topic.replica_info)), replicas]
        if extended:
            row += [str(topic.consumer_count or 0), str(topic.consumer_group_count or 0)]
        rows.append(row)
    return table(headers, rows, width=width)


def _query_rows(queries: tuple[RunningQuery, ...]) -> list[list[str]]:
    return [
        [
            q.id,
            q.query_type,
            q.state or ", ".join(f"{k}:{v}" for k, v in q.status_count.items()),
            ",".join(q.sinks),
            ",".join(q.sink_kafka_topics),
            q.query_string,
        ]
        for q in queries
    ]


def queries_list(entity: QueriesList, width: int | None) -> str:
    """SHOW QUERIES."""
    headers = ["Query ID", "Query Type", "Status", "Sink Name", "Sink Kafka Topic", "Query String"]
    return (
        table(headers, _query_rows(entity.queries), width=width)
        + "\nFor detailed information on a Query run: EXPLAIN <Query ID>;"
    )


def properties_list(entity: PropertiesList, width: int | None) -> str:
    """SHOW PROPERTIES: every property, its scope and level, overrides marked."""
    overwritten = set(entity.overwritten)
    rows = [
        [p.name, p.scope, p.level, "SESSION" if p.name in overwritten else "", p.value]
        for p in sorted(entity.properties, key=lambda p: p.name)
    ]
    headers = ["Property", "Scope", "Level", "Default override", "Effective Value"]
    return table(headers, rows, width=width)


def function_list(entity: FunctionList, width: int | None) -> str:
    """SHOW FUNCTIONS."""
    rows = [[f.name, f.category] for f in sorted(entity.functions, key=lambda f: f.name)]
    return (
        table(["Function Name", "Category"], rows, width=width)
        + "\nFor detailed information on a function run: DESCRIBE FUNCTION <Function Name>;"
    )


def function_description(entity: FunctionDescription, width: int | None) -> str:
    """DESCRIBE FUNCTION: its header fields, then each signature."""
    head = fields(
        [
            ("Name", entity.name),
            ("Author", entity.author),
            ("Version", entity.version),
            ("Overview", entity.description),
            ("Type", entity.kind),
            ("Jar", entity.path),
            ("Variations", ""),
        ]
    )
    parts = [head]
    for variant in entity.variants:
        args = ", ".join(
            f"{a.name} {a.type}{'...' if a.is_variadic else ''}".strip() for a in variant.arguments
        )
        lines = [
            ("Variation", f"{entity.name}({args})"),
            ("Returns", variant.return_type),
            ("Description", variant.description),
        ]
        lines += [(a.name, a.description) for a in variant.arguments if a.description]
        parts.append("\n".join("\t" + line for line in fields(lines).splitlines()))
    return "\n\n".join(parts)


def type_list(entity: TypeList, width: int | None) -> str:
    """SHOW TYPES."""
    rows = [[name, str(t)] for name, t in sorted(entity.types.items())]
    return table(["Type Name", "Schema"], rows, width=width)


def variable_list(entity: VariableList, width: int | None) -> str:
    """SHOW VARIABLES."""
    return table(["Variable Name", "Value"], mapping_rows(entity.variables), width=width)


def _field_rows(columns: tuple[FieldInfo, ...]) -> list[list[str]]:
    rows = []
    for f in columns:
        flag = "(key)" if f.key else f"(header('{f.header_key}'))" if f.header_key else ""
        flag = "(headers)" if f.header and not f.header_key else flag
        rows.append([f.name, f"{f.type} {flag}".rstrip()])
    return rows


def _queries_section(title: str, queries: tuple[RunningQuery, ...]) -> str:
    lines = [title, "-" * len(title)]
    lines += [f"{q.id} ({q.state}) : {q.query_string}" for q in queries]
    lines.append("")
    lines.append("For query topology and execution plan please run: EXPLAIN <QueryId>")
    return "\n".join(lines)


def source_description(source: SourceDescription, width: int | None) -> str:
    """DESCRIBE [EXTENDED] of a stream or table."""
    kind = source.type or "STREAM"
    if not source.extended:
        head = fields([("Name", source.name)])
        return (
            f"{head}\n{table(['Field', 'Type'], _field_rows(source.fields), width=width)}\n"
            f"For runtime statistics and query details run: DESCRIBE <Stream,Table> EXTENDED;"
        )
    topic = f"{source.topic} (partitions: {source.partitions}, replication: {source.replication})"
    pairs = [
        ("Name", source.name),
        ("Type", kind),
        ("Timestamp field", source.timestamp or "Not set - using <ROWTIME>"),
        ("Key format", source.key_format),
        ("Value format", source.value_format),
        ("Kafka topic", topic),
        ("Statement", " ".join(source.statement.split())),
    ]
    if source.window_type:
        pairs.insert(3, ("Window type", source.window_type))
    parts = [fields(pairs), table(["Field", "Type"], _field_rows(source.fields), width=width)]
    parts.append(_queries_section(f"Queries that read from this {kind}", source.read_queries))
    parts.append(_queries_section(f"Queries that write from this {kind}", source.write_queries))
    stats = "Local runtime statistics\n------------------------\n"
    for text in (source.statistics, source.error_stats):
        stats += f"{text.strip()}\n" if text.strip() else ""
    stats += (
        f"(Statistics of the local KSQL server interaction with the Kafka topic {source.topic})"
    )
    parts.append(stats)
    return "\n\n".join(parts)


def source_description_result(entity: SourceDescriptionResult, width: int | None) -> str:
    """DESCRIBE source."""
    return source_description(entity.source, width)


def source_description_list(entity: SourceDescriptionList, width: int | None) -> str:
    """SHOW STREAMS/TABLES EXTENDED: one description each."""
    return "\n\n".join(source_description(s, width) for s in entity.sources)


def query_description(query: QueryDescription, width: int | None) -> str:
    """EXPLAIN: the query's fields, sources, sinks, plan and topology."""
    pairs = [
        ("ID", query.id),
        ("Query Type", query.query_type),
        ("SQL", " ".join(query.statement_text.split())),
    ]
    if query.host_status:
        pairs.append(("Host Query Status", str(dict(query.host_status))))
    parts = [fields(pairs), table(["Field", "Type"], _field_rows(query.fields), width=width)]
    parts.append(fields([("Sources", ", ".join(query.sources)), ("Sinks", ", ".join(query.sinks))]))
    if query.execution_plan:
        parts.append("Execution plan\n--------------\n" + query.execution_plan.rstrip())
    if query.topology:
        parts.append("Processing topology\n-------------------\n" + query.topology.rstrip())
    if query.overridden_properties:
        rows = mapping_rows(query.overridden_properties)
        parts.append("Overridden Properties\n" + table(["Property", "Value"], rows, width=width))
    return "\n\n".join(parts)


def query_description_result(entity: QueryDescriptionResult, width: int | None) -> str:
    """EXPLAIN <query id>."""
    return query_description(entity.query, width)


def query_description_list(entity: QueryDescriptionList, width: int | None) -> str:
    """SHOW QUERIES EXTENDED."""
    return "\n\n".join(query_description(q, width) for q in entity.queries)


def connector_list(entity: ConnectorList, width: int | None) -> str:
    """SHOW CONNECTORS."""
    rows = [[c.name, c.type, c.class_name, c.state] for c in entity.connectors]
    return table(["Connector Name", "Type", "Class", "Status"], rows, width=width)


def connector_info(entity: ConnectorInfo, width: int | None) -> str:
    """CREATE SOURCE|SINK CONNECTOR."""
    return _message(f"Created connector {entity.name}", width)


def connector_description(entity: ConnectorDescription, width: int | None) -> str:
    """DESCRIBE CONNECTOR."""
    state = entity.status.get("connector", {})
    pairs = [
        ("Name", str(entity.status.get("name", ""))),
        ("Class", entity.connector_class),
        ("Type", str(entity.status.get("type", ""))),
        ("State", str(state.get("state", "")) if isinstance(state, dict) else ""),
        ("Topics", ", ".join(entity.topics)),
    ]
    return fields(pairs)


def dropped_connector(entity: DroppedConnector, width: int | None) -> str:
    """DROP CONNECTOR."""
    return _message(f'Dropped connector "{entity.connector_name}"', width)


def assert_topic(entity: AssertTopicResult, width: int | None) -> str:
    """ASSERT [NOT EXISTS] TOPIC that held."""
    what = "exists" if entity.exists else "does not exist"
    return _message(f"Topic {entity.topic_name} {what}", width)


def assert_schema(entity: AssertSchemaResult, width: int | None) -> str:
    """ASSERT [NOT EXISTS] SCHEMA that held."""
    subject = entity.subject or f"id {entity.id}"
    return _message(f"Schema {subject} {'exists' if entity.exists else 'does not exist'}", width)


def unknown(entity: Entity, width: int | None) -> str:
    """An entity this version does not know: its JSON."""
    return to_json(dict(entity.raw), indent=2)


RENDERERS: dict[type[Entity], Renderer] = {
    CommandResult: command_result,
    WarningResult: warning_result,
    TerminateQueryResult: terminate_result,
    SourceList: source_list,
    TopicList: topic_list,
    QueriesList: queries_list,
    PropertiesList: properties_list,
    FunctionList: function_list,
    FunctionDescription: function_description,
    TypeList: type_list,
    VariableList: variable_list,
    SourceDescriptionResult: source_description_result,
    SourceDescriptionList: source_description_list,
    QueryDescriptionResult: query_description_result,
    QueryDescriptionList: query_description_list,
    ConnectorList: connector_list,
    ConnectorInfo: connector_info,
    ConnectorDescription: connector_description,
    DroppedConnector: dropped_connector,
    AssertTopicResult: assert_topic,
    AssertSchemaResult: assert_schema,
    UnknownEntity: unknown,
}


def render_entity(entity: Entity, width: int | None = None) -> str:
    """The text for one entity, followed by its warnings (``WARNING: ...``)."""
    renderer = RENDERERS.get(type(entity), unknown)
    text = renderer(entity, width)
    for warning in entity.warnings:
        text += f"\nWARNING: {warning}"
    return text


def entity_json(entity: Entity) -> str:
    """The entity as the server sent it (``--output JSON``)."""
    return to_json(dict(entity.raw), indent=2)
