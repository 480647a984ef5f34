"""parse()/format(): ksqlDB's grammar, round trips, trees a user relies on, and error messages."""

from __future__ import annotations

import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from ksqlpy.sql import KsqlSyntaxError, classify, format, parse, parse_one, split
from ksqlpy.sql import _nodes as n
from ksqlpy.sql.dialect import KSQL

# Every statement form of the grammar list, in the canonical form the generator prints.
CANONICAL = [
    "CREATE STREAM s (id STRING KEY, v INTEGER) WITH (kafka_topic='t', value_format='JSON')",
    "CREATE OR REPLACE SOURCE TABLE IF NOT EXISTS t (id BIGINT PRIMARY KEY, h BYTES HEADERS, "
    "k BYTES HEADER('key')) WITH (kafka_topic='t', format='AVRO')",
    "CREATE STREAM s (a ARRAY<STRING>, m MAP<STRING, DOUBLE>, st STRUCT<x INTEGER, `y` "
    "DECIMAL(10, 2)>, b BOOLEAN, d DATE, tm TIME, ts TIMESTAMP, vc VARCHAR, c MY_TYPE, "
    "e STRUCT<>) WITH (kafka_topic='t')",
    "CREATE STREAM out WITH (kafka_topic='out', partitions=-1) AS SELECT * FROM s "
    "PARTITION BY v EMIT CHANGES",
    "CREATE TABLE agg AS SELECT k, COUNT(*) AS cnt FROM s WINDOW TUMBLING (SIZE 1 MINUTE, "
    "RETENTION 2 DAYS, GRACE PERIOD 10 SECONDS) GROUP BY k HAVING COUNT(*) > 1 EMIT FINAL",
    "CREATE TABLE h AS SELECT k, SUM(v) FROM s WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY "
    "10 SECONDS) GROUP BY k EMIT CHANGES",
    "CREATE TABLE se AS SELECT k, LATEST_BY_OFFSET(v) FROM s WINDOW SESSION (5 MINUTES) "
    "GROUP BY k EMIT CHANGES",
    "INSERT INTO s (id, v) VALUES ('a', 1)",
    "INSERT INTO s VALUES ('a', ARRAY[1, 2], MAP('k' := 1), STRUCT(f := 'x'))",
    "INSERT INTO s WITH (QUERY_ID='q1') SELECT * FROM t EMIT CHANGES",
    "SELECT s.*, t.x AS tx, a->b->c, arr[1], arr[-1], m['k'] FROM s LEFT OUTER JOIN t WITHIN "
    "(1 HOUR, 2 HOURS) GRACE PERIOD 5 MINUTES ON s.id = t.id WHERE ROWTIME > 0 EMIT CHANGES "
    "LIMIT 10",
    "SELECT a FROM s AS x FULL OUTER JOIN t AS y ON x.k = y.k INNER JOIN u ON x.k = u.k "
    "RIGHT JOIN v ON x.k = v.k EMIT CHANGES",
    "SELECT TRANSFORM(xs, x => x + 1), REDUCE(xs, 0, (acc, x) => acc + x), "
    "CAST(v AS DECIMAL(4, 1)), CASE WHEN a THEN 1 ELSE 2 END FROM s",
    "SELECT * FROM s WHERE a BETWEEN 1 AND 2 AND b LIKE 'x%' ESCAPE '!' AND c IN (1, 2) AND "
    "d IS NOT NULL AND e IS DISTINCT FROM f AND g NOT IN (3) AND h IS NULL",
    "SELECT ROWTIME, ROWPARTITION, ROWOFFSET, WINDOWSTART, WINDOWEND, `Quoted`, 'it''s', "
    "1.5, 2E3, TRUE, NULL, -x, a || b FROM s",
    "SELECT address->* FROM s",
    "SHOW STREAMS",
    "LIST TABLES EXTENDED",
    "SHOW ALL TOPICS EXTENDED",
    "SHOW QUERIES EXTENDED",
    "SHOW PROPERTIES",
    "SHOW FUNCTIONS",
    "SHOW TYPES",
    "SHOW VARIABLES",
    "SHOW SOURCE CONNECTORS",
    "SHOW CONNECTOR PLUGINS",
    "DESCRIBE s EXTENDED",
    "DESCRIBE STREAMS EXTENDED",
    "DESCRIBE TABLES",
    "DESCRIBE FUNCTION ucase",
    "DESCRIBE CONNECTOR c",
    "EXPLAIN SELECT * FROM s EMIT CHANGES",
    "EXPLAIN CSAS_OUT_1",
    "DROP STREAM IF EXISTS s DELETE TOPIC",
    "DROP TABLE t",
    "DROP TYPE IF EXISTS my_type",
    "DROP CONNECTOR c",
    "TERMINATE CSAS_OUT_1",
    "TERMINATE ALL",
    "PAUSE CSAS_OUT_1",
    "RESUME ALL",
    "PRINT 'topic' FROM BEGINNING INTERVAL 2 LIMIT 10",
    "PRINT topic",
    "SET 'auto.offset.reset'='earliest'",
    "UNSET 'auto.offset.reset'",
    "DEFINE topic='orders'",
    "UNDEFINE topic",
    "RUN SCRIPT '/tmp/x.sql'",
    "CREATE TYPE IF NOT EXISTS address AS STRUCT<street STRING, zip INTEGER>",
    "CREATE SOURCE CONNECTOR c WITH ('connector.class'='x', \"k\"='v')",
    "CREATE SINK CONNECTOR IF NOT EXISTS c WITH ('connector.class'='y')",
    "ALTER STREAM s ADD COLUMN c INTEGER, ADD COLUMN d STRING",
    "ALTER SYSTEM 'ksql.x'='y'",
    "ASSERT TOPIC t WITH (partitions=1) TIMEOUT 3 SECONDS",
    "ASSERT NOT EXISTS TOPIC 't'",
    "ASSERT SCHEMA SUBJECT 'orders-value' ID 3 TIMEOUT 1 MINUTE",
]


