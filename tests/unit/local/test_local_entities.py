"""The REST layer's encoders: every engine result becomes the entity ksqlDB answers for it.

Statements run through their executors (no HTTP); each result is encoded as ``/ksql`` would
answer it, then read back with the client's own entity parser, so a field ksqlDB's clients read
under another name, or a result type without an encoder, fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from runtime_double import SmallRuntime

from ksqlpy import _entities as client
from ksqlpy._entity_parsers import parse_entity
from ksqlpy.local.engine import results
from ksqlpy.local.engine.types import ArrayType, DecimalType, MapType, SqlType, StructType
from ksqlpy.local.entities import entities, entity, schema_info

PV = (
    "CREATE STREAM PV (USERID STRING KEY, PAGEID STRING, N INT) "
    "WITH (KAFKA_TOPIC='pv', VALUE_FORMAT='JSON', PARTITIONS=3);"
)


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(PV)
    runtime.run("CREATE STREAM COPY AS SELECT USERID, N FROM PV;")
    return runtime


def _parsed(runtime: SmallRuntime, sql: str) -> tuple[dict[str, Any], client.Entity]:
    raw = runtime.run_entity(sql)
    return raw, parse_entity(raw)


def test_every_result_type_has_an_encoder() -> None:
    kinds = [getattr(results, n) for n in results.__all__]
    statement_results = [k for k in kinds if isinstance(k, type) and issubclass(k, results.Result)]
    assert len(statement_results) > 15
    for kind in statement_results:
        if kind is results.Result:
            continue
        fields = {
            "text": "X;",
            **{f: None for f in kind.__dataclass_fields__ if f != "text"},
        }
        # An encoder exists when encoding fails on the placeholder values, not on the lookup.
        try:
            entity(kind(**fields))
        except KeyError:
            pytest.fail(f"no encoder for {kind.__name__}")
        except (TypeError, AttributeError):
            pass


def test_entities_carry_type_statement_and_warnings_in_ksqldb_order(
    runtime: SmallRuntime,
) -> None:
    for sql in ("SHOW STREAMS;", "DESCRIBE PV;", "SHOW QUERIES;", "SHOW TOPICS;"):
        raw = runtime.run_entity(sql)
        keys = list(raw)
        assert keys[:2] == ["@type", "statementText"]
        assert keys[-1] == "warnings"
        assert raw["statementText"] == sql
        assert raw["warnings"] == []


def test_a_command_is_a_current_status_with_its_sequence(runtime: SmallRuntime) -> None:
    raw, parsed = _parsed(runtime, "CREATE STREAM C2 AS SELECT * FROM PV;")
    assert raw["@type"] == "currentStatus"
    assert isinstance(parsed, client.CommandResult)
    assert parsed.command_id == "stream/`C2`/create"
    assert parsed.status == "SUCCESS"
    assert parsed.query_id is not None
    assert parsed.query_id.startswith("CSAS_C2_")
    assert parsed.message == f"Created query with ID {parsed.query_id}"
    assert parsed.command_sequence_number == runtime.sequence


def test_source_lists_and_descriptions(runtime: SmallRuntime) -> None:
    raw, streams = _parsed(runtime, "SHOW STREAMS;")
    assert raw["@type"] == "streams"
    assert isinstance(streams, client.SourceList)
    assert sorted((s.name, s.topic, s.key_format, s.value_format) for s in streams.sources) == [
        ("COPY", "COPY", "KAFKA", "JSON"),
        ("PV", "pv", "KAFKA", "JSON"),
    ]
    raw, described = _parsed(runtime, "DESCRIBE COPY EXTENDED;")
    assert isinstance(described, client.SourceDescriptionResult)
    source = described.source
    assert (source.partitions, source.replication, source.extended) == (3, 1, True)
    assert [f.name for f in source.fields] == ["USERID", "N"]
    assert raw["sourceDescription"]["fields"][0]["type"] == "KEY"
    assert "type" not in raw["sourceDescription"]["fields"][1]  # value columns carry none
    assert [q.id for q in source.write_queries] == [q.query_id for q in runtime.persistent.values()]
    _, all_streams = _parsed(runtime, "DESCRIBE STREAMS;")
    assert isinstance(all_streams, client.SourceDescriptionList)
    assert sorted(s.name for s in all_streams.sources) == ["COPY", "PV"]


def test_queries_listed_and_explained(runtime: SmallRuntime) -> None:
    (query_id,) = runtime.persistent
    raw, listed = _parsed(runtime, "SHOW QUERIES;")
    assert isinstance(listed, client.QueriesList)
    (query,) = listed.queries
    assert (query.id, query.sinks, query.sink_kafka_topics) == (query_id, ("COPY",), ("COPY",))
    assert raw["queries"][0]["statusCount"] == {"RUNNING": 1}
    _, explained = _parsed(runtime, f"EXPLAIN {query_id};")
    assert isinstance(explained, client.QueryDescriptionResult)
    assert (explained.query.sources, explained.query.sinks) == (("PV",), ("COPY",))
    _, extended = _parsed(runtime, "SHOW QUERIES EXTENDED;")
    assert isinstance(extended, client.QueryDescriptionList)
    assert [q.id for q in extended.queries] == [query_id]


def test_topics_properties_functions_types_and_variables(runtime: SmallRuntime) -> None:
    raw, topics = _parsed(runtime, "SHOW TOPICS EXTENDED;")
    assert raw["@type"] == "kafka_topics_extended"
    assert raw["topics"][0] == {
        "name": "COPY",
        "replicaInfo": [1, 1, 1],
        "consumerCount": 0,
        "consumerGroupCount": 0,
    }
    assert isinstance(topics, client.TopicList)
    _, properties = _parsed(runtime, "SHOW PROPERTIES;")
    assert isinstance(properties, client.PropertiesList)
    assert len(properties.properties) > 100
    _, functions = _parsed(runtime, "SHOW FUNCTIONS;")
    assert isinstance(functions, client.FunctionList)
    assert "EXPLODE" in {f.name for f in functions.functions}
    raw, described = _parsed(runtime, "DESCRIBE FUNCTION concat_ws;")
    assert isinstance(described, client.FunctionDescription)
    assert raw["functions"][0]["arguments"][-1]["isVariadic"] is True
    runtime.run("CREATE TYPE ADDRESS AS STRUCT<CITY STRING>;")
    raw, types = _parsed(runtime, "SHOW TYPES;")
    assert isinstance(types, client.TypeList)
    assert raw["types"]["ADDRESS"]["fields"][0]["name"] == "CITY"


def test_notices_and_terminated_transient_queries() -> None:
    notice = entity(results.Notice("UNDEFINE x;", "Cannot undefine variable 'x'"))
    assert notice == {
        "@type": "warning_entity",
        "statementText": "UNDEFINE x;",
        "message": "Cannot undefine variable 'x'",
        "warnings": [],
    }
    terminated = parse_entity(entity(results.QueryTerminated("TERMINATE t1;", "t1")))
    assert isinstance(terminated, client.TerminateQueryResult)
    assert (terminated.query_id, terminated.was_terminated) == ("t1", True)
    assert entities([]) == []


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (SqlType("INTEGER"), {"type": "INTEGER", "fields": None, "memberSchema": None}),
        (
            DecimalType("DECIMAL", 4, 2),
            {
                "type": "DECIMAL",
                "fields": None,
                "memberSchema": None,
                "parameters": {"precision": 4, "scale": 2},
            },
        ),
        (
            MapType("MAP", SqlType("STRING"), ArrayType("ARRAY", SqlType("BIGINT"))),
            {
                "type": "MAP",
                "fields": None,
                "memberSchema": {
                    "type": "ARRAY",
                    "fields": None,
                    "memberSchema": {"type": "BIGINT", "fields": None, "memberSchema": None},
                },
            },
        ),
        (
            StructType("STRUCT", (("a", SqlType("BOOLEAN")),)),
            {
                "type": "STRUCT",
                "fields": [
                    {
                        "name": "a",
                        "schema": {"type": "BOOLEAN", "fields": None, "memberSchema": None},
                    }
                ],
                "memberSchema": None,
            },
        ),
    ],
)
def test_schema_info_nests_as_ksqldb_s(kind: SqlType, expected: dict[str, Any]) -> None:
    assert schema_info(kind) == expected
