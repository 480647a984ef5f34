"""OAuth client credentials (``bearer.auth.*``): the token request ksql's client sends, and every
way the issuer can fail, against a small HTTP token endpoint on a local port."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ksqlpy._errors import MigrationConfigError
from ksqlpy.migrations.config import load_config


def jwt(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


GOOD = jwt({"sub": "svc", "exp": 4102444800, "scope": "ksql"})
Answer = tuple[int, str, bytes]  # status, content type, body


class Issuer:
    """A token endpoint that records each request and answers with ``self.answer``."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.answer: Answer = (200, "application/json", json.dumps({"access_token": GOOD}).encode())
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                issuer.requests.append((self.path, dict(self.headers.items()), body))
                status, kind, payload = issuer.answer
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}/oauth/token"


@contextmanager
def serve(endpoint: Issuer) -> Iterator[Issuer]:
    thread = threading.Thread(target=endpoint.server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()
    thread.join(5)


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with serve(Issuer()) as endpoint:
        yield endpoint


def config_text(issuer_url: str, **extra: str) -> str:
    lines = [
        "ksql.server.url=http://localhost:8088",
        f"bearer.auth.issuer.endpoint.url={issuer_url}",
        "bearer.auth.client.id=my-client",
        "bearer.auth.client.secret=p@ss:word",
        *(f"{key}={value}" for key, value in extra.items()),
    ]
    return "\n".join(lines) + "\n"


def options(tmp_path: Path, text: str) -> dict[str, object]:
    path = tmp_path / "ksql-migrations.properties"
    path.write_text(text, encoding="latin-1")
    return load_config(path).client_options()


def test_token_request_as_the_java_client_sends_it(issuer: Issuer, tmp_path: Path) -> None:
    text = config_text(issuer.url, **{"bearer.auth.scope": " ksql read~all* "})
    result = options(tmp_path, text)
    assert result["bearer_token"] == GOOD
    assert "auth" not in result
    ((path, headers, body),) = issuer.requests
    assert path == "/oauth/token"
    assert body == b"grant_type=client_credentials&scope=ksql+read%7Eall*"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"my-client:p@ss:word").decode()
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Accept"] == "application/json"


def test_no_scope_sends_only_the_grant(issuer: Issuer, tmp_path: Path) -> None:
    options(tmp_path, config_text(issuer.url))
    assert issuer.requests[0][2] == b"grant_type=client_credentials"


def test_custom_subject_claim(issuer: Issuer, tmp_path: Path) -> None:
    token = jwt({"client_id": "svc", "exp": 1})
    issuer.answer = (200, "application/json", json.dumps({"access_token": token}).encode())
    text = config_text(issuer.url, **{"bearer.auth.sub.claim.name": "client_id"})
    assert options(tmp_path, text)["bearer_token"] == token
    with pytest.raises(
        MigrationConfigError, match=r"has no 'sub' claim.*bearer\.auth\.sub\.claim\.name"
    ):
        options(tmp_path, config_text(issuer.url))


def answer_json(value: object) -> Answer:
    return (200, "application/json", json.dumps(value).encode())


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            (401, "text/plain", b"bad client"),
            r"refused the client credentials \(HTTP 401\); check bearer.auth.client.id",
        ),
        ((500, "text/plain", b"boom"), r"HTTP 500: 'boom'"),
        ((200, "text/html", b"<html>login</html>"), "its answer has no access_token"),
        (answer_json(["x"]), "its answer has no access_token"),
        (answer_json({"token_type": "bearer"}), "its answer has no access_token"),
        (answer_json({"access_token": ""}), "its answer has no access_token"),
        (answer_json({"access_token": "opaque-token"}), "the access_token is not a JWT"),
        (answer_json({"access_token": "a.!!!.c"}), "the access_token is not a JWT"),
        (answer_json({"access_token": jwt({"sub": "x"})}), "no valid 'exp' claim"),
    ],
)
def test_issuer_failures_name_the_issuer(
    issuer: Issuer, tmp_path: Path, answer: Answer, message: str
) -> None:
    issuer.answer = answer
    with pytest.raises(MigrationConfigError, match=message) as info:
        options(tmp_path, config_text(issuer.url))
    assert f"cannot get an OAuth token from {issuer.url}" in str(info.value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_unreachable_issuer(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/token"
    with pytest.raises(MigrationConfigError, match=r"cannot reach it .*check bearer.auth.issuer"):
        options(tmp_path, config_text(url))


def test_silent_issuer_times_out(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/token"
        text = config_text(url, **{"ksqlpy.migrations.request.timeout.seconds": "0.5"})
        with pytest.raises(MigrationConfigError, match=r"no answer within 0\.5 s"):
            options(tmp_path, text)
    finally:
        listener.close()


def test_bad_issuer_url_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "ksql-migrations.properties"
    path.write_text(config_text("idp.example/token"))
    with pytest.raises(
        MigrationConfigError, match=r"bearer\.auth\.issuer\.endpoint\.url is not an http"
    ):
        load_config(path)


def test_stray_bearer_keys_without_issuer_are_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "ksql-migrations.properties"
    path.write_text("ksql.server.url=http://h:1\nbearer.auth.client.id=c\n")
    config = load_config(path)
    assert config.bearer is None
    assert any("bearer.auth.client.id ignored" in w for w in config.warnings)


def test_https_issuer_is_checked_with_the_trust_store(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.serialization import pkcs12

    ca = trustme.CA()
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    store = tmp_path / "trust.p12"
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    store.write_bytes(
        pkcs12.serialize_key_and_certificates(
            None, None, None, [ca_cert], ser.BestAvailableEncryption(b"pw")
        )
    )
    with serve(Issuer(server_tls)) as endpoint:
        # As in ksql's client, the ssl.* stores also guard the token endpoint.
        trusted = config_text(
            endpoint.url, **{"ssl.truststore.location": str(store), "ssl.truststore.password": "pw"}
        )
        path = tmp_path / "ksql-migrations.properties"
        path.write_text(trusted)
        assert load_config(path).warnings == ()  # the stores are used, for the issuer
        assert options(tmp_path, trusted)["bearer_token"] == GOOD
        with pytest.raises(
            MigrationConfigError, match=r"cannot reach it .*CERTIFICATE_VERIFY_FAILED"
        ):
            options(tmp_path, config_text(endpoint.url))
