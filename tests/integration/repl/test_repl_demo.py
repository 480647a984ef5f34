"""``make demo`` in a real terminal (tmux): Ctrl-C on a push query stops only the query."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from repl_helpers import Terminal

from ksqlpy import Client, KsqlError

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make"),
    pytest.mark.slow,
]

CREATE = (
    "CREATE STREAM my_stream (id STRING, name STRING, title STRING) "
    "WITH (kafka_topic='fake_people', value_format='JSON');"
)
# What the pane runs after make: make's own status and whether the terminal is back in
# canonical (cooked) mode, as a shell needs it.
AFTER = 'echo "make exited $?"; stty -a | tr " " "\\n" | grep -x -- "-*icanon"; sleep 60'


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Terminal]:
    # The project's own Makefile would first (re)build .venv; this one runs only the demo,
    # with the Python running the tests, exactly as `make demo` does.
    makefile = tmp_path / "Makefile"
    makefile.write_text(f"demo:\n\t{sys.executable} -m ksqlpy.demo --rate 20 --seed 3\n")
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PATH": os.environ.get("PATH", ""),
    }
    term = Terminal(["make", "-f", str(makefile), "demo"], env, then=AFTER)
    try:
        yield term
    finally:
        term.close()


def _new_person_arrives(url: str) -> bool:
    """Whether the fake-data feed is still producing: a row newer than now shows up."""
    with Client(url) as client:
        sql = "SELECT * FROM my_stream EMIT CHANGES LIMIT 1;"
        with client.stream_query(sql, {"auto.offset.reset": "latest"}) as query:
            return query.poll(10) is not None


def _reachable(url: str) -> bool:
    try:
        with Client(url) as client:
            client.server_info()
    except KsqlError:
        return False
    return True


def test_ctrl_c_on_a_push_query_stops_only_the_query(demo: Terminal) -> None:
    screen = demo.wait_for("ksql>", timeout=90)
    match = re.search(r"a local ksqlDB at (http://\S+) with people", screen)
    assert match is not None, screen
    url = match.group(1)
    demo.type(CREATE)
    demo.keys("Enter")
    demo.wait_for("Stream created")
    demo.type("SET 'auto.offset.reset'='earliest';")
    demo.keys("Enter")
    demo.wait_for("Successfully changed local property")
    demo.wait_for("| 1 property set")  # the toolbar
    # Completion offers the stream's column before functions such as TIMESTAMPTOSTRING.
    demo.type("SELECT * FROM my_stream WHERE ti")
    demo.keys("Tab")
    demo.wait_for("WHERE TITLE")
    prompts = demo.screen().count("ksql>")
    demo.keys("C-c")
    demo.wait_for_prompts(prompts + 1)
    demo.type("SELECT * FROM my_stream EMIT CHANGES;")
    demo.keys("Enter")
    screen = demo.wait_for("Press Ctrl-C to stop.")
    query = screen.split("SELECT * FROM my_stream EMIT CHANGES;")[-1]
    assert query.count("| ID ") == 1, query  # one header, not an empty one first
    prompts = demo.screen().count("ksql>")
    demo.keys("C-c")
    demo.wait_for("Query terminated")
    demo.wait_for_prompts(prompts + 1, timeout=5)
    # The server, its streams and the feed all survived the Ctrl-C.
    assert _new_person_arrives(url)
    demo.type("SHOW STREAMS;")
    demo.keys("Enter")
    after = demo.wait_for("MY_STREAM").split("SHOW STREAMS;")[-1]
    assert "MY_STREAM" in after
    demo.keys("C-d")
    demo.wait_for("make exited", timeout=30)
    # stty's line comes after make's: wait for it too, or the screen may not show it yet.
    screen = demo.wait_for("icanon", timeout=10)
    assert "make exited 0" in screen
    assert "Error 130" not in screen
    assert re.search(r"^icanon$", screen, re.M), screen  # not "-icanon": the terminal is back
    deadline = time.monotonic() + 15
    while _reachable(url):  # everything the demo started stops with it
        assert time.monotonic() < deadline, "the demo's server outlived it"
        time.sleep(0.2)


def test_the_terminal_is_restored_even_when_the_shell_is_killed(demo: Terminal) -> None:
    screen = demo.wait_for("ksql>", timeout=90)
    match = re.search(r"a local ksqlDB at (http://\S+) with people", screen)
    assert match is not None, screen
    # The shell is at its prompt, the terminal in raw mode; then it dies without cleaning up.
    found = subprocess.run(
        ["pgrep", "-f", f"ksqlpy.repl.cli {match.group(1)}"],
        capture_output=True,
        text=True,
        check=False,
    )
    pids = [int(pid) for pid in found.stdout.split()]
    assert len(pids) == 1, found
    os.kill(pids[0], signal.SIGKILL)
    demo.wait_for("make exited", timeout=30)
    screen = demo.wait_for("icanon", timeout=10)
    assert re.search(r"^icanon$", screen, re.M), screen  # the demo put the modes back
