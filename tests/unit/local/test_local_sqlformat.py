"""Statements written back as ksqlDB keeps them (SqlFormatter after AstSanitizer and injectors).

The expected texts follow ksqlDB's rules as its own tests show them (SqlFormatterTest,
TopicCreateInjectorTest, ClientIntegrationTest, the QTT historical plans): one select item on the
SELECT line, several one per line; ``FROM T T``; every clause on its own line; EMIT CHANGES added;
columns qualified and aliased; the injected WITH properties sorted by name.
"""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine import Engine, statement_text
from ksqlpy.local.engine.errors import EngineError
from ksqlpy.local.engine.metastore import Metastore
from ksqlpy.local.engine.results import CommandDone
from ksqlpy.local.engine.runtime import Session
from ksqlpy.local.engine.sqlformat import name
from ksqlpy.local.engine.sqlformat_query import Unrenderable, query
from ksqlpy.local.storage import MemoryLog
from ksqlpy.sql import parse_one
from ksqlpy.sql.nodes import KsqlCreate, KsqlSelect

ORDERS = (
    "CREATE STREAM ORDERS (ID INT KEY, ITEM STRING, QTY INT, PRICE DOUBLE, `size` INT, "
    "ADDR STRUCT<CITY STRING, `Zip` INT>, TAGS ARRAY<STRING>, ATTRS MAP<STRING, INT>, "
    "KSQL_COL_0 INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=3);"
)
ITEMS = (
    "CREATE TABLE ITEMS (ID INT PRIMARY KEY, ITEM STRING, CITY STRING) "
    "WITH (KAFKA_TOPIC='items', FORMAT='JSON', PARTITIONS=3);"
)


@pytest.fixture
def metastore() -> Metastore:
    runtime = SmallRuntime()
    runtime.run(ORDERS)
    runtime.run(ITEMS)
    return runtime.metastore


def _query(text: str, metastore: Metastore) -> str:
    node = parse_one(text)
    select = node.args.get("expression")
    assert isinstance(select, KsqlSelect)
    return query(select, metastore)


# -- layout ---------------------------------------------------------------------------------------


def test_a_single_item_stays_on_the_select_line_and_from_repeats_the_name(
    metastore: Metastore,
) -> None:
    text = "CREATE STREAM S AS SELECT * FROM orders;"
    assert _query(text, metastore) == "SELECT *\nFROM ORDERS ORDERS\nEMIT CHANGES"


def test_items_go_one_per_line_qualified_and_aliased(metastore: Metastore) -> None:
    text = "CREATE STREAM S AS SELECT id, item AS what, qty * 2 FROM orders o WHERE qty > 1;"
    assert _query(text, metastore) == (
        "SELECT\n  O.ID ID,\n  O.ITEM WHAT,\n  (O.QTY * 2) KSQL_COL_1\nFROM ORDERS O\n"
        "WHERE (O.QTY > 1)\nEMIT CHANGES"
    )


def test_clauses_each_start_a_line_in_ksqldb_order(metastore: Metastore) -> None:
    text = (
        "CREATE TABLE C AS SELECT item, COUNT(*) AS n FROM orders "
        "WINDOW HOPPING (SIZE 20 SECONDS, ADVANCE BY 5 SECOND, GRACE PERIOD 1 HOUR) "
        "WHERE qty IS NOT NULL GROUP BY item HAVING COUNT(*) > 1 EMIT FINAL;"
    )
    assert _query(text, metastore) == (
        "SELECT\n  ORDERS.ITEM ITEM,\n  COUNT(*) N\nFROM ORDERS ORDERS\n"
        "WINDOW HOPPING ( SIZE 20 SECONDS , ADVANCE BY 5 SECONDS , GRACE PERIOD 1 HOURS ) \n"
        "WHERE (ORDERS.QTY IS NOT NULL)\nGROUP BY ORDERS.ITEM\nHAVING (COUNT(*) > 1)\nEMIT FINAL"
    )


