"""What joins emit, record by record: N-way joins, GRACE PERIOD, outer joins, foreign keys."""

from __future__ import annotations

from typing import Any

from runtime_double import SmallRuntime

from ksqlpy.local.engine import Engine
from ksqlpy.local.engine.join import ordered
from ksqlpy.local.engine.rows import key_serde, value_serde
from ksqlpy.local.engine.transient import JoinRunningQuery
from ksqlpy.local.storage import MemoryLog, Record


def write(runtime: SmallRuntime, name: str, time: int, *key: Any, **values: Any) -> None:
    """Append one record (no values: a tombstone) and let the queries take it, as the engine
    does after each insert."""
    source = runtime.metastore.source(name)
    assert source is not None
    value = None
    if values:
        value = value_serde(source).serialize([values.get(c.name) for c in source.values])
    runtime.log.append(source.topic, key_serde(source).serialize(list(key)), value, timestamp=time)
    runtime.pump()


def results(runtime: SmallRuntime, name: str) -> list[tuple[Any, Any]]:
    """The sink's records as (key, values or None)."""
    return [(k[0] if len(k) == 1 else k, v) for k, v in runtime.records(name)]


def streams(runtime: SmallRuntime, grace: str) -> None:
    runtime.run(
        "CREATE STREAM L (ID INT KEY, V STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='l', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM R (ID INT KEY, V STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='r', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM O AS SELECT L.ID, L.V AS LV, R.V AS RV FROM L LEFT JOIN R "
        f"WITHIN 1 MINUTE {grace} ON L.ID = R.ID;"
    )
    write(runtime, "L", 0, 0, V="A")
    write(runtime, "R", 60_000, 0, V="a")
    write(runtime, "L", 330_000, 1, V="B")
    write(runtime, "L", 90_000, 2, V="C")  # out of order: its window closed long ago
    write(runtime, "R", 400_000, 5, V="x")
    write(runtime, "R", 460_000, 6, V="y")  # stream time passes B's window and grace


def test_a_left_join_with_grace_emits_unmatched_records_when_their_window_closes() -> None:
    runtime = SmallRuntime()
    streams(runtime, "GRACE PERIOD 1 MINUTE")
    assert results(runtime, "O") == [
        (0, ["A", "a"]),
        (2, ["C", None]),  # already closed: at once
        (1, ["B", None]),  # when stream time passed 330s + 1 min + 1 min
    ]


def test_a_left_join_without_grace_emits_unmatched_records_at_once() -> None:
    runtime = SmallRuntime()
    streams(runtime, "")
    assert results(runtime, "O") == [
        (0, ["A", None]),
        (0, ["A", "a"]),
        (1, ["B", None]),
        (2, ["C", None]),
    ]


