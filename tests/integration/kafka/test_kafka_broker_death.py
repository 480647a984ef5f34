"""The Kafka toolkit when its broker dies: bounded errors, prompt stops, exact counts.

Each test starts a broker of its own and kills its JVM (SIGKILL, no goodbye) mid-run, as a crash
or a pulled cable would. Every long-running command must then stop on SIGINT/SIGTERM within a
few seconds, or by itself with an error naming the broker after a bounded time, and count every
record it could not deliver.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from ksqlpy.kafka import Producer, TopicAdmin
from ksqlpy.testing.kafka import KafkaBroker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

DATAGEN = [sys.executable, "-m", "ksqlpy.datagen.cli"]
PIPELINE = [sys.executable, "-m", "ksqlpy.kafka"]
SUMMARY = re.compile(r"sent ([\d,]+), acked ([\d,]+), errors ([\d,]+)")


@pytest.fixture
def broker() -> Iterator[KafkaBroker]:
    with KafkaBroker() as running:
        yield running


def _start(argv: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen[str], within: float) -> tuple[int, str, float]:
    """Wait for ``proc`` (at most ``within`` s, else fail); exit code, stderr, seconds taken."""
    started = time.monotonic()
    try:
        _, err = proc.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{proc.args} did not stop within {within} s")
    return proc.returncode, err, time.monotonic() - started


def _counts(err: str) -> tuple[int, int, int]:
    found = SUMMARY.search(err)
    assert found, err
    sent, acked, errors = (int(g.replace(",", "")) for g in found.groups())
    return sent, acked, errors


def _datagen(bootstrap: str, topic: str) -> list[str]:
    # --timeout 2: the broker's death shows after about twice that.
    return [*DATAGEN, "-b", bootstrap, "-t", topic, "-q", "pageviews", "--rate", "5000"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_datagen_stops_on_a_signal_after_the_broker_died_and_counts_every_record(
    broker: KafkaBroker, sig: signal.Signals
) -> None:
    proc = _start([*_datagen(broker.bootstrap, "dying"), "--timeout", "10"])
    time.sleep(4)  # records flow
    broker.crash()
    time.sleep(2)  # records pile up unacknowledged
    proc.send_signal(sig)
    code, err, took = _finish(proc, within=20)
    assert took < 8, err
    sent, acked, errors = _counts(err)
    assert acked > 0
    assert errors > 0
    assert sent == acked + errors, err
    assert "stopped by interrupt" in err
    assert code != 0


def test_datagen_stops_by_itself_naming_the_dead_broker(broker: KafkaBroker) -> None:
    proc = _start([*_datagen(broker.bootstrap, "dying"), "--timeout", "2"])
    time.sleep(4)
    broker.crash()
    code, err, took = _finish(proc, within=60)
    assert took < 30, err
    assert f"Kafka at {broker.bootstrap} stopped answering" in err
    sent, acked, errors = _counts(err)
    assert sent == acked + errors
    assert errors > 0
    assert "stopped by error" in err
    assert code != 0


PRODUCE = """
import json, sys, time
from ksqlpy._errors import BrokerUnavailableError, DeliveryError
from ksqlpy.kafka import Producer
producer = Producer(sys.argv[1], timeout=2)
for i in range(100):
    producer.send("gone", b"before %d" % i)
producer.flush()
print(json.dumps({"acked": producer.acked}), flush=True)
sys.stdin.readline()  # the broker is killed now
started = time.monotonic()
outcome = {}
try:
    while time.monotonic() - started < 60:
        producer.send("gone", b"after")
        time.sleep(0.001)
except BrokerUnavailableError as exc:
    outcome["send"] = str(exc)
outcome["seconds"] = time.monotonic() - started
try:
    producer.close(timeout=1)
except DeliveryError as exc:
    outcome["close"] = str(exc)
