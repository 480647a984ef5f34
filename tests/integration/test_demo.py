"""The README's main job, run non-interactively: people fed into the local server show up live."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest

from ksqlpy import Client, KsqlError, demo

STATEMENTS = (
    "CREATE STREAM my_stream (id STRING, name STRING, title STRING) "
    "WITH (kafka_topic='fake_people', value_format='JSON');"
    "SELECT * FROM my_stream EMIT CHANGES LIMIT 3;"
)


def test_demo_shows_people_arriving_in_the_shell() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ksqlpy.demo", "--rate", "20", "--seed", "7", "-e", STATEMENTS],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "people arriving on topic 'fake_people'" in out.stdout
    # With Java the people go through a real Kafka broker, as in the course.
    assert ("in Kafka at 127.0.0.1:" in out.stdout) == demo._has_java(), out.stdout + out.stderr
    assert "Stream created" in out.stdout
    # Three rows of people: an id, a first and last name, a title.
    rows = [line for line in out.stdout.splitlines() if line.count("|") >= 4 and "ID" not in line]
    assert len(rows) >= 3, out.stdout
    assert "Traceback" not in out.stderr


def test_without_java_the_demo_says_so_in_one_line_and_uses_memory(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo, "_has_java", lambda: False)
    with demo.kafka_broker() as bootstrap:
        assert bootstrap is None
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert "no Java found" in line
    assert "in memory" in line


def test_demo_refuses_a_rate_of_zero() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ksqlpy.demo", "--rate", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 2
    assert "--rate must be above 0" in out.stderr
    assert "Traceback" not in out.stderr


def test_sigterm_to_the_demo_stops_everything_it_started() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "ksqlpy.demo", "--rate", "5"],
        stdin=subprocess.PIPE,  # kept open: the shell waits for statements
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert demo.stdout is not None
        match = re.search(r"a local ksqlDB at (http://\S+) with people", demo.stdout.readline())
        assert match is not None
        url = match.group(1)
        with Client(url) as client:
            assert client.server_info().version
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(30) == 128 + signal.SIGTERM
        assert "Traceback" not in (demo.stderr.read() if demo.stderr else "")
        deadline = time.monotonic() + 15
        while True:
            try:
                with Client(url) as client:
                    client.server_info()
            except KsqlError:
                break  # the server is gone with the demo
            assert time.monotonic() < deadline, "the demo's server outlived it"
            time.sleep(0.2)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for stream in (demo.stdin, demo.stdout, demo.stderr):
            if stream is not None:
                stream.close()