@pytest.mark.parametrize("sql", CANONICAL)
def test_every_statement_form_parses_and_prints_back_verbatim(sql: str) -> None:
    tree = parse_one(sql)
    assert not isinstance(tree, exp.Command)
    assert tree.sql(dialect=KSQL) == sql.replace('"k"', "`k`")
    assert parse(tree.sql(dialect=KSQL)) == [tree]


def test_dialect_is_found_by_name_through_the_entry_point() -> None:
    tree = sqlglot.parse_one("SELECT a->b FROM s EMIT CHANGES", read="ksql")
    assert isinstance(tree, n.KsqlSelect)
    assert tree.sql("ksql") == "SELECT a->b FROM s EMIT CHANGES"


def test_create_stream_tree_has_columns_constraints_and_properties() -> None:
    tree = parse_one(
        "CREATE STREAM s (id INT KEY, v STRING) WITH (KAFKA_TOPIC='t', format='JSON');"
    )
    assert isinstance(tree, n.KsqlCreate)
    assert tree.kind == "STREAM"
    columns = tree.this.expressions
    assert [c.name for c in columns] == ["id", "v"]
    assert isinstance(columns[0].args["constraints"][0].args["kind"], n.KsqlKeyConstraint)
    props = {p.this.name.lower(): p.args["value"].name for p in tree.args["properties"].expressions}
    assert props == {"kafka_topic": "t", "format": "JSON"}


def test_query_tree_keeps_window_emit_and_join_window() -> None:
    tree = parse_one(
        "SELECT * FROM a JOIN b WITHIN 1 HOUR ON a.k = b.k "
        "WINDOW TUMBLING (SIZE 5 SECONDS) EMIT CHANGES LIMIT 3"
    )
    assert isinstance(tree, n.KsqlSelect)
    join = tree.args["joins"][0]
    assert join.this.name == "b"
    assert join.this.alias == ""
    assert join.args["within"].this.sql("ksql") == "1 HOUR"
    assert tree.args["window"].args["kind"] == "TUMBLING"
    assert tree.args["emit"].name == "CHANGES"
    assert tree.args["limit"].expression.name == "3"


def test_functions_keep_their_ksql_names_and_arity() -> None:
    tree = parse_one("SELECT len(a), ucase(b), TRANSFORM(m, (k, v) => k, (k, v) => v) FROM s")
    assert [f.name for f in tree.find_all(exp.Anonymous)] == ["len", "ucase", "TRANSFORM"]


