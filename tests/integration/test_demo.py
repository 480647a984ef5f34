"""The README's main job, run non-interactively: people fed into the local server show up live."""

from __future__ import annotations

import subprocess
import sys

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
    assert "Stream created" in out.stdout
    # Three rows of people: an id, a first and last name, a title.
    rows = [line for line in out.stdout.splitlines() if line.count("|") >= 4 and "ID" not in line]
    assert len(rows) >= 3, out.stdout
    assert "Traceback" not in out.stderr


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
