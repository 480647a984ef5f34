"""Completion contexts: set-based checks of ``suggest`` with a fixed catalog, no server."""

from __future__ import annotations

import pytest

from ksqlpy.repl.completion.suggest import suggest
from ksqlpy.repl.completion.vocabulary import (
    CatalogSnapshot,
    SourceMeta,
    SuggestionKind,
    Suggestions,
)

CATALOG = CatalogSnapshot(
    sources={
        "ORDERS": SourceMeta(
            "ORDERS",
            "STREAM",
            "orders",
            (("ID", "INTEGER"), ("ITEM", "STRING"), ("PRICE", "DOUBLE")),
        ),
        "USERS": SourceMeta("USERS", "TABLE", "users", (("ID", "INTEGER"), ("NAME", "STRING"))),
        "Mixed Case": SourceMeta("Mixed Case", "STREAM", "mixed", (("Col", "STRING"),)),
    },
    topics=("orders", "users", "audit-log"),
    functions={"UCASE": "SCALAR string", "COUNT": "AGGREGATE", "LCASE": "SCALAR string"},
    properties=("auto.offset.reset", "ksql.streams.num.stream.threads"),
    variables=("topic", "Env"),
    queries=("CSAS_TOTALS_3", "transient_ORDERS_1"),
    types=("ADDRESS",),
    commands=("HELP", "SPOOL", "EXIT", "HISTORY"),
)


def at(text: str) -> Suggestions:
    """Suggestions with the cursor at ``|`` (or at the end)."""
    before, _, after = text.partition("|")
    return suggest(before, CATALOG, after)


def test_statement_start_offers_statements_and_shell_commands() -> None:
    texts = at("").texts
    assert {"SELECT", "CREATE", "DROP", "DESCRIBE", "SHOW", "PRINT", "RUN SCRIPT"} <= texts
    assert {"HELP", "SPOOL", "EXIT", "HISTORY"} <= texts
    assert "ORDERS" not in texts


def test_partial_keyword_replaces_typed_letters() -> None:
    result = at("sel")
    assert result.texts == {"SELECT"}
    assert result.replace == 3


def test_second_statement_on_a_line_starts_fresh() -> None:
    assert at("SELECT * FROM orders; DR").texts == {"DROP"}


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM ",
        "SELECT * FROM orders o JOIN ",
        "SELECT * FROM orders LEFT JOIN ",
        "DESCRIBE ",
        "DESCRIBE EXTENDED ",
        "INSERT INTO ",
    ],
)
def test_sources_where_a_source_is_named(text: str) -> None:
    assert {"ORDERS", "USERS", "Mixed Case"} <= at(text).texts


def test_source_prefix_and_kind() -> None:
    result = at("SELECT * FROM or")
    assert result.texts == {"ORDERS"}
    assert result.items[0].kind is SuggestionKind.STREAM
    assert result.items[0].meta == "orders"


def test_drop_offers_object_kinds_then_sources_of_that_kind() -> None:
    assert at("DROP ").texts == {"STREAM", "TABLE", "TYPE", "CONNECTOR"}
    assert at("DROP TABLE ").texts == {"USERS", "IF EXISTS"}
    assert at("DROP STREAM IF EXISTS ").texts == {"ORDERS", "Mixed Case"}
    assert at("DROP STREAM orders ").texts == {"DELETE TOPIC"}
    assert at("DROP TYPE ").texts == {"ADDRESS"}


def test_describe_also_offers_its_keywords() -> None:
    assert {"EXTENDED", "FUNCTION"} <= at("DESCRIBE ").texts
    assert at("DESCRIBE FUNCTION uc").texts == {"UCASE"}


def test_columns_after_select_come_from_the_from_clause_after_the_cursor() -> None:
    texts = at("SELECT | FROM orders EMIT CHANGES;").texts
    assert {"ID", "ITEM", "PRICE", "*", "UCASE", "COUNT"} <= texts
    assert "NAME" not in texts  # USERS is not in the statement


def test_columns_after_comma_in_select_list() -> None:
    assert {"ITEM", "PRICE"} <= at("SELECT id, | FROM orders").texts


def test_columns_after_where_and_operators() -> None:
    assert {"ID", "ITEM", "PRICE"} <= at("SELECT * FROM orders WHERE ").texts
    assert {"ID", "ITEM", "PRICE"} <= at("SELECT * FROM orders WHERE price > ").texts
    assert {"ID", "ITEM", "PRICE"} <= at("SELECT * FROM orders WHERE id = 1 AND ").texts


def test_columns_after_group_by_and_partition_by() -> None:
    assert {"ID", "ITEM"} <= at("SELECT item, COUNT(*) FROM orders GROUP BY ").texts
    assert {"ID", "ITEM"} <= at("SELECT * FROM orders PARTITION BY ").texts


def test_columns_qualified_by_alias() -> None:
    text = "SELECT o.| FROM orders o JOIN users u ON o.id = u.id EMIT CHANGES;"
    assert at(text).texts == {"ID", "ITEM", "PRICE"}
    assert at("SELECT * FROM orders o JOIN users AS u ON o.id = u.").texts == {"ID", "NAME"}
    assert at("SELECT u.na| FROM orders o JOIN users u ON o.id = u.id").texts == {"NAME"}


