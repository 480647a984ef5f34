"""The broker launcher as a user runs it: the command, clean stops, and no orphans after a crash."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from ksqlpy.testing.kafka import KafkaBroker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

LAUNCH = [sys.executable, "-m", "ksqlpy.testing.kafka"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _jvm_of(bootstrap: str) -> tuple[int, Path]:
    """The JVM pid and data dir of the broker listening on ``bootstrap`` (from its command line)."""
    port = bootstrap.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = [a for a in (entry / "cmdline").read_bytes().split(b"\0") if a]
        except OSError:
            continue
        if argv and argv[0].endswith(b"java") and b"kafka.Kafka" in argv:
            props = Path(argv[-1].decode())
            if f"PLAINTEXT://127.0.0.1:{port}," in props.read_text():
                return int(entry.name), props.parent
    raise AssertionError(f"no broker JVM for {bootstrap}")


def _finish(proc: subprocess.Popen[str]) -> int:
    code = proc.wait(timeout=30)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    return code


def _start_command(*extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*LAUNCH, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    match = re.fullmatch(r"bootstrap=(127\.0\.0\.1:\d+)", line)
    assert match, f"unexpected first line {line!r}; stderr: {proc.stderr and proc.stderr.read()}"
    return proc, match.group(1)


def test_command_prints_bootstrap_serves_and_stops_cleanly_on_ctrl_c() -> None:
    proc, bootstrap = _start_command()
    jvm, data_dir = _jvm_of(bootstrap)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    assert admin.describe_cluster()["brokers"], "the broker answers an admin client"
    admin.close()

    proc.send_signal(signal.SIGINT)
    assert _finish(proc) == 0
    assert _wait_gone(jvm, 10), "the JVM is stopped"
    assert not data_dir.exists(), "the temp dir is removed"


def test_command_serves_on_the_port_given_and_refuses_a_taken_one() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc, bootstrap = _start_command("--port", str(port))
    try:
        assert bootstrap == f"127.0.0.1:{port}"
        taken = subprocess.run(
            [*LAUNCH, "--port", str(port)], capture_output=True, text=True, timeout=30, check=False
        )
        assert taken.returncode == 2
        assert f"port {port} on 127.0.0.1 is in use" in taken.stderr
        assert len(taken.stderr.strip().splitlines()) == 1
    finally:
        proc.send_signal(signal.SIGINT)
        assert _finish(proc) == 0


@pytest.mark.parametrize("bad", ["abc", "-1", "70000"])
def test_a_bad_port_is_one_usage_line(bad: str) -> None:
    out = subprocess.run(
        [*LAUNCH, "--port", bad], capture_output=True, text=True, timeout=30, check=False
    )
    assert out.returncode == 2
    assert "argument --port" in out.stderr.strip().splitlines()[-1]


def test_killing_the_python_process_leaves_no_jvm_and_no_temp_dir() -> None:
    proc, bootstrap = _start_command()
    jvm, data_dir = _jvm_of(bootstrap)
    proc.kill()  # SIGKILL: no Python cleanup runs at all
    _finish(proc)
    assert _wait_gone(jvm, 15), "the watchdog stopped the orphaned JVM"
    deadline = time.monotonic() + 10
    while data_dir.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not data_dir.exists()


def test_broker_context_manager_cleans_up_when_the_body_fails() -> None:
    broker = KafkaBroker()
    seen: list[tuple[int, Path]] = []

    def body() -> None:
        with broker:
            seen.append(_jvm_of(broker.bootstrap))
            assert broker.running
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        body()
    ((jvm, data_dir),) = seen
    assert not broker.running
    assert _wait_gone(jvm, 10)
    assert not data_dir.exists()
    broker.stop()  # a second stop is a no-op
