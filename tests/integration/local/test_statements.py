"""/ksql: DDL, SHOW, DESCRIBE, INSERT VALUES and errors, with ksqlDB's exact entity shapes."""

from __future__ import annotations

from typing import Any

import httpx

PV = (
    "CREATE STREAM PV (USERID STRING KEY, PAGEID STRING, N INT) "
    "WITH (KAFKA_TOPIC='pv', VALUE_FORMAT='JSON', PARTITIONS=3);"
)


def test_create_stream_answers_current_status_with_backticked_command_id(
    ksql: Any,
    http: httpx.Client,
) -> None:
    (entity,) = ksql(PV)
    assert entity == {
        "@type": "currentStatus",
        # The statement as ksqlDB's injectors leave it (DistributingExecutor answers with it).
        "statementText": (
            "CREATE STREAM PV (USERID STRING KEY, PAGEID STRING, N INTEGER) WITH ("
            "CLEANUP_POLICY='delete', KAFKA_TOPIC='pv', KEY_FORMAT='KAFKA', PARTITIONS=3, "
            "VALUE_FORMAT='JSON');"
        ),
        "commandId": "stream/`PV`/create",
        "commandStatus": {"status": "SUCCESS", "message": "Stream created", "queryId": None},
        "commandSequenceNumber": entity["commandSequenceNumber"],
        "warnings": [],
    }
    assert next(iter(entity)) == "@type"
    (again,) = ksql(
        "CREATE TABLE T (ID INT PRIMARY KEY, V STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', FORMAT='JSON');"
    )
    assert again["commandSequenceNumber"] == entity["commandSequenceNumber"] + 1
    assert again["commandStatus"]["message"] == "Table created"


def test_show_streams_tables_and_topics_list_what_was_created(
    ksql: Any, http: httpx.Client
) -> None:
    ksql(PV)
    ksql(
        "CREATE SOURCE TABLE USERS (ID STRING PRIMARY KEY, NAME STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='users', FORMAT='JSON');"
    )
    streams, tables, topics = ksql("SHOW STREAMS; LIST TABLES; SHOW TOPICS;")
    assert streams["@type"] == "streams"
    assert streams["streams"] == [
        {
            "type": "STREAM",
            "name": "PV",
            "topic": "pv",
            "keyFormat": "KAFKA",
            "valueFormat": "JSON",
            "isWindowed": False,
        }
    ]
    assert [t["name"] for t in tables["tables"]] == ["USERS"]
    assert tables["tables"][0]["keyFormat"] == "JSON"
    assert {"name": "pv", "replicaInfo": [1, 1, 1]} in topics["topics"]


def test_describe_reports_fields_with_key_marks_and_extended_partitions(
    ksql: Any, http: httpx.Client
) -> None:
    ksql(PV)
    (plain,) = ksql("DESCRIBE PV;")
    description = plain["sourceDescription"]
    assert plain["@type"] == "sourceDescription"
    assert description["fields"] == [
        {
            "name": "USERID",
            "schema": {"type": "STRING", "fields": None, "memberSchema": None},
            "type": "KEY",
        },
        {"name": "PAGEID", "schema": {"type": "STRING", "fields": None, "memberSchema": None}},
        {"name": "N", "schema": {"type": "INTEGER", "fields": None, "memberSchema": None}},
    ]
    assert (description["partitions"], description["extended"]) == (0, False)
    (extended,) = ksql("DESCRIBE PV EXTENDED;")
    assert extended["sourceDescription"]["partitions"] == 3
    # ksqlDB keeps the statement as its injectors left it, formats and cleanup policy written out.
    assert extended["sourceDescription"]["statement"] == (
        "CREATE STREAM PV (USERID STRING KEY, PAGEID STRING, N INTEGER) WITH ("
        "CLEANUP_POLICY='delete', KAFKA_TOPIC='pv', KEY_FORMAT='KAFKA', PARTITIONS=3, "
        "VALUE_FORMAT='JSON');"
    )


def test_duplicate_create_is_refused_and_if_not_exists_warns(ksql: Any, http: httpx.Client) -> None:
    ksql(PV)
    response = http.post("/ksql", json={"ksql": PV})
    assert response.status_code == 400
    body = response.json()
    assert body["@type"] == "statement_error"
    assert body["error_code"] == 40001
    assert body["message"] == "Cannot add stream 'PV': A stream with the same name already exists"
    assert body["statementText"] == PV
    assert body["entities"] == []
    (warning,) = ksql(PV.replace("CREATE STREAM", "CREATE STREAM IF NOT EXISTS"))
    assert warning["@type"] == "warning_entity"
    assert warning["message"].startswith("Cannot add stream `PV`")


