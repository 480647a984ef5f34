"""Bad input, hostile clients and faults: every answer has ksqlDB's error shape, nothing 500s
with an empty body, no traceback reaches the log, and descriptors do not pile up."""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from server_process import ServerProcess

from ksqlpy.local import LocalServer
from ksqlpy.local.engine import transient

STREAM = (
    "CREATE STREAM S (ID INT KEY, NAME STRING) "
    "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
)


def _shaped(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["@type"] in ("generic_error", "statement_error")
    assert body["error_code"] == code
    assert body["message"]
    return body


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.WARNING)
    yield
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


def test_fuzzed_bodies_and_statements_get_ksqldb_errors(
    ksql: Any, http: httpx.Client, no_tracebacks: None
) -> None:
    ksql(STREAM)
    deep = b"[" * 100_000 + b"]" * 100_000
    body = _shaped(http.post("/ksql", content=deep), 400, 40000)
    assert body["message"] == "Invalid JSON in request: nesting is too deep"
    _shaped(http.post("/ksql", content=b'{"ksql":' + deep + b"}"), 400, 40000)
    lone = b'{"ksql":"INSERT INTO S (ID, NAME) VALUES (1, \'\\ud800\');"}'
    body = _shaped(http.post("/ksql", content=lone), 400, 40000)
    assert "lone surrogate (\\ud800)" in body["message"]
    # A surrogate pair is a character like any other.
    pair = '{"ksql":"INSERT INTO S (ID, NAME) VALUES (1, \'\\ud83d\\ude00\');"}'
    assert http.post("/ksql", content=pair.encode()).status_code == 200
    for sql in (
        "SELECT * FROM S WHERE " + "(" * 50 + "ID=1" + ")" * 50 + ";",
        "SELECT * FROM S WHERE " + " OR ".join(f"ID={i}" for i in range(500)) + ";",
        "SELECT * FROM S WHERE ID=" + "9" * 5000 + ";",
        "SELECT * FROM S EMIT CHANGES LIMIT 2.5;",
    ):
        answer = http.post("/query-stream", json={"sql": sql})
        assert answer.status_code in (200, 400), (sql[:60], answer.text[:200])
        if answer.status_code == 400:
            assert _shaped(answer, 400, 40001)["statementText"] == sql


def test_numbers_ksqldb_cannot_read_get_its_messages(ksql: Any, http: httpx.Client) -> None:
    ksql(STREAM)
    huge = "9" * 5000
    answer = http.post("/query-stream", json={"sql": f"SELECT * FROM S WHERE ID={huge};"})
    # ksqlDB's AstBuilder: the literal's position, its column one past where it starts.
    expected = f"Failed to prepare statement: line 1:27: Invalid numeric literal: {huge}"
    assert _shaped(answer, 400, 40001)["message"] == expected
    too_long = http.post("/query-stream", json={"sql": "SELECT 9223372036854775808 FROM S;"})
    assert _shaped(too_long, 400, 40001)["message"] == (
        "Failed to prepare statement: line 1:9: Invalid numeric literal: 9223372036854775808"
    )
    fits = http.post("/query-stream", json={"sql": "SELECT 9223372036854775807 FROM S;"})
    assert fits.status_code == 200
    for sql in ("SELECT * FROM S EMIT CHANGES LIMIT 2.5;", "SELECT * FROM S LIMIT 1e3;"):
        answer = http.post("/query-stream", json={"sql": sql})
        assert _shaped(answer, 400, 40001)["message"] == "Value must be integer for command: LIMIT"


def test_a_bad_regex_in_terminate_is_a_400(http: httpx.Client, no_tracebacks: None) -> None:
    body = _shaped(http.post("/ksql/terminate", json={"deleteTopicList": ["(["]}), 400, 40000)
    assert body["message"].startswith("Invalid regular expression in deleteTopicList: '(['")


def test_non_ascii_credentials_are_compared_as_bytes(no_tracebacks: None) -> None:
    with LocalServer(user="jürgen", password="pässwörd") as server, httpx.Client() as client:
        url = server.url + "/info"

        def basic(text: bytes) -> dict[str, Any]:
            return {"Authorization": "Basic " + base64.b64encode(text).decode()}

        assert client.get(url, headers=basic("jürgen:pässwörd".encode())).status_code == 200
        for wrong in ("jürgen:passwort".encode(), b"j\xfcrgen:p\xe4ssw\xf6rd", b"\xff\xfe:\x00"):
            _shaped(client.get(url, headers=basic(wrong)), 401, 40100)
        raw = {"Authorization": "Basic jürgen".encode()}
        _shaped(client.get(url, headers=raw), 401, 40100)


