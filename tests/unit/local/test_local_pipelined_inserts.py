"""Pipelined appends: ``Log.send`` on the in-memory and file logs, and the window of an inserts
stream that answers its rows in order as each is stored."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from ksqlpy.local.engine import Engine
from ksqlpy.local.engine.errors import EngineError
from ksqlpy.local.insert_window import INSERTS_FAILED, InsertWindow
from ksqlpy.local.storage import FileLog, Log, MemoryLog, Record, UnknownTopicError
from ksqlpy.local.wire import http_error_of


def _logs(tmp_path: Path) -> list[Log]:
    return [MemoryLog(), FileLog(tmp_path / "data")]


def test_send_stores_at_once_where_append_would(tmp_path: Path) -> None:
    for log in _logs(tmp_path):
        log.create_topic("t", 2)
        sent = [log.send("t", b"k%d" % i, b"v%d" % i, timestamp=i) for i in range(6)]
        assert all(f.done() for f in sent)
        stored = [f.result() for f in sent]
        appended = log.append("t", b"k0", b"again")
        # Keyed records go to the same murmur2 partition as append puts them, in order.
        assert appended.partition == stored[0].partition
        for record in stored:
            assert log.read("t", record.partition, record.offset, 1) == [record]
        assert [r.timestamp for r in stored] == list(range(6))
        log.close()


def test_send_to_a_missing_topic_raises_before_anything_is_sent(tmp_path: Path) -> None:
    for log in _logs(tmp_path):
        with pytest.raises(UnknownTopicError):
            log.send("missing", None, b"v")
        log.close()


def test_what_the_file_log_sent_is_there_after_a_restart(tmp_path: Path) -> None:
    log = FileLog(tmp_path / "data")
    log.create_topic("t")
    offsets = [log.send("t", None, b"%d" % i).result().offset for i in range(3)]
    log.close()
    again = FileLog(tmp_path / "data")
    try:
        assert [r.value for r in again.read("t", 0, 0, 10)] == [b"0", b"1", b"2"]
        assert offsets == [0, 1, 2]
    finally:
        again.close()


def _record(seq: int) -> Record:
    return Record("t", seq % 3, seq, 0, None, b"x")


def _decoded(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def test_acks_follow_the_rows_even_when_later_rows_are_stored_first() -> None:
    window = InsertWindow("T", limit=10)
    rows: list[Future[Record]] = [Future() for _ in range(4)]
    for seq, row in enumerate(rows):
        window.sent(seq, row)
    rows[2].set_result(_record(2))
    rows[3].set_result(_record(3))
    assert window.answers() == []  # rows 0 and 1 are not stored yet
    rows[0].set_result(_record(0))
    assert _decoded(window.answers()) == [{"seq": 0, "status": "ok"}]
    rows[1].set_result(_record(1))
    assert [a["seq"] for a in _decoded(window.answers())] == [1, 2, 3]
    assert len(window) == 0


def test_a_refused_row_is_answered_after_the_rows_before_it_and_ends_the_stream() -> None:
    window = InsertWindow("T", limit=10)
    first: Future[Record] = Future()
    window.sent(0, first)
    window.refused(1, 40000, "Column name X does not exist.")
    assert window.answers() == []
    first.set_result(_record(0))
    acks = _decoded(window.answers())
    assert acks[0] == {"seq": 0, "status": "ok"}
    assert acks[1]["seq"] == 1
    assert acks[1]["status"] == "error"
    assert acks[1]["message"] == "Column name X does not exist."
    assert window.ended


def test_a_row_the_log_could_not_store_is_a_server_error_and_nothing_after_it_is_acked() -> None:
    window = InsertWindow("T", limit=10)
    rows: list[Future[Record]] = [Future() for _ in range(3)]
    for seq, row in enumerate(rows):
        window.sent(seq, row)
    rows[0].set_result(_record(0))
    rows[1].set_exception(OSError("broker gone"))
    rows[2].set_result(_record(2))
    acks = _decoded(window.answers())
    assert acks[0] == {"seq": 0, "status": "ok"}
    assert (acks[1]["seq"], acks[1]["error_code"], acks[1]["message"]) == (
        1,
        50000,
        INSERTS_FAILED,
    )
    assert len(acks) == 2
    assert window.answers() == []


def test_the_window_is_full_at_its_limit_and_frees_as_rows_are_answered() -> None:
    window = InsertWindow("T", limit=2)
    rows: list[Future[Record]] = [Future(), Future()]
    window.sent(0, rows[0])
    assert not window.full
    window.sent(1, rows[1])
    assert window.full
    rows[0].set_result(_record(0))
    window.answers()
    assert not window.full


def test_the_oldest_row_wakes_the_loop_when_another_thread_stores_it() -> None:
    async def scenario() -> list[str]:
        window = InsertWindow("T", limit=10)
        row: Future[Record] = Future()
        window.sent(0, row)
        waiter = window.oldest()
        assert waiter is not None
        assert window.oldest() is waiter  # asked again: the same wait, one callback
        threading.Timer(0.05, row.set_result, [_record(0)]).start()
        await asyncio.wait_for(waiter, 5)
        return window.answers()

    assert _decoded(asyncio.run(scenario())) == [{"seq": 0, "status": "ok"}]


def test_nothing_in_flight_means_nothing_to_wait_for() -> None:
    async def scenario() -> None:
        assert InsertWindow("T", limit=1).oldest() is None

    asyncio.run(scenario())


class _RefusingLog(MemoryLog):
    """A log whose topic ``s`` takes no more records (a broker gone, a full disk)."""

    def append(self, topic: str, key: bytes | None, value: bytes | None, **kw: Any) -> Record:
        if topic == "s":
            raise OSError(f"cannot write to topic '{topic}': " + "the disk is full " * 6)
        return super().append(topic, key, value, **kw)


def test_insert_values_the_log_refuses_is_answered_as_ksqldb_answers_it() -> None:
    engine = Engine(_RefusingLog())
    engine.execute(
        "CREATE STREAM S (ID INT KEY, NAME STRING) WITH (KAFKA_TOPIC='s', PARTITIONS=1, "
        "VALUE_FORMAT='JSON');",
        {},
        {},
    )
    with pytest.raises(EngineError) as refused:
        engine.execute("INSERT INTO S (ID, NAME) VALUES (1, 'a');", {}, {})
    answer = http_error_of(refused.value)
    assert answer.status == 400
    assert answer.body["@type"] == "generic_error"
    assert answer.body["error_code"] == 40000
    # ksqlDB's ErrorMessageUtil: the cause on a "Caused by:" line wrapped at 80 columns.
    first, *causes = answer.body["message"].split("\n")
    assert first == "Failed to insert values into 'S'."
    assert causes[0].startswith("Caused by: cannot write to topic 's': the disk is full")
    assert all(line.startswith("\t") for line in causes[1:])
    assert len(causes) > 1
    assert max(len(line) for line in causes) <= 81
