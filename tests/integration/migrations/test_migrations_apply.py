"""apply, info and validate against a server: targets, failures, golden metadata rows, dry runs."""

from __future__ import annotations

import json

import pytest
from migrations_project import Project

from ksqlpy import Client
from ksqlpy.migrations import Migrator, State, Target, load_config


def _stream(project: Project, version: int) -> str:
    name = project.name(f"S{version}")
    return (
        f"CREATE STREAM {name} (id INT KEY, v STRING) "
        f"WITH (kafka_topic='{name.lower()}', value_format='JSON', partitions=1);\n"
    )


def _states(project: Project) -> dict[int, State]:
    with Migrator(load_config(project.config)) as migrator:
        return {row.info.version: row.info.state for row in migrator.info().rows}


def test_thirty_migrations_with_every_target(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    for version in range(1, 31):
        project.write(version, f"stream_{version}", _stream(project, version))

    assert project.run("apply", "--next", capsys=capsys)[0] == 0
    assert project.run("apply", "--until", "10", capsys=capsys)[0] == 0
    code, out, err = project.run("apply", "--version", "12", capsys=capsys)
    assert code == 0, err
    code, _, err = project.run("apply", "--all", capsys=capsys)
    assert code == 0, err
    assert "version 11" in err
    assert "never applied" in err  # 11 was skipped by --version 12 and is said to be

    states = _states(project)
    assert states[11] is State.PENDING
    assert all(states[v] is State.MIGRATED for v in range(1, 31) if v != 11)
    with Migrator(load_config(project.config)) as migrator:
        info = {r.info.version: r.info for r in migrator.info().rows}
        assert info[12].previous == "10"
        assert info[13].previous == "12"
        assert migrator.info().current == "30"
    with Client(project.url) as client:
        names = {s.name for s in client.list_streams()}
    assert {project.name(f"S{v}") for v in range(1, 31) if v != 11} <= names
    assert project.name("S11") not in names

    code, _out, err = project.run("apply", "--next", capsys=capsys)
    assert code == 1
    assert "no eligible migrations" in err
    code, out, _ = project.run("apply", "--all", capsys=capsys)
    assert code == 0
    assert out.startswith("No eligible migrations found.\n")
    assert project.run("apply", "-n", "--ok-if-up-to-date", capsys=capsys)[0] == 0


def test_a_failing_statement_marks_its_version_error_and_stops(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(1, "one", _stream(project, 1))
    project.write(2, "two", _stream(project, 2))
    bad = project.name("S3")
    project.write(
        3, "bad", f"{_stream(project, 3)}\nCREATE STREAM {bad}_x AS SELECT * FROM nowhere;\n"
    )
    project.write(4, "four", _stream(project, 4))

    code, out, err = project.run("apply", "--all", capsys=capsys)
    assert code == 1
    assert "V000003__bad.sql, line 3" in err
    assert "nowhere" in err.lower()
    assert "The version is now ERROR" in err
    states = _states(project)
    assert states == {1: State.MIGRATED, 2: State.MIGRATED, 3: State.ERROR, 4: State.PENDING}
    with Client(project.url) as client:
        names = {s.name for s in client.list_streams()}
    assert project.name("S3") in names  # the statement before the failing one stays applied
    assert project.name("S4") not in names
    [current] = [r for r in project.version_rows() if r["VERSION_KEY"] == "CURRENT"][-1:]
    assert current["STATE"] == "ERROR"
    assert current["ERROR_REASON"].startswith(f"Failed to execute sql: \n\nCREATE STREAM {bad}_x")
    assert "Received 400 response from server: " in current["ERROR_REASON"]
    assert current["ERROR_REASON"].endswith("Error code: 40001")

    # Its first statement ran, so a plain re-run is refused with the ways on.
    code, out, err = project.run("apply", "--all", capsys=capsys)
    assert code == 1
    assert "1 of 2 statements finished" in err
    assert "--resume" in err
    project.write(
        3,
        "bad",
        f"{_stream(project, 3)}\nCREATE STREAM {bad}_x AS SELECT * FROM {project.name('S1')};\n",
    )
    code, out, err = project.run("apply", "--all", "--resume", capsys=capsys)
    assert code == 0, err
    assert "finished before, skipped" in out
    assert _states(project) == dict.fromkeys((1, 2, 3, 4), State.MIGRATED)


def test_golden_metadata_rows_are_what_ksql_migrations_writes(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    ticks = iter(range(1_700_000_000_000, 1_700_000_001_000))
    first = project.write(1, "Add_users", _stream(project, 1))
    second = project.write(2, "more", _stream(project, 2))
    with Migrator(load_config(project.config), clock=lambda: next(ticks)) as migrator:
        migrator.apply(Target.ALL)

    from ksqlpy.migrations.files import checksum

    sums = {1: checksum(first.read_bytes()), 2: checksum(second.read_bytes())}
    rows = project.version_rows()
    expected = []
    for version, name, previous in ((1, "Add users", "<none>"), (2, "more", "1")):
        base = {
            "VERSION": str(version),
            "NAME": name,
            "CHECKSUM": sums[version],
            "PREVIOUS": previous,
            "ERROR_REASON": "N/A",
        }
        start = next(r["STARTED_ON"] for r in rows if r["VERSION"] == str(version))
        end = next(
            r["COMPLETED_ON"]
            for r in rows
            if r["VERSION"] == str(version) and r["STATE"] == "MIGRATED"
        )
        assert start.isdigit()
        assert int(end) > int(start)
        for state, completed in (("RUNNING", ""), ("MIGRATED", end)):
            for key in ("CURRENT", str(version)):
                expected.append(
                    {
                        **base,
                        "VERSION_KEY": key,
                        "STATE": state,
                        "STARTED_ON": start,
                        "COMPLETED_ON": completed,
                    }
                )
    assert rows == expected


def test_dry_run_prints_substituted_statements_and_sends_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        1,
        "vars",
        "DEFINE n = 'x';\nCREATE STREAM ${n}_${suffix} (id INT KEY) "
        "WITH (kafka_topic='${n}', partitions=1, value_format='json');\n",
    )
    before = project.events()
    code, out, err = project.run(
        "apply", "-a", "--dry-run", "-d", f"suffix={project.suffix}", capsys=capsys
    )
    assert code == 0, err
    assert f"CREATE STREAM x_{project.suffix} (id INT KEY) WITH (kafka_topic='x'" in out
    assert f"creates X_{project.suffix}" in out
    assert "${" not in out
    assert project.events() == before

    project.write(2, "typo", "CREATE STREAM ok (id INT KEY) WITH (kafka_topic='k');\nDEFINE = ;\n")
    code, out, err = project.run("apply", "-a", "--dry-run", "-d", "suffix=1", capsys=capsys)
    assert code == 1
    assert "V000002__typo.sql, line 2" in err
    code, out, err = project.run("apply", "-a", "-d", "suffix=1", capsys=capsys)
    assert code == 1
    assert project.events() == before  # a bad file is caught before anything is written


def test_validate_finds_edited_and_missing_files(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    first = project.write(1, "one", _stream(project, 1))
    project.write(2, "two", _stream(project, 2))
    assert project.run("apply", "-a", capsys=capsys)[0] == 0
    assert project.run("validate", capsys=capsys)[0] == 0

    original = first.read_bytes()
    first.write_bytes(original.replace(b"\n", b"\r\n"))
    code, out, err = project.run("validate", capsys=capsys)
    assert code == 1
    assert "only line endings" in err
    code, out, err = project.run("apply", "-a", capsys=capsys)
    assert code == 1
    assert "validation failed" in err

    first.write_bytes(original + b"-- edited\n")
    code, out, err = project.run("validate", "--json", capsys=capsys)
    assert code == 1
    assert '"valid": false' in out
    code, out, err = project.run("repair", "--checksums", capsys=capsys)
    assert code == 0
    assert "version 1: checksum" in out
    assert project.run("validate", capsys=capsys)[0] == 0

    first.unlink()
    code, out, err = project.run("validate", capsys=capsys)
    assert code == 1
    assert "no migration file for version 1" in err


def test_info_shows_states_and_json(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(1, "one", _stream(project, 1))
    project.write(2, "two", _stream(project, 2))
    assert project.run("apply", "-n", capsys=capsys)[0] == 0
    code, out, _err = project.run("info", capsys=capsys)
    assert code == 0
    assert out.startswith("Current migration version: 1\n")
    assert " Version | Name | State    | Previous Version | Started On" in out
    assert "| MIGRATED |" in out
    assert "| PENDING  |" in out
    code, out, _ = project.run("info", "--json", capsys=capsys)
    document = json.loads(out)
    assert document["current"] == "1"
    assert [m["state"] for m in document["migrations"]] == ["MIGRATED", "PENDING"]
    assert document["lock"] is None
