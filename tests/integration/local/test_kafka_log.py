"""KafkaLog, the local server's storage on a real broker: offsets with gaps, transactions,
consumer-group positions, waking readers, and a clear error when no broker answers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from ksqlpy._errors import BrokerUnavailableError, KafkaError
from ksqlpy.kafka import Producer, TopicPartition
from ksqlpy.local import cli
from ksqlpy.local.storage import (
    KafkaLog,
    Log,
    Pending,
    TopicCreationError,
    TopicExistsError,
    UnknownTopicError,
)

pytestmark = pytest.mark.kafka


@pytest.fixture
def log(kafka_bootstrap: str) -> Iterator[KafkaLog]:
    # These tests read what a commit returns: on a loaded machine a group's first transaction
    # can take longer than the 3 s a commit is normally waited for.
    store = KafkaLog(kafka_bootstrap, commit_wait=30.0)
    yield store
    store.close()


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the bound"
        time.sleep(0.05)


def _drain(log: Log, topic: str, partition: int) -> list[int]:
    """The engine's read loop: from 0 to the end offset, position = last offset + 1."""
    position, seen = 0, []
    end = log.end_offsets(topic)[partition]
    while position < end:
        records = log.read(topic, partition, position, 2)
        assert records, f"read({position}) is empty below the end offset {end}"
        seen += [r.offset for r in records]
        position = records[-1].offset + 1
    return seen


def test_offsets_with_transaction_markers_read_to_the_end(log: KafkaLog) -> None:
    topic = _name("gaps")
    log.create_topic(topic, 1)
    group = _name("_confluent-ksql-test_query_CSAS_X")
    first = log.commit(group, [Pending(topic, b"k", b"1"), Pending(topic, b"k", b"2")], {})
    # The end is one past the last record, not Kafka's end (past a marker): read reaches it.
    assert log.end_offsets(topic) == [2]
    # The next transaction starts once the first one's commit marker is written (offset 2).
    second = log.commit(group, [Pending(topic, b"k", b"3")], {})
    after = log.append(topic, b"k", b"4")
    assert [r.offset for r in first + second] == [0, 1, 3]
    assert after.offset > 3
    _eventually(lambda: log.end_offsets(topic) == [after.offset + 1])
    assert _drain(log, topic, 0) == [0, 1, 3, after.offset]
    assert [r.value for r in log.read(topic, 0, 2, 10)] == [b"3", b"4"]


def test_appended_record_is_readable_at_once_and_where_kafka_put_it(
    log: KafkaLog, kafka_bootstrap: str
) -> None:
    topic = _name("append")
    log.create_topic(topic, 3)
    record = log.append(topic, b"alice", None, headers=(("h", b"v"),))
    assert record.value is None  # a tombstone
    assert log.read(topic, record.partition, record.offset, 1) == [record]
    # A second log (another server) reads the same record from Kafka.
    with_other = KafkaLog(kafka_bootstrap)
    try:
        (seen,) = with_other.read(topic, record.partition, 0, 10)
        assert (seen.key, seen.value, seen.headers) == (b"alice", None, (("h", b"v"),))
        assert seen.offset == record.offset
    finally:
        with_other.close()


def test_aborted_transaction_is_invisible(log: KafkaLog, kafka_bootstrap: str) -> None:
    topic = _name("aborted")
    log.create_topic(topic, 1)
    with Producer(kafka_bootstrap, guarantee="exactly-once", transactional_id=_name("t")) as p:
        p.begin()
        p.send(topic, b"aborted", key=b"x")
        p.flush()
        p.abort()
        with p.transaction():
            p.send(topic, b"kept", key=b"x")
    log.commit(_name("g"), [Pending(topic, b"x", b"mine")], {})
    assert [r.value for r in log.read(topic, 0, 0, 10)] == [b"kept", b"mine"]


def test_commit_stores_positions_with_the_output(log: KafkaLog, kafka_bootstrap: str) -> None:
    source, sink = _name("src"), _name("sink")
    log.create_topic(source, 2)
    log.create_topic(sink, 1)
    group = _name("_confluent-ksql-test_query_CSAS_SINK")
    log.commit(group, [Pending(sink, None, b"a")], {(source, 0): 3, (source, 1): 1})
    log.commit(group, [], {(source, 1): 5})
    assert log.committed(group) == {(source, 0): 3, (source, 1): 5}
    # At-least-once: the output first, then the positions, by another path.
    log.commit(group, [Pending(sink, None, b"b")], {(source, 0): 4}, exactly_once=False)
    # A commit the broker took over 3 s for goes on in the background: reading the positions
    # waits for the group's own queued batches.
    assert log.committed(group) == {(source, 0): 4, (source, 1): 5}
    restarted = KafkaLog(kafka_bootstrap)
    try:
        assert restarted.committed(group) == {(source, 0): 4, (source, 1): 5}
        assert [r.value for r in restarted.read(sink, 0, 0, 10)] == [b"a", b"b"]
        restarted.delete_group(group)
        assert restarted.committed(group) == {}
    finally:
        restarted.close()