def test_columns_qualified_by_source_name() -> None:
    assert at("SELECT orders.| FROM orders").texts == {"ID", "ITEM", "PRICE"}


def test_columns_of_both_join_sides_without_qualifier() -> None:
    texts = at("SELECT | FROM orders o JOIN users u ON o.id = u.id").texts
    assert {"ITEM", "PRICE", "NAME", "ID"} <= texts


def test_column_meta_is_its_type() -> None:
    items = {s.text: s for s in at("SELECT pr| FROM orders").items}
    assert items["PRICE"].meta == "DOUBLE"
    assert items["PRICE"].kind is SuggestionKind.COLUMN


def test_functions_in_expressions() -> None:
    result = at("SELECT uc| FROM orders")
    assert result.texts == {"UCASE"}
    assert result.items[0].kind is SuggestionKind.FUNCTION


def test_keywords_after_a_source_by_position() -> None:
    texts = at("SELECT * FROM orders ").texts
    assert {"WHERE", "EMIT CHANGES", "JOIN", "GROUP BY", "LIMIT", "WINDOW"} <= texts
    assert "SELECT" not in texts
    assert at("SELECT * FROM orders EMIT ").texts == {"CHANGES", "FINAL"}
    assert at("SELECT * FROM orders WINDOW ").texts == {"TUMBLING", "HOPPING", "SESSION"}
    assert {"FROM", "AS"} <= at("SELECT id ").texts


def test_show_targets() -> None:
    assert {"STREAMS", "TABLES", "TOPICS", "QUERIES", "PROPERTIES", "VARIABLES"} <= at(
        "SHOW "
    ).texts
    assert at("LIST str").texts == {"STREAMS"}


def test_topics_after_print() -> None:
    assert at("PRINT ").texts == {"orders", "users", "audit-log"}
    assert at("PRINT 'au").texts == {"audit-log"}


def test_topics_in_kafka_topic_with_and_without_quote() -> None:
    head = "CREATE STREAM s (id INT KEY) WITH (value_format='json', kafka_topic="
    assert at(head).texts == {"'orders'", "'users'", "'audit-log'"}
    result = at(head + "'us")
    assert result.texts == {"users"}
    assert result.replace == 2


def test_with_clause_keys_and_formats() -> None:
    texts = at("CREATE STREAM s (id INT KEY) WITH (").texts
    assert {"KAFKA_TOPIC", "VALUE_FORMAT", "PARTITIONS", "KEY_FORMAT"} <= texts
    assert {"KAFKA_TOPIC"} <= at("CREATE TABLE t (id INT PRIMARY KEY) WITH (partitions=1, ").texts
    assert "'JSON'" in at("CREATE STREAM s (id INT KEY) WITH (value_format=").texts


def test_types_in_column_definitions_and_cast() -> None:
    assert {"INT", "STRING", "BIGINT", "ADDRESS"} <= at("CREATE STREAM s (id ").texts
    assert {"INT", "STRING"} <= at("SELECT CAST(id AS ").texts


def test_property_names_after_set_and_unset() -> None:
    assert {"'auto.offset.reset'", "'ksql.streams.num.stream.threads'"} <= at("SET ").texts
    assert at("SET 'auto").texts == {"auto.offset.reset"}
    assert at("UNSET 'ksql").texts == {"ksql.streams.num.stream.threads"}


def test_variables_after_dollar_brace() -> None:
    assert at("SELECT * FROM ${").texts == {"topic}", "Env}"}
    result = at("CREATE STREAM s WITH (kafka_topic='${to")
    assert result.texts == {"topic}"}
    assert result.replace == 2
    assert at("SELECT ${e").texts == {"Env}"}  # names are case-insensitive


def test_query_ids_after_terminate_and_explain() -> None:
    assert at("TERMINATE ").texts == {"CSAS_TOTALS_3", "transient_ORDERS_1", "ALL"}
    assert at("EXPLAIN cs").texts == {"CSAS_TOTALS_3"}


def test_nothing_inside_an_unrelated_string() -> None:
    assert at("SELECT * FROM orders WHERE item = 'abc").texts == set()


def test_prefix_matches_come_before_substring_matches() -> None:
    texts = [s.text for s in at("DESCRIBE FUNCTION c").items]
    assert texts == ["COUNT", "LCASE", "UCASE"]


def test_empty_catalog_never_fails() -> None:
    empty = CatalogSnapshot()
    for text in ("", "SELECT ", "SELECT * FROM ", "SELECT a. FROM x", "PRINT '", "SET '", "${"):
        assert isinstance(suggest(text, empty), Suggestions)


def test_columns_in_scope_come_before_functions_of_the_same_prefix() -> None:
    catalog = CatalogSnapshot(
        sources={"PEOPLE": SourceMeta("PEOPLE", "STREAM", "p", (("TITLE", "STRING"),))},
        functions={"TIMESTAMPTOSTRING": "SCALAR string", "TIMESTAMPADD": "SCALAR"},
    )
    found = suggest("SELECT * FROM people WHERE ti", catalog)
    texts = [item.text for item in found.items]
    assert texts[0] == "TITLE", texts
    assert set(texts) >= {"TITLE", "TIMESTAMPTOSTRING", "TIMESTAMPADD"}
