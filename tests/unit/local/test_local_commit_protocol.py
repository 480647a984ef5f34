"""Persistent queries commit output with positions; the metastore lives in the command topic.

A restart is a new engine over the same log (as a restarted server over the same Kafka cluster
or data directory): it replays the command topic and every query resumes from its group.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ksqlpy.local.engine import Engine
from ksqlpy.local.storage import FileLog, Log, MemoryLog, Pending, Positions, Record

COMMANDS = "_confluent-ksql-default__command_topic"
SOURCES = (
    "CREATE STREAM S (ID INT KEY, WHO STRING) WITH (KAFKA_TOPIC='s', FORMAT='JSON', PARTITIONS=2);"
    # co-partitioned with S, as a join needs
    "CREATE TABLE T (ID INT PRIMARY KEY, NAME STRING) "
    "WITH (KAFKA_TOPIC='t', FORMAT='JSON', PARTITIONS=2);"
)
QUERIES = {
    "CSAS": "CREATE STREAM OUT AS SELECT ID, UCASE(WHO) AS WHO FROM S;",
    "CTAS": "CREATE TABLE OUT AS SELECT WHO, COUNT(*) AS N FROM S GROUP BY WHO;",
    "JOIN": "CREATE STREAM OUT AS SELECT S.ID, WHO, NAME FROM S JOIN T ON S.ID = T.ID;",
}


def start(log: Log, **config: str) -> Engine:
    engine = Engine(log, config=config)
    engine.restore()
    return engine


def run(engine: Engine, sql: str, **properties: Any) -> list[Any]:
    return engine.execute(sql, properties, {})


def insert(engine: Engine, first: int, count: int) -> None:
    run(
        engine,
        "".join(
            f"INSERT INTO S (ID, WHO) VALUES ({i % 5}, 'p{i % 3}');"
            for i in range(first, first + count)
        ),
    )


def sink(log: Log) -> list[Record]:
    return [r for p in range(len(log.end_offsets("OUT"))) for r in log.read("OUT", p, 0, 10**6)]


@pytest.mark.parametrize("kind", sorted(QUERIES))
def test_restarts_neither_repeat_nor_skip_results(kind: str) -> None:
    log = MemoryLog()
    engine = start(log)
    run(engine, SOURCES)
    run(engine, "".join(f"INSERT INTO T (ID, NAME) VALUES ({i}, 'n{i}');" for i in range(5)))
    run(engine, QUERIES[kind])
    insert(engine, 0, 20)
    for restart in range(3):
        engine = start(log)
        insert(engine, 20 + restart * 10, 10)
    assert len(sink(log)) == 50  # one result per input, whatever the kind
    if kind == "CTAS":
        counts: dict[str, int] = {}
        for record in sink(log):
            counts[json.loads(record.key or b"")] = json.loads(record.value or b"")["N"]
        assert counts == {"p0": 17, "p1": 17, "p2": 16}


def test_output_and_positions_are_committed_in_the_query_group() -> None:
    calls: list[tuple[str, int, Positions, bool]] = []

    class Recording(MemoryLog):
        def commit(
            self,
            group: str,
            records: Sequence[Pending],
            positions: Positions,
            *,
            exactly_once: bool = True,
        ) -> list[Record]:
            calls.append((group, len(records), dict(positions), exactly_once))
            return super().commit(group, records, positions, exactly_once=exactly_once)

    log = Recording()
    engine = start(log)
    run(engine, SOURCES)
    insert(engine, 0, 4)
    (created,) = run(engine, QUERIES["CSAS"], **{"processing.guarantee": "exactly_once_v2"})
    query_id = created.query_id
    group = f"_confluent-ksql-default_query_{query_id}"
    assert {c[0] for c in calls} == {group}
    assert sum(c[1] for c in calls) == 4
    assert all(c[3] for c in calls)
    assert log.committed(group) == {("s", p): end for p, end in enumerate(log.end_offsets("s"))}
    run(engine, f"TERMINATE {query_id};")
    assert log.committed(group) == {}


def test_the_server_guarantee_applies_and_at_least_once_is_the_default() -> None:
    flags: list[bool] = []

    class Recording(MemoryLog):
        def commit(
            self,
            group: str,
            records: Sequence[Pending],
            positions: Positions,
            *,
            exactly_once: bool = True,
        ) -> list[Record]:
            flags.append(exactly_once)
            return super().commit(group, records, positions, exactly_once=exactly_once)

    for config, expected in (({}, False), ({"processing.guarantee": "exactly_once"}, True)):
        flags.clear()
        engine = start(Recording(), **config)
        run(engine, SOURCES + QUERIES["CSAS"])
        insert(engine, 0, 2)
        assert flags
        assert set(flags) == {expected}


def test_statements_are_ksqldb_commands_in_the_hidden_command_topic() -> None:
    log = MemoryLog()
    engine = start(log)
    run(engine, SOURCES, **{"auto.offset.reset": "earliest"})
    first = log.read(COMMANDS, 0, 0, 10)[0]
    assert json.loads(first.key or b"") == "stream/`S`/create"
    value = json.loads(first.value or b"")
    assert value["statement"].startswith("CREATE STREAM S ")
    assert value["streamsProperties"] == {"auto.offset.reset": "earliest"}
    (shown,) = run(engine, "SHOW TOPICS;")
    assert [t.name for t in shown.topics] == ["s", "t"]
    (every,) = run(engine, "SHOW ALL TOPICS;")
    assert COMMANDS in [t.name for t in every.topics]
    other = start(MemoryLog(), **{"ksql.service.id": "team_"})
    run(other, SOURCES)
    assert other.log.topic("_confluent-ksql-team__command_topic") is not None


def test_terminate_and_drop_survive_a_restart() -> None:
    log = MemoryLog()
    engine = start(log)
    (created,) = run(engine, SOURCES + QUERIES["CSAS"])[-1:]
    run(engine, f"TERMINATE {created.query_id}; DROP STREAM OUT;")
    engine = start(log)
    (queries, streams) = run(engine, "SHOW QUERIES; SHOW STREAMS;")
    assert queries.queries == ()
    assert [s.name for s in streams.sources] == ["S"]
    insert(engine, 0, 3)
    assert sink(log) == []  # the terminated query did not run again


def test_cluster_terminate_is_recorded_and_recreating_then_restarting_works() -> None:
    log = MemoryLog()
    engine = start(log)
    run(engine, SOURCES + QUERIES["CSAS"])
    insert(engine, 0, 3)
    engine.terminate_cluster(["OUT"])
    assert log.topic("OUT") is None
    restarted = start(log)
    assert restarted.metastore.sources == {}
    assert restarted.persistent == {}
    run(engine, SOURCES + QUERIES["CTAS"])  # recreated on the server that terminated
    (live,) = engine.persistent
    engine = start(log)
    assert sorted(engine.metastore.sources) == ["OUT", "S", "T"]
    assert list(engine.persistent) == [live]  # the same id, so the same consumer group
    insert(engine, 3, 1)
    assert len(sink(log)) == 4  # the new table counted the rows once each


def test_a_replayed_drop_does_not_delete_a_later_topic_of_that_name() -> None:
    log = MemoryLog()
    engine = start(log)
    run(engine, SOURCES + "DROP STREAM S DELETE TOPIC;")
    run(
        engine,
        "CREATE STREAM S2 (ID INT KEY, WHO STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');",
    )
    run(engine, "INSERT INTO S2 (ID, WHO) VALUES (1, 'kept');")
    start(log)
    assert log.end_offsets("s") == [1]


def test_a_dropped_topic_stays_deleted_after_a_restart() -> None:
    log = MemoryLog()
    engine = start(log)
    (created,) = run(engine, SOURCES + QUERIES["CSAS"])[-1:]
    query_id = created.query_id
    run(engine, f"TERMINATE {query_id}; DROP STREAM OUT DELETE TOPIC;")
    engine.terminate_cluster(["t"])
    assert [t.name for t in log.topics() if not t.name.startswith("_")] == ["s"]
    start(log)  # the replay recreates OUT and t on the way, and deletes them again
    assert [t.name for t in log.topics() if not t.name.startswith("_")] == ["s"]


def test_an_unreadable_command_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    log = MemoryLog()
    run(
        start(log),
        "CREATE STREAM A (ID INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='a', FORMAT='JSON');",
    )
    log.append(COMMANDS, b'"x"', b"{not json", partition=0)
    log.append(COMMANDS, b'"y"', b'{"no": "statement"}', partition=0)
    run(
        start(log),
        "CREATE STREAM B (ID INT KEY, V INT) WITH (PARTITIONS=1, KAFKA_TOPIC='b', FORMAT='JSON');",
    )
    with caplog.at_level(logging.WARNING, logger="ksqlpy.local"):
        engine = start(log)
    assert sorted(engine.metastore.sources) == ["A", "B"]
    assert f"dropped unreadable record at offset 1 of the command topic '{COMMANDS}'" in caplog.text


def test_a_file_store_resumes_queries_from_their_committed_positions(tmp_path: Path) -> None:
    log = FileLog(tmp_path)
    engine = start(log)
    run(engine, SOURCES + QUERIES["CTAS"])
    insert(engine, 0, 6)
    log.close()
    log = FileLog(tmp_path)
    try:
        insert(start(log), 6, 3)
        assert len(sink(log)) == 9
    finally:
        log.close()


def test_an_old_data_dir_is_converted_once(tmp_path: Path) -> None:
    stream = (
        "CREATE STREAM S (ID INT KEY, WHO STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
    )
    lines = [json.dumps({"sql": sql, "properties": {}}) for sql in (stream, QUERIES["CSAS"])]
    (tmp_path / "commands.jsonl").write_text("\n".join(lines) + "\ntorn{")
    (tmp_path / "query-positions.json").write_text(json.dumps({"CSAS_OUT_2": [2]}))
    log = MemoryLog()
    log.create_topic("s", 1)
    for i in range(3):
        log.append("s", b"%d" % i, json.dumps({"WHO": f"w{i}"}).encode())
    log.create_topic("OUT", 1)
    log.append("OUT", b"0", b'{"WHO":"W0"}')
    log.append("OUT", b"1", b'{"WHO":"W1"}')
    engine = Engine(log, store=tmp_path)
    assert engine.restore() == 2
    assert [json.loads(r.value or b"")["WHO"] for r in sink(log)] == ["W0", "W1", "W2"]
    assert not (tmp_path / "commands.jsonl").exists()
    assert not (tmp_path / "query-positions.json").exists()
    assert log.committed("_confluent-ksql-default_query_CSAS_OUT_2") == {("s", 0): 3}
    again = Engine(log, store=tmp_path)
    assert again.restore() == 2  # from the command topic now, not the old file


def _written(folder: Path) -> bytes:
    """The journal of a server that created sources and queries and took some rows."""
    log = FileLog(folder)
    engine = start(log)
    run(engine, SOURCES + "INSERT INTO T (ID, NAME) VALUES (1, 'one');" + QUERIES["CSAS"])
    run(engine, "CREATE STREAM J AS SELECT S.ID, WHO, NAME FROM S JOIN T ON S.ID = T.ID;")
    insert(engine, 0, 8)
    log.close()
    return (folder / "journal.log").read_bytes()


def _restarted(folder: Path, data: bytes) -> tuple[Engine, FileLog]:
    folder.mkdir()
    (folder / "journal.log").write_bytes(data)
    log = FileLog(folder)
    return start(log), log


def test_every_point_a_crash_can_stop_at_starts_and_repeats_nothing(tmp_path: Path) -> None:
    data = _written(tmp_path / "written")
    checked = set()
    for cut in range(0, len(data) + 1, 11):
        engine, log = _restarted(tmp_path / f"cut-{cut}", data[:cut])
        try:
            if "CSAS_OUT_3" in engine.persistent:
                inputs = sum(log.end_offsets("s"))
                assert len(sink(log)) == inputs, f"cut at byte {cut}"
                checked.add(inputs)
            if "CSAS_J_4" in engine.persistent:
                inputs = [r for p in range(2) for r in log.read("s", p, 0, 100)]
                joined = [r for p in range(2) for r in log.read("J", p, 0, 100)]
                assert len(joined) == sum(r.key == b"1" for r in inputs), f"cut at byte {cut}"
        finally:
            log.close()
    assert checked == set(range(9))  # crashes before and after each of the 8 rows


def test_a_flipped_bit_anywhere_starts_with_what_can_be_trusted(tmp_path: Path) -> None:
    data = _written(tmp_path / "written")
    for where in range(0, len(data), 29):
        damaged = bytearray(data)
        damaged[where] ^= 0x01
        _, log = _restarted(tmp_path / f"flip-{where}", bytes(damaged))
        try:
            assert log.recovery, f"bit flipped at byte {where} went unnoticed"
        finally:
            log.close()
