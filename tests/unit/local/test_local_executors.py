"""Statement executors run against a small Runtime: no engine class, no HTTP."""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.results import (
    CommandDone,
    FunctionDescribed,
    Notice,
    Property,
    PropertyList,
    QueryDescribed,
    SourceDescribed,
    SourceList,
)
from ksqlpy.local.engine.runtime import Session
from ksqlpy.local.engine.statements import EXECUTORS
from ksqlpy.sql import parse_one

PV = (
    "CREATE STREAM PV (USERID STRING KEY, PAGEID STRING, N INT) "
    "WITH (KAFKA_TOPIC='pv', VALUE_FORMAT='JSON', PARTITIONS=3);"
)
USERS = (
    "CREATE TABLE USERS (ID STRING PRIMARY KEY, NAME STRING) "
    "WITH (PARTITIONS=1, KAFKA_TOPIC='users', VALUE_FORMAT='JSON');"
)


@pytest.fixture
def runtime() -> SmallRuntime:
    return SmallRuntime()


def test_every_statement_kind_the_server_runs_has_one_executor() -> None:
    kinds = {
        "CREATE STREAM S (A INT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');",
        "CREATE TYPE T AS STRUCT<A INT>;",
        "DROP STREAM S;",
        "INSERT INTO S (A) VALUES (1);",
        "SHOW STREAMS;",
        "DESCRIBE S;",
        "EXPLAIN Q1;",
        "TERMINATE Q1;",
        "SET 'auto.offset.reset'='earliest';",
        "UNSET 'auto.offset.reset';",
        "DEFINE x = 'y';",
        "UNDEFINE x;",
    }
    assert all(type(parse_one(sql)) in EXECUTORS for sql in kinds)


# -- ddl ----------------------------------------------------------------------------------------


def test_create_stream_registers_the_source_and_creates_its_topic(runtime: SmallRuntime) -> None:
    done = runtime.run_as(CommandDone, PV)
    assert done.command_id == "stream/`PV`/create"
    assert done.message == "Stream created"
    source = runtime.metastore.source("PV")
    assert source is not None
    assert [(c.name, str(c.type), c.role) for c in source.columns] == [
        ("USERID", "STRING", "KEY"),
        ("PAGEID", "STRING", "VALUE"),
        ("N", "INTEGER", "VALUE"),
    ]
    info = runtime.log.topic("pv")
    assert info is not None
    assert info.partitions == 3


def test_a_second_create_is_refused_unless_if_not_exists(runtime: SmallRuntime) -> None:
    runtime.run(PV)
    with pytest.raises(KsqlStatementError, match="A stream with the same name already exists"):
        runtime.run(PV)
    notice = runtime.run_as(
        Notice, PV.replace("CREATE STREAM PV", "CREATE STREAM IF NOT EXISTS PV")
    )
    assert notice.message == "Cannot add stream `PV`: A stream with the same name already exists."


def test_tables_need_a_primary_key_and_streams_refuse_one(runtime: SmallRuntime) -> None:
    with pytest.raises(KsqlStatementError, match="Tables require a PRIMARY KEY"):
        runtime.run(
            "CREATE TABLE T (A INT) WITH (PARTITIONS=1, KAFKA_TOPIC='t', VALUE_FORMAT='JSON');"
        )
    with pytest.raises(KsqlStatementError, match="please use 'KEY' for streams"):
        runtime.run(
            "CREATE STREAM S (A INT PRIMARY KEY) "
            "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
        )


def test_a_reserved_column_name_is_refused(runtime: SmallRuntime) -> None:
    with pytest.raises(KsqlStatementError, match="'ROWTIME' is a reserved column name"):
        runtime.run(
            "CREATE STREAM S (ROWTIME BIGINT) "
            "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
        )


