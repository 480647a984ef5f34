"""The command line: usage, bad input of every kind, new-project, initialize and destroy."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from migrations_project import Project, write_config

from ksqlpy import Client
from ksqlpy.local import LocalServer
from ksqlpy.migrations.cli import main


def _run(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_help_and_usage_errors_exit_as_ksql_migrations(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert "apply" in capsys.readouterr().out
    code, out, _ = _run("help", "apply", capsys=capsys)
    assert code == 0
    for flag in ("--all", "--next", "--until", "--version", "--dry-run", "--define", "--headers"):
        assert flag in out
    for args, message in (
        (["apply"], "one of the arguments -a/--all -n/--next -u/--until -v/--version is required"),
        (["apply", "-a", "-n"], "not allowed with argument"),
        (["apply", "-u", "0"], "1 to 999999"),
        (["create", "-v", "x", "d"], "1 to 999999"),
        (["frobnicate"], "invalid choice"),
        (["help", "nope"], "no command 'nope'"),
    ):
        code, out, err = _run(*args, capsys=capsys)
        assert code == 1, args
        assert message in err, (args, err)
        assert "Traceback" not in err


def test_config_file_before_or_after_the_command(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (
        ["-c", str(project.config), "info"],
        ["info", "-c", str(project.config)],
        ["info", "--config-file", str(project.config)],
    ):
        code, out, err = _run(*args, capsys=capsys)
        assert code == 0, err
        assert out.startswith("Current migration version: <none>")


def test_new_project_then_initialize_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], local_ksqldb: LocalServer
) -> None:
    code, out, err = _run("new-project", str(tmp_path / "p"), local_ksqldb.url, capsys=capsys)
    assert code == 0, err
    config = tmp_path / "p" / "ksql-migrations.properties"
    assert (tmp_path / "p" / "migrations").is_dir()
    assert config.read_text(encoding="latin-1").startswith(f"ksql.server.url={local_ksqldb.url}")
    code, _, err = _run("new-project", str(tmp_path / "p"), local_ksqldb.url, capsys=capsys)
    assert code == 1
    assert "exists already" in err
    code, _, err = _run("new-project", "x", "y", "-c", str(config), capsys=capsys)
    assert code == 1
    for _ in range(2):
        code, out, err = _run("-c", str(config), "initialize-metadata", capsys=capsys)
        assert code == 0, err
    assert "already initialized" in out
    with Client(local_ksqldb.url) as client:
        streams = {s.name: s.topic for s in client.list_streams()}
        tables = {t.name: t.topic for t in client.list_tables()}
    assert streams["MIGRATION_EVENTS"] == "default_ksql_MIGRATION_EVENTS"
    assert tables["MIGRATION_SCHEMA_VERSIONS"] == "default_ksql_MIGRATION_SCHEMA_VERSIONS"


def test_bad_input_gets_one_message_and_writes_nothing(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        1, "ok", "CREATE STREAM ok1 (id INT KEY) WITH (kafka_topic='ok1', partitions=1);\n"
    )
    before = project.events()
    cases: list[tuple[list[str], str]] = [
        (["-c", str(tmp_path / "nope.properties"), "info"], "nope.properties"),
        (["-c", str(project.config), "apply", "-a", "-d", "a=b=c"], "exactly one '='"),
        (["-c", str(project.config), "apply", "-a", "--headers", str(tmp_path / "h")], "h"),
        (["-c", str(project.config), "apply", "-a", "--resume", "--restart"], "not allowed"),
    ]
    no_url = tmp_path / "no_url.properties"
    no_url.write_text("ksql.auth.basic.username=me\n")
    cases.append((["-c", str(no_url), "info"], "ksql.server.url"))
    bad_line = tmp_path / "bad_line.properties"
    bad_line.write_text(f"ksql.server.url={project.url}\nbad=\\u12\n")
    cases.append((["-c", str(bad_line), "info"], "line 2"))
    for args, message in cases:
        code, _out, err = _run(*args, capsys=capsys)
        assert code == 1, (args, err)
        assert message in err, (args, err)
        assert err.count("\n") <= 4, err
        assert "Traceback" not in err
    assert project.events() == before

    project.write(2, "dup", "DROP STREAM x;\n")
    project.write(2, "dup_again", "DROP STREAM x;\n")
    code, _, err = project.run("apply", "-a", capsys=capsys)
    assert code == 1
    assert "two migration files have version 2" in err
    for path in (project.root / "migrations").glob("V000002*"):
        path.unlink()
    project.write(2, "open", "CREATE STREAM s (a STRING) WITH (kafka_topic='it''s);\n")
    code, _, err = project.run("apply", "-a", capsys=capsys)
    assert code == 1
    assert "V000002__open.sql, line 1: a string literal (') is never closed" in err
    project.write(2, "open", "CREATE STREAM s (a STRING) WITH (kafka_topic='s')\n")
    code, _, err = project.run("apply", "-a", capsys=capsys)
    assert "missing semicolon" in err
    project.write(2, "open", "SHOW STREAMS;\n")
    code, _, err = project.run("apply", "-a", capsys=capsys)
    assert "'SHOW' statements are not allowed" in err
    assert project.events() == before


def test_unreachable_server_and_wrong_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(tmp_path, f"http://127.0.0.1:{_free_port()}", "TX")
    code, _, err = _run("-c", str(tmp_path / "ksql-migrations.properties"), "info", capsys=capsys)
    assert code == 1
    assert "cannot reach" in err or "connect" in err.lower()
    assert "Traceback" not in err
    with LocalServer(user="alice", password="right") as server:
        write_config(
            tmp_path,
            server.url,
            "TX",
            "ksql.auth.basic.username=alice\nksql.auth.basic.password=wrong\n",
        )
        code, _, err = _run(
            "-c", str(tmp_path / "ksql-migrations.properties"), "info", capsys=capsys
        )
        assert code == 1
        assert "401" in err or "credentials" in err.lower()
        write_config(
            tmp_path,
            server.url,
            "TX",
            "ksql.auth.basic.username=alice\nksql.auth.basic.password=right\n",
        )
        code, _, err = _run(
            "-c", str(tmp_path / "ksql-migrations.properties"), "initialize-metadata", capsys=capsys
        )
        assert code == 0, err


def test_commands_need_the_metadata_first(
    fresh: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (["info"], ["apply", "-a"], ["validate"], ["repair"], ["baseline", "-v", "1"]):
        code, _, err = fresh.run(*args, capsys=capsys)
        assert code == 1, args
        assert "run 'ksqlpy-migrations initialize-metadata' first" in err


def test_destroy_metadata_terminates_its_query_and_keeps_user_objects(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = project.name("MINE")
    project.write(
        1,
        "mine",
        f"CREATE STREAM {mine} (id INT KEY, v STRING) WITH (kafka_topic='{mine.lower()}', "
        "partitions=1, value_format='json');\n"
        f"CREATE STREAM {mine}_COPY AS SELECT * FROM {mine};\n",
    )
    assert project.run("apply", "-a", capsys=capsys)[0] == 0
    # A user query reading the metadata stream blocks the drop: said, not hidden.
    with Client(project.url) as client:
        client.execute_statement(f"CREATE STREAM {mine}_AUDIT AS SELECT * FROM {project.stream};")
    code, _, err = project.run("destroy-metadata", capsys=capsys)
    assert code == 1
    assert f"DROP STREAM {project.stream} DELETE TOPIC" in err
    with Client(project.url) as client:
        audit = client.describe_source(f"{mine}_AUDIT")
        client.terminate(audit.write_queries[0].id)
        client.execute_statement(f"DROP STREAM {mine}_AUDIT;")
    code, out, err = project.run("destroy-metadata", capsys=capsys)
    assert code == 0, err
    assert "Migrations metadata destroyed" in out
    with Client(project.url) as client:
        names = {s.name for s in client.list_streams()} | {t.name for t in client.list_tables()}
        queries = [q.sinks for q in client.list_queries()]
    assert project.stream not in names
    assert project.table not in names
    assert {mine, f"{mine}_COPY"} <= names
    assert ((f"{mine}_COPY",)) in queries
    code, out, _ = project.run("destroy-metadata", capsys=capsys)
    assert code == 0
    assert "No migrations metadata to destroy" in out


def test_help_starts_fast_without_the_client() -> None:
    probe = (
        "import sys; from ksqlpy.migrations.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('httpx', 'sqlglot', 'cryptography') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]")
