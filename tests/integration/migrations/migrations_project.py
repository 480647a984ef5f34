"""A migrations project for tests: its folder, config, server and how to run the tool on it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ksqlpy import Client
from ksqlpy.migrations.cli import main


@dataclass
class Project:
    """A project folder with its properties file, and the server it points at."""

    root: Path
    url: str
    suffix: str

    @property
    def config(self) -> Path:
        return self.root / "ksql-migrations.properties"

    @property
    def stream(self) -> str:
        return f"MIGRATION_EVENTS_{self.suffix}"

    @property
    def table(self) -> str:
        return f"MIGRATION_SCHEMA_VERSIONS_{self.suffix}"

    def name(self, base: str) -> str:
        """A source name unique to this project (tests may share a real server)."""
        return f"{base}_{self.suffix}"

    def write(self, version: int, name: str, text: str) -> Path:
        path = self.root / "migrations" / f"V{version:06d}__{name}.sql"
        path.write_text(text)
        return path

    def run(self, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        """ksqlpy-migrations in this process: (exit code, stdout, stderr)."""
        code = main(["-c", str(self.config), *args])
        out, err = capsys.readouterr()
        return code, out, err

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """ksqlpy-migrations as its own process (for kills and races)."""
        return subprocess.Popen(
            [sys.executable, "-m", "ksqlpy.migrations.cli", "-c", str(self.config), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def events(self) -> list[dict[str, Any]]:
        """Every row of the metadata stream, in order (a pull query scanning it)."""
        with Client(self.url) as client:
            rows = client.execute_query(f"SELECT * FROM {self.stream};").rows
        return [row.as_dict() for row in rows]

    def version_rows(self) -> list[dict[str, Any]]:
        """The stream rows ksql-migrations itself reads: CURRENT and plain version keys."""
        return [
            r
            for r in self.events()
            if r["VERSION_KEY"] == "CURRENT" or str(r["VERSION_KEY"]).isdigit()
        ]


def write_config(root: Path, url: str, suffix: str, extra: str = "") -> None:
    (root / "migrations").mkdir(parents=True, exist_ok=True)
    (root / "ksql-migrations.properties").write_text(
        f"ksql.server.url={url}\n"
        f"ksql.migrations.stream.name=MIGRATION_EVENTS_{suffix}\n"
        f"ksql.migrations.table.name=MIGRATION_SCHEMA_VERSIONS_{suffix}\n"
        f"ksql.migrations.stream.topic.name=migrations_{suffix}\n"
        f"ksql.migrations.table.topic.name=migrations_versions_{suffix}\n"
        "ksqlpy.migrations.lock.ttl.seconds=3\n"
        f"{extra}"
    )
