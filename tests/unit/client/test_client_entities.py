"""Every ``/ksql`` entity type of the wire reference parses into its typed value."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ksqlpy import (
    AssertSchemaResult,
    AssertTopicResult,
    ClusterStatus,
    CommandResult,
    ConnectorDescription,
    ConnectorInfo,
    ConnectorList,
    DroppedConnector,
    FunctionDescription,
    FunctionList,
    HealthStatus,
    PropertiesList,
    ProtocolError,
    QueriesList,
    QueryDescriptionList,
    QueryDescriptionResult,
    ServerInfo,
    SourceDescriptionList,
    SourceDescriptionResult,
    SourceList,
    SqlType,
    TerminateQueryResult,
    TopicList,
    TypeList,
    UnknownEntity,
    VariableList,
    WarningResult,
)
from ksqlpy._entities import ConnectorPluginsList
from ksqlpy._entity_parsers import parse_entities, parse_entity

RUNNING = {
    "queryString": "CREATE STREAM PV2 AS SELECT * FROM PV EMIT CHANGES;",
    "sinks": ["PV2"],
    "sinkKafkaTopics": ["PV2"],
    "id": "CSAS_PV2_5",
    "statusCount": {"RUNNING": 1},
    "queryType": "PERSISTENT",
    "state": "RUNNING",
}
SOURCE = {
    "name": "PV",
    "windowType": None,
    "readQueries": [],
    "writeQueries": [RUNNING],
    "fields": [
        {
            "name": "USERID",
            "schema": {"type": "STRING", "fields": None, "memberSchema": None},
            "type": "KEY",
        },
        {
            "name": "AMOUNT",
            "schema": {
                "type": "DECIMAL",
                "fields": None,
                "memberSchema": None,
                "parameters": {"precision": 10, "scale": 2},
            },
        },
        {
            "name": "ADDR",
            "schema": {
                "type": "STRUCT",
                "fields": [
                    {
                        "name": "TAGS",
                        "schema": {
                            "type": "ARRAY",
                            "fields": None,
                            "memberSchema": {"type": "STRING"},
                        },
                    }
                ],
                "memberSchema": None,
            },
        },
        {
            "name": "H",
            "schema": {"type": "BYTES", "fields": None, "memberSchema": None},
            "type": "HEADER",
            "headerKey": "abc",
        },
    ],
    "type": "STREAM",
    "timestamp": "",
    "statistics": "",
    "errorStats": "",
    "extended": False,
    "keyFormat": "KAFKA",
    "valueFormat": "JSON",
    "topic": "pv",
    "partitions": 0,
    "replication": 0,
    "statement": "CREATE STREAM PV (...) WITH (...);",
    "queryOffsetSummaries": [],
    "sourceConstraints": [],
    "clusterStatistics": [],
    "clusterErrorStats": [],
}
QUERY_DESCRIPTION = {
    "id": "CSAS_PV2_5",
    "statementText": "CREATE STREAM PV2 AS SELECT * FROM PV;",
    "windowType": None,
    "fields": [{"name": "USERID", "schema": {"type": "STRING"}, "type": "KEY"}],
    "sources": ["PV"],
    "sinks": ["PV2"],
    "topology": "Topologies: ...",
    "executionPlan": " > [ SINK ] ...",
    "overriddenProperties": {"auto.offset.reset": "earliest"},
    "ksqlHostQueryStatus": {"localhost:8088": "RUNNING"},
    "queryType": "PERSISTENT",
    "queryErrors": [],
    "tasksMetadata": [],
    "consumerGroupId": "_confluent-ksql-default_query_CSAS_PV2_5",
    "state": "RUNNING",
}


def _entity(type_: str, statement: str, **fields: Any) -> dict[str, Any]:
    return {"@type": type_, "statementText": statement, **fields, "warnings": []}


def test_current_status_carries_query_id_status_and_sequence_number() -> None:
    entity = parse_entity(
        _entity(
            "currentStatus",
            "CREATE STREAM PV2 AS SELECT * FROM PV;",
            commandId="stream/`PV2`/create",
            commandStatus={
                "status": "SUCCESS",
                "message": "Created query with ID CSAS_PV2_5",
                "queryId": "CSAS_PV2_5",
            },
            commandSequenceNumber=4,
        )
    )
    assert isinstance(entity, CommandResult)
    assert (entity.query_id, entity.status, entity.command_sequence_number) == (
        "CSAS_PV2_5",
        "SUCCESS",
        4,
    )
    assert entity.command_id == "stream/`PV2`/create"
    assert entity.statement_text.startswith("CREATE STREAM PV2")


def test_lists_of_streams_tables_queries_topics_functions_properties_types_variables() -> None:
    stream = {
        "type": "STREAM",
        "name": "PV",
        "topic": "pv",
        "keyFormat": "KAFKA",
        "valueFormat": "JSON",
        "isWindowed": False,
    }
    entities = parse_entities(
        [
            _entity("streams", "SHOW STREAMS;", streams=[stream]),
            _entity("tables", "SHOW TABLES;", tables=[{**stream, "type": "TABLE", "name": "T"}]),
            _entity("queries", "SHOW QUERIES;", queries=[RUNNING]),
            _entity("kafka_topics", "SHOW TOPICS;", topics=[{"name": "pv", "replicaInfo": [1]}]),
            _entity(
                "kafka_topics_extended",
                "SHOW TOPICS EXTENDED;",
                topics=[
                    {
                        "name": "pv",
                        "replicaInfo": [1],
                        "consumerCount": 2,
                        "consumerGroupCount": 1,
                    }
                ],
            ),
            _entity(
                "function_names",
                "SHOW FUNCTIONS;",
                functions=[{"name": "ABS", "type": "SCALAR", "category": "MATHEMATICAL"}],
            ),
            _entity(
                "properties",
                "SHOW PROPERTIES;",
                properties=[
                    {
                        "name": "ksql.streams.auto.offset.reset",
                        "scope": "KSQL",
                        "value": "latest",
                        "editable": True,
                        "level": "QUERY",
                    }
                ],
                overwrittenProperties=[],
                defaultProperties=["ksql.streams.x"],
            ),
            _entity(
                "type_list",
                "SHOW TYPES;",
                types={
                    "ADDR": {
                        "type": "STRUCT",
                        "fields": [{"name": "CITY", "schema": {"type": "STRING"}}],
                        "memberSchema": None,
                    }
                },
            ),
            _entity("variables", "SHOW VARIABLES;", variables=[{"name": "n", "value": "x"}]),
        ]
    )
    streams, tables, queries, topics, extended, functions, props, types, variables = entities
    assert isinstance(streams, SourceList)
    assert streams.sources[0].name == "PV"
    assert not streams.sources[0].is_windowed
    assert isinstance(tables, SourceList)
    assert tables.sources[0].type == "TABLE"
    assert isinstance(queries, QueriesList)
    assert queries.queries[0].id == "CSAS_PV2_5"
    assert queries.queries[0].status_count == {"RUNNING": 1}
    assert isinstance(topics, TopicList)
    assert topics.topics[0].replica_info == (1,)
    assert isinstance(extended, TopicList)
    assert extended.topics[0].consumer_count == 2
    assert isinstance(functions, FunctionList)
    assert functions.functions[0].category == "MATHEMATICAL"
    assert isinstance(props, PropertiesList)
    assert props.properties[0].level == "QUERY"
    assert props.defaults == ("ksql.streams.x",)
    assert isinstance(types, TypeList)
    assert str(types.types["ADDR"]) == "STRUCT<`CITY` STRING>"
    assert isinstance(variables, VariableList)
    assert variables.variables == {"n": "x"}


def test_source_description_types_its_fields_from_schema_info() -> None:
    entity = parse_entity(_entity("sourceDescription", "DESCRIBE PV;", sourceDescription=SOURCE))
    assert isinstance(entity, SourceDescriptionResult)
    source = entity.source
    assert (source.name, source.type, source.topic, source.value_format) == (
        "PV",
        "STREAM",
        "pv",
        "JSON",
    )
    userid, amount, addr, header = source.fields
    assert userid.key
    assert not amount.key
    assert amount.type == SqlType("DECIMAL", precision=10, scale=2)
    assert str(addr.type) == "STRUCT<`TAGS` ARRAY<STRING>>"
    assert (header.header, header.header_key) == (True, "abc")
    assert source.write_queries[0].sinks == ("PV2",)

    listed = parse_entity(
        _entity("source_descriptions", "SHOW STREAMS EXTENDED;", sourceDescriptions=[SOURCE])
    )
    assert isinstance(listed, SourceDescriptionList)
    assert listed.sources[0].name == "PV"


def test_query_descriptions() -> None:
    one = parse_entity(
        _entity("queryDescription", "EXPLAIN CSAS_PV2_5;", queryDescription=QUERY_DESCRIPTION)
    )
    assert isinstance(one, QueryDescriptionResult)
    assert one.query.sinks == ("PV2",)
    assert one.query.host_status == {"localhost:8088": "RUNNING"}
    assert one.query.overridden_properties == {"auto.offset.reset": "earliest"}
    many = parse_entity(
        _entity(
            "query_descriptions", "SHOW QUERIES EXTENDED;", queryDescriptions=[QUERY_DESCRIPTION]
        )
    )
    assert isinstance(many, QueryDescriptionList)
    assert many.queries[0].id == "CSAS_PV2_5"


def test_describe_function() -> None:
    entity = parse_entity(
        _entity(
            "describe_function",
            "DESCRIBE FUNCTION ABS;",
            name="ABS",
            description="absolute value",
            author="Confluent",
            version="",
            path="internal",
            functions=[
                {
                    "arguments": [
                        {"name": "x", "type": "INT", "description": "", "isVariadic": False}
                    ],
                    "returnType": "INT",
                    "description": "",
                    "argumentTypes": ["INT"],
                }
            ],
            type="SCALAR",
        )
    )
    assert isinstance(entity, FunctionDescription)
    assert entity.kind == "SCALAR"
    assert entity.variants[0].return_type == "INT"
    assert entity.variants[0].arguments[0].name == "x"


@pytest.mark.parametrize(
    ("raw", "cls", "check"),
    [
        (
            _entity("warning_entity", "CREATE STREAM ...;", message="Cannot add stream `PV`"),
            WarningResult,
            lambda e: e.message == "Cannot add stream `PV`",
        ),
        (
            _entity(
                "terminate_query",
                "TERMINATE transient_PV_1;",
                queryId="transient_PV_1",
                wasTerminated=True,
            ),
            TerminateQueryResult,
            lambda e: e.was_terminated and e.query_id == "transient_PV_1",
        ),
        (
            _entity(
                "connector_list",
                "SHOW CONNECTORS;",
                connectors=[
                    {"name": "c", "type": "SOURCE", "className": "x.Y", "state": "RUNNING"}
                ],
            ),
            ConnectorList,
            lambda e: e.connectors[0].class_name == "x.Y",
        ),
        (
            _entity(
                "connector_info",
                "CREATE SOURCE CONNECTOR c WITH (...);",
                info={"name": "c", "config": {"a": "b"}, "tasks": [], "type": "source"},
            ),
            ConnectorInfo,
            lambda e: e.name == "c" and e.config == {"a": "b"},
        ),
        (
            _entity(
                "connector_description",
                "DESCRIBE CONNECTOR c;",
                connectorClass="x.Y",
                status={"name": "c"},
                sources=[SOURCE],
                topics=["t"],
            ),
            ConnectorDescription,
            lambda e: e.connector_class == "x.Y" and e.sources[0].name == "PV",
        ),
        (
            _entity(
                "connector_plugins_list",
                "SHOW CONNECTOR PLUGINS;",
                connectorPlugins=[{"className": "x.Y", "type": "source", "version": "1.0"}],
            ),
            ConnectorPluginsList,
            lambda e: e.plugins[0].class_name == "x.Y" and e.plugins[0].version == "1.0",
        ),
        (
            _entity("drop_connector", "DROP CONNECTOR c;", connectorName="c"),
            DroppedConnector,
            lambda e: e.connector_name == "c",
        ),
        (
            _entity("assert_topic", "ASSERT TOPIC t;", topicName="t", exists=True),
            AssertTopicResult,
            lambda e: e.exists and e.topic_name == "t",
        ),
        (
            _entity("assert_schema", "ASSERT SCHEMA ID 3;", subject=None, id=3, exists=True),
            AssertSchemaResult,
            lambda e: e.id == 3 and e.subject is None,
        ),
        (
            _entity("somethingNew", "X;", payload=1),
            UnknownEntity,
            lambda e: e.type == "somethingNew" and e.raw["payload"] == 1,
        ),
    ],
)
def test_other_entities(raw: dict[str, Any], cls: type, check: Any) -> None:
    entity = parse_entity(raw)
    assert isinstance(entity, cls)
    assert check(entity)


def test_warnings_are_kept() -> None:
    raw = _entity("streams", "SHOW STREAMS;", streams=[])
    raw["warnings"] = [{"message": "careful"}]
    assert parse_entity(raw).warnings == ("careful",)


def test_a_body_that_is_not_a_list_of_entities_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="not a list of entities"):
        parse_entities({"@type": "streams"})


def test_informational_endpoints() -> None:
    info = ServerInfo.parse(
        json.loads(
            '{"KsqlServerInfo":{"version":"8.4.0","kafkaClusterId":"j3tOi6E_RtO_TMH3gBmK7A",'
            '"ksqlServiceId":"default_","serverStatus":"RUNNING"}}'
        )
    )
    assert (info.version, info.ksql_service_id, info.server_status) == (
        "8.4.0",
        "default_",
        "RUNNING",
    )
    health = HealthStatus.parse(
        {
            "isHealthy": False,
            "details": {"metastore": {"isHealthy": True}, "kafka": {"isHealthy": False}},
            "serverState": "READY",
        }
    )
    assert not health.is_healthy
    assert health.details == {"metastore": True, "kafka": False}
    cluster = ClusterStatus.parse(
        {"clusterStatus": {"localhost:8088": {"hostAlive": True, "lastStatusUpdateMs": 17}}}
    )
    assert cluster.hosts["localhost:8088"].alive
    with pytest.raises(ProtocolError):
        ServerInfo.parse({"version": "1"})
    with pytest.raises(ProtocolError):
        HealthStatus.parse([])
