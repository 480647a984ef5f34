"""docs/migrations.md, run as written: its shell walk-through, its migration file, its Python."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from ksqlpy import Client
from ksqlpy.local import LocalServer
from ksqlpy.migrations.cli import main

DOC = Path(__file__).resolve().parents[3] / "docs" / "migrations.md"
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _BLOCK.finditer(DOC.read_text())]


def test_the_walk_through_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with LocalServer() as server:
        # The doc starts 'ksqlpy-local --port 8088': the test's server stands in for it.
        url = server.url
        for language, body in _blocks():
            if language == "sh":
                for line in body.splitlines():
                    words = shlex.split(line, comments=True)
                    if not words or words[0] == "ksqlpy-local":
                        continue
                    if words[0] == "cd":
                        os.chdir(words[1])
                        continue
                    assert words[0] == "ksqlpy-migrations", line
                    args = [w.replace("http://localhost:8088", url) for w in words[1:]]
                    code = main(args)
                    out, err = capsys.readouterr()
                    assert code == 0, (line, out, err)
            elif language == "sql":
                header, _, text = body.partition("\n")
                target = Path(header.removeprefix("-- ").strip())
                assert target.parent.name == "migrations", header
                target.write_text(text)
            elif language == "python":
                os.chdir(tmp_path)
                exec(compile(body, str(DOC), "exec"), {})
                out = capsys.readouterr().out
                assert "applied ()" in out  # everything was applied by the shell part
                assert "1 MIGRATED" in out
        with Client(url) as client:
            rows = client.execute_query("SELECT * FROM orders;").rows
    assert [(r["ID"], r["ITEM"]) for r in rows] == [(1, "book")]


def test_the_documented_keys_are_the_ones_the_config_reads() -> None:
    text = DOC.read_text()
    for key in (
        "ksqlpy.migrations.lock.ttl.seconds",
        "ksqlpy.migrations.request.timeout.seconds",
        "ksqlpy.migrations.apply.empty.success",
    ):
        assert key in text
    from ksqlpy.migrations import config

    source = Path(config.__file__).read_text()
    for key in re.findall(r"`(ksqlpy\.migrations\.[a-z.]+)`", text):
        assert key in source, key
