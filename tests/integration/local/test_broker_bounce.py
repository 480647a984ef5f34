"""ksqlpy-local on Kafka while its broker goes down and comes back under a running CSAS: the
server keeps answering, refuses writes with a clear error, and once the broker returns the query
goes on with nothing lost (and, under exactly_once_v2, nothing repeated)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer
from kafka_reads import consume_all, until

from ksqlpy.local import LocalServer
from ksqlpy.testing.kafka import KafkaBroker

pytestmark = pytest.mark.kafka

# The server answers while the broker is down within this many seconds: a write finds out the
# broker is gone within a second or two (it probes the address), not after a request timeout.
ANSWER_BOUND_S = 8.0
TOTAL = 400


def _value(i: int) -> bytes:
    return json.dumps({"NAME": f"p{i}", "AGE": i % 90}).encode()


def _produce(bootstrap: str, topic: str, ids: list[int]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    try:
        for i in ids:
            producer.send(topic, key=i.to_bytes(4, "big"), value=_value(i))
        producer.flush(30)
    finally:
        producer.close(10)


class _Feed(threading.Thread):
    """Produces ``ids`` at about ``rate`` records/s until told to stop; ``acked`` are the ids
    the broker acknowledged. It ends once every record it sent is answered (acknowledged, or
    expired while the broker is gone), so none reaches the broker later: kafka-python's close
    gives up on a flush that times out and would leave them queued, delivered once the broker
    is back, after the test sent them again."""

    def __init__(self, bootstrap: str, topic: str, ids: range, rate: float) -> None:
        super().__init__(daemon=True)
        self.bootstrap, self.topic, self.ids, self.rate = bootstrap, topic, ids, rate
        self.halt = threading.Event()
        self.acked: set[int] = set()
        self.answered = False

    def run(self) -> None:
        producer = KafkaProducer(
            bootstrap_servers=self.bootstrap,
            linger_ms=5,
            max_block_ms=2000,
            retries=0,
            request_timeout_ms=1500,
            delivery_timeout_ms=2000,
        )
        started = time.monotonic()
        futures: list[Any] = []
        try:
            for n, i in enumerate(self.ids):
                if self.halt.is_set():
                    break
                time.sleep(max(0.0, started + n / self.rate - time.monotonic()))
                sent = producer.send(self.topic, key=i.to_bytes(4, "big"), value=_value(i))
                sent.add_callback(lambda _meta, i=i: self.acked.add(i))
                futures.append(sent)
            deadline = time.monotonic() + 10
            for sent in futures:
                with contextlib.suppress(Exception):  # the broker may be gone: not acked
                    sent.get(timeout=max(0.0, deadline - time.monotonic()))
            self.answered = all(sent.is_done for sent in futures)
        finally:
            with contextlib.suppress(Exception):
                producer.close(1)


def _sink(bootstrap: str, topic: str) -> Counter[tuple[int, str]]:
    return Counter(
        (int.from_bytes(r.key, "big"), json.loads(r.value)["NAME"])
        for r in consume_all(bootstrap, topic)
    )


def _expected(bootstrap: str, topic: str) -> Counter[tuple[int, str]]:
    """The results the source's records call for, once each (read back from Kafka)."""
    ids = [int.from_bytes(r.key, "big") for r in consume_all(bootstrap, topic)]
    return Counter((i, f"p{i}") for i in ids if i % 2 == 0)


def _timed(call: httpx.Client, method: str, path: str, **kwargs: object) -> httpx.Response:
    started = time.monotonic()
    response = call.request(method, path, **kwargs)  # type: ignore[arg-type]
    took = time.monotonic() - started
    assert took < ANSWER_BOUND_S, f"{method} {path} took {took:.1f} s with the broker down"
    return response


@pytest.mark.timeout(200)
@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_a_running_csas_survives_its_broker_stopping_and_starting_again(guarantee: str) -> None:
    # In a process of its own: kafka-python leaves the sockets of its failed reconnects (the
    # outage makes many) to the garbage collector, and here they would warn in a later test.
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), guarantee],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-6000:]


