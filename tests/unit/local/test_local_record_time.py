"""Record time and headers of persistent queries: TIMESTAMP columns (with TIMESTAMP_FORMAT) set
the time of source and sink records, records without a valid time are skipped, and the input
record's headers go with what it produces."""

from __future__ import annotations

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.errors import KsqlStatementError

MAY_2018 = 1526075913000


def times(runtime: SmallRuntime, topic: str) -> list[int]:
    return [r.timestamp for r in runtime.log.read(topic, 0, 0, 100)]


def test_a_bigint_source_column_is_the_record_time_and_invalid_ones_are_skipped() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID BIGINT, TS BIGINT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON', TIMESTAMP='ts');"
    )
    runtime.run("CREATE STREAM OUT AS SELECT ID FROM S;")
    for value in (b'{"ID":1,"TS":1526075913000}', b'{"ID":2,"TS":-1}', b'{"ID":3,"TS":null}'):
        runtime.log.append("s", None, value, timestamp=5)
    runtime.pump()
    assert [v for _, v in runtime.records("OUT")] == [[1]]
    assert times(runtime, "OUT") == [MAY_2018]


def test_a_string_column_is_parsed_with_the_timestamp_format() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID BIGINT, TS STRING) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON', "
        "TIMESTAMP='TS', TIMESTAMP_FORMAT='yy-MM-dd HH:mm:ssX');"
    )
    runtime.run("CREATE STREAM OUT AS SELECT ID FROM S;")
    runtime.log.append("s", None, b'{"ID":1,"TS":"10-04-19 12:00:17Z"}', timestamp=5)
    runtime.log.append("s", None, b'{"ID":2,"TS":"!!!"}', timestamp=5)
    runtime.pump()
    assert times(runtime, "OUT") == [1271678417000]


def test_a_sink_timestamp_column_sets_the_time_of_what_the_query_writes() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID BIGINT) WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
    )
    runtime.run("CREATE STREAM OUT WITH (TIMESTAMP='SINK_TS') AS SELECT ID AS SINK_TS, ID FROM S;")
    for value in (b'{"ID":1}', b'{"ID":-2}', b'{"ID":3}'):
        runtime.log.append("s", None, value, timestamp=MAY_2018)
    runtime.pump()
    assert times(runtime, "OUT") == [1, 3]


def test_a_timestamp_column_of_another_type_is_refused() -> None:
    runtime = SmallRuntime()
    with pytest.raises(KsqlStatementError, match="should be LONG"):
        runtime.run(
            "CREATE STREAM S (ID BIGINT, TS STRING) "
            "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON', TIMESTAMP='TS');"
        )


def test_headers_of_the_input_record_go_to_the_sink() -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID STRING KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
    )
    runtime.run("CREATE STREAM COPY AS SELECT * FROM S;")
    runtime.run("CREATE TABLE COUNTS AS SELECT ID, COUNT(*) AS C FROM S GROUP BY ID;")
    runtime.log.append("s", b'"a"', b'{"V":1}', headers=(("trace", b"t1"),))
    runtime.pump()
    assert [r.headers for r in runtime.log.read("COPY", 0, 0, 10)] == [(("trace", b"t1"),)]
    assert [r.headers for r in runtime.log.read("COUNTS", 0, 0, 10)] == [(("trace", b"t1"),)]