def test_csas_creates_the_sink_and_a_persistent_query_that_copies_rows(
    runtime: SmallRuntime,
) -> None:
    runtime.run(PV)
    runtime.run("INSERT INTO PV (USERID, PAGEID, N) VALUES ('u1', 'home', 1);")
    done = runtime.run_as(CommandDone, "CREATE STREAM BIG AS SELECT USERID, N * 10 AS N10 FROM PV;")
    query_id = done.query_id
    assert query_id is not None
    assert query_id.startswith("CSAS_BIG_")
    assert query_id in runtime.persistent
    assert runtime.rows("BIG") == [["u1", 10]]
    runtime.run("INSERT INTO PV (USERID, PAGEID, N) VALUES ('u2', 'away', 2);")
    runtime.pump()
    assert sorted(runtime.rows("BIG")) == [["u1", 10], ["u2", 20]]


def test_ctas_over_a_stream_without_aggregation_is_refused(runtime: SmallRuntime) -> None:
    runtime.run(PV)
    with pytest.raises(KsqlStatementError, match="Your SELECT query produces a STREAM"):
        runtime.run("CREATE TABLE T AS SELECT * FROM PV;")


def test_drop_is_refused_while_a_query_reads_and_deletes_the_topic_when_asked(
    runtime: SmallRuntime,
) -> None:
    runtime.run(PV)
    done = runtime.run_as(CommandDone, "CREATE STREAM COPY AS SELECT * FROM PV;")
    with pytest.raises(KsqlStatementError, match="The following queries read from this source"):
        runtime.run("DROP STREAM PV;")
    runtime.run(f"TERMINATE {done.query_id};")
    runtime.run("DROP STREAM COPY DELETE TOPIC;")
    assert runtime.metastore.source("COPY") is None
    assert runtime.log.topic("COPY") is None
    assert "COPY" in runtime.forgotten


def test_drop_if_exists_of_a_missing_source_succeeds(runtime: SmallRuntime) -> None:
    done = runtime.run_as(CommandDone, "DROP TABLE IF EXISTS NOPE;")
    assert done.message == "Source `NOPE` does not exist."
    with pytest.raises(KsqlStatementError, match="Table NOPE does not exist"):
        runtime.run("DROP TABLE NOPE;")


def test_create_type_registers_a_custom_type_usable_in_columns(runtime: SmallRuntime) -> None:
    runtime.run("CREATE TYPE ADDRESS AS STRUCT<CITY STRING, ZIP INT>;")
    runtime.run(
        "CREATE STREAM S (A ADDRESS) WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
    )
    source = runtime.metastore.source("S")
    assert source is not None
    assert str(source.columns[0].type) == "STRUCT<`CITY` STRING, `ZIP` INTEGER>"
    with pytest.raises(KsqlStatementError, match="already registered"):
        runtime.run("CREATE TYPE ADDRESS AS STRING;")


# -- dml ----------------------------------------------------------------------------------------


def test_insert_values_coerces_to_the_column_types(runtime: SmallRuntime) -> None:
    runtime.run(PV)
    assert runtime.run("INSERT INTO PV (USERID, PAGEID, N) VALUES ('u', 'p', '7');") is None
    assert runtime.rows("PV") == [["u", "p", 7]]


def test_insert_values_refusals(runtime: SmallRuntime) -> None:
    runtime.run(PV)
    with pytest.raises(KsqlStatementError, match="Expected number columns and values to match"):
        runtime.run("INSERT INTO PV (USERID, PAGEID) VALUES ('u');")
    with pytest.raises(KsqlStatementError, match="Column name NOPE does not exist"):
        runtime.run("INSERT INTO PV (USERID, NOPE) VALUES ('u', 1);")
    with pytest.raises(KsqlStatementError, match="unknown stream/table: `MISSING`"):
        runtime.run("INSERT INTO MISSING (A) VALUES (1);")


# -- metadata -----------------------------------------------------------------------------------


def test_show_lists_streams_and_tables_separately(runtime: SmallRuntime) -> None:
    runtime.run(PV)
    runtime.run(USERS)
    streams = runtime.run_as(SourceList, "SHOW STREAMS;")
    tables = runtime.run_as(SourceList, "LIST TABLES;")
    assert (streams.kind, [s.name for s in streams.sources]) == ("STREAM", ["PV"])
    assert (tables.kind, [t.name for t in tables.sources]) == ("TABLE", ["USERS"])