@pytest.mark.parametrize(
    ("window", "written"),
    [
        ("TUMBLING (SIZE 1 MINUTE)", "WINDOW TUMBLING ( SIZE 1 MINUTES ) "),
        (
            "TUMBLING (SIZE 7 DAYS, RETENTION 14 DAYS)",
            "WINDOW TUMBLING ( SIZE 7 DAYS , RETENTION 14 DAYS ) ",
        ),
        ("SESSION (15 MINUTES)", "WINDOW SESSION ( 15 MINUTES ) "),
    ],
)
def test_windows_are_written_with_plural_units_and_spaces(
    metastore: Metastore, window: str, written: str
) -> None:
    text = f"CREATE TABLE C AS SELECT item, COUNT(*) FROM orders WINDOW {window} GROUP BY item;"
    assert _query(text, metastore).split("\n")[4] == written


def test_partition_by_and_limit(metastore: Metastore) -> None:
    text = "INSERT INTO S SELECT * FROM orders PARTITION BY item, qty;"
    assert _query(text, metastore) == (
        "SELECT *\nFROM ORDERS ORDERS\nPARTITION BY ORDERS.ITEM, ORDERS.QTY\nEMIT CHANGES"
    )


def test_joins_name_their_type_and_alias_clashing_columns(metastore: Metastore) -> None:
    text = (
        "CREATE STREAM J AS SELECT o.id, i.id, o.qty, city, o.item FROM orders o "
        "LEFT JOIN items i ON o.id = i.id;"
    )
    assert _query(text, metastore) == (
        "SELECT\n  O.ID O_ID,\n  I.ID I_ID,\n  O.QTY QTY,\n  I.CITY CITY,\n  O.ITEM O_ITEM\n"
        "FROM ORDERS O\nLEFT OUTER JOIN ITEMS I ON ((O.ID = I.ID))\nEMIT CHANGES"
    )


def test_stream_joins_keep_their_within(metastore: Metastore) -> None:
    text = (
        "CREATE STREAM J AS SELECT * FROM orders a JOIN orders b WITHIN (1 HOUR, 2 MINUTES) "
        "GRACE PERIOD 10 SECONDS ON a.id = b.id FULL OUTER JOIN items c ON a.id = c.id;"
    )
    assert _query(text, metastore) == (
        "SELECT *\nFROM ORDERS A\n"
        "INNER JOIN ORDERS B WITHIN (1 HOURS, 2 MINUTES) GRACE PERIOD 10 SECONDS ON "
        "((A.ID = B.ID))\nFULL OUTER JOIN ITEMS C ON ((A.ID = C.ID))\nEMIT CHANGES"
    )


# -- aliases ---------------------------------------------------------------------------------------


def test_generated_aliases_skip_numbers_the_sources_use(metastore: Metastore) -> None:
    # ORDERS has a KSQL_COL_0 column: the first generated alias is KSQL_COL_1.
    text = "CREATE STREAM S AS SELECT qty + 1, ABS(qty), ksql_col_0 FROM orders;"
    assert _query(text, metastore).split("\n")[1:4] == [
        "  (ORDERS.QTY + 1) KSQL_COL_1,",
        "  ABS(ORDERS.QTY) KSQL_COL_2,",
        "  ORDERS.KSQL_COL_0 KSQL_COL_0",
    ]


def test_struct_fields_are_named_after_the_field_then_numbered(metastore: Metastore) -> None:
    # ITEMS has a CITY column, but only the sources of the query count.
    text = "CREATE STREAM S AS SELECT addr->city, addr->city, addr->`Zip` FROM orders;"
    assert _query(text, metastore).split("\n")[1:4] == [
        "  ORDERS.ADDR->CITY CITY,",
        "  ORDERS.ADDR->CITY CITY_1,",
        "  ORDERS.ADDR->`Zip` `Zip`",
    ]


def test_a_struct_star_is_left_as_written(metastore: Metastore) -> None:
    text = "CREATE STREAM S AS SELECT o.addr->* FROM orders o;"
    assert _query(text, metastore) == "SELECT O.ADDR->*\nFROM ORDERS O\nEMIT CHANGES"


