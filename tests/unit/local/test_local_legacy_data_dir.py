"""A data directory written by an older ksqlpy starts, damaged or not, and is converted once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ksqlpy.local.engine import Engine
from ksqlpy.local.storage import FileLog

STREAM = "CREATE STREAM S (ID INT KEY, V INT) WITH (KAFKA_TOPIC='s', FORMAT='JSON');"
COPY = "CREATE STREAM C AS SELECT ID, V FROM S;"


def _old_dir(folder: Path) -> None:
    """The layout of ksqlpy before the journal, as its server left it."""
    topic = folder / "topics" / "s"
    topic.mkdir(parents=True)
    (topic / "meta.json").write_text(json.dumps({"partitions": 1, "replicas": 1}))
    rows = [json.dumps([i, "MQ==", f"eyJWIjo{i}fQ==", []]) for i in range(3)]
    (topic / "0.jsonl").write_text("\n".join(rows) + "\n")
    commands = [json.dumps({"sql": sql, "properties": {}}) for sql in (STREAM, COPY)]
    (folder / "commands.jsonl").write_text("\n".join(commands) + "\n")
    (folder / "query-positions.json").write_text(json.dumps({"CSAS_C_2": [3]}))


def _append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "intact": lambda d: None,
    "torn command": lambda d: _append(d / "commands.jsonl", '{"sql": "CREATE STR'),
    "garbage command": lambda d: _append(d / "commands.jsonl", "\x00\xff garbage\n"),
    "command of another shape": lambda d: _append(d / "commands.jsonl", '["a list"]\n'),
    "positions garbage": lambda d: (d / "query-positions.json").write_text("{torn"),
    "positions of another shape": lambda d: (d / "query-positions.json").write_text('{"X": 1}'),
    "meta garbage": lambda d: (d / "topics" / "s" / "meta.json").write_text("nope"),
    "torn record": lambda d: _append(d / "topics" / "s" / "0.jsonl", '[4, "MQ==", "ey'),
    "bad base64": lambda d: _append(d / "topics" / "s" / "0.jsonl", '[5, "!!", "??", []]\n'),
    "stray folder": lambda d: (d / "topics" / "empty").mkdir(),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_an_old_data_dir_starts_with_what_it_can_trust(tmp_path: Path, damage: str) -> None:
    _old_dir(tmp_path)
    DAMAGE[damage](tmp_path)
    for _ in range(2):  # converted at the first start, read from the journal at the second
        log = FileLog(tmp_path)
        try:
            engine = Engine(log, store=tmp_path)
            engine.restore()
            assert engine.metastore.source("S") is not None
            assert "CSAS_C_2" in engine.persistent
        finally:
            log.close()