def test_a_waiting_reader_wakes_when_another_producer_writes(
    log: KafkaLog, kafka_bootstrap: str
) -> None:
    topic = _name("wake")
    log.create_topic(topic, 1)
    seen = log.version(topic)

    async def wait_and_produce() -> tuple[int, float]:
        waiter = asyncio.ensure_future(log.wait(topic, seen, 10.0))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        with Producer(kafka_bootstrap) as producer:
            producer.send(topic, b"hello", key=b"k")
        return await waiter, time.monotonic() - started

    version, took = asyncio.run(wait_and_produce())
    assert version > seen
    assert took < 5
    assert [r.value for r in log.read(topic, 0, 0, 10)] == [b"hello"]


def test_topics_on_the_cluster(log: KafkaLog) -> None:
    topic = _name("topics")
    info = log.create_topic(topic, 2)
    assert (info.partitions, info.replicas) == (2, 1)
    assert info in log.topics()
    with pytest.raises(TopicExistsError, match="KSQL expects 3 partitions \\(topic has 2\\)"):
        log.create_topic(topic, 3)
    with pytest.raises(TopicCreationError, match="Failed to guarantee existence of topic"):
        log.create_topic(_name("replicas"), 1, 3)
    log.delete_topic(topic)
    assert log.topic(topic) is None
    assert log.version(topic) == -1
    with pytest.raises(UnknownTopicError):
        log.read(topic, 0, 0, 1)
    # Re-created at once under the same name: a new, empty topic.
    log.create_topic(topic, 1)
    assert log.end_offsets(topic) == [0]


def test_no_broker_is_a_clear_error_within_the_bound() -> None:
    started = time.monotonic()
    with pytest.raises(BrokerUnavailableError, match=r"127\.0\.0\.1:9\b"):
        KafkaLog("127.0.0.1:9", connect_timeout=1.0)
    assert time.monotonic() - started < 5


def test_cli_without_a_broker_exits_nonzero_naming_the_address(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(["--bootstrap-servers", "127.0.0.1:9", "--kafka-timeout", "1", "--port", "0"])
    assert code == 1
    err = capsys.readouterr().err
    assert "cannot reach Kafka at 127.0.0.1:9" in err
    assert "Traceback" not in err


def test_close_is_bounded(kafka_bootstrap: str) -> None:
    store = KafkaLog(kafka_bootstrap)
    topic = _name("close")
    store.create_topic(topic, 1)
    store.append(topic, None, b"x")
    store.commit(_name("g"), [Pending(topic, None, b"y")], {(topic, 0): 1})
    started = time.monotonic()
    store.close()
    store.close()
    assert time.monotonic() - started < 5
    assert not [t for t in threading.enumerate() if t.name == "ksqlpy-kafka-mirror"]


@pytest.mark.slow
def test_a_broker_that_appears_late_is_waited_for(kafka_bootstrap: str) -> None:
    # kafka_bootstrap: only to run where the test broker can run (Java present).
    from ksqlpy.testing.kafka import KafkaBroker

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    broker = KafkaBroker(port=port)
    starter = threading.Timer(1.0, broker.start)
    starter.start()
    try:
        store = KafkaLog(f"127.0.0.1:{port}", connect_timeout=90)
        try:
            store.create_topic("late", 1)
            assert store.append("late", None, b"here").offset == 0
        finally:
            store.close()
    finally:
        starter.join(90)
        broker.stop()


def test_the_open_transaction_of_a_crashed_server_never_counts(
    log: KafkaLog, kafka_bootstrap: str
) -> None:
    source, sink = _name("src"), _name("sink")
    log.create_topic(source, 1)
    log.create_topic(sink, 1)
    group = _name("_confluent-ksql-test_query_CSAS_SINK")
    log.commit(group, [Pending(sink, None, b"first")], {(source, 0): 1})
    # A server that died inside its next transaction: output and positions sent, no commit.
    crashed = Producer(kafka_bootstrap, guarantee="exactly-once", transactional_id=group)
    try:
        crashed.begin()
        crashed.send(sink, b"lost")
        crashed.send_offsets({TopicPartition(source, 0): 5}, group)
        crashed.flush()
        restarted = KafkaLog(kafka_bootstrap)
        try:
            # Reading the group's positions fences the dead server and aborts what it left open.
            assert restarted.committed(group) == {(source, 0): 1}
            restarted.commit(group, [Pending(sink, None, b"again")], {(source, 0): 2})
            # A transaction's output shows once the reader has stepped over its marker.
            _eventually(
                lambda: [r.value for r in restarted.read(sink, 0, 0, 10)] == [b"first", b"again"]
            )
        finally:
            restarted.close()
        once_more = KafkaLog(kafka_bootstrap)
        try:
            assert once_more.committed(group) == {(source, 0): 2}
        finally:
            once_more.close()
    finally:
        with contextlib.suppress(KafkaError):
            crashed.close(timeout=1)
