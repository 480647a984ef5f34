"""Windowed aggregations: the grace period drops late records, and EMIT FINAL sends each window's
result once, when stream time passes its end plus grace (Kafka Streams' on-window-close)."""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError


@pytest.fixture
def runtime() -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID STRING KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
    )
    return runtime


def send(runtime: SmallRuntime, *stamps: int, key: str = "k1") -> None:
    for stamp in stamps:
        runtime.run(f"INSERT INTO S (ROWTIME, ID, V) VALUES ({stamp}, '{key}', 1);")


def test_emit_final_waits_for_the_window_to_close(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE T AS SELECT ID, COUNT(*) AS C FROM S "
        "WINDOW TUMBLING (SIZE 2 MILLISECONDS) GROUP BY ID EMIT FINAL;"
    )
    send(runtime, 0, 1)
    assert runtime.records("T") == []
    send(runtime, 2)  # no grace stated: EMIT FINAL closes [0, 2) at stream time 2
    assert runtime.records("T") == [(["k1", 0, 2], [2])]
    assert runtime.log.read("T", 0, 0, 10)[0].timestamp == 1  # the window's latest record


def test_late_records_within_grace_count_and_after_it_are_dropped(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE T AS SELECT ID, COUNT(*) AS C FROM S "
        "WINDOW TUMBLING (SIZE 2 MILLISECONDS, GRACE PERIOD 1 MILLISECONDS) GROUP BY ID "
        "EMIT FINAL;"
    )
    send(runtime, 0, 2, 1)  # stream time 2: [0, 2) closes at 3, so 1 still counts
    send(runtime, 3)  # closes [0, 2)
    send(runtime, 0)  # too late: dropped
    send(runtime, 5)  # closes [2, 4)
    assert runtime.records("T") == [(["k1", 0, 2], [2]), (["k1", 2, 4], [2])]


def test_emit_changes_drops_records_of_closed_windows_too(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE T AS SELECT ID, COUNT(*) AS C FROM S "
        "WINDOW TUMBLING (SIZE 2 MILLISECONDS, GRACE PERIOD 1 MILLISECONDS) GROUP BY ID;"
    )
    send(runtime, 0, 5, 1)
    assert runtime.records("T") == [(["k1", 0, 2], [1]), (["k1", 4, 6], [1])]


def test_hopping_windows_close_one_by_one(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE T AS SELECT ID, COUNT(*) AS C FROM S "
        "WINDOW HOPPING (SIZE 5 MILLISECONDS, ADVANCE BY 2 MILLISECONDS, "
        "GRACE PERIOD 1 MILLISECONDS) GROUP BY ID EMIT FINAL;"
    )
    send(runtime, 0, 1, 2, 1, 6, 5, 10)
    assert runtime.records("T") == [(["k1", 0, 5], [4]), (["k1", 4, 9], [2])]


def test_sessions_are_sent_once_closed(runtime: SmallRuntime) -> None:
    runtime.run(
        "CREATE TABLE T AS SELECT ID, COUNT(*) AS C FROM S "
        "WINDOW SESSION (5 MILLISECONDS, GRACE PERIOD 6 MILLISECONDS) GROUP BY ID EMIT FINAL;"
    )
    send(runtime, 0, 4, 8, 12, 14, 30, 29, 17, 42)
    assert runtime.records("T") == [(["k1", 0, 14], [5]), (["k1", 29, 30], [2])]


@pytest.mark.parametrize(
    ("select", "message"),
    [
        (
            "SELECT ID, COUNT(*) AS C FROM S GROUP BY ID EMIT FINAL",
            "EMIT FINAL is only supported for windowed aggregations.",
        ),
        (
            "SELECT ID, V FROM S WINDOW TUMBLING (SIZE 2 MILLISECONDS) GROUP BY ID EMIT FINAL",
            "GROUP BY requires aggregate functions in either the SELECT or HAVING clause.",
        ),
        (
            "SELECT ID, NOPE(V) FROM S GROUP BY ID",
            "Can't find any functions with the name 'NOPE'",
        ),
    ],
)
def test_refusals(runtime: SmallRuntime, select: str, message: str) -> None:
    with pytest.raises(KsqlStatementError, match=message):
        runtime.run(f"CREATE TABLE T AS {select};")