def test_variables_parse_where_ksqldb_allows_them() -> None:
    tree = parse_one("CREATE STREAM ${name} WITH (kafka_topic=${topic}, partitions=${n})")
    assert sorted(v.name for v in tree.find_all(n.KsqlVariable)) == ["n", "name", "topic"]
    assert tree.sql("ksql") == "CREATE STREAM ${name} WITH (kafka_topic=${topic}, partitions=${n})"


def test_multi_statement_parse_and_comments_after_semicolons() -> None:
    trees = parse("SHOW STREAMS; /* note */ SHOW TABLES;\n-- end\n")
    assert [t.sql("ksql") for t in trees] == ["SHOW STREAMS", "SHOW TABLES"]


@pytest.mark.parametrize(
    ("sql", "line", "column", "fragment"),
    [
        ("SELECT * FORM t", 1, 10, "at or near 'FORM'"),
        ("SHOW STREAMS;\nSELECT a,\n  b FROM", 3, 9, "at end of input"),
        ("CREATE STREAM s (a INT) WITH (x=)", 1, 33, "expecting a literal"),
        ("FOO BAR", 1, 1, "unknown statement 'FOO'"),
        ("TERMINATE", 1, 10, "expecting a query id"),
        ("SELECT * FROM a JOIN b ON a.k = b.k WINDOW TUMBLING (SIZE 5 YEARS)", 1, 61, "time unit"),
        ("SELECT * FROM s WHERE a IN ()", 1, 29, "expecting an expression"),
        # At the token ksqlDB's parser stops at: the ',' in the brackets, the bad type parameter.
        ("SELECT * FROM s GROUP BY a, (b, c)", 1, 31, "tuple"),
        ("CREATE STREAM s (k INT (KEY))", 1, 25, "type parameter"),
        ("SELECT * FROM s t u", 1, 19, "unexpected input"),
        ("INSERT INTO s (a) SELECT * FROM t", 1, 19, "expecting VALUES"),
        ("SHOW STREAMZ", 1, 6, "unknown statement"),
        ("SELECT a FROM t WHERE b = (SELECT 1 FROM u)", 1, 28, "expecting an expression"),
        ("SELECT a FROM t WHERE b IN (SELECT 1 FROM u)", 1, 29, "expecting an expression"),
    ],
)
def test_syntax_errors_carry_line_column_and_caret(
    sql: str, line: int, column: int, fragment: str
) -> None:
    with pytest.raises(KsqlSyntaxError) as caught:
        parse(sql)
    error = caught.value
    assert (error.line, error.column) == (line, column), str(error)
    assert fragment.lower() in str(error).lower()
    assert str(error).startswith(f"line {line}:{column}: ")
    source_line, caret_line = error.snippet.splitlines()
    assert caret_line.index("^") == column - 1
    assert source_line == sql.splitlines()[line - 1]


def test_syntax_errors_never_leak_sqlglot_exceptions() -> None:
    for bad in ["SELECT", "SELECT * FROM", "CREATE", "SELECT (", "SELECT a FROM s WHERE", "((("]:
        with pytest.raises(KsqlSyntaxError):
            parse(bad)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT f(a AS b) FROM t",
        "SELECT COUNT(DISTINCT a) FROM t",
        "SELECT f(a LIMIT 1) FROM t",
        "SELECT f(*, 1) FROM t",
        "SELECT 'a' 'b' FROM t",
        "SELECT a FROM t WHERE a IS TRUE",
        "SELECT a::INT FROM t",
        "SELECT * FROM t ORDER BY a",
        "SELECT * FROM t UNION SELECT * FROM u",
        "SELECT * FROM (SELECT * FROM t)",
        "INSERT INTO s (a) VALUES (1), (2)",
        "CREATE STREAM s (a INT) WITH (kafka_topic='t') AS SELECT * FROM u",
    ],
)
def test_sql_that_ksqldb_refuses_is_refused(sql: str) -> None:
    with pytest.raises(KsqlSyntaxError):
        parse(sql)


