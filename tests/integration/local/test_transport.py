"""HTTP/2 (cleartext prior knowledge and TLS ALPN), basic auth, inserts streams, bad requests."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from ksqlpy.local import LocalServer

STREAM = (
    "CREATE STREAM S (ID INT KEY, NAME STRING) "
    "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
)


@pytest.fixture
def h2(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, http1=False, http2=True, timeout=10) as client:
        yield client


def test_cleartext_http2_with_prior_knowledge_serves_queries(ksql: Any, h2: httpx.Client) -> None:
    ksql(STREAM)
    ksql("INSERT INTO S (ID, NAME) VALUES (1, 'a');")
    response = h2.post("/query-stream", json={"sql": "SELECT * FROM S;"})
    assert response.http_version == "HTTP/2"
    assert response.text.splitlines()[1] == '[1,"a"]'


def test_inserts_stream_acks_every_row_over_http2(ksql: Any, h2: httpx.Client) -> None:
    ksql(STREAM)
    body = "\n".join(
        [json.dumps({"target": "s"})] + [json.dumps({"id": i, "NAME": f"n{i}"}) for i in range(5)]
    )
    response = h2.post("/inserts-stream", content=body.encode())
    assert response.status_code == 200
    acks = [json.loads(line) for line in response.text.splitlines()]
    assert acks == [{"seq": i, "status": "ok"} for i in range(5)]
    rows = h2.post("/query-stream", json={"sql": "SELECT NAME FROM S;"}).text.splitlines()[1:]
    assert sorted(rows) == [f'["n{i}"]' for i in range(5)]


def test_inserts_stream_error_ack_names_the_row_and_stops(ksql: Any, h2: httpx.Client) -> None:
    ksql(STREAM)
    lines = [
        {"target": "S"},
        {"ID": 1, "NAME": "ok"},
        {"NAME": "no key"},
        {"ID": 3, "NAME": "never"},
    ]
    response = h2.post(
        "/inserts-stream",
        content="\n".join(json.dumps(x) for x in lines).encode(),
        headers={"Accept": "application/json"},
    )
    acks = response.json()
    assert acks[0] == {"seq": 0, "status": "ok"}
    assert acks[1]["status"] == "error"
    assert acks[1]["seq"] == 1
    assert acks[1]["error_code"] == 40000
    assert acks[1]["message"] == "Key field must be specified: ID"
    assert len(acks) == 2


def test_inserts_stream_refuses_http1_and_unknown_targets(
    ksql: Any, http: httpx.Client, h2: httpx.Client
) -> None:
    refused = http.post("/inserts-stream", content=b'{"target":"S"}\n')
    assert refused.status_code == 400
    assert refused.json() == {
        "@type": "generic_error",
        "error_code": 40004,
        "message": "This endpoint is only available when using HTTP2",
    }
    unknown = h2.post("/inserts-stream", content=b'{"target":"nope"}\n{"A":1}\n')
    assert unknown.status_code == 400
    assert unknown.json()["message"] == "Cannot insert values into an unknown stream/table: `NOPE`"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    authority = trustme.CA()
    cert = authority.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    ca, chain, key = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    authority.cert_pem.write_to_path(str(ca))
    cert.cert_chain_pems[0].write_to_path(str(chain))
    cert.private_key_pem.write_to_path(str(key))
    return ca, chain, key


def test_tls_negotiates_http2_by_alpn_and_http1_for_old_clients(
    tls_files: tuple[Path, Path, Path],
) -> None:
    ca, chain, key = tls_files
    with LocalServer(certfile=chain, keyfile=key) as server:
        assert server.url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=str(ca))
        with httpx.Client(base_url=server.url, http2=True, verify=context) as client:
            response = client.get("/info")
            assert response.http_version == "HTTP/2"
            assert response.json()["KsqlServerInfo"]["serverStatus"] == "RUNNING"
        with httpx.Client(base_url=server.url, verify=context) as client:
            assert client.get("/info").http_version == "HTTP/1.1"
        with httpx.Client(base_url=server.url) as client, pytest.raises(httpx.ConnectError):
            client.get("/info")  # an unknown authority is refused by the client


def test_basic_auth_guards_everything_but_health() -> None:
    with (
        LocalServer(user="fred", password="s3cret") as server,
        httpx.Client(base_url=server.url) as client,
    ):
        denied = client.post("/ksql", json={"ksql": "SHOW STREAMS;"})
        assert denied.status_code == 401
        assert denied.json() == {
            "@type": "generic_error",
            "error_code": 40100,
            "message": "Unauthorized",
        }
        assert denied.headers["www-authenticate"].startswith("Basic realm=")
        wrong = client.post("/ksql", json={"ksql": "SHOW STREAMS;"}, auth=("fred", "nope"))
        assert wrong.status_code == 401
        allowed = client.post("/ksql", json={"ksql": "SHOW STREAMS;"}, auth=("fred", "s3cret"))
        assert allowed.status_code == 200
        assert client.get("/healthcheck").status_code == 200


def test_bad_requests_get_ksqldb_shaped_answers(http: httpx.Client) -> None:
    broken = http.post("/ksql", content=b'{"ksql": ')
    assert broken.status_code == 400
    assert broken.json()["error_code"] == 40000
    assert broken.json()["message"].startswith("Invalid JSON in request: ")
    assert http.get("/nowhere").status_code == 404
    assert http.get("/ksql").status_code == 405
    huge = http.post("/ksql", content=b'{"ksql": "' + b"x" * (9 * 1024 * 1024) + b'"}')
    assert huge.status_code == 413
    assert huge.json()["error_code"] == 41300
    missing = http.post("/query-stream", json={"ksql": "SELECT 1;"})
    assert missing.status_code == 400
    assert "sql" in missing.json()["message"]
    assert http.get("/info").status_code == 200  # and the server still answers


def test_server_info_endpoints(http: httpx.Client) -> None:
    info = http.get("/info").json()["KsqlServerInfo"]
    assert set(info) == {"version", "kafkaClusterId", "ksqlServiceId", "serverStatus"}
    assert http.get("/healthcheck").json()["isHealthy"] is True
    root = http.get("/", follow_redirects=False)
    assert (root.status_code, root.headers["location"]) == (307, "/info")
    assert "clusterStatus" in http.get("/clusterStatus").json()
    http.post("/ksql", json={"ksql": STREAM})
    assert http.get("/status").json()["commandStatuses"] == {"stream/`S`/create": "SUCCESS"}
    one = http.get("/status/stream/%60S%60/create").json()
    assert one == {"status": "SUCCESS", "message": "Stream created", "queryId": None}
    assert http.get("/status/stream/X/create").json()["error_code"] == 40400


@pytest.mark.slow
def test_many_push_queries_and_a_stalled_reader_do_not_stall_others(
    ksql: Any, server: LocalServer, h2: httpx.Client
) -> None:
    ksql(STREAM)
    # Enough rows (~2 MB) that a reader which never reads fills every buffer on the way.
    rows = "\n".join(json.dumps({"ID": i, "NAME": "x" * 40}) for i in range(40_000))
    inserted = h2.post("/inserts-stream", content=('{"target":"S"}\n' + rows).encode())
    assert inserted.text.count('"ok"') == 40_000
    earliest = {"auto.offset.reset": "earliest"}

    async def scenario() -> list[int]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=server.url, timeout=20, limits=limits) as client:
            stalled = client.build_request(
                "POST",
                "/query-stream",
                json={"sql": "SELECT * FROM S EMIT CHANGES;", "properties": earliest},
            )
            never_read = await client.send(stalled, stream=True)

            async def one(index: int) -> int:
                sql = f"SELECT * FROM S WHERE ID = {index} EMIT CHANGES LIMIT 1;"
                response = await client.post(
                    "/query-stream", json={"sql": sql, "properties": earliest}
                )
                return len(response.text.splitlines()) - 1

            counts = await asyncio.gather(*(one(i) for i in range(100)))
            await never_read.aclose()
            return counts

    assert asyncio.run(scenario()) == [1] * 100


def test_inserts_stream_refuses_numbers_out_of_the_columns_range(
    ksql: Any, h2: httpx.Client
) -> None:
    ksql(STREAM)
    body = '{"target":"S"}\n{"ID": 1, "NAME": "ok"}\n{"ID": 3000000000, "NAME": "too big"}\n'
    acks = [
        json.loads(line)
        for line in h2.post("/inserts-stream", content=body.encode()).text.splitlines()
    ]
    assert acks[0] == {"seq": 0, "status": "ok"}
    assert acks[1]["status"] == "error"
    assert "out of range for INTEGER" in acks[1]["message"]


def test_a_refused_insert_target_leaves_the_http2_connection_usable(
    ksql: Any, h2: httpx.Client
) -> None:
    ksql(STREAM)
    rows = "\n".join(json.dumps({"ID": i}) for i in range(1000))
    refused = h2.post("/inserts-stream", content=('{"target":"NOPE"}\n' + rows).encode())
    assert refused.status_code == 400
    again = h2.post("/inserts-stream", content=b'{"target":"S"}\n{"ID": 1}\n')
    assert again.text.strip() == '{"seq":0,"status":"ok"}'


def test_wrong_credentials_over_http2_get_401_on_a_connection_that_keeps_working() -> None:
    with (
        LocalServer(user="fred", password="s3cret") as server,
        httpx.Client(base_url=server.url, http1=False, http2=True, timeout=10) as client,
    ):
        for _ in range(20):
            denied = client.post("/ksql", json={"ksql": "SHOW STREAMS;"}, auth=("fred", "bad"))
            assert denied.status_code == 401
        allowed = client.post("/ksql", json={"ksql": "SHOW STREAMS;"}, auth=("fred", "s3cret"))
        assert allowed.status_code == 200
