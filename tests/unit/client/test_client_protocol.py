"""Requests as values, values sent to ksqlDB, error bodies as exceptions, options validated."""

from __future__ import annotations

import json
import ssl
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from ksqlpy import (
    AuthenticationError,
    AuthorizationError,
    ConfigurationError,
    KsqlServerError,
    KsqlStatementError,
    NotFoundError,
    ProtocolError,
    ServerUnavailableError,
)
from ksqlpy._config import ClientConfig, RetryPolicy
from ksqlpy._protocol import (
    DELIMITED,
    V1_JSON,
    close_query_request,
    encode_row,
    encode_rows,
    error_from_body,
    get_request,
    inserts_head,
    ksql_request,
    parse_json,
    query_stream_request,
    terminate_cluster_request,
)


def _json(body: bytes | None) -> object:
    assert body is not None
    return json.loads(body)


def test_ksql_request_names_its_fields_as_the_server_expects() -> None:
    request = ksql_request("SHOW STREAMS;", {"auto.offset.reset": "earliest"}, {"n": 1}, 7)
    assert (request.method, request.path, request.accept) == ("POST", "/ksql", "application/json")
    assert _json(request.body) == {
        "ksql": "SHOW STREAMS;",
        "streamsProperties": {"auto.offset.reset": "earliest"},
        "sessionVariables": {"n": 1},
        "commandSequenceNumber": 7,
    }
    assert not request.idempotent
    assert "sessionVariables" not in str(_json(ksql_request("X;").body))


def test_query_stream_request_uses_sql_and_properties_and_never_times_out() -> None:
    request = query_stream_request("SELECT 1;", {"a": True}, {"v": "x"}, accept=V1_JSON)
    assert (request.path, request.accept, request.streaming) == ("/query-stream", V1_JSON, True)
    assert _json(request.body) == {
        "sql": "SELECT 1;",
        "properties": {"a": True},
        "sessionVariables": {"v": "x"},
    }
    assert query_stream_request("SELECT 1;").accept == DELIMITED


def test_other_requests() -> None:
    close = close_query_request("transient_PV_1")
    assert (close.path, _json(close.body)) == ("/close-query", {"queryId": "transient_PV_1"})
    assert get_request("/info").method == "GET"
    assert get_request("/info").idempotent
    assert _json(terminate_cluster_request(["FOO", "bar.*"]).body) == {
        "deleteTopicList": ["FOO", "bar.*"]
    }
    assert _json(terminate_cluster_request().body) == {}
    assert inserts_head("PV") == b'{"target":"PV"}\n'
    assert json.loads(inserts_head("PV", {"p": 1})) == {"target": "PV", "properties": {"p": 1}}


def test_values_are_encoded_as_ksqldb_reads_them() -> None:
    row = {
        "D": Decimal("12.34"),
        "B": b"!",
        "TS": datetime(2024, 1, 2, 10, 0, 0, 123456),
        "TSZ": datetime(2024, 1, 2, 12, 0, tzinfo=timezone(timedelta(hours=2))),
        "DT": date(2024, 1, 2),
        "T": time(10, 15, 30),
        "NESTED": {"X": [Decimal("1.5"), None]},
        "U": "caf\u00e9",
    }
    line = encode_row(row)
    assert line.endswith(b"\n")
    assert json.loads(line) == {
        "D": "12.34",
        "B": "IQ==",
        "TS": "2024-01-02T10:00:00.123",
        "TSZ": "2024-01-02T10:00:00.000",
        "DT": "2024-01-02",
        "T": "10:15:30.000",
        "NESTED": {"X": ["1.5", None]},
        "U": "caf\u00e9",
    }


def test_unencodable_rows_say_what_to_send_instead() -> None:
    with pytest.raises(TypeError, match="cannot send a object to ksqlDB"):
        encode_row({"X": object()})
    with pytest.raises(TypeError, match="must be a mapping"):
        encode_row([1, 2])  # type: ignore[arg-type]


