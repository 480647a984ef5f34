"""The README's main job, run non-interactively: people produced to Kafka come back out."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

pytestmark = pytest.mark.kafka


def test_demo_shows_people_flowing_through_a_real_topic(kafka_bootstrap: str) -> None:
    topic = f"fake_people_{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-m", "ksqlpy.demo", "--topic", topic, "--count", "5"]
    out = subprocess.run(
        [*command, "--rate", "20", "--seed", "7"],
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"Kafka at {kafka_bootstrap}; topic '{topic}'")
    assert lines[1].split("|")[1:4] == [f" {'ID':<36} ", f" {'NAME':<20} ", f" {'TITLE':<12} "]
    rows = [line.split("|")[1:4] for line in lines[2:]]
    assert len(rows) >= 5
    assert all(len(row[0].strip()) == 36 and " " in row[1].strip() for row in rows)
    assert "people shown" in out.stderr


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
