"""The runner under faults: kill -9 mid-migration, two runs at once, stopped runs, the lock."""

from __future__ import annotations

import os
import signal
import time

import pytest
from migrations_project import Project

from ksqlpy import Client
from ksqlpy.migrations import Migrator, State, load_config


def _many_streams(project: Project, version: int, count: int) -> str:
    # IF NOT EXISTS: a statement that ran but was not journaled when the runner died is the one
    # statement a resume may send twice (ksqlDB has no transactions to close that window).
    return "".join(
        f"CREATE STREAM IF NOT EXISTS {project.name(f'K{version}_{i}')} (id INT KEY) WITH "
        f"(kafka_topic='{project.name(f'k{version}_{i}').lower()}', value_format='JSON', "
        "partitions=1);\n"
        for i in range(count)
    )


def _row(project: Project, version: int) -> tuple[State, str, int]:
    with Migrator(load_config(project.config)) as migrator:
        for row in migrator.info().rows:
            if row.info.version == version:
                return row.info.state, row.runner, row.statements_done
    raise AssertionError(f"no version {version}")


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_kill_9_mid_migration_then_info_apply_resume(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(1, "many", _many_streams(project, 1, 400))
    runner = project.spawn("apply", "--all")
    try:
        _wait(lambda: _row(project, 1)[2] >= 5, 60, "five finished statements")
        os.kill(runner.pid, signal.SIGKILL)
    finally:
        runner.communicate(timeout=30)
    state, who, done = _row(project, 1)
    assert state is State.RUNNING
    assert f"pid {runner.pid}" in who
    assert 5 <= done < 400

    code, out, _ = project.run("info", capsys=capsys)
    assert "RUNNING" in out
    assert f"run by {who}" in out
    assert "Locked by" in out  # the dead runner's lease has not run out yet

    # While its lease lasts, the lock names the dead holder; nothing is written.
    before = len(project.events())
    code, _, err = project.run("apply", "--all", capsys=capsys)
    assert code == 1
    assert "holds the lock" in err
    assert who in err
    assert len(project.events()) == before

    time.sleep(3.2)  # ksqlpy.migrations.lock.ttl.seconds=3 in the test projects
    code, _, err = project.run("apply", "--all", capsys=capsys)
    assert code == 1
    assert "RUNNING" in err
    assert "no runner holds the lock: that run stopped" in err
    assert f"{done} of 400 statements finished" in err or "statements finished" in err
    assert "--resume" in err

    code, out, err = project.run("apply", "--all", "--resume", capsys=capsys)
    assert code == 0, err
    assert out.count("finished before, skipped") >= done
    assert _row(project, 1)[0] is State.MIGRATED
    with Client(project.url) as client:
        names = {s.name for s in client.list_streams()}
    assert {project.name(f"K1_{i}") for i in range(400)} <= names


@pytest.mark.slow
def test_repair_marks_a_stopped_run_failed_and_restart_runs_it_again(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(1, "many", _many_streams(project, 1, 300))
    runner = project.spawn("apply", "--all")
    try:
        _wait(lambda: _row(project, 1)[2] >= 3, 60, "three finished statements")
        os.kill(runner.pid, signal.SIGKILL)
    finally:
        runner.communicate(timeout=30)
    code, out, err = project.run("unlock", capsys=capsys)
    assert code == 0
    assert f"pid {runner.pid}" in out
    code, out, err = project.run("repair", capsys=capsys)
    assert code == 0, err
    assert "RUNNING -> ERROR" in out
    assert _row(project, 1)[0] is State.ERROR
    code, out, err = project.run("apply", "--all", "--restart", capsys=capsys)
    assert code == 0, err
    assert "finished before" not in out
    assert _row(project, 1)[0] is State.MIGRATED


def test_sigterm_stops_between_statements_and_marks_the_version(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(1, "many", _many_streams(project, 1, 300))
    runner = project.spawn("apply", "--all")
    try:
        _wait(lambda: _row(project, 1)[2] >= 3, 60, "three finished statements")
        runner.send_signal(signal.SIGTERM)
        _out, err = runner.communicate(timeout=15)
        assert runner.returncode == 130, err
        assert "stopped" in err
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.communicate()
    state, _who, done = _row(project, 1)
    assert state is State.ERROR
    assert done >= 3
    _code, out, _ = project.run("info", "--json", capsys=capsys)
    assert '"lock": null' in out  # released on the way out
    assert "Interrupted" in out


@pytest.mark.slow
def test_two_applies_started_together_apply_each_version_once(project: Project) -> None:
    refusals = 0
    for round_ in range(1, 5):
        project.write(round_, f"round_{round_}", _many_streams(project, round_, 40))
        first, second = project.spawn("apply", "--all"), project.spawn("apply", "--all")
        results = [(p.wait(120), *p.communicate()) for p in (first, second)]
        codes = sorted(code for code, _out, _err in results)
        migrated = [out for code, out, _err in results if "Successfully migrated" in out]
        assert len(migrated) == 1, results
        for code, out, err in results:
            if code != 0:
                assert "another migrations run holds the lock" in err
                assert "pid" in err
                refusals += 1
            else:
                assert "Successfully migrated" in out or "No eligible migrations" in out
        assert codes[0] == 0
    # Each version has exactly one run: one RUNNING and one MIGRATED pair of rows.
    rows = project.version_rows()
    for version in range(1, 5):
        states = [r["STATE"] for r in rows if r["VERSION_KEY"] == str(version)]
        assert states == ["RUNNING", "MIGRATED"], (version, states)
    assert refusals >= 1  # the runs overlapped at least once and the lock said no


def test_a_live_lock_refuses_at_once_and_unlock_breaks_it(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(1, "one", _many_streams(project, 1, 1))
    with Migrator(load_config(project.config), command="deploy.sh") as holder:
        lock = holder._lock()
        lock.acquire()
        started = time.monotonic()
        code, _, err = project.run("apply", "--all", capsys=capsys)
        assert code == 1
        assert time.monotonic() - started < 5
        assert holder.holder in err
        assert "(deploy.sh)" in err
        assert "ksqlpy-migrations unlock" in err
        code, out, _ = project.run("unlock", capsys=capsys)
        assert holder.holder in out
        code, _, err = project.run("apply", "--all", capsys=capsys)
        assert code == 0, err
        with pytest.raises(Exception, match="lost the migrations lock"):
            lock.check()


def test_baseline_records_a_version_without_running_it(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(1, "existing", "CREATE STREAM never_run (id INT KEY) WITH (kafka_topic='x');\n")
    project.write(2, "next", _many_streams(project, 2, 1))
    code, _, err = project.run("baseline", "-v", "1", capsys=capsys)
    assert code == 0, err
    code, _, err = project.run("apply", "-a", capsys=capsys)
    assert code == 0, err
    with Client(project.url) as client:
        names = {s.name for s in client.list_streams()}
    assert "NEVER_RUN" not in names
    assert project.name("K2_0") in names
    assert project.run("validate", capsys=capsys)[0] == 0
    code, _, err = project.run("baseline", "-v", "2", capsys=capsys)
    assert code == 1
    assert "empty migrations history" in err
