"""``Client``'s transport against a scripted ksqlDB (``httpx.MockTransport``): connection
failures, retries and failover, timeouts, HTTP versions and the raw request escape hatch."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fake_ksqldb import COMMAND, HEADER, FakeKsqlDB

from ksqlpy import (
    AuthenticationError,
    Client,
    CommandResult,
    KsqlError,
    KsqlTimeoutError,
    NotFoundError,
    ProtocolError,
    ServerUnavailableError,
)

QID = HEADER["queryId"]


def _client(
    fake: FakeKsqlDB, url: str | list[str] = "http://ksqldb:8088", **options: Any
) -> Client:
    options.setdefault("backoff", 0)
    return Client(url, transport=httpx.MockTransport(fake.handle), **options)


def test_connection_refused_says_how_to_start_a_server() -> None:
    fake = FakeKsqlDB(fail_connect={"ksqldb"})
    with _client(fake, retries=0) as client, pytest.raises(ServerUnavailableError) as caught:
        client.server_info()
    assert str(caught.value) == (
        "cannot reach ksqlDB at http://ksqldb:8088 (connection refused); start one with "
        "'ksqlpy --local' (the shell on an embedded server) or 'ksqlpy-local' (a server at "
        "http://localhost:8088)"
    )
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_idempotent_requests_are_retried_and_statements_are_not() -> None:
    answers = iter([503, 503, 200])

    def flaky() -> httpx.Response:
        status = next(answers)
        if status == 503:
            return httpx.Response(
                503,
                json={"@type": "generic_error", "error_code": 50302, "message": "not ready"},
                headers={"Retry-After": "0"},
            )
        return httpx.Response(200, json={"KsqlServerInfo": {"version": "8.4.0"}})

    fake = FakeKsqlDB(info=flaky)
    with _client(fake, retries=2) as client:
        assert client.server_info().version == "8.4.0"
    assert fake.paths() == ["/info"] * 3

    unavailable = {"@type": "generic_error", "error_code": 50302, "message": "not ready"}
    fake = FakeKsqlDB(ksql=lambda b: httpx.Response(503, json=unavailable))
    with _client(fake, retries=5) as client:
        with pytest.raises(ServerUnavailableError, match="still starting"):
            client.execute_statement("CREATE STREAM X (A INT) WITH (KAFKA_TOPIC='x');")
        assert len(fake.requests) == 1, "a statement that may have run is never re-sent"
        with pytest.raises(ServerUnavailableError):
            client.list_streams()
        assert len(fake.requests) == 1 + 6, "LIST STREAMS is read-only, so it is retried"


def test_a_request_that_cannot_connect_moves_to_the_next_url() -> None:
    fake = FakeKsqlDB(fail_connect={"down"})
    with _client(fake, ["http://down:8088", "http://up:8088"], retries=0) as client:
        assert isinstance(client.execute_statement("CREATE STREAM X (A INT);"), CommandResult)
        assert client.url == "http://up:8088"
        client.execute_statement("SHOW STREAMS;")
    assert [r.url.host for r in fake.requests] == ["down", "up", "up"]


def test_timeouts_become_ksql_timeout_errors() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = Client(transport=httpx.MockTransport(slow), read_timeout=3, retries=0)
    with client, pytest.raises(KsqlTimeoutError, match="did not answer GET /info within 3 s"):
        client.server_info()


def test_authentication_failures_are_their_own_class() -> None:
    body = {"@type": "generic_error", "error_code": 40100, "message": "Unauthorized"}
    fake = FakeKsqlDB(ksql=lambda b: httpx.Response(401, json=body))
    with _client(fake) as client, pytest.raises(AuthenticationError, match="check the credentials"):
        client.list_streams()


def test_a_reply_that_is_not_ksqldb_is_a_protocol_error() -> None:
    fake = FakeKsqlDB(ksql=lambda b: httpx.Response(200, text="<html>proxy</html>"))
    with _client(fake) as client, pytest.raises(ProtocolError, match="not JSON"):
        client.list_streams()


def test_http_versions_chosen_per_scheme() -> None:
    from ksqlpy._config import ClientConfig
    from ksqlpy._transport import SyncTransport

    def args(url: str, http2: bool, inserts: bool) -> tuple[bool, bool]:
        transport = SyncTransport(ClientConfig.from_options(url, http2=http2))
        chosen = transport._client_args(inserts=inserts)
        transport.close()
        return chosen["http1"], chosen["http2"]

    assert args("http://h:8088", True, False) == (False, True)  # h2c prior knowledge
    assert args("https://h:8088", True, False) == (True, True)  # ALPN picks
    assert args("http://h:8088", False, False) == (True, False)
    assert args("http://h:8088", False, True) == (False, True)  # /inserts-stream is h2-only
    assert args("https://h:8088", False, True) == (False, True)


def test_h2c_falls_back_to_http1_once_and_only_before_http2_worked() -> None:
    answers: list[str] = ["break", "ok", "break"]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if answers.pop(0) == "break":
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        return httpx.Response(200, json=[COMMAND])

    with Client(transport=httpx.MockTransport(handler), retries=0) as client:
        assert isinstance(client.execute_statement("CREATE STREAM A (I INT);"), CommandResult)
        assert client._transport.http1_fallback
        with pytest.raises(ServerUnavailableError, match="broke during POST /ksql"):
            client.execute_statement("CREATE STREAM B (I INT);")
    assert seen == ["/ksql"] * 3, "re-sent once when HTTP/2 had never worked, then never again"

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected", request=request)

    with Client(transport=httpx.MockTransport(broken), http2=False, retries=0) as client:
        with pytest.raises(ServerUnavailableError):
            client.execute_statement("CREATE STREAM C (I INT);")
        assert not client._transport.http1_fallback


def test_a_broken_insert_request_reports_the_servers_reason_from_a_fresh_probe() -> None:
    outcomes = ["broken", "broken", "unauthorized"]
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        outcome = outcomes.pop(0)
        if outcome == "broken":  # the server answered early and dropped the connection
            raise httpx.WriteError("[Errno 32] Broken pipe", request=request)
        body = {"@type": "generic_error", "error_code": 40100, "message": "Unauthorized"}
        return httpx.Response(401, json=body)

    with (
        Client(transport=httpx.MockTransport(handler), retries=0) as client,
        pytest.raises(AuthenticationError, match="Unauthorized"),
    ):
        client.insert_into("PV", {"ID": 1})
    assert bodies[1:] == [b'{"target":"PV"}\n'] * 2, "the probes carry no rows"


def test_request_is_an_escape_hatch_for_other_endpoints() -> None:
    fake = FakeKsqlDB()
    with _client(fake) as client:
        assert client.request("get", "/info")["KsqlServerInfo"]["version"] == "8.4.0"
        query = client.stream_query("SELECT * FROM PV EMIT CHANGES;")
        assert client.request("POST", "/close-query", {"queryId": QID}) is None  # empty 200
        assert fake.bodies[-1] == {"queryId": QID}
        with pytest.raises(NotFoundError, match="No query with id"):
            client.request("POST", "/close-query", {"queryId": QID})
        with pytest.raises(NotFoundError):
            client.request("GET", "/nothing-here")
        query.close()
        with pytest.raises(KsqlError, match="GET or POST and a path"):
            client.request("DELETE", "info")
