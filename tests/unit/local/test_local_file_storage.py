"""The file storage keeps every acknowledged change across restarts, whatever a crash left."""

from __future__ import annotations

import json
import logging
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ksqlpy.local.storage import FileLog, Pending

GROUP = "_confluent-ksql-default_query_CSAS_SINK_1"


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[list[FileLog]]:
    logs: list[FileLog] = []
    yield logs
    for log in logs:
        log.close()


def reopen(path: Path, logs: list[FileLog]) -> FileLog:
    for log in logs:
        log.close()
    log = FileLog(path)
    logs.append(log)
    return log


def values(log: FileLog, topic: str, partition: int = 0) -> list[bytes | None]:
    return [r.value for r in log.read(topic, partition, 0, 10_000)]


def journal(path: Path) -> Path:
    return path / "journal.log"


def test_topics_records_and_groups_survive_a_restart(tmp_path: Path, opened: list[FileLog]) -> None:
    log = reopen(tmp_path, opened)
    log.create_topic("src", 2)
    log.create_topic("sink", 1)
    log.append("src", b"k", b"v1", timestamp=5, headers=(("h", b"x"), ("n", None)))
    log.append("src", None, None, partition=1, timestamp=6)
    log.commit(GROUP, [Pending("sink", b"k", b"out", 7)], {("src", 0): 1, ("src", 1): 1})
    log.create_topic("gone", 1)
    log.append("gone", None, b"lost")
    log.delete_topic("gone")
    log = reopen(tmp_path, opened)
    assert [t.name for t in log.topics()] == ["sink", "src"]
    (first,) = [r for p in range(2) for r in log.read("src", p, 0, 10) if r.value == b"v1"]
    assert (first.key, first.timestamp, first.headers) == (b"k", 5, (("h", b"x"), ("n", None)))
    assert values(log, "sink") == [b"out"]
    assert log.committed(GROUP) == {("src", 0): 1, ("src", 1): 1}
    assert log.recovery == []


def test_a_deleted_group_stays_deleted(tmp_path: Path, opened: list[FileLog]) -> None:
    log = reopen(tmp_path, opened)
    log.create_topic("src", 1)
    log.commit(GROUP, [], {("src", 0): 3})
    log.delete_group(GROUP)
    assert reopen(tmp_path, opened).committed(GROUP) == {}


def test_a_torn_tail_is_cut_off_before_new_appends(
    tmp_path: Path, opened: list[FileLog], caplog: pytest.LogCaptureFixture
) -> None:
    log = reopen(tmp_path, opened)
    log.create_topic("t", 1)
    for i in range(3):
        log.append("t", None, b"acked-%d" % i)
    log.close()
    whole = journal(tmp_path).stat().st_size
    with journal(tmp_path).open("ab") as handle:  # a crash in the middle of a fourth record
        handle.write(b'1234abcd ["a","t",0,1,null,"dG9ybg')
    log = reopen(tmp_path, opened)
    assert values(log, "t") == [b"acked-0", b"acked-1", b"acked-2"]
    assert journal(tmp_path).stat().st_size == whole
    assert any(f"{journal(tmp_path)}: truncated a torn last line" in m for m in log.recovery)
    assert "truncated a torn last line" in caplog.text
    log.append("t", None, b"after-recovery")
    log = reopen(tmp_path, opened)
    assert values(log, "t") == [b"acked-0", b"acked-1", b"acked-2", b"after-recovery"]
    assert log.recovery == []


def test_garbage_in_the_middle_is_reported_and_the_rest_kept(
    tmp_path: Path, opened: list[FileLog]
) -> None:
    log = reopen(tmp_path, opened)
    log.create_topic("t", 1)
    log.append("t", None, b"before")
    where = journal(tmp_path).stat().st_size
    log.append("t", None, b"after")
    log.close()
    data = journal(tmp_path).read_bytes()
    garbage = b"\x00\x17garbage that is no journal line\n"
    journal(tmp_path).write_bytes(data[:where] + garbage + data[where:])
    log = reopen(tmp_path, opened)
    log.append("t", None, b"later")
    log = reopen(tmp_path, opened)
    assert values(log, "t") == [b"before", b"after", b"later"]
    message = (
        f"{journal(tmp_path)}: dropped a damaged line at byte {where} (not a whole journal line)"
    )
    assert log.recovery == [message]


def test_a_flipped_byte_drops_only_its_own_line(tmp_path: Path, opened: list[FileLog]) -> None:
    log = reopen(tmp_path, opened)
    log.create_topic("t", 1)
    for i in range(3):
        log.append("t", None, b"row-%d" % i)
    log.close()
    data = bytearray(journal(tmp_path).read_bytes())
    second = data.index(b"cm93LTE=")  # base64 of row-1
    data[second] = ord("d")
    journal(tmp_path).write_bytes(bytes(data))
    log = reopen(tmp_path, opened)
    assert values(log, "t") == [b"row-0", b"row-2"]
    (message,) = log.recovery
    assert "checksum mismatch" in message
    assert str(journal(tmp_path)) in message


