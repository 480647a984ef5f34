"""Every response entity rendered from what the local server really answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ksqlpy import Client, KsqlServerError, KsqlSyntaxError
from ksqlpy.repl.render.entities import entity_json, render_entity
from ksqlpy.repl.render.errors import render_error
from ksqlpy.repl.render.table import grid
from ksqlpy.sql import parse_one

CREATE_ORDERS = (
    "CREATE STREAM orders (id INT KEY, item STRING, price DOUBLE) "
    "WITH (kafka_topic='orders', value_format='json', partitions=2);"
)
CREATE_USERS = (
    "CREATE TABLE users (id INT PRIMARY KEY, name STRING) "
    "WITH (kafka_topic='users', value_format='json', partitions=1);"
)


@pytest.fixture
def client(local_ksqldb: Any) -> Iterator[Client]:
    with Client(local_ksqldb.url) as c:
        c.execute_statement(CREATE_ORDERS)
        c.execute_statement(CREATE_USERS)
        yield c


def rendered(client: Client, sql: str) -> str:
    entity = client.execute_statement(sql)
    assert entity is not None
    return render_entity(entity)


def test_create_shows_the_server_message_in_a_message_table(local_ksqldb: Any) -> None:
    with Client(local_ksqldb.url) as c:
        text = rendered(c, CREATE_ORDERS)
    lines = text.splitlines()
    assert lines[0].strip() == "Message"
    assert set(lines[1]) == {"-"}
    assert lines[2].strip() == "Stream created"


def test_show_streams_and_tables_are_aligned_tables(client: Client) -> None:
    text = rendered(client, "SHOW STREAMS;")
    header, rule, row, *_ = text.splitlines()
    assert set(rule) == {"-"}
    assert header.split("|")[0].strip() == "Stream Name"
    assert [c.strip() for c in row.split("|")] == ["ORDERS", "orders", "KAFKA", "JSON", "false"]
    assert header.index("|") == row.index("|")  # columns line up
    assert "Table Name" in rendered(client, "SHOW TABLES;")
    assert "USERS" in rendered(client, "LIST TABLES;")


def test_show_topics_counts_partitions(client: Client) -> None:
    rows = {
        line.split("|")[0].strip(): [c.strip() for c in line.split("|")]
        for line in rendered(client, "SHOW TOPICS;").splitlines()[2:-1]
    }
    assert rows["orders"] == ["orders", "2", "1"]
    assert rows["users"] == ["users", "1", "1"]
    assert "ConsumerGroups" in rendered(client, "SHOW TOPICS EXTENDED;")


def test_show_queries_with_the_explain_hint(client: Client) -> None:
    text = rendered(client, "SHOW QUERIES;")
    assert text.splitlines()[0].split("|")[0].strip() == "Query ID"
    assert text.endswith("EXPLAIN <Query ID>;")


def test_show_properties_lists_server_properties(client: Client) -> None:
    text = rendered(client, "SHOW PROPERTIES;")
    assert "Effective Value" in text.splitlines()[0]
    assert any(line.strip().startswith("ksql.service.id") for line in text.splitlines())


def test_functions_list_and_description(client: Client) -> None:
    text = rendered(client, "SHOW FUNCTIONS;")
    assert any(line.split("|")[0].strip() == "UCASE" for line in text.splitlines())
    described = rendered(client, "DESCRIBE FUNCTION UCASE;")
    assert "Name       : UCASE" in described
    assert "Type       : SCALAR" in described
    assert "\tVariation" in described


def test_types_and_variables_tables(client: Client) -> None:
    assert rendered(client, "SHOW TYPES;").splitlines()[0].split("|")[0].strip() == "Type Name"
    client.define("env", "prod")
    text = rendered(client, "SHOW VARIABLES;")
    assert [c.strip() for c in text.splitlines()[2].split("|")] == ["env", "prod"]


def test_describe_shows_fields_with_key_flag(client: Client) -> None:
    text = rendered(client, "DESCRIBE orders;")
    assert text.startswith("Name : ORDERS")
    rows = [[c.strip() for c in line.split("|")] for line in text.splitlines() if "|" in line]
    assert rows == [
        ["Field", "Type"],
        ["ID", "INTEGER (key)"],
        ["ITEM", "STRING"],
        ["PRICE", "DOUBLE"],
    ]
    assert "DESCRIBE <Stream,Table> EXTENDED" in text


def test_describe_extended_shows_topic_formats_and_queries(client: Client) -> None:
    text = rendered(client, "DESCRIBE orders EXTENDED;")
    assert "Kafka topic     : orders (partitions: 2, replication: 1)" in text
    assert "Value format    : JSON" in text
    assert "Timestamp field : Not set - using <ROWTIME>" in text
    assert "Queries that read from this STREAM" in text
    # The server reports the statement as ksqlDB keeps it (names upper-cased, formats written).
    assert "Statement       : CREATE STREAM ORDERS (ID INTEGER KEY, ITEM STRING" in text


def test_show_streams_extended_describes_each(client: Client) -> None:
    text = rendered(client, "SHOW STREAMS EXTENDED;")
    assert "Name            : ORDERS" in text
    assert text.count("Kafka topic     :") == 1


def test_warning_entity(client: Client) -> None:
    text = rendered(client, CREATE_ORDERS.replace("CREATE STREAM", "CREATE STREAM IF NOT EXISTS"))
    assert "already exists" in text.splitlines()[2]


def test_json_output_is_the_server_entity(client: Client) -> None:
    entity = client.execute_statement("SHOW STREAMS;")
    assert entity is not None
    data = json.loads(entity_json(entity))
    assert data["@type"] == "streams"
    assert data["streams"][0]["name"] == "ORDERS"


def test_server_error_message(client: Client) -> None:
    with pytest.raises(KsqlServerError) as caught:
        client.execute_statement("DROP STREAM nope;")
    assert render_error(caught.value) == "Stream NOPE does not exist."
    verbose = render_error(caught.value, verbose=True)
    assert "Error code: 40001" in verbose
    assert "Statement: DROP STREAM nope;" in verbose


def test_syntax_error_has_a_caret_under_the_column() -> None:
    with pytest.raises(KsqlSyntaxError) as caught:
        parse_one("SELECT * FORM orders")
    lines = render_error(caught.value).splitlines()
    assert lines[0].startswith("line 1:10:")
    assert lines[1] == "SELECT * FORM orders"
    assert lines[2].index("^") == 9


def test_pull_query_grid(client: Client) -> None:
    client.insert_into("ORDERS", {"ID": 1, "ITEM": "apple", "PRICE": 1.5})
    client.insert_into("ORDERS", {"ID": 2, "ITEM": None, "PRICE": 10.25})
    result = client.execute_query("SELECT * FROM orders;")
    text = grid(result.columns, sorted(result.rows, key=lambda r: r[0]))
    lines = text.splitlines()
    assert lines[1] == "| ID | ITEM  | PRICE |"
    assert lines[3] == "| 1  | apple | 1.5   |"
    assert lines[4] == "| 2  | null  | 10.25 |"
    assert lines[0] == lines[2] == lines[-1] == "+----+-------+-------+"


def test_tables_fit_the_terminal_width(client: Client) -> None:
    text = render_entity(client.execute_statement("SHOW PROPERTIES;"), width=60)  # type: ignore[arg-type]
    assert max(len(line) for line in text.splitlines()) <= 60
    assert "…" in text


def test_a_persistent_query_names_its_id_once(client: Client) -> None:
    text = rendered(client, "CREATE STREAM big AS SELECT * FROM orders WHERE price > 10;")
    assert text.count("Created query with ID CSAS_BIG_") == 1, text
