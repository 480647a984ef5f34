"""The metastore's durable record: statements that changed it, replayed at start, and the
positions persistent queries had reached (as ksqlDB replays its command topic)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

COMMANDS_FILE = "commands.jsonl"
POSITIONS_FILE = "query-positions.json"


class CommandLog:
    """Commands and query positions kept as files in a store folder."""

    def __init__(self, store: Path) -> None:
        self.store = store

    def append(self, text: str, properties: dict[str, Any]) -> None:
        """Record one statement with the properties it ran with."""
        line = json.dumps({"sql": text, "properties": properties}, default=str)
        with (self.store / COMMANDS_FILE).open("a") as handle:
            handle.write(line + "\n")

    def commands(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """The recorded statements, oldest first (the folder is created if missing)."""
        self.store.mkdir(parents=True, exist_ok=True)
        path = self.store / COMMANDS_FILE
        if not path.exists():
            return
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            command = json.loads(line)
            yield command["sql"], command.get("properties") or {}

    def positions(self) -> dict[str, list[int]]:
        """The saved positions of persistent queries, by query id."""
        path = self.store / POSITIONS_FILE
        if not path.exists():
            return {}
        saved: dict[str, list[int]] = json.loads(path.read_text())
        return saved

    def save_positions(self, state: dict[str, Any]) -> None:
        """Replace the saved positions at once (write then rename)."""
        path = self.store / POSITIONS_FILE
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(path)