def test_bad_tls_files_are_named_with_the_reason(tmp_path: Path) -> None:
    ca = trustme.CA()
    mine, other = ca.issue_cert("localhost"), ca.issue_cert("elsewhere")
    cert, key, wrong = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "wrong.pem"
    mine.cert_chain_pems[0].write_to_path(str(cert))
    mine.private_key_pem.write_to_path(str(key))
    other.private_key_pem.write_to_path(str(wrong))
    missing = tmp_path / "nope.pem"
    cases = [
        (missing, key, f"cannot read TLS certificate file '{missing}': No such file"),
        (key, key, f"TLS certificate file '{key}' holds no PEM certificate"),
        (cert, cert, f"TLS key file '{cert}' holds no PEM key"),
        (cert, wrong, f"TLS certificate '{cert}' and key '{wrong}' cannot be used together"),
    ]
    for certfile, keyfile, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            LocalServer(certfile=certfile, keyfile=keyfile)
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "ksqlpy.local.cli",
            "--tls-cert",
            str(cert),
            "--tls-key",
            str(wrong),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 2
    assert cli.stderr.startswith("ksqlpy-local: TLS certificate")
    assert "Traceback" not in cli.stderr
    LocalServer(certfile=cert, keyfile=key)  # the right pair is taken


def test_a_huge_inserts_line_is_refused_and_lines_are_scanned_once(
    ksql: Any, server: LocalServer
) -> None:
    ksql(STREAM)
    limit = 8 * 1024 * 1024
    with httpx.Client(base_url=server.url, http1=False, http2=True, timeout=60) as h2:
        row = json.dumps({"ID": 1, "NAME": "x" * (limit // 2)}).encode()
        started = time.monotonic()
        fine = h2.post("/inserts-stream", content=b'{"target":"S"}\n' + row)
        assert fine.text == '{"seq":0,"status":"ok"}\n'
        # Arriving in 16 KiB frames, a 4 MiB line takes well under a second when each byte is
        # looked at once (quadratic scanning took tens of seconds for 32 MiB).
        assert time.monotonic() - started < 10
        huge = json.dumps({"ID": 2, "NAME": "y" * (limit + 10)}).encode()
        refused = h2.post("/inserts-stream", content=b'{"target":"S"}\n' + huge)
        ack = json.loads(refused.text)
        assert ack["status"] == "error"
        assert ack["seq"] == 0
        assert ack["message"] == f"An inserts-stream line is longer than {limit} bytes"
        assert h2.get("/info").status_code == 200


def test_a_body_that_trickles_is_cut_off(server: LocalServer) -> None:
    server.app.body_timeout = 0.5
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /ksql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b'"error_code":40800' in answer


def _close_wait(port: int) -> int:
    """Server-side sockets of ``port`` in CLOSE-WAIT (this process holds both ends)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                if int(fields[1].split(":")[1], 16) == port and fields[3] == "08":
                    count += 1
    return count


def test_connections_closed_by_clients_do_not_linger(server: LocalServer) -> None:
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET /info HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
    deadline = time.monotonic() + 5
    while _close_wait(server.port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _close_wait(server.port) == 0


def test_idle_and_slow_header_clients_are_closed() -> None:
    with LocalServer(idle_timeout=0.5) as server:
        socks = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(3)]
        socks[1].sendall(b"GET /info HTTP/1.1\r\nHo")  # a head that never ends
        socks[2].sendall(b"GET /info HTTP/1.1\r\nHost: x\r\n\r\n")
        assert socks[2].recv(65536).startswith(b"HTTP/1.1 200 OK")
        started = time.monotonic()
        for sock in socks:
            with sock:  # the server closes each (a recv past the 5 s socket timeout raises)
                while sock.recv(65536):
                    pass
        assert time.monotonic() - started < 4


EMFILE_SERVER = textwrap.dedent(
    """
    import resource, sys, time, logging
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    from ksqlpy.local import LocalServer
    with LocalServer(idle_timeout=600) as server:
        print(server.port, flush=True)
        sys.stdin.readline()
    """
)


def test_running_out_of_descriptors_is_logged_once_and_recovers() -> None:
    with ServerProcess(EMFILE_SERVER) as server:
        port = server.port
        held = []
        for _ in range(120):  # far past the server's 64 descriptors
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            held.append(sock)
        time.sleep(2.5)  # the server retries accepting every second meanwhile
        for sock in held:
            sock.close()
        deadline = time.monotonic() + 10
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/info", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server never accepted again"
                time.sleep(0.2)
        assert answer.status_code == 200
        err = server.stop(timeout=15)
    assert err.count("cannot accept connections") == 1, err[-2000:]
    assert "Traceback" not in err, err[-2000:]
    assert len(err) < 10_000


@pytest.mark.parametrize("http2", [False, True])
def test_a_query_failing_mid_stream_ends_with_an_error_row(
    ksql: Any,
    server: LocalServer,
    http2: bool,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ksql(STREAM)
    ksql("INSERT INTO S (ID, NAME) VALUES (1, 'a');")

    def exhausted(*args: Any) -> None:
        raise MemoryError  # what a row no machine can hold raises, once the query has started

    # (Functions give NULL where ksqlDB's do, so nothing in SQL reaches this any more.)
    monkeypatch.setattr(transient.RunningQuery, "_take", exhausted)
    sql = "SELECT ID, NAME FROM S;"
    with httpx.Client(base_url=server.url, http1=not http2, http2=http2, timeout=10) as client:
        delimited = client.post("/query-stream", json={"sql": sql})
        v1 = client.post(
            "/query-stream", json={"sql": sql}, headers={"Accept": "application/vnd.ksql.v1+json"}
        )
    header, error = delimited.text.splitlines()
    assert json.loads(header)["columnNames"] == ["ID", "NAME"]
    assert json.loads(error)["@type"] == "generic_error"
    assert json.loads(error)["error_code"] == 50000
    assert v1.text.endswith(',\n{"errorMessage":' + error + "},\n]")
    assert not [r for r in caplog.records if r.exc_info]


FULL_DISK_SERVER = textwrap.dedent(
    """
    import resource, signal, sys
    from ksqlpy.local import LocalServer
    if sys.argv[2] == "full":
        # Files may not grow past 20 KB: writes fail as on a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
    with LocalServer(data_dir=sys.argv[1]) as server:
        print(server.port, flush=True)
        sys.stdin.readline()
    """
)


def _data_dir_server(data_dir: Path, mode: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", FULL_DISK_SERVER, str(data_dir), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, f"http://127.0.0.1:{int(proc.stdout.readline())}"


def _stop(proc: subprocess.Popen[str]) -> str:
    assert proc.stdin is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    _, err = proc.communicate(timeout=15)
    return err


def _names(url: str) -> list[str]:
    answer = httpx.post(url + "/query-stream", json={"sql": "SELECT NAME FROM S;"}, timeout=10)
    return sorted(json.loads(line)[0] for line in answer.text.splitlines()[1:])


def test_a_full_disk_refuses_whole_rows_and_keeps_acknowledged_ones(tmp_path: Path) -> None:
    setup, url = _data_dir_server(tmp_path, "roomy")
    try:
        httpx.post(url + "/ksql", json={"ksql": STREAM}).raise_for_status()
    finally:
        _stop(setup)
    full, url = _data_dir_server(tmp_path, "full")
    try:
        with httpx.Client(base_url=url, http1=False, http2=True, timeout=30) as h2:
            rows = "\n".join(
                json.dumps({"ID": i, "NAME": f"row-{i:04d}" + "x" * 80}) for i in range(400)
            )
            acks = [
                json.loads(line)
                for line in h2.post(
                    "/inserts-stream", content=b'{"target":"S"}\n' + rows.encode()
                ).text.splitlines()
            ]
        refused = acks[-1]
        assert refused["status"] == "error"
        assert refused["error_code"] == 50000
        assert refused["message"] == "Error in processing inserts. Check server logs for details."
        stored = [a["seq"] for a in acks if a["status"] == "ok"]
        assert 0 < len(stored) < 400
        # As long as the refused row: it cannot fit either.
        late = "late" + "x" * 90
        one = httpx.post(
            url + "/ksql", json={"ksql": f"INSERT INTO S (ID, NAME) VALUES (999, '{late}');"}
        )
        # ksqlDB's InsertValuesExecutor: a record that cannot be stored is a 400, with its cause.
        assert one.status_code == 400
        assert one.json()["error_code"] == 40000
        assert one.json()["message"].startswith("Failed to insert values into 'S'.\nCaused by: ")
        visible = _names(url)
    finally:
        err = _stop(full)
    assert "Traceback" not in err
    assert len(visible) == len(stored)
    again, url = _data_dir_server(tmp_path, "roomy")
    try:
        assert _names(url) == visible  # what was acknowledged is exactly what survived
    finally:
        _stop(again)


@pytest.mark.parametrize("http2", [False, True])
def test_a_quiet_push_query_outlives_the_idle_timeout(http2: bool) -> None:
    with (
        LocalServer(idle_timeout=0.3) as server,
        httpx.Client(base_url=server.url, http1=not http2, http2=http2, timeout=10) as client,
    ):
        client.post("/ksql", json={"ksql": STREAM}).raise_for_status()
        body = {"sql": "SELECT * FROM S EMIT CHANGES LIMIT 1;"}
        with client.stream("POST", "/query-stream", json=body) as response:
            lines = response.iter_lines()
            assert json.loads(next(lines))["columnNames"] == ["ID", "NAME"]
            time.sleep(1.0)  # quiet for more than three idle timeouts
            with httpx.Client(base_url=server.url) as other:
                other.post("/ksql", json={"ksql": "INSERT INTO S (ID, NAME) VALUES (5, 'late');"})
            assert next(lines) == '[5,"late"]'