def test_show_properties_reports_session_overrides(runtime: SmallRuntime) -> None:
    session = Session({"auto.offset.reset": "earliest"}, {})
    listed = runtime.run_as(PropertyList, "SHOW PROPERTIES;", session)
    values = {p.name: p.value for p in listed.properties}
    assert values["ksql.streams.auto.offset.reset"] == "earliest"
    assert listed.overwritten == ("ksql.streams.auto.offset.reset",)


def test_show_properties_lists_ksqldb_configs_with_their_scopes(runtime: SmallRuntime) -> None:
    # As ksqlDB's ListPropertiesExecutor: every KsqlConfig config, scope KSQL; level QUERY only
    # for PropertiesList's exact query-level names; editable when the config is query-level or
    # a mutable system property; defaults are the values equal to the config's default.
    session = Session({"ksql.query.pull.table.scan.enabled": "false"}, {})
    listed = runtime.run_as(PropertyList, "SHOW PROPERTIES;", session)
    props = {p.name: p for p in listed.properties}
    assert len(props) > 100
    assert props["ksql.query.pull.table.scan.enabled"] == Property(
        "ksql.query.pull.table.scan.enabled", "false", editable=True, level="QUERY"
    )
    assert props["ksql.streams.commit.interval.ms"] == Property(
        "ksql.streams.commit.interval.ms", "2000", editable=True, level="SERVER"
    )
    assert props["ksql.service.id"].editable is False
    assert props["ksql.persistence.default.format.value"].value is None
    hidden = props["ksql.hidden.topics"].value
    assert hidden is not None
    assert hidden.startswith("_confluent.*,__confluent.*,")
    assert listed.overwritten == ("ksql.query.pull.table.scan.enabled",)
    defaults = set(listed.defaults)
    assert {"ksql.service.id", "ksql.streams.auto.offset.reset"} <= defaults
    # ksqlDB's own streams settings differ from Kafka's defaults; an override is not a default.
    assert "ksql.streams.commit.interval.ms" not in defaults
    assert "ksql.query.pull.table.scan.enabled" not in defaults


def test_describe_names_the_source_its_fields_and_its_writers(runtime: SmallRuntime) -> None:
    runtime.run(PV)
    created = runtime.run_as(CommandDone, "CREATE STREAM COPY AS SELECT * FROM PV;")
    detail = runtime.run_as(SourceDescribed, "DESCRIBE COPY;").detail
    assert [c.name for c in detail.source.columns] == ["USERID", "PAGEID", "N"]
    assert [q.query_id for q in detail.writes] == [created.query_id]
    assert (detail.extended, detail.partitions) == (False, 0)
    extended = runtime.run_as(SourceDescribed, "DESCRIBE COPY EXTENDED;").detail
    assert (extended.extended, extended.partitions, extended.replicas) == (True, 3, 1)
    with pytest.raises(KsqlStatementError, match="Could not find STREAM/TABLE 'NOPE'"):
        runtime.run("DESCRIBE NOPE;")


def test_describe_function_and_an_unknown_function(runtime: SmallRuntime) -> None:
    function = runtime.run_as(FunctionDescribed, "DESCRIBE FUNCTION ucase;").function
    assert (function.name, function.kind) == ("UCASE", "SCALAR")
    # Parameter types as ksqlDB's ParamType.toString spells them (VARCHAR, not STRING).
    assert [[a.type for a in o.arguments] for o in function.overloads] == [["VARCHAR"]]
    assert [o.returns for o in function.overloads] == ["VARCHAR"]
    with pytest.raises(KsqlStatementError, match="Can't find any functions with the name 'NOPE'"):
        runtime.run("DESCRIBE FUNCTION nope;")


