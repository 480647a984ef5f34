"""ksqlpy-datagen's ksqlDB sink (--ksqldb URL --stream NAME) against the embedded local server."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from datagen_helpers import summary_counts

from ksqlpy import Client, KsqlError
from ksqlpy.datagen import KsqlDbSink, RunOptions, quickstart, run
from ksqlpy.datagen._generators import Context
from ksqlpy.datagen.cli import main

CLI = [sys.executable, "-m", "ksqlpy.datagen.cli"]
MY_STREAM = (
    "CREATE STREAM MY_STREAM (id STRING, name STRING, title STRING) "
    "WITH (kafka_topic='fake_people', value_format='JSON');"
)


def _datagen(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--quiet", *args])
    return code, capsys.readouterr().err


def _one_line_error(code: int, err: str, text: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ksqlpy-datagen: error: ")
    assert text in lines[0], lines[0]


def _count(client: Client, stream: str) -> int:
    return len(client.execute_query(f"SELECT * FROM {stream};").rows)


def _people(seed: int, n: int) -> list[dict[str, Any]]:
    make = quickstart("people").generator(random.Random(seed))
    return [make(Context(i)) for i in range(n)]


def test_people_stream_is_created_filled_and_readable_by_a_second_stream(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _datagen(capsys, "--ksqldb", local_ksqldb.url, "--stream", "PEOPLE",
                         "--quickstart", "people", "--count", "50", "--seed", "1")  # fmt: skip
    assert code == 0, err
    assert summary_counts(err) == (50, 50, 0)
    assert "stopped by iterations" in err
    with Client(local_ksqldb.url) as client:
        described = client.describe_source("PEOPLE")
        assert described.type == "STREAM"
        assert described.topic == "fake_people"  # the quickstart's topic, as the course names it
        assert [(f.name, str(f.type), f.key) for f in described.fields] == [
            ("ROWKEY", "STRING", True),
            ("ID", "STRING", False),
            ("NAME", "STRING", False),
            ("TITLE", "STRING", False),
        ]
        rows = client.execute_query("SELECT * FROM PEOPLE;").rows
        assert len(rows) == 50
        assert all(r["ROWKEY"] == r["ID"] for r in rows)  # the key field is the record key
        expected = {(p["id"], p["name"], p["title"]) for p in _people(1, 50)}  # same seed
        assert {(r["ID"], r["NAME"], r["TITLE"]) for r in rows} == expected

        # The README's demo: a stream declared over the topic sees every field of every person.
        client.execute_statement(MY_STREAM)
        mine = client.execute_query("SELECT * FROM MY_STREAM;").rows
        assert {(r["ID"], r["NAME"], r["TITLE"]) for r in mine} == expected


def test_an_existing_stream_gets_more_rows(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--ksqldb", local_ksqldb.url, "--stream", "PEOPLE", "-q", "people"]
    assert main([*base, "-n", "20"]) == 0
    assert "created stream PEOPLE over topic 'fake_people'" in capsys.readouterr().err
    assert main([*base, "-n", "15", "--extra-fields", "email"]) == 2  # no EMAIL column
    err = capsys.readouterr().err
    assert "stream PEOPLE has no column for generated field(s) EMAIL" in err
    assert main([*base, "-n", "15"]) == 0
    assert "stream PEOPLE exists (topic 'fake_people'); adding rows" in capsys.readouterr().err
    with Client(local_ksqldb.url) as client:
        assert _count(client, "PEOPLE") == 35


def test_a_stream_made_by_hand_with_the_field_as_key(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with Client(local_ksqldb.url) as client:
        client.execute_statement(
            "CREATE STREAM USERS_BY_ID (userid STRING KEY, registertime BIGINT, regionid STRING, "
            "gender STRING) WITH (kafka_topic='users', value_format='JSON', partitions=1);"
        )
        code, err = _datagen(capsys, "--ksqldb", local_ksqldb.url, "--stream", "users_by_id",
                             "-q", "users", "-n", "9", "--start-time", "0")  # fmt: skip
        assert code == 0, err
        rows = client.execute_query("SELECT * FROM USERS_BY_ID;").rows
        assert sorted(r["USERID"] for r in rows) == [f"User_{i}" for i in range(1, 10)]


def test_nested_reserved_and_timestamp_fields(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # orders has a STRUCT and a timestamp column; clickstream a reserved word (time) and _time.
    for name in ("orders", "clickstream"):
        code, err = _datagen(capsys, "--ksqldb", local_ksqldb.url, "-q", name, "-n", "30",
                             "--partitions", "2")  # fmt: skip
        assert code == 0, err
    with Client(local_ksqldb.url) as client:
        orders = client.execute_query("SELECT ROWTIME, * FROM ORDERS;").rows
        assert len(orders) == 30
        assert all(r["ROWTIME"] == r["ORDERTIME"] for r in orders)  # timestamp='ORDERTIME'
        assert set(orders[0]["ADDRESS"]) == {"CITY", "STATE", "ZIPCODE"}
        assert client.describe_source("ORDERS").timestamp == "ORDERTIME"
        clicks = client.execute_query("SELECT * FROM CLICKSTREAM;").rows
        assert len(clicks) == 30
        assert all(r["TIME"] and r["_TIME"] and r["ROWKEY"] == r["IP"] for r in clicks)


def test_rate_and_duration_pace_the_inserts(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    code, err = _datagen(capsys, "--ksqldb", local_ksqldb.url, "--stream", "PACED",
                         "-q", "people", "--rate", "50", "--duration", "2")  # fmt: skip
    elapsed = time.monotonic() - started
    assert code == 0, err
    sent, acked, errors = summary_counts(err)
    assert 85 <= sent <= 115, err
    assert acked == sent
    assert errors == 0
    assert "stopped by duration" in err
    assert elapsed < 5
    with Client(local_ksqldb.url) as client:
        assert _count(client, "PACED") == sent


def test_a_refused_row_stops_the_run_naming_the_row(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # INT values counting up from 2**31 - 8: the 9th one (row 8) is out of INTEGER's range.
    schema = tmp_path / "ints.json"
    schema.write_text(json.dumps({"name": "ints", "fields": [
        {"name": "n", "gen": "sequence", "start": 2**31 - 8, "type": "INT"},
        {"name": "word", "gen": "word"},
    ]}))  # fmt: skip
    code, err = _datagen(capsys, "--ksqldb", local_ksqldb.url, "--schema", str(schema),
                         "-n", "20")  # fmt: skip
    assert code == 1, err
    sent, acked, errors = summary_counts(err)
    assert acked == 8
    assert sent == acked + errors
    assert "stopped by error" in err or sent == 20
    assert "ksqlDB refused row 8 (0-based) {'N': 2147483648" in err
    assert "out of range for INTEGER" in err
    assert "Traceback" not in err
    with Client(local_ksqldb.url) as client:
        assert sorted(r["N"] for r in client.execute_query("SELECT * FROM INTS;").rows) == [
            2**31 - 8 + i for i in range(8)
        ]


def test_a_table_of_that_name_is_a_one_line_error(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with Client(local_ksqldb.url) as client:
        client.execute_statement(
            "CREATE TABLE PEOPLE (id STRING PRIMARY KEY, name STRING) "
            "WITH (kafka_topic='people_t', value_format='JSON', partitions=1);"
        )
    code, err = _datagen(capsys, "--ksqldb", local_ksqldb.url, "--stream", "people", "-n", "5")
    _one_line_error(code, err, "PEOPLE is a table, not a stream; choose another --stream name")


def test_a_create_the_server_refuses_is_a_one_line_error(
    local_ksqldb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with Client(local_ksqldb.url) as client:
        client.execute_statement(
            "CREATE STREAM OTHER (v STRING) WITH (kafka_topic='fake_people', "
            "value_format='JSON', partitions=1);"
        )
    # An unknown stream over a topic that exists with 1 partition, asked with 4.
    code, err = _datagen(capsys, "--ksqldb", local_ksqldb.url, "--stream", "NEW_PEOPLE",
                         "--partitions", "4", "-n", "5")  # fmt: skip
    _one_line_error(code, err, "ksqlDB refused to create stream NEW_PEOPLE: A Kafka topic")
    assert "4 partitions" in err


def test_wrong_credentials_and_right_ones(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ksqlpy.local import LocalServer

    with LocalServer(user="ann", password="s3cret") as server:
        base = ["--ksqldb", server.url, "-q", "people", "-n", "5", "--user", "ann"]
        code, err = _datagen(capsys, *base, "--password", "nope")
        _one_line_error(code, err, f"ksqlDB at {server.url} refused user 'ann' (Unauthorized)")
        monkeypatch.setenv("KSQLPY_PASSWORD", "s3cret")
        code, err = _datagen(capsys, *base)
        assert code == 0, err
        assert summary_counts(err) == (5, 5, 0)


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--guarantee", "exactly-once"], "--guarantee"),
        (["--acks", "1"], "--acks"),
        (["--transaction-size", "10"], "--transaction-size"),
        (["-X", "linger_ms=1"], "--producer-property/-X"),
        (["-b", "localhost:9092"], "--bootstrap-servers"),
        (["--dry-run"], "--dry-run"),
    ],
)
def test_kafka_only_options_are_refused_with_ksqldb(
    flags: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # No server needed: the options are checked before any connection.
    code, err = _datagen(capsys, "--ksqldb", "http://127.0.0.1:1", "-q", "people", *flags)
    _one_line_error(code, err, f"{named} only apply when producing to Kafka, not with --ksqldb")


def _run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_unreachable_server_is_one_line_fast_without_traceback() -> None:
    started = time.monotonic()
    out = _run_cli("--ksqldb", "http://127.0.0.1:1", "--stream", "PEOPLE", "-q", "people",
                   "--timeout", "2")  # fmt: skip
    assert time.monotonic() - started < 10
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("ksqlpy-datagen: error: cannot reach ksqlDB at http://127.0.0.1:1")
    assert "Traceback" not in out.stderr


def test_ctrl_c_ends_the_inserts_and_reports_every_acked_row(local_ksqldb: Any) -> None:
    proc = subprocess.Popen(
        [*CLI, "--ksqldb", local_ksqldb.url, "--stream", "LIVE", "-q", "people", "--rate", "200"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    with Client(local_ksqldb.url) as client:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # wait until rows arrive, then give it a second
            try:
                if _count(client, "LIVE") > 0:
                    break
            except KsqlError:  # the stream may not exist yet
                pass
            time.sleep(0.1)
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        try:
            _, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail("ksqlpy-datagen did not finish within 20 s of Ctrl-C")
        assert proc.returncode == 0, stderr
        assert "stopped by interrupt" in stderr
        assert "Traceback" not in stderr
        sent, acked, errors = summary_counts(stderr)
        assert sent >= 150
        assert acked == sent
        assert errors == 0
        assert _count(client, "LIVE") == sent


def test_the_sink_as_a_library(local_ksqldb: Any) -> None:
    with KsqlDbSink(local_ksqldb.url, "lib_people", quickstart("people"), topic="lib") as sink:
        summary = run(sink.schema, sink, RunOptions(iterations=7, seed=5, progress=False))
        assert sink.created
        assert sink.stream == "LIB_PEOPLE"
    assert (summary.sent, summary.acked, summary.errors) == (7, 7, 0)
    sink.close()  # closing twice is a no-op
    with Client(local_ksqldb.url) as client:
        assert _count(client, "LIB_PEOPLE") == 7


def test_a_long_trickle_outlives_the_servers_requests_per_connection(local_ksqldb: Any) -> None:
    # One request per row, past the 1,000 requests after which the server closes a connection.
    with KsqlDbSink(local_ksqldb.url, "TRICKLE", quickstart("people"), batch_size=1) as sink:
        summary = run(sink.schema, sink, RunOptions(iterations=1200, progress=False))
    assert (summary.sent, summary.acked, summary.errors) == (1200, 1200, 0), summary.last_error
    with Client(local_ksqldb.url) as client:
        assert _count(client, "TRICKLE") == 1200


def test_a_server_that_stops_answering_fails_the_run_after_ack_timeout(tmp_path: Path) -> None:
    # The client has no read timeout on /inserts-stream: the sink's ack_timeout bounds the wait.
    server = subprocess.Popen(
        [sys.executable, "-m", "ksqlpy.local.cli", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()  # "ksqlpy-local: ... at http://127.0.0.1:PORT ..."
        url = next(w for w in banner.split() if w.startswith("http://"))
        with KsqlDbSink(url, "SILENT", quickstart("people"), ack_timeout=1.5) as sink:
            options = RunOptions(rate=100, duration=30, progress=False)
            threading.Timer(1.0, server.send_signal, [signal.SIGSTOP]).start()
            started = time.monotonic()
            summary = run(sink.schema, sink, options)
            assert time.monotonic() - started < 10
        assert summary.stopped_by == "error"
        assert summary.last_error is not None
        assert "no acks from ksqlDB within 1.5 s for rows" in summary.last_error
        assert summary.acked > 0
        assert summary.sent == summary.acked + summary.errors
    finally:
        server.send_signal(signal.SIGCONT)
        server.kill()
        server.communicate(timeout=30)
