"""``ksqlpy`` without a prompt (-e, -f, stdin) against the local server: output and exit codes."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from repl_helpers import ORDERS

from ksqlpy import Client
from ksqlpy.repl.cli import (
    EXIT_OK,
    EXIT_STATEMENT,
    EXIT_SYNTAX,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    main,
)


@pytest.fixture(autouse=True)
def _user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_execute_runs_statements_and_exits_zero(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, local_ksqldb.url, "-e", ORDERS + " SHOW STREAMS")
    assert code == EXIT_OK
    assert err == ""
    assert "Stream created" in out
    assert " ORDERS      | orders" in out  # the last statement needs no ';'


def test_server_error_exits_1_and_stops(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, local_ksqldb.url, "-e", "DROP STREAM nope; " + ORDERS)
    assert code == EXIT_STATEMENT
    assert err.strip() == "Stream NOPE does not exist."
    assert out == ""
    with Client(local_ksqldb.url) as client:
        assert client.list_streams() == ()


def test_continue_on_error_runs_the_rest_but_still_fails(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, local_ksqldb.url, "--continue-on-error", "-e", "DROP STREAM nope; " + ORDERS
    )
    assert code == EXIT_STATEMENT
    assert "Stream created" in out


def test_syntax_error_exits_3_before_sending(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, local_ksqldb.url, "-e", "SELECT * FORM orders;")
    assert code == EXIT_SYNTAX
    assert err.splitlines()[0].startswith("line 1:10: syntax error at or near 'FORM'")


def test_file_with_defines_and_a_push_query_limit(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = tmp_path / "s.sql"
    script.write_text(
        "CREATE STREAM ${name} (id INT KEY, v STRING) WITH (kafka_topic='${name}', "
        "value_format='json', partitions=1);\n"
        "INSERT INTO ${name} (id, v) VALUES (1, 'a');\n"
        "INSERT INTO ${name} (id, v) VALUES (2, 'b');\n"
        "SET 'auto.offset.reset'='earliest';\n"
        "SELECT * FROM ${name} EMIT CHANGES;\n",
        encoding="utf-8",
    )
    code, out, err = run(
        capsys, local_ksqldb.url, "-f", str(script), "-d", "name=events", "--query-row-limit", "2"
    )
    assert (code, err) == (EXIT_OK, "")
    assert "| 1      | a " in out
    assert "| 2      | b " in out
    assert "Query stopped at 2 rows" in out
    with Client(local_ksqldb.url) as client:
        assert client.list_queries() == ()


def test_query_timeout_in_milliseconds(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        local_ksqldb.url,
        "--query-timeout",
        "300",
        "-e",
        ORDERS + " SELECT * FROM orders EMIT CHANGES;",
    )
    assert code == EXIT_OK
    assert "Query stopped after 0.3 s" in out


def test_a_silent_push_query_is_reported_hung_at_the_idle_bound(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # The local server sends nothing while a push query has no rows: to the shell that is a
    # query that may be hung, which the bound reports by name (and closes on the server).
    started = time.monotonic()
    code, _, err = run(
        capsys,
        local_ksqldb.url,
        "--idle-timeout",
        "0.5",
        "-e",
        ORDERS + " SELECT * FROM orders EMIT CHANGES;",
    )
    assert time.monotonic() - started < 10
    assert code == EXIT_UNAVAILABLE  # as for a server that stopped answering
    assert re.search(r"^Query \S+ hung: nothing from ksqlDB for 0.5 s", err, re.M), err
    assert "SET CLI IDLE-TIMEOUT" in err
    with Client(local_ksqldb.url) as client:
        assert client.list_queries() == ()


def test_set_cli_idle_timeout_bounds_later_queries_and_0_lifts_it(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    query = " SELECT * FROM orders EMIT CHANGES;"
    code, out, err = run(
        capsys, local_ksqldb.url, "-e", ORDERS + " SET CLI IDLE-TIMEOUT 0.5;" + query
    )
    assert code == EXIT_UNAVAILABLE
    assert "receives nothing for 0.5 s is reported hung" in out
    assert " hung: nothing from ksqlDB for 0.5 s" in err
    code, out, err = run(
        capsys,
        local_ksqldb.url,
        "--idle-timeout",
        "0.5",
        "--query-timeout",
        "1500",
        "-e",
        "SET CLI IDLE-TIMEOUT 0;" + query,
    )
    assert (code, err) == (EXIT_OK, "")
    assert "Query stopped after 1.5 s" in out


def test_json_output_is_machine_readable(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with Client(local_ksqldb.url) as client:
        client.execute_statement(ORDERS)
        client.insert_into("ORDERS", {"ID": 1, "ITEM": "x", "PRICE": 2.5})
    code, out, _ = run(
        capsys, local_ksqldb.url, "--output", "json", "-e", "SELECT * FROM orders WHERE id = 1;"
    )
    assert code == EXIT_OK
    assert [json.loads(line) for line in out.splitlines()] == [{"ID": 1, "ITEM": "x", "PRICE": 2.5}]


def test_piped_stdin(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(ORDERS + "\nLIST STREAMS;\n"))
    code, out, _ = run(capsys, local_ksqldb.url)
    assert code == EXIT_OK
    assert "Stream Name" in out


def test_unreachable_server_is_one_line_with_the_hint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "http://127.0.0.1:9", "-e", "SHOW STREAMS;")
    assert code == EXIT_UNAVAILABLE
    assert out == ""
    assert err.count("\n") == 1
    assert "cannot reach ksqlDB at http://127.0.0.1:9 (connection refused)" in err
    # The first thing to try is one that exists: there is no compose file to start.
    hint = err.split("(connection refused); ")[1]
    assert hint.startswith("run 'ksqlpy --local'")
    assert "docker" not in err


def test_local_flag_starts_an_embedded_server(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--local", "-e", ORDERS + " SHOW STREAMS;")
    assert code == EXIT_OK
    assert "ORDERS" in out


def test_bad_define_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--local", "-d", "novalue", "-e", "SHOW STREAMS;")
    assert code == EXIT_USAGE
    assert "NAME=VALUE" in err


def test_config_file_properties_become_session_properties(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with Client(local_ksqldb.url) as client:
        client.execute_statement(ORDERS)
        client.insert_into("ORDERS", {"ID": 1, "ITEM": "old", "PRICE": 1.0})
    props = tmp_path / "client.properties"
    props.write_text("# comment\nauto.offset.reset=earliest\nssl.truststore.password=x\n")
    code, out, _ = run(
        capsys,
        local_ksqldb.url,
        "--config-file",
        str(props),
        "--query-row-limit",
        "1",
        "-e",
        "SELECT * FROM orders EMIT CHANGES;",
    )
    assert code == EXIT_OK
    assert "old" in out


class TestAuth:
    @pytest.fixture
    def server(self) -> Any:
        from ksqlpy.local import LocalServer

        with LocalServer(user="fred", password="s3cret") as server:
            yield server

    def test_password_is_asked_when_only_user_is_given(
        self, server: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("sys.stdin.isatty", lambda: True)
        asked: list[str] = []

        def ask(prompt: str) -> str:
            asked.append(prompt)
            return "s3cret"

        code = main([server.url, "-u", "fred", "-e", "SHOW STREAMS;"], ask=ask)
        out, _ = capsys.readouterr()
        assert code == EXIT_OK
        assert asked == ["Enter password: "]
        assert "s3cret" not in out
        assert "Stream Name" in out

    def test_wrong_password_is_one_line(
        self, server: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, _, err = run(capsys, server.url, "-u", "fred", "-p", "nope", "-e", "SHOW STREAMS;")
        assert code == EXIT_UNAVAILABLE
        assert err.strip() == (
            f"ksqlpy: ksqlDB at {server.url} refused the credentials (HTTP 401); "
            "pass -u USER and -p"
        )

    def test_no_password_without_a_terminal(
        self, server: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, _, err = run(capsys, server.url, "-u", "fred", "-e", "SHOW STREAMS;")
        assert code == EXIT_USAGE
        assert "pass -p PASSWORD" in err


def test_verbose_errors_show_code_and_statement(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, local_ksqldb.url, "--verbose-errors", "-e", "DROP STREAM nope;")
    assert code == EXIT_STATEMENT
    assert err.splitlines() == [
        "Stream NOPE does not exist.",
        "Error code: 40001",
        "HTTP status: 400",
        "Statement: DROP STREAM nope;",
    ]


def test_check_parses_offline_and_reports_every_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = tmp_path / "s.sql"
    script.write_text(
        "SET 'auto.offset.reset'='earliest';\nSELECT * FORM a;\nSHOW STREAMS;\n"
        "CREATE STREAM ${n} (id INT KEY) WITH (kafka_topic='t', value_format='json');\n"
        "SELEC 1;\n",
        encoding="utf-8",
    )
    # no server at all: nothing is sent
    code, out, err = run(capsys, "http://127.0.0.1:9", "--check", "-f", str(script), "-d", "n=s")
    assert code == EXIT_SYNTAX
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("line 2:10: syntax error at or near 'FORM'")
    assert lines[3].startswith("line 5:1:")
    assert len(lines) == 6
    code, _, err = run(capsys, "--check", "-e", "SHOW STREAMS; spool off; DESCRIBE s;")
    assert (code, err) == (EXIT_OK, "")


BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
LATIN1 = "SHOW STREAMS; -- caf\xe9\n".encode("latin-1")


@pytest.mark.parametrize(("content", "why"), [(BINARY, "binary file"), (LATIN1, "not UTF-8")])
@pytest.mark.parametrize(
    ("flags", "what"),
    [
        (["-f", "{path}"], "-f/--file"),
        (["--config-file", "{path}", "-e", "SHOW STREAMS;"], "--config-file"),
        (["--settings", "{path}", "-e", "SHOW STREAMS;"], "the settings file"),
    ],
)
def test_unreadable_files_are_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: bytes,
    why: str,
    flags: list[str],
    what: str,
) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    code, _out, err = run(capsys, "--local", *(f.format(path=path) for f in flags))
    assert code == EXIT_USAGE
    assert err.startswith(f"ksqlpy: cannot read {what} {path}: ")
    assert why in err
    assert err.count("\n") == 1


def test_run_script_on_a_binary_file_is_a_statement_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "script.sql"
    path.write_bytes(BINARY)
    code, _, err = run(capsys, "--local", "-e", f"RUN SCRIPT '{path}'; SHOW STREAMS;")
    assert code == EXIT_STATEMENT
    assert f"cannot read script {path}: it is a binary file" in err
    assert "Traceback" not in err


def test_a_deeply_nested_expression_is_a_syntax_error(capsys: pytest.CaptureFixture[str]) -> None:
    nested = "(" * 60 + "1" + ")" * 60
    code, _, err = run(capsys, "--local", "-e", f"SELECT {nested} FROM s EMIT CHANGES;")
    assert code == EXIT_SYNTAX
    assert "expression nested too deeply: 60 levels of brackets" in err


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--query-row-limit", "-5"], "--query-row-limit: must be 1 or more, got -5"),
        (["--query-row-limit", "0"], "--query-row-limit: must be 1 or more, got 0"),
        (["--query-timeout", "soon"], "--query-timeout: 'soon' is not a whole number"),
        (["--idle-timeout", "0"], "--idle-timeout: '0' must be greater than 0"),
        (["--output", "xml"], "--output: invalid choice: 'XML'"),
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
        (["-e"], "argument -e/--execute: expected one argument"),
        (["-e", "x;", "-f", "y.sql"], "not allowed with argument -e/--execute"),
    ],
)
def test_a_bad_flag_is_one_line_and_exit_two(
    capsys: pytest.CaptureFixture[str], flags: list[str], named: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([*flags, "-e", "SHOW STREAMS;"] if "-e" not in flags else flags)
    _, err = capsys.readouterr()
    assert stopped.value.code == EXIT_USAGE
    assert named in err
    assert err.count("\n") == 1, err
    assert err.startswith("ksqlpy: ")
    assert err.rstrip().endswith("(see ksqlpy --help)")


def test_settings_refuse_a_negative_row_limit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("query_row_limit = -5\n")
    code, _, err = run(capsys, "--local", "--settings", str(path), "-e", "SHOW STREAMS;")
    assert code == EXIT_USAGE
    assert "query_row_limit must be 0 (none) or more, got -5" in err