def test_rows_are_joined_into_chunks() -> None:
    chunks = list(encode_rows(({"I": i} for i in range(5)), per_chunk=2))
    assert len(chunks) == 3
    assert b"".join(chunks).split(b"\n")[:-1] == [b'{"I":%d}' % i for i in range(5)]


def _generic(code: int, message: str) -> bytes:
    return json.dumps({"@type": "generic_error", "error_code": code, "message": message}).encode()


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (401, _generic(40100, "Unauthorized"), AuthenticationError, 40100),
        (403, _generic(40300, "Forbidden"), AuthorizationError, 40300),
        (404, b"Not Found", NotFoundError, None),
        (400, _generic(40000, "No query with id q1"), NotFoundError, 40000),
        (503, _generic(50302, "KSQL is not yet ready"), ServerUnavailableError, 50302),
        (500, _generic(50000, "boom"), KsqlServerError, 50000),
        (405, b"", KsqlServerError, None),
    ],
)
def test_error_bodies_map_to_exception_classes(
    status: int, body: bytes, cls: type[KsqlServerError], code: int | None
) -> None:
    error = error_from_body(status, body, where="POST /ksql at http://h:8088")
    assert type(error) is cls
    assert error.error_code == code
    assert error.http_status == status
    assert "POST /ksql at http://h:8088" in str(error)


def test_statement_errors_carry_statement_text_and_entities() -> None:
    body = json.dumps(
        {
            "@type": "statement_error",
            "error_code": 40001,
            "message": "line 1:1: Syntax Error\nUnknown statement 'SELCT'",
            "statementText": "SELCT * FROM X;",
            "entities": [
                {
                    "@type": "streams",
                    "statementText": "SHOW STREAMS;",
                    "streams": [],
                    "warnings": [],
                }
            ],
        }
    ).encode()
    error = error_from_body(400, body, where="POST /ksql")
    assert isinstance(error, KsqlStatementError)
    assert error.statement_text == "SELCT * FROM X;"
    assert error.message.startswith("line 1:1: Syntax Error")
    assert len(error.entities) == 1
    assert "statement: SELCT * FROM X;" in str(error)
    assert "(error 40001)" in str(error)


def test_error_messages_say_what_to_do_next() -> None:
    http1 = error_from_body(
        400,
        b'{"@type":"generic_error","error_code":40004,"message":"This endpoint is only available '
        b'when using HTTP2"}',
        where="POST /inserts-stream",
    )
    assert "proxy" in str(http1)
    auth = error_from_body(401, b"", where="GET /info")
    assert "auth=(user, password)" in str(auth)


def test_a_body_that_is_not_json_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="is this URL a ksqlDB server"):
        parse_json(b"<html>", where="GET /info")


# --- options -------------------------------------------------------------------------------------


def test_defaults() -> None:
    config = ClientConfig.from_options()
    assert config.urls == ("http://localhost:8088",)
    assert config.http2
    assert config.headers["User-Agent"].startswith("ksqlpy/")
    assert "Authorization" not in config.headers
    assert config.ssl_context() is True


