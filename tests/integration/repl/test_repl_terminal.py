"""The real ``ksqlpy`` command in a terminal (tmux) against the local server, typed like a user."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from repl_helpers import Terminal

from ksqlpy import Client

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


@pytest.fixture
def terminal(local_ksqldb: Any, tmp_path: Path) -> Iterator[Terminal]:
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PATH": os.environ.get("PATH", ""),
    }
    term = Terminal([sys.executable, "-m", "ksqlpy.repl.cli", local_ksqldb.url], env)
    try:
        yield term
    finally:
        term.close()


def test_a_session_from_create_to_exit(
    local_ksqldb: Any, terminal: Terminal, tmp_path: Path
) -> None:
    terminal.wait_for("ksql>")
    terminal.type("CREATE STREAM clicks (id INT KEY, page STRING)")
    terminal.keys("Enter")
    terminal.type("WITH (kafka_topic='clicks', value_format='json', partitions=1);")
    terminal.keys("Enter")
    terminal.wait_for("Stream created")
    terminal.type("INSERT INTO clicks (id, page) VALUES (1, 'home');")
    terminal.keys("Enter")
    terminal.type("SET 'auto.offset.reset'='earliest';")
    terminal.keys("Enter")
    terminal.wait_for("Successfully changed local property")
    terminal.type("SELECT * FROM clicks EMIT CHANGES;")
    terminal.keys("Enter")
    terminal.wait_for("| 1      | home ")
    with Client(local_ksqldb.url) as client:
        client.insert_into("CLICKS", {"ID": 2, "PAGE": "about"})  # arrives while we watch
        terminal.wait_for("| 2      | about ")
        assert len(client.list_queries()) == 1
        terminal.keys("C-c")
        screen = terminal.wait_for("Query terminated")
        assert "2 rows in" in screen
        terminal.type("SELECT page FROM clicks WHERE id = 2;")
        terminal.keys("Enter")
        terminal.wait_for("1 row in")
        terminal.type("SHOW QUERIES;")
        terminal.keys("Enter")
        screen = terminal.wait_for("EXPLAIN <Query ID>")
        assert "transient_" not in screen.split("SHOW QUERIES;")[-1]
        assert client.list_queries() == ()
        terminal.type("exit")
        terminal.keys("Enter")
        terminal.wait_for("Exiting ksqlDB.")


def test_tab_completes_a_column_after_alias(local_ksqldb: Any, terminal: Terminal) -> None:
    with Client(local_ksqldb.url) as client:
        client.execute_statement(
            "CREATE STREAM visits (id INT KEY, referrer STRING) "
            "WITH (kafka_topic='visits', value_format='json', partitions=1);"
        )
    terminal.wait_for("ksql>")
    # The catalog is fetched in the background at start-up: until it arrives there is nothing
    # to complete, and typing is never blocked meanwhile.
    deadline = time.monotonic() + 20
    while True:
        terminal.type("SELECT * FROM visits v WHERE v.ref")
        terminal.keys("Tab")
        try:
            terminal.wait_for("WHERE v.REFERRER", timeout=2)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            prompts = terminal.screen().count("ksql>")
            terminal.keys("C-c")
            terminal.wait_for_prompts(prompts + 1)
    prompts = terminal.screen().count("ksql>")
    terminal.keys("C-c")
    terminal.wait_for_prompts(prompts + 1)
    terminal.keys("C-d")
    terminal.wait_for("Exiting ksqlDB.")
