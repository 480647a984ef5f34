"""ksqlpy-datagen's command line without a broker: help, version, bad input, dry runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import ksqlpy
from ksqlpy.datagen.cli import main

CLI = [sys.executable, "-m", "ksqlpy.datagen.cli"]


def _run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_version_and_help() -> None:
    assert _run("--version").stdout.strip() == f"ksqlpy-datagen {ksqlpy.__version__}"
    out = _run("--help")
    assert out.returncode == 0
    for flag in ("--rate", "--iterations", "--duration", "--key", "--format", "--seed",
                 "--partitions", "--replication-factor", "--guarantee", "--transaction-size",
                 "--producer-property", "--dry-run"):  # fmt: skip
        assert flag in out.stdout


def _one_line_error(out: subprocess.CompletedProcess[str], text: str) -> None:
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("ksqlpy-datagen: error: ")
    assert text in lines[0]
    assert "Traceback" not in out.stderr


def test_unknown_quickstart() -> None:
    _one_line_error(_run("--quickstart", "nope", "--dry-run"), "unknown quickstart 'nope'")


def test_broken_schema_file(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"fields": [{"name": "a", "gen": "int", "min": 9, "max": 1}]}')
    _one_line_error(_run("--schema", str(path)), "field 'a': 'min' (9) is larger than 'max' (1)")
    path.write_text("{not json")
    _one_line_error(_run("--schema", str(path)), "invalid JSON at line 1")


def test_unreachable_broker_fails_within_the_timeout() -> None:
    started = time.monotonic()
    out = _run("-b", "127.0.0.1:1", "--timeout", "1.5", "-q", "people", "-n", "5", timeout=20)
    assert time.monotonic() - started < 10
    _one_line_error(out, "cannot reach Kafka at 127.0.0.1:1 within 1.5 s")


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--key", "nope"], "no field 'nope'; fields are id, name, title"),
        (["--format", "kafka"], "single column"),
        (["--timestamp-field", "name"], "must be a BIGINT field"),
        (["--acks", "0"], "--acks 0 needs --guarantee at-most-once"),
        (["--extra-fields", "shoe"], "unknown extra field(s) shoe"),
        (["--ksqldb", "http://localhost:8088", "--stream", "s"], "--bootstrap-servers only apply"),
        (["--stream", "s"], "--stream goes with --ksqldb URL"),
    ],
)
def test_inconsistent_options_are_one_line_errors(
    args: list[str], text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-q", "people", "-b", "127.0.0.1:1", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert text in err[0]


def test_argparse_errors_exit_2() -> None:
    out = _run("--rate", "-5")
    assert out.returncode == 2
    assert "must be greater than 0" in out.stderr


def test_dry_run_prints_seeded_records(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["-q", "users", "--dry-run", "-n", "4", "--seed", "3", "--start-time", "0"]
    assert main(args) == 0
    first = capsys.readouterr()
    assert main(args) == 0
    second = capsys.readouterr()
    assert first.out == second.out
    lines = first.out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["User_1", "User_2", "User_3", "User_4"]
    assert "sent 4, acked 4, errors 0" in first.err
    assert "seed 3" in first.err


def test_print_ddl_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "people", "--print-ddl"]) == 0
    ddl = capsys.readouterr().out
    assert ddl.startswith("CREATE STREAM fake_people (\n  id STRING KEY,")
    assert "kafka_topic='fake_people'" in ddl
    assert main(["--list"]) == 0
    listing = capsys.readouterr().out
    assert "stock_trades" in listing
    assert "pattern" in listing


def test_value_size_pads_json_records(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "people", "--dry-run", "-n", "50", "--value-size", "1024"]) == 0
    sizes = [len(line.split("\t", 1)[1].encode()) for line in capsys.readouterr().out.splitlines()]
    assert all(950 <= s <= 1100 for s in sizes), sizes
