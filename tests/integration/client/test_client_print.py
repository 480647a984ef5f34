"""PRINT through the client and the shell: a topic's records as ksqlDB renders them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import pytest

from ksqlpy import AsyncClient, Client, KsqlServerError, KsqlTimeoutError

SETUP = (
    "CREATE STREAM P (ID INT KEY, N STRING) "
    "WITH (KAFKA_TOPIC='p', VALUE_FORMAT='JSON', PARTITIONS=1);"
    "INSERT INTO P (ID, N) VALUES (1, 'a'); INSERT INTO P (ID, N) VALUES (2, 'b');"
)


def test_print_topic_streams_the_formats_then_one_line_per_record(local_ksqldb: Any) -> None:
    with Client(local_ksqldb.url) as client:
        client.execute_script(SETUP)
        with client.print_topic("PRINT 'p' FROM BEGINNING LIMIT 2;") as printed:
            lines = list(printed)
    assert lines[:2] == ["Key format: KAFKA_INT", "Value format: JSON"]
    assert len(lines) == 4
    assert lines[2].endswith('key: 1, value: {"N":"a"}, partition: 0')


def test_async_print_topic(local_ksqldb: Any) -> None:
    async def scenario() -> list[str]:
        async with AsyncClient(local_ksqldb.url) as client:
            await client.execute_script(SETUP)
            async with await client.print_topic("PRINT 'p' FROM BEGINNING LIMIT 1;") as printed:
                return [line async for line in printed]

    lines = asyncio.run(scenario())
    assert len(lines) == 3
    assert lines[2].startswith("rowtime: ")


def test_printing_an_unknown_topic_is_a_clear_error(local_ksqldb: Any) -> None:
    with Client(local_ksqldb.url) as client, pytest.raises(KsqlServerError) as info:
        client.print_topic("PRINT 'nope';")
    assert "Could not find topic 'nope'" in str(info.value)


def test_the_shell_prints_a_topic(local_ksqldb: Any) -> None:
    with Client(local_ksqldb.url) as client:
        client.execute_script(SETUP)
    out = subprocess.run(
        [sys.executable, "-m", "ksqlpy.repl.cli", local_ksqldb.url, "-e",
         "PRINT 'p' FROM BEGINNING LIMIT 2;"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Value format: JSON" in out.stdout
    assert out.stdout.count("rowtime: ") == 2


def test_print_topic_with_idle_timeout_ends_a_silent_print(local_ksqldb: Any) -> None:
    with Client(local_ksqldb.url) as client:
        client.execute_script(SETUP)
        started = time.monotonic()
        with (
            client.print_topic("PRINT 'p';", idle_timeout=0.5) as printed,
            pytest.raises(
                KsqlTimeoutError, match=r"PRINT 'p' received nothing .* \(idle_timeout=0.5\)"
            ),
        ):
            list(printed)  # nothing new arrives: without idle_timeout this waits forever
        assert time.monotonic() - started < 10