def _scenario(guarantee: str) -> None:
    source, service = f"people_{uuid.uuid4().hex[:8]}", f"b{uuid.uuid4().hex[:8]}_"
    with KafkaBroker() as broker:
        bootstrap = broker.bootstrap
        with (
            LocalServer(bootstrap_servers=bootstrap, service_id=service) as server,
            httpx.Client(base_url=server.url, timeout=ANSWER_BOUND_S + 15) as http,
        ):

            def ksql(text: str) -> httpx.Response:
                properties = {"auto.offset.reset": "earliest", "processing.guarantee": guarantee}
                return http.post("/ksql", json={"ksql": text, "streamsProperties": properties})

            created = ksql(
                f"CREATE STREAM PEOPLE (ID INT KEY, NAME STRING, AGE INT) WITH "
                f"(KAFKA_TOPIC='{source}', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON', "
                "PARTITIONS=2);"
                "CREATE STREAM EVENS AS SELECT ID, NAME FROM PEOPLE WHERE ID % 2 = 0;"
            )
            assert created.status_code == 200, created.text
            feed = _Feed(bootstrap, source, range(TOTAL), rate=100)
            feed.start()
            until(lambda: len(feed.acked) >= TOTAL // 4, "a quarter of the feed", timeout=10)
            broker.stop(keep_data=True)  # mid-feed: the query may still be working
            kept = broker.data_dir
            assert kept is not None
            assert kept.is_dir()
            assert not broker.running
            feed.halt.set()
            feed.join(15)
            assert not feed.is_alive()
            assert feed.answered, "the feed's records are not answered"
            assert len(feed.acked) < TOTAL, "the feed ended before the broker stopped"
            assert _timed(http, "GET", "/info").status_code == 200
            shown = _timed(
                http, "POST", "/ksql", json={"ksql": "SHOW STREAMS;", "streamsProperties": {}}
            )
            assert shown.status_code == 200, shown.text
            assert {"PEOPLE", "EVENS"} <= {s["name"] for s in shown.json()[0]["streams"]}
            refused = _timed(
                http,
                "POST",
                "/ksql",
                json={"ksql": "INSERT INTO PEOPLE (ID, NAME, AGE) VALUES (999, 'x', 1);"},
            )
            # ksqlDB's answer (InsertValuesExecutor), its cause naming the broker.
            assert refused.status_code == 400, refused.text
            assert refused.json()["@type"] == "generic_error"
            message = refused.json()["message"]
            assert message.startswith("Failed to insert values into 'PEOPLE'.\nCaused by: ")
            assert bootstrap in message.replace("\n\t", " ")

            assert broker.start() == bootstrap  # same port, same data
            _produce(bootstrap, source, sorted(set(range(TOTAL)) - feed.acked))
            fed = _expected(bootstrap, source)
            assert {i for i, _ in fed} == set(range(0, TOTAL, 2)), "a fed record is missing"

            def caught_up() -> bool:
                return set(_sink(bootstrap, "EVENS")) >= set(fed)

            until(caught_up, "every result after the broker came back", timeout=45)
            time.sleep(1)  # a query that repeated output would have written it by now
            found = _sink(bootstrap, "EVENS")
            assert set(found) == set(fed), "results lost or invented"
            if guarantee == "exactly_once_v2":
                assert found == fed, "results repeated under exactly_once_v2"

            inserted = ksql("INSERT INTO PEOPLE (ID, NAME, AGE) VALUES (1000, 'back', 1);")
            assert inserted.status_code == 200, inserted.text
            pushed = http.post(
                "/query-stream",
                json={
                    "sql": "SELECT ID, NAME FROM EVENS WHERE ID = 1000 EMIT CHANGES LIMIT 1;",
                    "properties": {"auto.offset.reset": "earliest"},
                },
                headers={"Accept": "application/json"},
            )
            assert pushed.status_code == 200, pushed.text
            assert json.loads(pushed.text)[1:] == [[1000, "back"]]
    assert not kept.exists(), "the broker's data outlived its last stop"


if __name__ == "__main__":
    _scenario(sys.argv[1])