outcome.update(sent=producer.sent, acked=producer.acked, failed=producer.failed)
print(json.dumps(outcome), flush=True)
"""


def test_producer_send_refuses_records_once_the_broker_is_gone(broker: KafkaBroker) -> None:
    # In a process of its own: kafka-python 3.0.12 leaks one socket per refused reconnect
    # (kafka/net/inet.py), whose ResourceWarnings would land in whatever test runs next.
    proc = subprocess.Popen(
        [sys.executable, "-c", PRODUCE, broker.bootstrap],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert json.loads(proc.stdout.readline()) == {"acked": 100}
    broker.crash()
    proc.stdin.write("go\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=90)
    assert out.strip(), err[-2000:]
    outcome = json.loads(out)
    assert "stopped answering" in outcome["send"]
    assert outcome["seconds"] < 20
    assert outcome["sent"] == outcome["acked"] + outcome["failed"]
    assert outcome["acked"] == 100
    assert outcome["failed"] == outcome["sent"] - 100 > 0
    assert (
        f"{outcome['failed']:,} of {outcome['sent']:,} record(s) were not delivered"
        in (outcome["close"])
    )


FAIL_FAST = """
import json, sys, time
from ksqlpy._errors import BrokerUnavailableError
from ksqlpy.kafka import Producer
producer = Producer(sys.argv[1], timeout=10)
producer.send("known", b"first")
producer.flush()
print("ready", flush=True)
sys.stdin.readline()  # the broker is killed now
outcome = {}
producer.send("known", b"queued")  # a topic it knows: queued, never acknowledged
started = time.monotonic()
try:
    producer.flush(30)
except BrokerUnavailableError as exc:
    outcome["flush"] = [time.monotonic() - started, str(exc)]
started = time.monotonic()
try:
    producer.send("unknown", b"x")  # no metadata: kafka-python would wait for it
except BrokerUnavailableError as exc:
    outcome["send"] = [time.monotonic() - started, str(exc)]
print(json.dumps(outcome), flush=True)
"""


def test_a_gone_broker_is_reported_within_seconds_not_after_the_whole_wait(
    broker: KafkaBroker,
) -> None:
    # A flush of records the broker will never acknowledge, and a send to a topic whose
    # metadata the producer never had, both end as soon as nothing listens at the address
    # (not after the flush's 30 s or the 10 s metadata wait). Own process: see above.
    proc = subprocess.Popen(
        [sys.executable, "-c", FAIL_FAST, broker.bootstrap],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    broker.crash()
    proc.stdin.write("go\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=60)
    assert out.strip(), err[-2000:]
    outcome = json.loads(out)
    flush_s, flush_error = outcome["flush"]
    send_s, send_error = outcome["send"]
    assert flush_s < 6, flush_s
    assert send_s < 4, send_s
    assert broker.bootstrap in flush_error
    assert "stopped answering" in send_error


def _pipeline(bootstrap: str, source: str, *extra: str) -> list[str]:
    return [
        *PIPELINE,
        "-b",
        bootstrap,
        "--timeout",
        "2",
        "pipeline",
        "--source",
        source,
        "--sink",
        source + "-out",
        *extra,
    ]


def test_pipeline_ends_with_an_error_naming_the_dead_broker(broker: KafkaBroker) -> None:
    with TopicAdmin(broker.bootstrap) as admin:
        admin.create_topic("src", partitions=2)
    with Producer(broker.bootstrap) as producer:
        for i in range(200):
            producer.send("src", b'{"n": %d}' % i)
    proc = _start(_pipeline(broker.bootstrap, "src", "--idle-timeout", "600"))
    time.sleep(8)  # joined, caught up, idle (but far from its idle timeout)
    broker.crash()
    code, err, took = _finish(proc, within=60)
    assert took < 30, err
    assert f"Kafka at {broker.bootstrap} stopped answering" in err
    assert code != 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_pipeline_stops_on_a_signal_even_with_its_broker_dead(
    broker: KafkaBroker, sig: signal.Signals
) -> None:
    with TopicAdmin(broker.bootstrap) as admin:
        admin.create_topic("src", partitions=1)
    proc = _start(_pipeline(broker.bootstrap, "src"))
    time.sleep(6)
    broker.crash()
    time.sleep(1)
    proc.send_signal(sig)
    _, err, took = _finish(proc, within=30)
    assert took < 15, err
