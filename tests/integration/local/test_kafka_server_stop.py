"""``ksqlpy-local`` under a running exactly-once query whose broker dies (SIGKILL, no goodbye)
or freezes (SIGSTOP: connections stay open and nothing is answered, so a commit in flight is held
until the broker's request timeout or for good): the server keeps answering, and SIGINT/SIGTERM
still stop it promptly and cleanly."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from kafka_reads import until

from ksqlpy.testing.kafka import KafkaBroker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

# Closing waits at most about 2 s for a commit in progress, 1 s per query producer, then the
# reader and the admin client (each bounded): well under this.
STOP_BOUND_S = 15.0


@pytest.fixture
def broker() -> Iterator[KafkaBroker]:
    with KafkaBroker() as running:
        yield running


class _Feed(threading.Thread):
    """Inserts rows through the server until told to stop (refusals once the broker is dead
    are expected). Through the server: a kafka-python producer in this process would leave the
    sockets of its failed reconnects to the garbage collector, which warns."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.halt = threading.Event()
        self.accepted = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.url, http1=False, http2=True, timeout=10) as http:
            n = 0
            while not self.halt.is_set():
                rows = [json.dumps({"N": n + i}) for i in range(200)]
                n += 200
                body = "\n".join([json.dumps({"target": "NUMBERS"}), *rows]) + "\n"
                with contextlib.suppress(httpx.HTTPError):
                    answer = http.post("/inserts-stream", content=body.encode())
                    self.accepted += answer.text.count('"status":"ok"')


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("fate", "sig"),
    [("killed", signal.SIGINT), ("frozen", signal.SIGTERM)],
    ids=["killed-SIGINT", "frozen-SIGTERM"],
)
def test_the_server_stops_on_a_signal_after_its_broker_went_under_a_running_query(
    broker: KafkaBroker, sig: signal.Signals, fate: str
) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ksqlpy.local.cli",
            *("--port", "0", "--bootstrap-servers", broker.bootstrap),
            *("--service-id", f"stop{uuid.uuid4().hex[:6]}_"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        found = re.search(r"(http://\S+)", proc.stdout.readline())
        assert found, "ksqlpy-local did not start"
        with httpx.Client(base_url=found.group(1), timeout=30) as http:
            topic = f"numbers_{uuid.uuid4().hex[:6]}"
            created = http.post(
                "/ksql",
                json={
                    "ksql": f"CREATE STREAM NUMBERS (N INT) WITH (KAFKA_TOPIC='{topic}', "
                    "VALUE_FORMAT='JSON', PARTITIONS=2);"
                    "CREATE STREAM EVENS AS SELECT N FROM NUMBERS WHERE N % 2 = 0;",
                    "streamsProperties": {
                        "processing.guarantee": "exactly_once_v2",
                        "auto.offset.reset": "earliest",
                    },
                },
            )
            assert created.status_code == 200, created.text
            feed = _Feed(found.group(1))
            feed.start()
            until(lambda: feed.accepted >= 2000, "rows flowing into the query", timeout=20)
            if fate == "killed":
                broker.crash()
            else:
                broker.signal_jvm(signal.SIGSTOP)
            time.sleep(5)  # a commit the broker holds outlasts its caller's wait (3 s)
            started = time.monotonic()
            assert http.get("/info").status_code == 200
            assert time.monotonic() - started < 5, "the server stopped answering"
            feed.halt.set()
            feed.join(15)
        proc.send_signal(sig)
        started = time.monotonic()
        _, err = proc.communicate(timeout=STOP_BOUND_S * 2)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        if broker.running:
            broker.crash()  # a frozen JVM would not hear the fixture's SIGTERM
    assert took < STOP_BOUND_S, err[-3000:]
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
