"""The internal repartition and changelog topics a persistent query creates, as ksqlDB names
and formats them, and their deletion with the query."""

from __future__ import annotations

from runtime_double import SmallRuntime

from ksqlpy.local.engine.runtime import Session

PREFIX = "_confluent-ksql-default_query_"


def internal(runtime: SmallRuntime) -> dict[str, tuple[str, str, int]]:
    """Each internal topic (after its query's prefix) as (key format, value format, partitions)."""
    found = {}
    for query in runtime.persistent.values():
        for topic, described in query.internal_topics.items():
            assert runtime.log.topic(topic) is not None
            suffix = topic.removeprefix(f"{PREFIX}{query.query_id}-")
            partitions = len(runtime.log.end_offsets(topic))
            found[suffix] = (described.key_format, described.value_format, partitions)
    return found


def streams(runtime: SmallRuntime, left_key: str, right_key: str) -> None:
    runtime.run(
        "CREATE STREAM A (K INT KEY, X INT) WITH (KAFKA_TOPIC='a', PARTITIONS=3, "
        f"KEY_FORMAT='{left_key}', VALUE_FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM B (K INT KEY, Y INT) WITH (KAFKA_TOPIC='b', PARTITIONS=3, "
        f"KEY_FORMAT='{right_key}', VALUE_FORMAT='JSON');"
    )


def test_stream_stream_join_on_keys_of_one_format_only_keeps_its_window_stores() -> None:
    runtime = SmallRuntime()
    streams(runtime, "KAFKA", "KAFKA")
    runtime.run("CREATE STREAM J AS SELECT A.K, X, Y FROM A JOIN B WITHIN 5 SECONDS ON A.K = B.K;")
    assert internal(runtime) == {
        "KSTREAM-JOINTHIS-0000000008-store-changelog": ("KAFKA", "JSON", 3),
        "KSTREAM-JOINOTHER-0000000009-store-changelog": ("KAFKA", "JSON", 3),
    }


def test_a_key_format_mismatch_repartitions_the_right_side_into_the_left_format() -> None:
    runtime = SmallRuntime()
    streams(runtime, "DELIMITED", "KAFKA")
    runtime.run(
        "CREATE STREAM J AS SELECT ROWKEY, X, Y FROM A FULL OUTER JOIN B WITHIN 5 SECONDS "
        "ON A.K = B.K;"
    )
    assert internal(runtime) == {
        "Join-right-repartition": ("DELIMITED", "JSON", 3),
        "KSTREAM-OUTERTHIS-0000000012-store-changelog": ("DELIMITED", "JSON", 3),
        "KSTREAM-OUTEROTHER-0000000013-store-changelog": ("DELIMITED", "JSON", 3),
    }


def test_keyless_join_sides_take_the_default_key_format() -> None:
    runtime = SmallRuntime()
    for name in ("A", "B"):
        runtime.run(
            f"CREATE STREAM {name} (K INT, V INT) WITH (KAFKA_TOPIC='{name.lower()}', "
            "PARTITIONS=1, KEY_FORMAT='NONE', VALUE_FORMAT='JSON');"
        )
    session = Session({"ksql.persistence.default.format.key": "DELIMITED"}, {})
    runtime.run(
        "CREATE STREAM J AS SELECT A.K, A.V FROM A LEFT JOIN B WITHIN 1 SECOND ON A.K = B.K;",
        session,
    )
    topics = internal(runtime)
    assert topics["Join-left-repartition"] == ("DELIMITED", "JSON", 1)
    assert topics["Join-right-repartition"] == ("DELIMITED", "JSON", 1)
    assert "KSTREAM-OUTEROTHER-0000000017-store-changelog" in topics
    sink = runtime.metastore.source("J")
    assert sink is not None
    assert sink.key_format == "DELIMITED"


def test_stream_table_join_on_a_value_repartitions_the_stream_and_materializes_the_table() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE TABLE T (ID INT PRIMARY KEY, N STRING) WITH (KAFKA_TOPIC='t', PARTITIONS=2, "
        "FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM S (K INT KEY, ID INT) WITH (KAFKA_TOPIC='s', PARTITIONS=2, FORMAT='JSON');"
    )
    runtime.run("CREATE STREAM J AS SELECT S.ID, N FROM S JOIN T ON S.ID = T.ID;")
    assert internal(runtime) == {
        "KafkaTopic_Right-Reduce-changelog": ("JSON", "JSON", 2),
        "Join-repartition": ("JSON", "JSON", 2),
    }


def test_grouping_by_the_key_needs_no_repartition_but_by_a_value_does() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (K STRING KEY, V STRING) WITH (KAFKA_TOPIC='s', PARTITIONS=1, "
        "FORMAT='JSON');"
    )
    runtime.run("CREATE TABLE BY_KEY AS SELECT K, COUNT(*) AS C FROM S GROUP BY K;")
    assert internal(runtime) == {"Aggregate-Aggregate-Materialize-changelog": ("JSON", "JSON", 1)}
    runtime.run(
        "CREATE TABLE BY_V WITH (KEY_FORMAT='KAFKA') AS SELECT V, COUNT(*) AS C FROM S GROUP BY V;"
    )
    topics = internal(runtime)
    assert topics["Aggregate-GroupBy-repartition"] == ("KAFKA", "JSON", 1)
    assert topics["Aggregate-Aggregate-Materialize-changelog"] == ("KAFKA", "JSON", 1)