def test_a_torn_commit_leaves_neither_output_nor_positions(
    tmp_path: Path, opened: list[FileLog]
) -> None:
    log = reopen(tmp_path, opened)
    log.create_topic("src", 1)
    log.create_topic("sink", 1)
    log.commit(GROUP, [Pending("sink", None, b"one")], {("src", 0): 1})
    before = journal(tmp_path).stat().st_size
    log.commit(GROUP, [Pending("sink", None, b"two"), Pending("sink", None, b"3")], {("src", 0): 3})
    log.close()
    after = journal(tmp_path).stat().st_size
    os.truncate(journal(tmp_path), before + (after - before) // 2)
    log = reopen(tmp_path, opened)
    assert values(log, "sink") == [b"one"]
    assert log.committed(GROUP) == {("src", 0): 1}


def test_a_failed_write_refuses_the_change_whole(
    tmp_path: Path, opened: list[FileLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = reopen(tmp_path, opened)
    log.create_topic("t", 1)
    log.append("t", None, b"kept")
    size = journal(tmp_path).stat().st_size
    real = os.pwrite

    def half_then_full(fd: int, data: bytes, at: int) -> int:
        if len(data) > 10:
            real(fd, data[: len(data) // 2], at)  # part of it reached the file, then no space
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "pwrite", half_then_full)
    with pytest.raises(OSError, match="No space"):
        log.append("t", None, b"refused")
    monkeypatch.undo()
    assert journal(tmp_path).stat().st_size == size
    assert values(log, "t") == [b"kept"]
    log.append("t", None, b"later")
    assert values(reopen(tmp_path, opened), "t") == [b"kept", b"later"]


def test_a_second_server_on_the_directory_is_refused(tmp_path: Path, opened: list[FileLog]) -> None:
    reopen(tmp_path, opened)
    with pytest.raises(OSError, match="in use by another ksqlpy-local server") as caught:
        FileLog(tmp_path)
    assert str(tmp_path) in str(caught.value)


def test_a_file_that_is_no_journal_is_refused_by_name(tmp_path: Path) -> None:
    journal(tmp_path).write_bytes(b"something else entirely\n" * 10)
    with pytest.raises(OSError, match="is not a ksqlpy journal") as caught:
        FileLog(tmp_path)
    assert str(journal(tmp_path)) in str(caught.value)
    FileLog(tmp_path / "other").close()  # the refused directory was released


def test_a_newer_journal_format_is_refused(tmp_path: Path, opened: list[FileLog]) -> None:
    reopen(tmp_path, opened).close()
    text = journal(tmp_path).read_bytes()
    body = b'["v",99]'
    journal(tmp_path).write_bytes(b"%08x %s\n" % (zlib.crc32(body), body) + text)
    with pytest.raises(OSError, match="newer ksqlpy"):
        FileLog(tmp_path)


def test_the_old_layout_is_converted_once_keeping_rows_after_damage(
    tmp_path: Path, opened: list[FileLog], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    folder = tmp_path / "topics" / "my%20topic"
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps({"partitions": 2, "replicas": 1}))
    rows = [
        json.dumps([1, None, "YQ==", []]),
        "torn{",
        json.dumps([2, "aw==", "Yg==", [["h", None]]]),
    ]
    (folder / "0.jsonl").write_text("\n".join(rows) + "\n")
    log = reopen(tmp_path, opened)
    assert values(log, "my topic") == [b"a", b"b"]
    assert log.read("my topic", 0, 1, 1)[0].headers == (("h", None),)
    assert (tmp_path / "topics.converted").is_dir()
    assert not (tmp_path / "topics").exists()
    assert "dropped a damaged line at byte" in caplog.text
    log.append("my topic", None, b"c", partition=0)
    assert values(reopen(tmp_path, opened), "my topic") == [b"a", b"b", b"c"]


def test_a_data_dir_the_system_refuses_is_named(tmp_path: Path) -> None:
    journal(tmp_path).mkdir(parents=True)  # a directory where the journal should be
    with pytest.raises(OSError, match="cannot use data dir") as caught:
        FileLog(tmp_path)
    assert str(journal(tmp_path)) in str(caught.value)


def test_a_journal_mostly_of_deleted_topics_is_compacted_at_start(
    tmp_path: Path, opened: list[FileLog]
) -> None:
    log = reopen(tmp_path, opened)
    log.create_topic("kept", 2)
    log.create_topic("src", 1)
    log.append("kept", b"k", b"one")
    log.create_topic("dropped", 1)
    for _ in range(3000):
        log.append("dropped", None, b"x" * 500)
    log.delete_topic("dropped")
    log.commit(GROUP, [Pending("kept", None, b"two", partition=1)], {("src", 0): 7})
    for position in range(8, 3000):  # a filter that lets nothing through commits positions only
        log.commit(GROUP, [], {("src", 0): position})
    big = journal(tmp_path).stat().st_size
    log = reopen(tmp_path, opened)
    assert journal(tmp_path).stat().st_size < big / 10
    for _ in range(2):  # the compacted journal reads back the same, and takes appends
        assert values(log, "kept", 0) + values(log, "kept", 1) == [b"one", b"two"]
        assert log.read("kept", 1, 0, 1)[0].offset == 0
        assert log.committed(GROUP) == {("src", 0): 2999}
        assert log.topic("dropped") is None
        log = reopen(tmp_path, opened)
    log.append("kept", None, b"three", partition=1)
    assert values(reopen(tmp_path, opened), "kept", 1) == [b"two", b"three"]


def test_fsync_flushes_every_change_before_it_is_acknowledged(
    tmp_path: Path, opened: list[FileLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        synced.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    plain = reopen(tmp_path / "plain", opened)
    plain.create_topic("t", 1)
    plain.append("t", None, b"v")
    assert synced == []  # write() only: a killed process loses nothing, the kernel has it
    durable = FileLog(tmp_path / "durable", fsync=True)
    opened.append(durable)
    before = len(synced)
    durable.create_topic("t", 1)
    durable.append("t", None, b"v")
    durable.commit(GROUP, [Pending("t", None, b"w")], {("t", 0): 1})
    assert len(synced) - before == 3
