"""Sharing a project with ksql-migrations: its rows read by us, ours as it reads them, and the
statements sent in order, each waiting for the one before on the server."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from migrations_project import Project

from ksqlpy import Client
from ksqlpy.migrations import Migrator, State, Target, load_config
from ksqlpy.migrations.files import checksum
from ksqlpy.migrations.plan import VersionInfo


def _create(name: str) -> str:
    return (
        f"CREATE STREAM {name} (id INT KEY, v STRING) WITH (kafka_topic='{name}', partitions=1, "
        "value_format='JSON');\n"
    )


def _java_rows(project: Project, rows: list[dict[str, str]]) -> None:
    """Rows exactly as ksql-migrations' MetadataUtil.writeRow sends them."""
    with Client(project.url) as client:
        client.stream_inserts(project.stream, rows)


def _java_state(
    version: int, name: str, state: str, file_sum: str, previous: str, error: str = "N/A"
) -> list[dict[str, str]]:
    values = {
        "VERSION": str(version),
        "NAME": name,
        "STATE": state,
        "CHECKSUM": file_sum,
        "STARTED_ON": "1700000000000",
        "COMPLETED_ON": "" if state == "RUNNING" else "1700000001000",
        "PREVIOUS": previous,
        "ERROR_REASON": error,
    }
    return [{"VERSION_KEY": "CURRENT", **values}, {"VERSION_KEY": str(version), **values}]


def test_a_history_written_by_ksql_migrations_goes_on_here(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    one = project.write(
        1,
        "java_one",
        _create("j1"),
    )
    two = project.write(
        2,
        "java_two",
        _create("j2"),
    )
    project.write(
        3,
        "ours",
        _create("j3"),
    )
    with Client(project.url) as client:
        client.execute_statement(_create("j1"))
    _java_rows(project, _java_state(1, "java one", "RUNNING", checksum(one.read_bytes()), "<none>"))
    _java_rows(
        project, _java_state(1, "java one", "MIGRATED", checksum(one.read_bytes()), "<none>")
    )
    error = (
        "Failed to execute sql: CREATE STREAM j2 .... Error: io.confluent.ksql.api.client."
        "exception.KsqlClientException: Received 400 response from server: boom. Error "
        "code: 40001"
    )
    _java_rows(project, _java_state(2, "java two", "ERROR", checksum(two.read_bytes()), "1", error))

    code, out, _ = project.run("info", capsys=capsys)
    assert code == 0
    assert "Current migration version: 2" in out
    assert "| java two | ERROR" in out
    # A failed version without our journal: how far it got is unknown, so we ask.
    code, _, err = project.run("apply", "-a", capsys=capsys)
    assert code == 1
    assert "not known how many of its statements ran" in err
    assert "--restart" in err
    code, _, err = project.run("apply", "-a", "--resume", capsys=capsys)
    assert code == 1
    assert "kept no statement journal" in err
    code, out, err = project.run("apply", "-a", "--restart", capsys=capsys)
    assert code == 0, err
    with Migrator(load_config(project.config)) as migrator:
        rows = {r.info.version: r.info for r in migrator.info().rows}
    assert [rows[v].state for v in (1, 2, 3)] == [State.MIGRATED] * 3
    assert (rows[2].previous, rows[3].previous) == ("1", "2")


def test_rows_we_write_parse_under_the_java_tools_rules(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        1,
        "one",
        _create("p1"),
    )
    project.write(2, "bad", "CREATE STREAM p2 AS SELECT * FROM nowhere;\n")
    project.run("apply", "-a", capsys=capsys)
    rows = project.version_rows()
    assert [r["VERSION_KEY"] for r in rows] == [
        "CURRENT",
        "1",
        "CURRENT",
        "1",
        "CURRENT",
        "2",
        "CURRENT",
        "2",
    ]
    for row in rows:
        VersionInfo.from_row(row, "golden")  # as strict as MigrationVersionInfo
        assert all(isinstance(v, str) for v in row.values())
        assert row["STATE"] in ("RUNNING", "MIGRATED", "ERROR")
    failed = rows[-1]
    assert failed["STATE"] == "ERROR"
    assert failed["COMPLETED_ON"].isdigit()
    assert failed["ERROR_REASON"] == (
        "Failed to execute sql: CREATE STREAM p2 AS SELECT * FROM nowhere;. Error: "
        "io.confluent.ksql.api.client.exception.KsqlClientException: Received 400 response "
        "from server: NOWHERE does not exist.. Error code: 40001"
    )
    # Everything else of ours lives under keys the Java tool never reads.
    extra = {r["VERSION_KEY"] for r in project.events()} - {"CURRENT", "1", "2"}
    assert extra
    assert all(not k.isdigit() and k != "CURRENT" for k in extra)


class _Recording(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport(http1=False, http2=True)  # h2c, as the client
        self.ksql: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/ksql":
            self.ksql.append(json.loads(request.read()))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_each_statement_waits_for_the_command_before_it(project: Project) -> None:
    project.write(
        1,
        "chain",
        "CREATE STREAM c1 (id INT KEY, v STRING) WITH (kafka_topic='c1', "
        "partitions=1, value_format='JSON');\nCREATE STREAM c2 AS SELECT * FROM c1;\n"
        f"{_create('c3')}",
    )
    recording = _Recording()
    with Client(project.url, transport=recording) as client:
        migrator = Migrator(load_config(project.config), client=client)
        migrator.apply(Target.ALL)
    sent = [b for b in recording.ksql if b["ksql"].startswith("CREATE STREAM c")]
    assert [b["ksql"].split()[2] for b in sent] == ["c1", "c2", "c3"]
    numbers = [b.get("commandSequenceNumber") for b in sent]
    assert numbers[1] is not None
    assert numbers[2] is not None
    assert numbers[2] > numbers[1]


def test_without_a_usable_insert_stream_every_row_still_lands(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Behind a proxy that downgrades to HTTP/1.1 the duplex stream fails: each row is then
    # written with a request of its own, and the history is the same.
    from ksqlpy import ServerUnavailableError

    project.write(1, "one", _create("f1"))
    project.write(2, "two", _create("f2") + _create("f3"))
    with Client(project.url) as client:

        def broken(*_args: object, **_kwargs: object) -> object:
            raise ServerUnavailableError("no HTTP/2 here")

        monkeypatch.setattr(client, "insert_stream", broken)
        with Migrator(load_config(project.config), client=client) as migrator:
            assert migrator.apply(Target.ALL).applied == (1, 2)
            states = [row.info.state for row in migrator.info().rows]
    assert states == [State.MIGRATED, State.MIGRATED]
    journal = [r["VERSION_KEY"] for r in project.events() if "#" in str(r["VERSION_KEY"])]
    assert journal == ["1#0", "1#1", "2#0", "2#1", "2#2"]
