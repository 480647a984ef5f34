"""The client against the local server, over HTTP/1.1, h2c, h2+TLS and with basic auth.

The shared scenarios come from ``client_scenarios``; the tests below need control over the server
(stopping it, wrong credentials, an untrusted certificate), so they run only locally.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from client_scenarios import *  # noqa: F403  (pytest collects the shared scenarios here)
from client_scenarios import EARLIEST, Target

from ksqlpy import (
    AsyncClient,
    AuthenticationError,
    Client,
    KsqlTimeoutError,
    ServerUnavailableError,
)

SERVE = (
    "import sys, time\n"
    "from ksqlpy.local import LocalServer\n"
    "server = LocalServer().start()\n"
    "print(server.url, flush=True)\n"
    "time.sleep(600)\n"
)


def _drain(query: Any) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if query.poll(timeout=1) is None and query.finished:
            return


def test_a_server_killed_mid_stream_gives_a_clear_error_not_a_hang(target: Target) -> None:
    if target.variant not in ("http1", "h2c"):
        pytest.skip("the protocol variants cover this; TLS and auth add nothing here")
    child = subprocess.Popen(
        [sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        with Client(url, http2=target.options["http2"], read_timeout=5, backoff=0.01) as client:
            client.execute_statement(
                "CREATE STREAM DYING (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='dying', "
                "VALUE_FORMAT='JSON', PARTITIONS=1);"
            )
            client.insert_into("DYING", {"ID": 1, "V": "x"})
            query = client.stream_query("SELECT * FROM DYING EMIT CHANGES;", EARLIEST)
            first = query.poll(timeout=10)  # never block the test on a server that sends nothing
            assert first is not None
            assert first["ID"] == 1
            started = time.monotonic()
            child.kill()
            with pytest.raises(ServerUnavailableError, match="broke during the query"):
                _drain(query)
            assert time.monotonic() - started < 10
            assert query.finished
            query.close()  # the server is gone: closing must neither raise nor hang
            with pytest.raises(ServerUnavailableError, match="cannot reach ksqlDB"):
                client.server_info()
    finally:
        child.kill()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()


def test_wrong_credentials_are_an_authentication_error(target: Target) -> None:
    if "auth" not in target.options:
        pytest.skip("this server variant has no authentication")
    options = {**target.options, "auth": ("alice", "wrong")}
    with Client(target.url, **options) as client, pytest.raises(AuthenticationError) as caught:
        client.list_streams()
    assert caught.value.http_status == 401
    with Client(target.url, **options) as client, pytest.raises(AuthenticationError):
        client.insert_into("ANY", {"ID": 1})


def test_an_untrusted_certificate_says_how_to_trust_it(target: Target) -> None:
    if not target.url.startswith("https"):
        pytest.skip("this server variant has no TLS")
    options = {k: v for k, v in target.options.items() if k != "verify"}
    with (
        Client(target.url, **options, retries=0) as client,
        pytest.raises(ServerUnavailableError, match="verify="),
    ):
        client.server_info()


class _Http1Only(http.server.BaseHTTPRequestHandler):
    """A server (or proxy) that speaks only HTTP/1.1: what breaks HTTP/2-only clients."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"KsqlServerInfo": {"version": "8.4.0"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'[{"@type":"streams","statementText":"LIST STREAMS;","streams":[],"warnings":[]}]'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_an_http1_only_server_is_reached_by_falling_back_from_h2c(target: Target) -> None:
    if target.variant != "h2c":
        pytest.skip("one variant is enough: this test brings its own server")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Http1Only)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with Client(url, retries=0) as client:
            assert client.execute_statement("CREATE STREAM X (A INT);") is not None
            assert client.server_info().version == "8.4.0"

        async def main() -> str:
            async with AsyncClient(url, retries=0) as client:
                return (await client.server_info()).version

        assert asyncio.run(main()) == "8.4.0"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_inserts_through_an_http1_only_server_say_why_they_cannot_work(target: Target) -> None:
    if target.variant != "h2c":
        pytest.skip("one variant is enough: this test brings its own server")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Http1Only)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with Client(f"http://127.0.0.1:{server.server_port}", retries=0) as client:
            client.server_info()  # the first request finds out the server speaks only HTTP/1.1
            with pytest.raises(ServerUnavailableError, match="needs HTTP/2"):
                client.insert_into("PV", {"ID": 1})
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_a_stream_must_start_within_read_timeout_but_may_then_stay_quiet(target: Target) -> None:
    if target.variant not in ("http1", "h2c"):
        pytest.skip("the protocol variants cover this")
    http2 = target.options["http2"]
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts connections (the kernel does) and never answers
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with Client(url, read_timeout=0.5, http2=http2, retries=0) as client:
            started = time.monotonic()
            with pytest.raises(KsqlTimeoutError, match="did not answer POST /query-stream"):
                client.stream_query("SELECT * FROM X EMIT CHANGES;")
            assert time.monotonic() - started < 5
    finally:
        silent.close()

    with Client(target.url, **{**target.options, "read_timeout": 0.5}) as client:
        client.execute_statement(
            "CREATE STREAM IF NOT EXISTS QUIET (ID INT KEY, V STRING) WITH "
            "(KAFKA_TOPIC='quiet', VALUE_FORMAT='JSON', PARTITIONS=1);"
        )
        with client.stream_query("SELECT * FROM QUIET EMIT CHANGES;") as query:
            time.sleep(1.5)  # three read timeouts of silence
            client.insert_into("QUIET", {"ID": 1, "V": "late"})
            row = query.poll(timeout=10)
            assert row is not None
            assert row["V"] == "late"
