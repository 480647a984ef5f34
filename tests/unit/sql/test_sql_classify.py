"""classify(): the kind of each statement, push vs pull, and errors located in the script."""

from __future__ import annotations

import pytest

from ksqlpy.sql import KsqlSyntaxError, StatementKind, classify, parse_one, split

K = StatementKind


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        (
            "CREATE STREAM s (id INT KEY) WITH (kafka_topic='s', value_format='JSON')",
            K.CREATE_SOURCE,
        ),
        (
            "CREATE OR REPLACE SOURCE TABLE t (id INT PRIMARY KEY) WITH (kafka_topic='t')",
            K.CREATE_SOURCE,
        ),
        ("CREATE STREAM o AS SELECT * FROM s EMIT CHANGES", K.PERSISTENT_QUERY),
        ("CREATE TABLE o AS SELECT k, COUNT(*) FROM s GROUP BY k", K.PERSISTENT_QUERY),
        ("INSERT INTO o SELECT * FROM s", K.PERSISTENT_QUERY),
        ("INSERT INTO o (a) VALUES (1)", K.INSERT_VALUES),
        ("SELECT * FROM s EMIT CHANGES", K.PUSH_QUERY),
        ("SELECT * FROM t WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY k EMIT FINAL", K.PUSH_QUERY),
        ("SELECT * FROM t WHERE k = 1", K.PULL_QUERY),
        ("SELECT * FROM t LIMIT 3", K.PULL_QUERY),
        ("DROP STREAM s DELETE TOPIC", K.DROP_SOURCE),
        ("DROP TABLE IF EXISTS t", K.DROP_SOURCE),
        ("ALTER STREAM s ADD COLUMN c INT", K.ALTER_SOURCE),
        ("SHOW STREAMS", K.METADATA),
        ("LIST QUERIES EXTENDED", K.METADATA),
        ("DESCRIBE s EXTENDED", K.METADATA),
        ("EXPLAIN SELECT * FROM s EMIT CHANGES", K.METADATA),
        ("TERMINATE ALL", K.TERMINATE),
        ("PAUSE q1", K.PAUSE_RESUME),
        ("RESUME ALL", K.PAUSE_RESUME),
        ("SET 'auto.offset.reset'='earliest'", K.PROPERTY),
        ("UNSET 'auto.offset.reset'", K.PROPERTY),
        ("ALTER SYSTEM 'a'='b'", K.PROPERTY),
        ("DEFINE x = 'y'", K.VARIABLE),
        ("UNDEFINE x", K.VARIABLE),
        ("PRINT 'orders' FROM BEGINNING", K.PRINT),
        ("RUN SCRIPT 'setup.sql'", K.RUN_SCRIPT),
        ("CREATE SINK CONNECTOR c WITH ('connector.class'='x')", K.CONNECTOR),
        ("DROP CONNECTOR c", K.CONNECTOR),
        ("CREATE TYPE t AS STRUCT<a INT>", K.TYPE),
        ("DROP TYPE t", K.TYPE),
        ("ASSERT TOPIC orders TIMEOUT 5 SECONDS", K.ASSERT),
        ("ASSERT NOT EXISTS SCHEMA ID 4", K.ASSERT),
    ],
)
def test_each_statement_gets_its_kind(sql: str, kind: StatementKind) -> None:
    assert classify(sql) is kind
    assert classify(parse_one(sql)) is kind


def test_classify_accepts_split_results() -> None:
    script = "SHOW STREAMS;\nINSERT INTO s VALUES (1);\nSELECT * FROM s EMIT CHANGES;"
    assert [classify(s) for s in split(script)] == [K.METADATA, K.INSERT_VALUES, K.PUSH_QUERY]


def test_error_in_a_split_statement_points_into_the_script() -> None:
    statements = split("SHOW STREAMS;\n\n  SELECT * FORM s;")
    with pytest.raises(KsqlSyntaxError) as caught:
        classify(statements[1])
    assert (caught.value.line, caught.value.column) == (3, 12)


def test_more_than_one_statement_is_refused() -> None:
    with pytest.raises(KsqlSyntaxError, match="one statement"):
        classify("SHOW STREAMS; SHOW TABLES")