def test_credentials_become_one_authorization_header() -> None:
    basic = ClientConfig.from_options(auth=("user", "pass"))
    assert basic.headers["Authorization"] == "Basic dXNlcjpwYXNz"
    bearer = ClientConfig.from_options(bearer_token="tok")
    assert bearer.headers["Authorization"] == "Bearer tok"
    cloud = ClientConfig.from_options("https://x.confluent.cloud", api_key="KEY", api_secret="S")
    assert cloud.headers["Authorization"] == "Basic S0VZOlM="


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"auth": ("u", "p"), "bearer_token": "t"}, "only one kind of credentials"),
        ({"api_key": "k"}, "needs api_secret"),
        ({"api_secret": "s"}, "needs api_key"),
        ({"auth": ("u:x", "p")}, "cannot contain ':'"),
        ({"auth": "user:pass"}, r"\(username, password\) tuple"),
        ({"url": "localhost:8088"}, "is not an http:// or https:// URL"),
        ({"url": []}, "no ksqlDB URL given"),
        ({"url": ["http://a:1", "https://b:2"]}, "same scheme"),
        ({"cert": "client.pem"}, "needs an https:// URL"),
        ({"verify": "ca.pem"}, "needs an https:// URL"),
        ({"connect_timeout": 0}, "connect_timeout must be a positive number"),
        ({"read_timeout": -1}, "read_timeout must be a positive number"),
        ({"retries": -1}, "retries must be an int >= 0"),
        ({"backoff": -0.1}, "backoff must be >= 0"),
        ({"headers": {"Authorization": "x"}, "bearer_token": "t"}, "pass only one"),
        ({"headers": {"X": 1}}, "headers must map str to str"),
    ],
)
def test_invalid_options_name_the_option(options: dict[str, object], message: str) -> None:
    url = options.pop("url", "http://localhost:8088")
    with pytest.raises(ConfigurationError, match=message):
        ClientConfig.from_options(url, **options)  # type: ignore[arg-type]


def test_configuration_error_is_also_a_value_error() -> None:
    with pytest.raises(ValueError, match="retries"):
        ClientConfig.from_options(retries=-1)


def test_tls_options_build_a_context(tmp_path: object) -> None:
    insecure = ClientConfig.from_options("https://h:8088", verify=False).ssl_context()
    assert isinstance(insecure, ssl.SSLContext)
    assert insecure.verify_mode == ssl.CERT_NONE
    assert not insecure.check_hostname
    with pytest.raises(ConfigurationError, match="cannot load the CA bundle"):
        ClientConfig.from_options("https://h:8088", verify="/nonexistent/ca.pem").ssl_context()
    with pytest.raises(ConfigurationError, match="cannot load the client certificate"):
        ClientConfig.from_options("https://h:8088", cert=("/no/c.pem", "/no/k.pem")).ssl_context()
    given = ssl.create_default_context()
    assert ClientConfig.from_options("https://h:8088", verify=given).ssl_context() is given


def test_tls_with_a_real_ca_and_client_certificate(tmp_path: object) -> None:
    trustme = pytest.importorskip("trustme")
    from pathlib import Path

    folder = Path(str(tmp_path))
    ca = trustme.CA()
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    client_cert = ca.issue_cert("client@example.com")
    cert_file, key_file = folder / "c.pem", folder / "k.pem"
    client_cert.cert_chain_pems[0].write_to_path(str(cert_file))
    client_cert.private_key_pem.write_to_path(str(key_file))
    context = ClientConfig.from_options(
        "https://h:8088", verify=str(ca_file), cert=(str(cert_file), str(key_file))
    ).ssl_context()
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.cert_store_stats()["x509_ca"] >= 1


def test_retry_policy_backs_off_exponentially_within_bounds_and_honours_retry_after() -> None:
    policy = RetryPolicy(retries=3, backoff=1.0, max_backoff=3.0)
    delays = [policy.delay(attempt) for attempt in range(4)]
    assert delays[3] is None
    assert 0.5 <= delays[0] <= 1.0  # type: ignore[operator]
    assert 1.0 <= delays[1] <= 2.0  # type: ignore[operator]
    assert 1.5 <= delays[2] <= 3.0  # type: ignore[operator]
    assert policy.delay(0, "2") == 2.0
    assert policy.delay(0, "100") == 3.0
    assert RetryPolicy(retries=0).delay(0) is None


def test_naive_datetimes_are_sent_as_utc() -> None:
    aware = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
    assert json.loads(encode_row({"T": aware})) == json.loads(
        encode_row({"T": aware.replace(tzinfo=None)})
    )