def test_a_full_outer_join_with_grace_emits_both_sides_under_a_synthetic_key() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM L (ID INT KEY, V STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='l', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM R (ID INT KEY, V STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='r', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM O AS SELECT ROWKEY AS K, L.V AS LV, R.V AS RV FROM L FULL OUTER JOIN R "
        "WITHIN 10 SECONDS GRACE PERIOD 0 SECONDS ON L.ID = R.ID;"
    )
    write(runtime, "L", 0, 1, V="a")
    write(runtime, "R", 5_000, 2, V="b")
    write(runtime, "R", 7_000, 1, V="a2")  # matches the waiting left record: no NULL result
    write(runtime, "R", 30_000, 3, V="c")
    assert results(runtime, "O") == [(1, ["a", "a2"]), (2, [None, "b"])]


def test_an_n_way_join_rekeys_and_keeps_left_rows_without_a_match() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID INT KEY, K INT, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE TABLE T (ID INT PRIMARY KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE TABLE U (ID INT PRIMARY KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='u', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM O AS SELECT S.K, S.V AS A, T.V AS B, U.V AS C FROM S "
        "JOIN T ON S.K = T.ID LEFT JOIN U ON S.K = U.ID;"
    )
    assert runtime.schema("O") == "K INTEGER KEY, A INTEGER, B INTEGER, C INTEGER"
    write(runtime, "T", 1, 5, V=50)
    write(runtime, "S", 2, 1, K=5, V=1)
    write(runtime, "U", 3, 5, V=500)
    write(runtime, "S", 4, 2, K=5, V=2)
    write(runtime, "S", 5, 3, K=6, V=3)  # no T row for 6: the inner step drops it
    assert results(runtime, "O") == [(5, [1, 50, None]), (5, [2, 50, 500])]


def test_a_foreign_key_join_follows_both_tables() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE TABLE L (ID INT PRIMARY KEY, FK INT, NAME STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='l', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE TABLE R (ID INT PRIMARY KEY, V STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='r', FORMAT='JSON');"
    )
    runtime.run("CREATE TABLE O AS SELECT L.ID AS ID, NAME, V FROM L JOIN R ON L.FK = R.ID;")
    write(runtime, "L", 1, 1, FK=10, NAME="x")  # no match yet: nothing
    write(runtime, "R", 2, 10, V="v1")
    write(runtime, "L", 3, 2, FK=10, NAME="y")
    write(runtime, "L", 4, 1, FK=20, NAME="x2")  # moved to a key without a match
    write(runtime, "R", 5, 10)  # deleted: its remaining referrer's result goes
    write(runtime, "L", 6, 2)  # a deleted left row deletes its result again, as Kafka does
    assert results(runtime, "O") == [
        (1, ["x", "v1"]),
        (2, ["y", "v1"]),
        (1, None),
        (2, None),
        (2, None),
    ]


def test_a_right_table_join_keeps_right_rows_and_their_key() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE TABLE A (ID INT PRIMARY KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='a', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE TABLE B (ID INT PRIMARY KEY, W INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='b', FORMAT='JSON');"
    )
    runtime.run("CREATE TABLE O AS SELECT A.ID AS ID, V, W FROM A RIGHT JOIN B ON A.ID = B.ID;")
    write(runtime, "B", 1, 1, W=10)
    write(runtime, "A", 2, 1, V=5)
    write(runtime, "A", 3, 1)
    write(runtime, "B", 4, 1)
    # The key column is the record's key, present even where the left row is missing.
    assert results(runtime, "O") == [(1, [None, 10]), (1, [5, 10]), (1, [None, 10]), (1, None)]


def test_windowed_streams_join_within_one_window_only() -> None:
    runtime = SmallRuntime()
    for name in ("X", "Y"):
        runtime.run(
            f"CREATE STREAM {name} (ID INT KEY, V INT) "
            f"WITH (PARTITIONS=1, KAFKA_TOPIC='{name.lower()}', "
            "FORMAT='JSON', WINDOW_TYPE='TUMBLING', WINDOW_SIZE='1 SECOND');"
        )
    runtime.run(
        "CREATE STREAM O AS SELECT X.ID, X.V AS XV, Y.V AS YV FROM X JOIN Y "
        "WITHIN 1 MINUTE ON X.ID = Y.ID;"
    )
    write(runtime, "X", 10, 1, 0, 1000, V=1)
    write(runtime, "Y", 20, 1, 1000, 2000, V=2)  # another window of key 1
    write(runtime, "Y", 30, 1, 0, 1000, V=3)
    assert [v for _, v in results(runtime, "O")] == [[1, 3]]


def test_a_join_can_be_aggregated_and_repartitioned() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE TABLE T (ID INT PRIMARY KEY, R STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE TABLE C AS SELECT T.R, COUNT(*) AS N, SUM(S.V) AS TOTAL FROM S JOIN T "
        "ON S.ID = T.ID GROUP BY T.R;"
    )
    runtime.run("CREATE STREAM P AS SELECT T.R, S.V FROM S JOIN T ON S.ID = T.ID PARTITION BY T.R;")
    write(runtime, "T", 1, 1, R="north")
    write(runtime, "T", 2, 2, R="south")
    write(runtime, "S", 3, 1, V=10)
    write(runtime, "S", 4, 2, V=20)
    write(runtime, "S", 5, 1, V=5)
    write(runtime, "S", 6, 3, V=7)  # no region: the inner join drops it before the aggregation
    assert results(runtime, "C") == [
        ("north", [1, 10]),
        ("south", [1, 20]),
        ("north", [2, 15]),
    ]
    assert results(runtime, "P") == [("north", [10]), ("south", [20]), ("north", [5])]


def test_inputs_are_taken_oldest_head_first_tables_first_at_equal_times() -> None:
    def record(topic: str, offset: int, time: int) -> Record:
        return Record(topic, 0, offset, time, None, b"{}")

    stream = [record("s", 0, 5), record("s", 1, 1)]  # out of order within its partition
    table = [record("t", 0, 5), record("t", 1, 3)]
    taken = ordered([(0, stream), (1, table)], None, frozenset({1}))
    assert [(side, r.offset) for side, r in taken] == [(1, 0), (1, 1), (0, 0), (0, 1)]


def test_a_push_query_can_aggregate_a_stream_table_join() -> None:
    engine = Engine(MemoryLog(), config={})
    engine.restore()
    engine.execute(
        "CREATE STREAM S (ID INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
        "CREATE TABLE T (ID INT PRIMARY KEY, R STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', FORMAT='JSON');"
        "INSERT INTO T (ID, R) VALUES (1, 'n'); INSERT INTO T (ID, R) VALUES (2, 's');"
        "INSERT INTO S (ID, V) VALUES (1, 10); INSERT INTO S (ID, V) VALUES (2, 20);"
        "INSERT INTO S (ID, V) VALUES (1, 5);",
        {},
        {},
    )
    query = engine.open_query(
        "SELECT T.R, COUNT(*) AS N, SUM(S.V) AS TOTAL FROM S JOIN T ON S.ID = T.ID "
        "GROUP BY T.R EMIT CHANGES;",
        {"auto.offset.reset": "earliest"},
        {},
    )
    assert isinstance(query, JoinRunningQuery)
    assert query.plan.header_plain("q")["columnNames"] == ["R", "N", "TOTAL"]
    rows, _ = query._collect(10)
    assert rows == [["n", 1, 10], ["s", 1, 20], ["n", 2, 15]]


def test_a_right_stream_join_sees_its_window_from_the_right_side() -> None:
    # ksqlDB runs it as R LEFT JOIN L with the same WITHIN (before, after).
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM L (ID INT KEY, V STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='l', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM R (ID INT KEY, V STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='r', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE STREAM O AS SELECT R.ID, L.V AS LV, R.V AS RV FROM L RIGHT JOIN R "
        "WITHIN (1 SECOND, 5 SECONDS) ON L.ID = R.ID;"
    )
    write(runtime, "R", 0, 1, V="r")
    write(runtime, "L", 3_000, 1, V="l")  # 3 s after the right record: within its 5 s after
    assert results(runtime, "O") == [(1, [None, "r"]), (1, ["l", "r"])]


def test_left_joins_keep_records_whose_join_key_is_null() -> None:
    # KIP-962 (Kafka Streams 3.7+): LEFT joins no longer drop records without a key.
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID INT KEY, K INT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
    )
    runtime.run(
        "CREATE TABLE T (ID INT PRIMARY KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', FORMAT='JSON');"
    )
    runtime.run("CREATE STREAM L AS SELECT S.K, T.V FROM S LEFT JOIN T ON S.K = T.ID;")
    runtime.run("CREATE STREAM I AS SELECT S.K, T.V FROM S JOIN T ON S.K = T.ID;")
    write(runtime, "T", 1, 5, V=50)
    write(runtime, "S", 2, 1, K=5)
    write(runtime, "S", 3, 2, K=None)
    assert results(runtime, "L") == [(5, [50]), (None, [None])]
    assert results(runtime, "I") == [(5, [50])]