@pytest.mark.parametrize(
    ("name", "returns"),
    [
        # One per overload, as ksqlDB declares them: generics kept, DECIMAL bare.
        ("SUBSTRING", ["VARCHAR", "BYTES", "VARCHAR", "BYTES"]),
        ("ARRAY_MAX", ["T"]),
        ("ROUND", ["BIGINT", "BIGINT", "BIGINT", "DECIMAL", "DOUBLE", "DECIMAL"]),
        ("ENTRIES", [f"ARRAY<STRUCT<K VARCHAR, V {t}>>" for t in ("INT", "BIGINT", "DOUBLE")]),
        ("SUM", ["INT", "BIGINT", "DOUBLE", "DECIMAL"]),
        ("LATEST_BY_OFFSET", ["T", "T", "ARRAY<T>", "ARRAY<T>"]),
    ],
)
def test_describe_function_gives_each_overloads_return_type(
    runtime: SmallRuntime, name: str, returns: list[str]
) -> None:
    function = runtime.run_as(FunctionDescribed, f"DESCRIBE FUNCTION {name};").function
    assert [o.returns for o in function.overloads][: len(returns)] == returns


# -- control ------------------------------------------------------------------------------------


def test_terminate_stops_a_persistent_query_and_unlinks_it(runtime: SmallRuntime) -> None:
    runtime.run(PV)
    query_id = runtime.run_as(CommandDone, "CREATE STREAM COPY AS SELECT * FROM PV;").query_id
    assert query_id is not None
    done = runtime.run_as(CommandDone, f"TERMINATE {query_id.lower()};")
    assert (done.command_id, done.message) == (f"terminate/{query_id}/execute", "Query terminated.")
    assert runtime.persistent == {}
    pv, copy = runtime.metastore.source("PV"), runtime.metastore.source("COPY")
    assert pv is not None
    assert copy is not None
    assert pv.read_queries == []
    assert copy.write_queries == []
    with pytest.raises(KsqlStatementError, match="Failed to terminate query with query ID"):
        runtime.run("TERMINATE NOPE;")


def test_set_unset_define_undefine_change_the_session(runtime: SmallRuntime) -> None:
    session = Session({}, {})
    assert runtime.run("SET 'auto.offset.reset'='earliest';", session) is None
    assert session.offset_reset() == "earliest"
    runtime.run("UNSET 'auto.offset.reset';", session)
    assert session.offset_reset() == "latest"
    runtime.run("DEFINE who = 'me';", session)
    assert session.variables == {"who": "me"}
    assert runtime.run("UNDEFINE who;", session) is None
    notice = runtime.run_as(Notice, "UNDEFINE who;", session)
    assert notice.message == "Cannot undefine variable 'who' which was never defined"


def test_explain_describes_a_persistent_query_by_its_id(runtime: SmallRuntime) -> None:
    runtime.run(PV)
    query_id = runtime.run_as(
        CommandDone, "CREATE STREAM COPY AS SELECT USERID, N FROM PV;"
    ).query_id
    assert query_id is not None
    detail = runtime.run_as(QueryDescribed, f"EXPLAIN {query_id.lower()};").detail
    assert (detail.query_id, detail.query_type) == (query_id, "PERSISTENT")
    assert (detail.sources, detail.sinks) == (("PV",), ("COPY",))
    assert [(c.name, c.role) for c in detail.fields] == [("USERID", "KEY"), ("N", "VALUE")]
    with pytest.raises(KsqlStatementError, match="Query with id:NOPE_1 does not exist"):
        runtime.run("EXPLAIN NOPE_1;")


def test_explain_of_a_statement_plans_it_without_running_it(runtime: SmallRuntime) -> None:
    runtime.run(PV)
    detail = runtime.run_as(QueryDescribed, "EXPLAIN SELECT USERID FROM PV EMIT CHANGES;").detail
    assert detail.query_id.startswith("transient_PV_")
    assert detail.sql == "SELECT USERID FROM PV EMIT CHANGES;"
    assert detail.query_type == "PUSH"
    planned = runtime.run_as(
        QueryDescribed,
        "EXPLAIN CREATE TABLE T AS SELECT USERID, COUNT(*) AS C FROM PV GROUP BY USERID;",
    ).detail
    assert planned.sinks == ("T",)
    assert planned.query_id.startswith("CTAS_T_")
    assert runtime.metastore.source("T") is None
    assert runtime.persistent == {}
    with pytest.raises(KsqlStatementError, match="does not run a ksql query"):
        runtime.run("EXPLAIN SHOW STREAMS;")