def test_create_over_a_missing_topic_needs_partitions(ksql: Any, http: httpx.Client) -> None:
    # ksqlDB's TopicCreateInjector: no topic and no PARTITIONS is a generic 400, with the
    # statement formatted back with PARTITIONS=2 as the example.
    text = (
        "CREATE TABLE `my table` (id INT PRIMARY KEY, `v` STRUCT<a STRING, `b` INT>) "
        "WITH (kafka_topic='missing', format='json');"
    )
    response = http.post("/ksql", json={"ksql": text})
    assert response.status_code == 400
    assert response.json() == {
        "@type": "generic_error",
        "error_code": 40000,
        "message": "Topic 'missing' does not exist. If you want to create a new topic for the "
        "stream/table please re-run the statement providing the required 'PARTITIONS' "
        "configuration in the WITH clause (and optionally 'REPLICAS'). For example: "
        "CREATE TABLE `my table` (ID INTEGER PRIMARY KEY, `v` STRUCT<A STRING, `b` INTEGER>) "
        "WITH (FORMAT='json', KAFKA_TOPIC='missing', PARTITIONS=2);",
    }
    (topics,) = ksql("SHOW TOPICS;")
    assert "missing" not in [t["name"] for t in topics["topics"]]
    # PARTITIONS (and REPLICAS) create the topic; a second source over it needs neither.
    ksql(
        "CREATE STREAM A (ID INT KEY, V STRING) "
        "WITH (KAFKA_TOPIC='fresh', VALUE_FORMAT='JSON', PARTITIONS=2, REPLICAS=3);"
    )
    ksql("CREATE STREAM B (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='fresh', VALUE_FORMAT='JSON');")
    (topics,) = ksql("SHOW TOPICS;")
    assert {"name": "fresh", "replicaInfo": [3, 3]} in topics["topics"]


def test_select_on_ksql_endpoint_points_to_query(ksql: Any, http: httpx.Client) -> None:
    ksql(PV)
    response = http.post("/ksql", json={"ksql": "SELECT * FROM PV;"})
    assert response.status_code == 400
    assert response.json()["error_code"] == 40002
    assert "'/query'" in response.json()["message"]


def test_syntax_error_names_line_and_column(ksql: Any, http: httpx.Client) -> None:
    response = http.post("/ksql", json={"ksql": "CREATE STREAM X (A INT) WITH (KAFKA_TOPIC=;"})
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == 40001
    assert body["message"].startswith("line 1:")


def test_drop_removes_the_source_and_optionally_its_topic(ksql: Any, http: httpx.Client) -> None:
    ksql(PV)
    (dropped,) = ksql("DROP STREAM PV DELETE TOPIC;")
    assert dropped["commandId"] == "stream/PV/drop"
    assert dropped["commandStatus"]["message"] == "Source `PV` (topic: pv) was dropped."
    streams, topics = ksql("SHOW STREAMS; SHOW TOPICS;")
    assert streams["streams"] == []
    assert all(t["name"] != "pv" for t in topics["topics"])
    missing = http.post("/ksql", json={"ksql": "DROP STREAM PV;"})
    assert missing.status_code == 400
    assert missing.json()["message"] == "Stream PV does not exist."
    (quiet,) = ksql("DROP STREAM IF EXISTS PV;")
    assert quiet["commandStatus"]["message"] == "Source `PV` does not exist."


def test_insert_values_produces_no_entity_and_rows_are_readable(
    ksql: Any, http: httpx.Client
) -> None:
    ksql(PV)
    assert ksql("INSERT INTO PV (USERID, PAGEID, N) VALUES ('alice', 'home', 1);") == []
    response = http.post("/query-stream", json={"sql": "SELECT * FROM PV;"})
    header, *rows = [line for line in response.text.split("\n") if line]
    assert '"columnNames":["USERID","PAGEID","N"]' in header
    assert rows == ['["alice","home",1]']


def test_variables_are_substituted_and_listed(ksql: Any, http: httpx.Client) -> None:
    entities = ksql(
        "DEFINE topic = 'pv';"
        "CREATE STREAM PV (A INT) WITH (PARTITIONS=1, KAFKA_TOPIC='${topic}', VALUE_FORMAT='JSON');"
        "SHOW VARIABLES;",
        sessionVariables={"extra": 5},
    )
    created, variables = entities
    assert "KAFKA_TOPIC='pv'" in created["statementText"]
    assert {"name": "topic", "value": "pv"} in variables["variables"]
    assert {"name": "extra", "value": "5"} in variables["variables"]


def test_custom_types_are_registered_and_usable(ksql: Any, http: httpx.Client) -> None:
    (created,) = ksql("CREATE TYPE ADDRESS AS STRUCT<CITY STRING, ZIP INT>;")
    assert created["commandStatus"]["message"] == (
        "Registered custom type with name 'ADDRESS' and SQL type "
        "STRUCT<`CITY` STRING, `ZIP` INTEGER>"
    )
    ksql(
        "CREATE STREAM P (ID INT KEY, HOME ADDRESS) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='p', VALUE_FORMAT='JSON');"
    )
    (types,) = ksql("SHOW TYPES;")
    assert types["types"]["ADDRESS"]["type"] == "STRUCT"


def test_schema_registry_formats_are_refused_clearly(ksql: Any, http: httpx.Client) -> None:
    response = http.post(
        "/ksql",
        json={
            "ksql": (
                "CREATE STREAM A (X INT) WITH (PARTITIONS=1, KAFKA_TOPIC='a', VALUE_FORMAT='AVRO');"
            )
        },
    )
    assert response.status_code == 428
    assert response.json()["error_code"] == 42801
    assert "Schema Registry" in response.json()["message"]


def test_properties_and_validity_endpoint(ksql: Any, http: httpx.Client) -> None:
    assert http.get("/is_valid_property/auto.offset.reset").text == "true"
    bad = http.get("/is_valid_property/no.such.thing")
    assert bad.status_code == 400
    assert bad.json()["message"] == (
        "Not recognizable as ksql, streams, consumer, or producer property: 'no.such.thing'"
    )
    (props,) = ksql("SHOW PROPERTIES;", streamsProperties={"auto.offset.reset": "earliest"})
    values = {p["name"]: p["value"] for p in props["properties"]}
    assert values["ksql.streams.auto.offset.reset"] == "earliest"
