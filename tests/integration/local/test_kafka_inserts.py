"""``/inserts-stream`` into ksqlpy-local on a real broker: rows are pipelined, each acknowledged
in order once Kafka stored it, and what was acknowledged is in the topic exactly once (read back
with plain kafka-python); a refused row, a client that goes away and a broker that is down are
answered as ksqlDB answers them."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import httpx
import pytest
from kafka_reads import consume_all, until

from ksqlpy.local import LocalServer
from ksqlpy.testing.kafka import KafkaBroker

pytestmark = pytest.mark.kafka

# More rows than the server keeps in flight (local/app.py IN_FLIGHT), so its window fills.
ROWS = 3000
INSERTS_FAILED = "Error in processing inserts. Check server logs for details."


def _stream(ksql: Any, name: str, partitions: int = 3) -> str:
    topic = f"{name.lower()}_{uuid.uuid4().hex[:8]}"
    ksql(
        f"CREATE STREAM {name} (ID INT KEY, NAME STRING, AGE INT) WITH (KAFKA_TOPIC='{topic}', "
        f"KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON', PARTITIONS={partitions});"
    )
    return topic


def _rows(ids: range) -> list[dict[str, Any]]:
    return [{"ID": i, "NAME": f"n{i}", "AGE": i % 90} for i in ids]


def _body(target: str, rows: list[dict[str, Any]]) -> bytes:
    lines = [json.dumps({"target": target})] + [json.dumps(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def _acks(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def _stored_ids(bootstrap: str, topic: str) -> Counter[int]:
    """How often each row's ID is in the topic (the value says which row it came from)."""
    found: Counter[int] = Counter()
    for record in consume_all(bootstrap, topic):
        key = int.from_bytes(record.key, "big", signed=True)
        value = json.loads(record.value)
        assert value["NAME"] == f"n{key}", f"record {key} holds another row's value {value}"
        found[key] += 1
    return found


@pytest.fixture
def h2_client(local_ksqldb: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_ksqldb.url, http1=False, http2=True, timeout=60) as client:
        yield client


def test_every_row_is_acknowledged_in_order_and_stored_once(
    kafka_bootstrap: str, ksql: Any, h2_client: httpx.Client
) -> None:
    topic = _stream(ksql, "PEOPLE")
    ksql(
        "CREATE STREAM OLDER AS SELECT ID, NAME FROM PEOPLE WHERE AGE >= 45;",
        streamsProperties={"auto.offset.reset": "earliest"},
    )
    rows = _rows(range(ROWS))
    acks = _acks(h2_client.post("/inserts-stream", content=_body("PEOPLE", rows)))
    # Three partitions acknowledge at their own pace; the answers still follow the rows.
    assert acks == [{"seq": n, "status": "ok"} for n in range(ROWS)]
    assert _stored_ids(kafka_bootstrap, topic) == Counter(range(ROWS))
    # Within a partition the records keep the order the rows came in.
    for part in range(3):
        ids = [
            int.from_bytes(r.key, "big")
            for r in consume_all(kafka_bootstrap, topic)
            if r.partition == part
        ]
        assert ids == sorted(ids)
    # The persistent query over the stream sees every row.
    older = {i for i in range(ROWS) if i % 90 >= 45}

    def derived() -> bool:
        got = {int.from_bytes(r.key, "big") for r in consume_all(kafka_bootstrap, "OLDER")}
        return got == older

    until(derived, "the CSAS to process every inserted row")


def test_a_row_refused_mid_stream_ends_it_after_the_rows_before_it(
    kafka_bootstrap: str, ksql: Any, h2_client: httpx.Client
) -> None:
    topic = _stream(ksql, "PEOPLE")
    rows: list[dict[str, Any]] = _rows(range(1200))
    rows[700] = {"ID": 700, "NAME": "n700", "AGE": "not a number"}
    acks = _acks(h2_client.post("/inserts-stream", content=_body("PEOPLE", rows)))
    assert acks[:700] == [{"seq": n, "status": "ok"} for n in range(700)]
    assert acks[700:] == [
        {
            "@type": "InsertError",
            "error_code": 40000,
            "message": "Can't coerce a field of type class java.lang.String into type INTEGER",
            "status": "error",
            "seq": 700,
        }
    ]
    # Exactly the rows before it: the ones after were never taken.
    assert _stored_ids(kafka_bootstrap, topic) == Counter(range(700))