def test_a_table_source_is_materialized_and_always_regrouped() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE TABLE T (ID INT PRIMARY KEY, G STRING) WITH (KAFKA_TOPIC='t', PARTITIONS=1, "
        "FORMAT='JSON');"
    )
    runtime.run("CREATE TABLE C AS SELECT G, COUNT(*) AS N FROM T GROUP BY G;")
    assert set(internal(runtime)) == {
        "KsqlTopic-Reduce-changelog",
        "Aggregate-GroupBy-repartition",
        "Aggregate-Aggregate-Materialize-changelog",
    }


def test_a_windowed_aggregate_keeps_a_windowed_store() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (K STRING KEY, V STRING) WITH (KAFKA_TOPIC='s', PARTITIONS=1, "
        "FORMAT='JSON');"
    )
    runtime.run(
        "CREATE TABLE W AS SELECT K, COUNT(*) AS C FROM S WINDOW TUMBLING (SIZE 2 SECONDS) "
        "GROUP BY K;"
    )
    (query,) = runtime.persistent.values()
    (store,) = query.internal_topics.values()
    assert (store.windowed, store.window_size_ms) == ("TUMBLING", 2000)


def test_stateless_queries_have_no_internal_topics() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (K STRING KEY, V STRING) WITH (KAFKA_TOPIC='s', PARTITIONS=1, "
        "FORMAT='JSON');"
    )
    runtime.run("CREATE STREAM P AS SELECT * FROM S PARTITION BY V;")
    assert internal(runtime) == {}


def test_terminate_deletes_the_internal_topics_and_a_restart_finds_them_there() -> None:
    runtime = SmallRuntime()
    streams(runtime, "KAFKA", "KAFKA")
    # A topic left from before a restart is taken as it is.
    existing = f"{PREFIX}CSAS_J_3-KSTREAM-JOINTHIS-0000000008-store-changelog"
    runtime.log.create_topic(existing, 3)
    runtime.run("CREATE STREAM J AS SELECT A.K, X, Y FROM A JOIN B WITHIN 5 SECONDS ON A.K = B.K;")
    (query,) = runtime.persistent.values()
    assert existing in query.internal_topics
    runtime.run(f"TERMINATE {query.query_id};")
    assert not [t for t in runtime.log.topics() if t.name.startswith("_confluent-ksql-")]


def tables(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE O (ID INT PRIMARY KEY, C INT) WITH (KAFKA_TOPIC='o', PARTITIONS=1, "
        "FORMAT='JSON');"
    )
    runtime.run(
        "CREATE TABLE C (ID INT PRIMARY KEY, N STRING) WITH (KAFKA_TOPIC='c', PARTITIONS=1, "
        "FORMAT='JSON');"
    )
    runtime.run(
        "CREATE TABLE X (ID INT PRIMARY KEY, M STRING) WITH (KAFKA_TOPIC='x', PARTITIONS=1, "
        "FORMAT='JSON');"
    )


def test_a_table_table_join_materializes_both_tables_and_its_projection() -> None:
    runtime = SmallRuntime()
    tables(runtime)
    runtime.run("CREATE TABLE J AS SELECT O.ID, C, N FROM O JOIN C ON O.ID = C.ID;")
    assert set(internal(runtime)) == {
        "KafkaTopic_Left-Reduce-changelog",
        "KafkaTopic_Right-Reduce-changelog",
        "Project-Last-changelog",
    }


def test_a_foreign_key_join_followed_by_a_join_keeps_its_output_in_a_store() -> None:
    runtime = SmallRuntime()
    tables(runtime)
    runtime.run(
        "CREATE TABLE J AS SELECT O.ID, C, N, M FROM O JOIN C ON O.C = C.ID JOIN X ON O.ID = X.ID;"
    )
    assert set(internal(runtime)) == {
        "KafkaTopic_L_Left-Reduce-changelog",
        "KafkaTopic_L_Right-Reduce-changelog",
        "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000012-topic",
        "KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000016-changelog",
        "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000020-topic",
        "KTABLE-FK-JOIN-OUTPUT-STATE-STORE-0000000025-changelog",
        "KafkaTopic_Right-Reduce-changelog",
        "Project-Last-changelog",
    }


def test_show_topics_lists_no_internal_topic() -> None:
    runtime = SmallRuntime()
    streams(runtime, "KAFKA", "KAFKA")
    runtime.run("CREATE STREAM J AS SELECT A.K, X, Y FROM A JOIN B WITHIN 5 SECONDS ON A.K = B.K;")
    assert internal(runtime)
    shown = runtime.run_entity("SHOW TOPICS;")
    assert sorted(t["name"] for t in shown["topics"]) == ["J", "a", "b"]
