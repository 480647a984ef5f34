"""The statement texts the server reports, over HTTP: what ksqlDB's injectors and formatter leave
for sources and persistent queries (SHOW QUERIES, EXPLAIN, DESCRIBE EXTENDED), the user's text for
INSERT INTO ... SELECT. The answer to a request carries the same text (ksqlDB's
DistributingExecutor answers with the injected statement)."""

from __future__ import annotations

from typing import Any

PAGES = (
    "CREATE STREAM pages (user_id STRING KEY, page VARCHAR, n INT) "
    "WITH (kafka_topic='pages', value_format='json', partitions=2);"
)
VISITS = "CREATE STREAM visits AS SELECT user_id, UCASE(page) FROM pages p WHERE n > 0;"
COUNTS = (
    "CREATE TABLE counts WITH (kafka_topic='page_counts') AS "
    "SELECT page, COUNT(*) AS hits FROM pages GROUP BY page;"
)
INSERT = "INSERT INTO visits SELECT user_id, page AS KSQL_COL_0 FROM pages;"

PAGES_KEPT = (
    "CREATE STREAM PAGES (USER_ID STRING KEY, PAGE STRING, N INTEGER) WITH ("
    "CLEANUP_POLICY='delete', KAFKA_TOPIC='pages', KEY_FORMAT='KAFKA', PARTITIONS=2, "
    "VALUE_FORMAT='JSON');"
)
VISITS_KEPT = (
    "CREATE STREAM VISITS WITH (CLEANUP_POLICY='delete', KAFKA_TOPIC='VISITS', PARTITIONS=2, "
    "REPLICAS=1, RETENTION_MS=604800000) AS SELECT\n"
    "  P.USER_ID USER_ID,\n"
    "  UCASE(P.PAGE) KSQL_COL_0\n"
    "FROM PAGES P\n"
    "WHERE (P.N > 0)\n"
    "EMIT CHANGES;"
)
COUNTS_KEPT = (
    "CREATE TABLE COUNTS WITH (CLEANUP_POLICY='compact', KAFKA_TOPIC='page_counts', "
    "PARTITIONS=2, REPLICAS=1, RETENTION_MS=604800000) AS SELECT\n"
    "  PAGES.PAGE PAGE,\n"
    "  COUNT(*) HITS\n"
    "FROM PAGES PAGES\n"
    "GROUP BY PAGES.PAGE\n"
    "EMIT CHANGES;"
)


def _run_all(ksql: Any) -> dict[str, str]:
    """Run the statements; the query id of each persistent query by its sink's statement."""
    answers = [ksql(text)[0] for text in (PAGES, VISITS, COUNTS, INSERT)]
    # The answer carries the statement as ksqlDB keeps it; INSERT ... SELECT is not rewritten.
    texts = [a["statementText"] for a in answers]
    assert texts == [PAGES_KEPT, VISITS_KEPT, COUNTS_KEPT, INSERT]
    return {
        "visits": answers[1]["commandStatus"]["queryId"],
        "counts": answers[2]["commandStatus"]["queryId"],
        "insert": answers[3]["commandStatus"]["queryId"],
    }


def test_show_queries_reports_the_statements_as_ksqldb_keeps_them(ksql: Any) -> None:
    ids = _run_all(ksql)
    (listing,) = ksql("SHOW QUERIES;")
    texts = {q["id"]: q["queryString"] for q in listing["queries"]}
    assert texts == {ids["visits"]: VISITS_KEPT, ids["counts"]: COUNTS_KEPT, ids["insert"]: INSERT}


def test_explain_reports_the_same_text(ksql: Any) -> None:
    ids = _run_all(ksql)
    (explained,) = ksql(f"EXPLAIN {ids['counts']};")
    assert explained["statementText"] == f"EXPLAIN {ids['counts']};"
    assert explained["queryDescription"]["statementText"] == COUNTS_KEPT
    (explained,) = ksql(f"EXPLAIN {ids['insert']};")
    assert explained["queryDescription"]["statementText"] == INSERT


def test_describe_extended_reports_the_sources_statements(ksql: Any) -> None:
    ids = _run_all(ksql)
    (pages,) = ksql("DESCRIBE pages EXTENDED;")
    assert pages["sourceDescription"]["statement"] == PAGES_KEPT
    (visits,) = ksql("DESCRIBE visits EXTENDED;")
    description = visits["sourceDescription"]
    assert description["statement"] == VISITS_KEPT
    writers = {q["id"]: q["queryString"] for q in description["writeQueries"]}
    assert writers == {ids["visits"]: VISITS_KEPT, ids["insert"]: INSERT}


def test_drop_delete_topic_answers_without_the_delete_clause(ksql: Any) -> None:
    # ksqlDB's TopicDeleteInjector deletes the topic, then formats the statement without it.
    ksql(PAGES)
    (dropped,) = ksql("drop stream if exists pages delete topic;")
    assert dropped["statementText"] == "DROP STREAM IF EXISTS PAGES;"
    assert "was dropped" in dropped["commandStatus"]["message"]
    (topics,) = ksql("SHOW TOPICS;")
    assert "pages" not in [t["name"] for t in topics["topics"]]