# -- expressions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "formatted"),
    [
        ("'it''s'", "'it''s'"),
        ("007", "7"),
        ("12345678901", "12345678901"),
        ("1.50", "1.50"),
        ("1.5e10", "1.5E10"),
        ("true", "true"),
        ("CAST(NULL AS STRING)", "CAST(null AS STRING)"),
        ("-qty", "-ORDERS.QTY"),
        ("- -qty", "- -ORDERS.QTY"),
        ("qty + price * 2", "(ORDERS.QTY + (ORDERS.PRICE * 2))"),
        ("(qty + price) * 2", "((ORDERS.QTY + ORDERS.PRICE) * 2)"),
        ("qty % 2 != 0 OR NOT qty < 1", "(((ORDERS.QTY % 2) <> 0) OR (NOT (ORDERS.QTY < 1)))"),
        ("item IS NULL", "(ORDERS.ITEM IS NULL)"),
        ("item LIKE 'a!%' ESCAPE '!'", "(ORDERS.ITEM LIKE 'a!%' ESCAPE '!')"),
        ("item NOT LIKE 'a%'", "(NOT (ORDERS.ITEM LIKE 'a%'))"),
        ("qty BETWEEN 1 AND 3", "(ORDERS.QTY BETWEEN 1 AND 3)"),
        ("qty NOT IN (1, 2)", "(NOT (ORDERS.QTY IN (1, 2)))"),
        ("qty IS DISTINCT FROM 1", "(ORDERS.QTY IS DISTINCT FROM 1)"),
        (
            "CASE WHEN qty > 1 THEN 'many' ELSE 'one' END",
            "(CASE WHEN (ORDERS.QTY > 1) THEN 'many' ELSE 'one' END)",
        ),
        ("CASE qty WHEN 1 THEN 'one' END", "(CASE ORDERS.QTY WHEN 1 THEN 'one' END)"),
        ("CAST(qty AS DECIMAL(4,2))", "CAST(ORDERS.QTY AS DECIMAL(4, 2))"),
        ("CAST(addr AS STRUCT<`END` VARCHAR>)", "CAST(ORDERS.ADDR AS STRUCT<`END` STRING>)"),
        ("tags[1]", "ORDERS.TAGS[1]"),
        ("ARRAY[1, qty]", "ARRAY[1, ORDERS.QTY]"),
        ("MAP('a' := qty)", "MAP('a':=ORDERS.QTY)"),
        ("STRUCT(a := qty, `b` := 1)", "STRUCT(A:=ORDERS.QTY, `b`:=1)"),
        # The parser's function for || is named in lower case, so it comes back quoted.
        ("item || 'x'", "`concat`(ORDERS.ITEM, 'x')"),
        ("ucase(item)", "UCASE(ORDERS.ITEM)"),
        ("TRANSFORM(tags, x => UCASE(x))", "TRANSFORM(ORDERS.TAGS, (X) => UCASE(X))"),
        (
            "FILTER(attrs, (k, v) => v > qty)",
            "FILTER(ORDERS.ATTRS, (K, V) => (V > ORDERS.QTY))",
        ),
        ("DATEADD(DAY, 1, CAST(qty AS DATE))", "DATEADD(DAYS, 1, CAST(ORDERS.QTY AS DATE))"),
        ("`size`", "ORDERS.`size`"),
        ("ROWTIME", "ORDERS.ROWTIME"),
    ],
)
def test_expressions_are_written_as_ksqldb_writes_them(
    metastore: Metastore, written: str, formatted: str
) -> None:
    text = f"CREATE STREAM S AS SELECT {written} AS x FROM orders;"
    assert _query(text, metastore) == f"SELECT {formatted} X\nFROM ORDERS ORDERS\nEMIT CHANGES"


@pytest.mark.parametrize(
    ("identifier", "written"),
    [
        ("ITEM", "ITEM"),
        ("item", "`item`"),  # lower case survives only quoted
        ("SIZE", "`SIZE`"),  # a reserved word
        ("STREAMS", "`STREAMS`"),
        ("KEY", "KEY"),  # a non-reserved keyword
        ("1R", "1R"),  # the grammar's DIGIT_IDENTIFIER
        ("12", "`12`"),  # read as a number without quotes
        ("A B", "`A B`"),
        ("A`B", "`A``B`"),
    ],
)
def test_identifiers_are_quoted_only_when_needed(identifier: str, written: str) -> None:
    assert name(identifier) == written


# -- the statements ksqlDB keeps ------------------------------------------------------------------


