"""A bounded soak of the local server on loopback: fuzzed requests, slow clients, push-query
clients that vanish and inserts, all at once. No 5xx, no traceback, descriptors and memory flat,
every query closed at the end."""

from __future__ import annotations

import json
import random
import socket
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from server_process import ServerProcess

SOAK_S = 40.0
ROW_BYTES = 300  # what one stored row of the insert worker may cost the server
SERVER = textwrap.dedent(
    """
    import sys
    from ksqlpy.local import LocalServer
    with LocalServer(idle_timeout=2.0) as server:
        server.app.body_timeout = 2.0
        print(server.port, flush=True)
        sys.stdin.readline()
    """
)
STREAM = (
    "CREATE STREAM S (ID INT KEY, NAME STRING) "
    "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
)

FUZZ_BODIES: list[tuple[str, bytes]] = [
    ("/ksql", b"[" * 50_000 + b"]" * 50_000),
    ("/ksql", b'{"ksql":"SELEC * FRM;"}'),
    ("/ksql", b'{"ksql":"INSERT INTO S (ID, NAME) VALUES (1, \'\\udc00\');"}'),
    ("/ksql", b'{"ksql":"SHOW STREAMS;","streamsProperties":{"a":' + b"9" * 5000 + b"}}"),
    ("/ksql", b"\xff\xfe\x00garbage"),
    ("/ksql", b'{"ksql":12}'),
    ("/query-stream", b'{"sql":"SELECT * FROM S WHERE ' + b"(" * 60 + b"ID=1" + b")" * 60 + b';"}'),
    ("/query-stream", b'{"sql":"SELECT * FROM S LIMIT 2.5;"}'),
    ("/query-stream", b'{"sql":"SELECT * FROM NOPE;"}'),
    ("/query-stream", b'{"sql":"SELECT * FROM S;","properties":[]}'),
    ("/query", b'{"ksql":"SELECT * FROM S WHERE ID=' + b"1" * 5000 + b';"}'),
    ("/ksql/terminate", b'{"deleteTopicList":["(["]}'),
    ("/close-query", b'{"queryId":"nope"}'),
    ("/nope", b"{}"),
]


def _fd_count(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Soak:
    """Client workers that run until ``deadline``, each recording what went wrong."""

    def __init__(self, url: str, port: int, deadline: float) -> None:
        self.url = url
        self.port = port
        self.deadline = deadline
        self.problems: list[str] = []
        self.requests = 0
        self.rows = 0  # rows the server acknowledged: its in-memory log keeps them
        self.lock = threading.Lock()

    def note(self, problem: str) -> None:
        with self.lock:
            self.problems.append(problem)

    def counted(self, response: httpx.Response, what: str) -> None:
        with self.lock:
            self.requests += 1
        if response.status_code >= 500:
            self.note(f"{what}: {response.status_code} {response.text[:200]}")

    def run(self, worker: Callable[[random.Random], None], seed: int) -> threading.Thread:
        def loop() -> None:
            rng = random.Random(seed)
            while time.monotonic() < self.deadline:
                try:
                    worker(rng)
                except (httpx.TransportError, OSError) as exc:
                    self.note(f"{worker.__name__}: {type(exc).__name__}: {exc}")

        thread = threading.Thread(target=loop, name=worker.__name__)
        thread.start()
        return thread

    def fuzz(self, rng: random.Random) -> None:
        http2 = rng.random() < 0.5
        with httpx.Client(base_url=self.url, http1=not http2, http2=http2, timeout=10) as client:
            for _ in range(20):
                path, body = rng.choice(FUZZ_BODIES)
                if rng.random() < 0.3:  # some random damage on top
                    cut = rng.randrange(len(body) + 1)
                    body = body[:cut] + bytes(rng.randrange(256) for _ in range(5)) + body[cut:]
                self.counted(client.post(path, content=body), f"fuzz {path} {body[:60]!r}")

    def slow(self, rng: random.Random) -> None:
        # A head or a body that trickles in, then stops; the server must let go of it.
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            if rng.random() < 0.5:
                sock.sendall(b"POST /ksql HTTP/1.1\r\nHost: x\r\nCont")
            else:
                sock.sendall(b"POST /ksql HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
            started = time.monotonic()
            while sock.recv(65536):
                pass
            if time.monotonic() - started > 6:
                self.note("a slow client was held for more than 6 s")

    def vanish(self, rng: random.Random) -> None:
        # A push query whose client reads a little, then goes without a word.
        body = json.dumps({"sql": "SELECT * FROM S EMIT CHANGES;", "properties": EARLIEST})
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.sendall(
            f"POST /query-stream HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
            f"{body}".encode()
        )
        if not sock.recv(4096).startswith(b"HTTP/1.1 200 OK"):
            self.note("a push query was not answered 200")
        time.sleep(rng.random() * 0.3)
        sock.close()

    def insert(self, rng: random.Random) -> None:
        with httpx.Client(base_url=self.url, http1=False, http2=True, timeout=10) as client:
            rows = "\n".join(
                json.dumps({"ID": rng.randrange(1000), "NAME": "x" * rng.randrange(100)})
                for _ in range(200)
            )
            response = client.post("/inserts-stream", content=b'{"target":"S"}\n' + rows.encode())
            self.counted(response, "inserts")
            acked = response.text.count('"ok"')
            with self.lock:
                self.rows += acked
            if acked != 200:
                self.note(f"inserts: {response.text[-200:]}")


EARLIEST = {"auto.offset.reset": "earliest"}


@pytest.mark.slow
@pytest.mark.timeout(SOAK_S + 60)
def test_soak_mixed_load() -> None:
    with ServerProcess(SERVER) as server:
        url, port = server.url, server.port
        httpx.post(url + "/ksql", json={"ksql": STREAM}).raise_for_status()
        fds_before = _fd_count(server.pid)
        soak = Soak(url, port, time.monotonic() + SOAK_S / 4)
        warm = [soak.run(w, i) for i, w in enumerate([soak.fuzz, soak.vanish, soak.insert])]
        for thread in warm:
            thread.join()
        rss_warm = _rss_mib(server.pid)
        rows_warm = soak.rows
        soak.deadline = time.monotonic() + SOAK_S
        workers = [soak.fuzz, soak.fuzz, soak.slow, soak.slow, soak.vanish, soak.insert]
        threads = [soak.run(w, 10 + i) for i, w in enumerate(workers)]
        for thread in threads:
            thread.join(timeout=SOAK_S + 30)
        assert soak.problems == [], soak.problems[:10]
        assert soak.requests > 100
        time.sleep(3)  # idle connections time out after 2 s
        fds_after = _fd_count(server.pid)
        rss_after = _rss_mib(server.pid)
        queries = httpx.post(url + "/ksql", json={"ksql": "SHOW QUERIES;"}).json()
        assert queries[0]["queries"] == []
        assert fds_after <= fds_before + 2, (fds_before, fds_after)
        # Stored rows are data, not a leak: the memory log keeps each (~200 B measured with
        # tracemalloc), so they get a budget of their own; a faster machine stores more of them.
        data_mib = (soak.rows - rows_warm) * ROW_BYTES / 2**20
        assert rss_after - rss_warm < 40 + data_mib, (rss_warm, rss_after, data_mib)
        err = server.stop(timeout=20)
    assert "Traceback" not in err, err[-3000:]
