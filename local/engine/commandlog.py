"""The metastore's durable record: ksqlDB's command topic, kept in the server's :class:`Log`.

Every statement that changed the metastore is appended (as ksqlDB's ``Command``: the statement
text with the properties it ran with) before its answer is sent, and replayed at start. Over a
Kafka log this is the real command topic; over files or memory it is a topic of that log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..storage import Log, Positions

_log = logging.getLogger("ksqlpy.local")

# ksqlDB's ReservedInternalTopics: "_confluent-ksql-" + service id + "_command_topic".
COMMAND_TOPIC = "_confluent-ksql-{service_id}_command_topic"
# The files of data directories written before the command topic existed (read once).
LEGACY_COMMANDS = "commands.jsonl"
LEGACY_POSITIONS = "query-positions.json"
BATCH = 1000


@dataclass(frozen=True, slots=True)
class Command:
    """One recorded statement: its text and the request properties it ran with."""

    statement: str
    properties: dict[str, Any]
    offset: int = 0


class CommandLog:
    """Appends commands to the command topic of ``log`` and reads them back, oldest first."""

    def __init__(self, log: Log, service_id: str) -> None:
        self.log = log
        self.topic = COMMAND_TOPIC.format(service_id=service_id)
        self._next: int | None = None  # known once read or written (no look-up per statement)

    def append(self, command_id: str, text: str, properties: dict[str, Any]) -> None:
        """Record one statement; returns once it is stored (raises ``OSError`` if it cannot be)."""
        if self.log.topic(self.topic) is None:
            self.log.create_topic(self.topic, 1)
        # The shape of ksqlDB's Command (key: its CommandId as a JSON string).
        value = {
            "statement": text,
            "streamsProperties": properties,
            "originalProperties": {},
        }
        record = self.log.append(
            self.topic,
            json.dumps(command_id).encode(),
            json.dumps(value, default=str).encode(),
            partition=0,
        )
        self._next = record.offset + 1

    def next_offset(self) -> int:
        """The offset the next command gets (ksqlDB numbers commands, and queries, by it)."""
        if self._next is None:
            exists = self.log.topic(self.topic) is not None
            self._next = self.log.end_offsets(self.topic)[0] if exists else 0
        return self._next

    def commands(self) -> Iterator[Command]:
        """The recorded statements, oldest first; an unreadable record is logged and skipped."""
        if self.log.topic(self.topic) is None:
            return
        offset = 0
        while True:
            records = self.log.read(self.topic, 0, offset, BATCH)
            if not records:
                return
            for record in records:
                offset = record.offset + 1
                command = _command(record.value, record.offset)
                if command is None:
                    _log.warning(
                        "restore: dropped unreadable record at offset %d of the command topic '%s'",
                        record.offset,
                        self.topic,
                    )
                    continue
                yield command

    def convert_legacy(self, store: Path) -> dict[str, list[Any]]:
        """Move a data directory's old ``commands.jsonl`` into the command topic (once); return
        the query positions its ``query-positions.json`` held (by query id)."""
        commands = store / LEGACY_COMMANDS
        positions: dict[str, list[Any]] = {}
        saved = store / LEGACY_POSITIONS
        if saved.exists():
            try:
                loaded = json.loads(saved.read_text())
                positions = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError) as error:
                _log.warning("restore: ignored %s: %s", saved, error)
        if not commands.exists():
            return positions
        if self.log.topic(self.topic) is None or not any(self.log.end_offsets(self.topic)):
            moved = 0
            for number, line in enumerate(commands.read_text(errors="replace").splitlines(), 1):
                try:
                    old = json.loads(line)
                    self.append("legacy/command/execute", old["sql"], old.get("properties") or {})
                    moved += 1
                except (ValueError, KeyError, TypeError):
                    if line.strip():
                        _log.warning("restore: dropped unreadable line %d of %s", number, commands)
            _log.info("restore: moved %d commands of %s to topic %s", moved, commands, self.topic)
        commands.rename(commands.with_suffix(".jsonl.converted"))
        return positions


def retire_legacy_positions(store: Path) -> None:
    """Keep an old ``query-positions.json`` aside once its positions are in the groups."""
    saved = store / LEGACY_POSITIONS
    if saved.exists():
        saved.rename(saved.with_suffix(".json.converted"))


def legacy_positions(saved: list[Any], topics: list[str]) -> Positions:
    """An old saved position list (one list per input of a join) as a consumer group's."""
    nested = saved and isinstance(saved[0], list)
    lists = saved if nested else [saved]
    out: Positions = {}
    for topic, offsets in zip(topics, lists, strict=False):
        for partition, offset in enumerate(offsets):
            if isinstance(offset, int):
                out[(topic, partition)] = offset
    return out


def _command(value: bytes | None, offset: int) -> Command | None:
    try:
        data = json.loads(value or b"")
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("statement"), str):
        return None
    properties = data.get("streamsProperties")
    return Command(data["statement"], properties if isinstance(properties, dict) else {}, offset)


__all__ = ["COMMAND_TOPIC", "Command", "CommandLog", "legacy_positions", "retire_legacy_positions"]