def test_create_as_gets_the_sink_topic_properties_injected(metastore: Metastore) -> None:
    log = MemoryLog()
    log.create_topic("orders", 3, 2)
    text = "create stream s as select * from orders;"
    assert statement_text.create_as_text(text, metastore, log, 3) == (
        "CREATE STREAM S WITH (CLEANUP_POLICY='delete', KAFKA_TOPIC='S', PARTITIONS=3, "
        "REPLICAS=2, RETENTION_MS=604800000) AS SELECT *\nFROM ORDERS ORDERS\nEMIT CHANGES;"
    )


@pytest.mark.parametrize(
    ("head", "policy"),
    [
        ("CREATE TABLE T", "compact"),
        ("CREATE OR REPLACE TABLE T", "compact"),
        ("CREATE TABLE IF NOT EXISTS T", "compact"),
    ],
)
def test_tables_are_compacted(metastore: Metastore, head: str, policy: str) -> None:
    text = f"{head} WITH (KAFKA_TOPIC='t_out', REPLICAS=3, value_format='avro') AS "
    text += "SELECT * FROM items;"
    formatted = statement_text.create_as_text(text, metastore, MemoryLog(), 5)
    assert formatted.startswith(
        f"{head} WITH (CLEANUP_POLICY='{policy}', KAFKA_TOPIC='t_out', PARTITIONS=5, REPLICAS=3, "
        "RETENTION_MS=604800000, VALUE_FORMAT='avro') AS SELECT *\nFROM ITEMS ITEMS\n"
    )


def test_windowed_tables_are_compacted_and_deleted(metastore: Metastore) -> None:
    text = (
        "CREATE TABLE C WITH (RETENTION_MS=5000) AS SELECT item, COUNT(*) FROM orders "
        "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY item;"
    )
    formatted = statement_text.create_as_text(text, metastore, MemoryLog(), 1)
    assert formatted.startswith(
        "CREATE TABLE C WITH (CLEANUP_POLICY='compact,delete', KAFKA_TOPIC='C', PARTITIONS=1, "
        "REPLICAS=1, RETENTION_MS=5000) AS SELECT\n"
    )


@pytest.mark.parametrize(
    ("properties", "written"),
    [
        # Only a value format: both formats are written, upper-cased (DefaultFormatInjector).
        (
            "kafka_topic='o', value_format='json'",
            "CLEANUP_POLICY='delete', KAFKA_TOPIC='o', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON'",
        ),
        (
            "KAFKA_TOPIC='o', FORMAT='json', WRAP_SINGLE_VALUE=false",
            "CLEANUP_POLICY='delete', FORMAT='json', KAFKA_TOPIC='o', WRAP_SINGLE_VALUE=false",
        ),
        (
            "KAFKA_TOPIC='o', KEY_FORMAT='json', VALUE_FORMAT='avro', PARTITIONS=2",
            "CLEANUP_POLICY='delete', KAFKA_TOPIC='o', KEY_FORMAT='json', PARTITIONS=2, "
            "VALUE_FORMAT='avro'",
        ),
    ],
)
def test_created_sources_get_formats_and_cleanup_policy(properties: str, written: str) -> None:
    text = (
        f"CREATE STREAM IF NOT EXISTS o (id INT KEY, v VARCHAR, h BYTES HEADER('x')) "
        f"WITH ({properties});"
    )
    assert statement_text.create_source_text(text, Metastore()) == (
        f"CREATE STREAM IF NOT EXISTS O (ID INTEGER KEY, V STRING, H BYTES HEADER('x')) "
        f"WITH ({written});"
    )


def test_created_tables_resolve_custom_types() -> None:
    runtime = SmallRuntime()
    runtime.run("CREATE TYPE ADDRESS AS STRUCT<city VARCHAR, `zip` INT>;")
    text = (
        "CREATE SOURCE TABLE t (id INT PRIMARY KEY, a ADDRESS) "
        "WITH (kafka_topic='t', format='JSON');"
    )
    assert statement_text.create_source_text(text, runtime.metastore) == (
        "CREATE SOURCE TABLE T (ID INTEGER PRIMARY KEY, A STRUCT<CITY STRING, `zip` INTEGER>) "
        "WITH (CLEANUP_POLICY='compact', FORMAT='JSON', KAFKA_TOPIC='t');"
    )