def test_digit_identifiers_and_lambdas_in_function_arguments() -> None:
    tree = parse_one("SELECT 1abc, F(x => 1, (k, v) => k + v), H((1 + 2), (a)), COUNT(*) FROM t")
    assert tree.expressions[0].name == "1abc"
    lambdas = list(tree.find_all(exp.Lambda))
    assert [len(lam.expressions) for lam in lambdas] == [1, 2]
    assert tree.sql(dialect=KSQL) == (
        "SELECT 1abc, F(x => 1, (k, v) => k + v), H((1 + 2), (a)), COUNT(*) FROM t"
    )


@pytest.mark.parametrize(
    ("sql", "printed"),
    [
        ("SELECT * FROM s GROUP BY (a) + 1, b", "SELECT * FROM s GROUP BY (a) + 1, b"),
        ("SELECT * FROM s GROUP BY (a, b)", "SELECT * FROM s GROUP BY a, b"),
        ("SELECT * FROM s GROUP BY ()", "SELECT * FROM s GROUP BY ()"),
        ("SELECT * FROM s PARTITION BY (a)", "SELECT * FROM s PARTITION BY (a)"),
    ],
)
def test_grouping_lists_with_and_without_parentheses(sql: str, printed: str) -> None:
    tree = parse_one(sql)
    assert tree.sql(dialect=KSQL) == printed
    assert parse(printed) == [tree]


def test_format_is_canonical_and_readable() -> None:
    text = "select a,b from s where a>1 emit changes;create stream x (id int key) with (k='v')"
    assert format(text) == (
        "SELECT a, b\nFROM s\nWHERE a > 1\nEMIT CHANGES;\n\n"
        "CREATE STREAM x (\n  id INTEGER KEY\n) WITH (k='v');"
    )
    assert format(format(text)) == format(text)
    assert (
        format(text, pretty=False).splitlines()[0] == "SELECT a, b FROM s WHERE a > 1 EMIT CHANGES;"
    )


_SQLISH = st.text(
    st.sampled_from(list("abSELECTFROMWHEREIN ;'`\"-/*${}()[],.:=<>!|@#?\\\n0123456789")),
    max_size=60,
)


@settings(max_examples=300)
@given(_SQLISH)
def test_arbitrary_text_either_parses_or_raises_ksql_syntax_error(text: str) -> None:
    position: tuple[int, int] | None = None
    trees: list[exp.Expr] = []
    try:
        trees = parse(text)
    except KsqlSyntaxError as caught:  # anything else (a sqlglot error) fails the test
        position = (caught.line, caught.column)
    if position is not None:
        assert min(position) >= 1
    assert all(not isinstance(t, exp.Command) for t in trees)


@pytest.mark.parametrize("depth", [60, 400])
def test_deep_nesting_is_a_syntax_error_naming_the_depth(depth: int) -> None:
    nested = "(" * depth + "1" + ")" * depth
    with pytest.raises(KsqlSyntaxError) as caught:
        parse(f"SELECT id,\n  {nested} AS x FROM s EMIT CHANGES;")
    error = caught.value
    assert f"nested too deeply: {depth} levels of brackets" in str(error)
    assert (error.line, error.column) == (2, 3 + depth - 1)  # the innermost bracket
    # classify, which the shell runs before sending, says the same.
    with pytest.raises(KsqlSyntaxError, match="nested too deeply"):
        classify(split(f"SELECT {nested} FROM s EMIT CHANGES;")[0])


@pytest.mark.parametrize(
    ("sql", "kind", "extended"),
    [
        ("DESCRIBE STREAMS;", "STREAMS", False),
        ("describe tables", "TABLES", False),
        ("DESCRIBE TABLES EXTENDED;", "TABLES", True),
    ],
)
def test_describe_streams_and_tables_list_every_source(sql: str, kind: str, extended: bool) -> None:
    # As ksqlDB's AstBuilder: DESCRIBE STREAMS|TABLES [EXTENDED] describes every source of the
    # kind, whether or not a semicolon ends the statement; a quoted name is a source.
    node = parse_one(sql)
    assert isinstance(node, n.KsqlDescribe)
    assert node.args["kind"].name == kind
    assert bool(node.args.get("extended")) is extended
    assert parse_one("DESCRIBE `TABLES`;").args.get("kind") is None