class _Duplex:
    """One ``/inserts-stream`` request over a raw HTTP/2 connection, written and read in turns
    (as a client that waits for each ack before it sends more)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.conn.send_headers(
            1,
            [
                (":method", "POST"),
                (":path", "/inserts-stream"),
                (":scheme", "http"),
                (":authority", f"127.0.0.1:{port}"),
            ],
        )
        self.sock.sendall(self.conn.data_to_send())
        self.received = b""
        self.ended = False

    def write(self, data: bytes, *, end: bool = False) -> None:
        for at in range(0, len(data), 8192):  # within the stream's flow-control window
            self.conn.send_data(1, data[at : at + 8192])
            self.sock.sendall(self.conn.data_to_send())
        if end:
            self.conn.end_stream(1)
            self.sock.sendall(self.conn.data_to_send())

    def read_lines(self, count: int) -> list[dict[str, Any]]:
        """Read until ``count`` ack lines in all have come (or the response ended)."""
        while self.received.count(b"\n") < count and not self.ended:
            data = self.sock.recv(65536)
            assert data, "the server closed the connection"
            for event in self.conn.receive_data(data):
                if isinstance(event, h2.events.DataReceived):
                    self.received += event.data
                    self.conn.acknowledge_received_data(event.flow_controlled_length, 1)
                self.ended |= isinstance(event, h2.events.StreamEnded)
            self.sock.sendall(self.conn.data_to_send())
        return [json.loads(line) for line in self.received.splitlines() if line]

    def drop(self) -> None:
        """Go away without a word (no END_STREAM, no RST_STREAM, no GOAWAY)."""
        self.sock.close()


def test_a_client_that_waits_for_each_ack_before_the_next_row_gets_it(
    kafka_bootstrap: str, ksql: Any, local_ksqldb: LocalServer
) -> None:
    topic = _stream(ksql, "PEOPLE")
    client = _Duplex(local_ksqldb.port)
    try:
        client.write(json.dumps({"target": "PEOPLE"}).encode() + b"\n")
        for n, row in enumerate(_rows(range(5))):
            client.write(json.dumps(row).encode() + b"\n")
            # The ack comes while the request is still open: nothing else wakes the server.
            assert client.read_lines(n + 1)[-1] == {"seq": n, "status": "ok"}
        client.write(b"", end=True)
        assert len(client.read_lines(6)) == 5
        assert client.ended
    finally:
        client.drop()
    assert _stored_ids(kafka_bootstrap, topic) == Counter(range(5))


def test_a_client_that_goes_away_mid_stream_loses_nothing_it_was_told_of(
    kafka_bootstrap: str, ksql: Any, local_ksqldb: LocalServer, h2_client: httpx.Client
) -> None:
    topic = _stream(ksql, "PEOPLE")
    client = _Duplex(local_ksqldb.port)
    client.write(_body("PEOPLE", _rows(range(4000)))[:60000])  # ~1200 rows, the last one cut
    heard = client.read_lines(100)
    client.drop()
    assert [a["seq"] for a in heard] == list(range(len(heard)))
    assert {a["status"] for a in heard} == {"ok"}
    # The server goes on serving; what it acknowledged is there once, nothing is there twice.
    acks = _acks(h2_client.post("/inserts-stream", content=_body("PEOPLE", _rows(range(-5, 0)))))
    assert [a["status"] for a in acks] == ["ok"] * 5

    def settled() -> Counter[int] | None:
        found = _stored_ids(kafka_bootstrap, topic)
        return found if found == _stored_ids(kafka_bootstrap, topic) else None

    time.sleep(1)  # rows in flight when the client left are stored all the same
    found = until(settled, "the topic to stop growing")
    assert set(found) >= set(range(len(heard))) | set(range(-5, 0))
    assert set(found.values()) == {1}
    first = sorted(i for i in found if i >= 0)
    assert first == list(range(len(first))), "a row was stored after one that was not"


@pytest.mark.timeout(200)
def test_inserts_while_the_broker_is_down_are_answered_within_a_bound() -> None:
    # In a process of its own, as test_broker_bounce: kafka-python leaves the sockets of its
    # failed reconnects to the garbage collector, which would warn in a later test.
    done = subprocess.run(
        [sys.executable, str(Path(__file__))],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-6000:]


# The server's Kafka requests time out after KafkaLog's timeout (10 s); an answer comes sooner.
ANSWER_BOUND_S = 15.0


def _outage() -> None:
    with (
        KafkaBroker() as broker,
        LocalServer(bootstrap_servers=broker.bootstrap, service_id="outage_") as server,
        httpx.Client(base_url=server.url, http1=False, http2=True, timeout=60) as http,
    ):

        def ksql(text: str) -> list[Any]:
            response = http.post("/ksql", json={"ksql": text})
            assert response.status_code == 200, response.text
            return list(response.json())

        _stream(ksql, "PEOPLE", partitions=1)
        before = _acks(http.post("/inserts-stream", content=_body("PEOPLE", _rows(range(3)))))
        assert [a["status"] for a in before] == ["ok"] * 3
        broker.stop(keep_data=True)

        started = time.monotonic()
        refused = _acks(http.post("/inserts-stream", content=_body("PEOPLE", _rows(range(3, 6)))))
        assert time.monotonic() - started < ANSWER_BOUND_S
        # ksqlDB's AcksSubscriber: a row the producer could not store is a 50000 error ack.
        assert refused[-1] == {
            "@type": "InsertError",
            "error_code": 50000,
            "message": INSERTS_FAILED,
            "status": "error",
            "seq": refused[-1]["seq"],
        }
        assert all(a["status"] == "ok" for a in refused[:-1])

        started = time.monotonic()
        one = http.post("/ksql", json={"ksql": "INSERT INTO PEOPLE VALUES (9, 'x', 1);"})
        assert time.monotonic() - started < ANSWER_BOUND_S
        assert one.status_code == 400, one.text
        answer = one.json()
        assert answer["@type"] == "generic_error"
        assert answer["error_code"] == 40000
        message = answer["message"]
        assert message.startswith("Failed to insert values into 'PEOPLE'.\nCaused by: ")
        assert broker.bootstrap in message.replace("\n\t", " ")


if __name__ == "__main__":
    _outage()