def test_formatted_statements_read_back(metastore: Metastore) -> None:
    # ALTER reads a source's statement back to tell CREATE ... AS sources apart.
    text = "CREATE STREAM S AS SELECT item, qty * 2 FROM orders WHERE qty > 0 PARTITION BY item;"
    formatted = statement_text.create_as_text(text, metastore, MemoryLog(), 1)
    again = parse_one(formatted)
    assert isinstance(again, KsqlCreate)
    assert isinstance(again.args["expression"], KsqlSelect)
    assert _query(formatted, metastore) == formatted.split(" AS ", 1)[1].removesuffix(";")


# -- when ksqlpy cannot write a statement back, the user's text stays ----------------------------


def test_an_unknown_source_keeps_the_text(metastore: Metastore) -> None:
    text = "CREATE STREAM S AS SELECT * FROM nowhere;"
    with pytest.raises(Unrenderable):
        _query(text, metastore)
    assert statement_text.create_as_text(text, metastore, MemoryLog(), 1) == text


@pytest.mark.parametrize(
    "text",
    [
        "CREATE STREAM S (v NOPE) WITH (kafka_topic='s', value_format='json');",
        "this is not a statement;",
    ],
)
def test_a_statement_that_cannot_be_written_keeps_the_text(text: str) -> None:
    assert statement_text.create_source_text(text, Metastore()) == text


def test_a_formatting_failure_never_refuses_the_statement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*_: object) -> str:
        raise Unrenderable("no rendering")

    monkeypatch.setattr(statement_text, "query", fail)
    engine = Engine(MemoryLog())
    engine.execute(ORDERS, {}, {})
    text = "CREATE STREAM S AS SELECT * FROM orders;"
    (done,) = engine.execute(text, {}, {})
    assert isinstance(done, CommandDone)
    assert done.text == text
    (query_,) = engine.persistent.values()
    assert query_.sql == text
    sink = engine.metastore.source("S")
    assert sink is not None
    assert sink.statement == text


def test_the_command_log_keeps_the_user_s_text_and_replay_formats_it_again() -> None:
    log = MemoryLog()
    engine = Engine(log)
    engine.restore()
    text = "create stream big as select id, qty from orders where qty > 10;"
    engine.execute(ORDERS + "\n" + text, {}, {})
    (query_,) = engine.persistent.values()
    assert query_.sql.startswith("CREATE STREAM BIG WITH (CLEANUP_POLICY='delete', ")
    recorded = [c.statement for c in engine.command_log.commands()]
    assert recorded == [ORDERS, text]
    again = Engine(log)
    assert again.restore() == 2
    (replayed,) = again.persistent.values()
    assert replayed.sql == query_.sql
    big = again.metastore.source("BIG")
    assert big is not None
    assert big.statement == query_.sql


def test_the_missing_partitions_example_has_the_formats_written_out() -> None:
    text = "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='nope', value_format='json');"
    with pytest.raises(EngineError) as raised:
        SmallRuntime().run(text)
    assert str(raised.value).endswith(
        "For example: CREATE STREAM S (ID INTEGER KEY, V STRING) WITH (KAFKA_TOPIC='nope', "
        "KEY_FORMAT='KAFKA', PARTITIONS=2, VALUE_FORMAT='JSON');"
    )


def test_formats_from_the_server_s_defaults_are_written_into_the_statement() -> None:
    # DefaultFormatInjector takes a missing format from ksql.persistence.default.format.*, and
    # the statement ksqlDB keeps names the formats it chose.
    runtime = SmallRuntime()
    session = Session({}, {}, {"ksql.persistence.default.format.value": "json"})
    runtime.run(
        "CREATE STREAM S (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='s', PARTITIONS=1);", session
    )
    source = runtime.metastore.source("S")
    assert source is not None
    assert (source.key_format, source.value_format) == ("KAFKA", "JSON")
    assert source.statement == (
        "CREATE STREAM S (ID INTEGER KEY, V STRING) WITH (CLEANUP_POLICY='delete', "
        "KAFKA_TOPIC='s', KEY_FORMAT='KAFKA', PARTITIONS=1, VALUE_FORMAT='JSON');"
    )
