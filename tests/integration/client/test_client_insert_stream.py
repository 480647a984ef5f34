"""Inserts against servers that misbehave, and the full-duplex insert stream.

The ack timeout uses ``h2_fake`` (a server that takes rows and never acks); the duplex stream runs
against the local server, which answers each row as it reads it.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from h2_fake import FakeH2Server

from ksqlpy import AsyncClient, Client, KsqlTimeoutError


@pytest.mark.parametrize("answer", ["silent", "mute"])
def test_stream_inserts_gives_up_when_no_ack_arrives_within_read_timeout(answer: str) -> None:
    with FakeH2Server(answer) as server, Client(server.url, read_timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(KsqlTimeoutError, match=r"no insert ack for 0.5 s: 0 of the 3 rows"):
            client.stream_inserts("PV", [{"ID": i} for i in range(3)])
        assert time.monotonic() - started < 5


def test_async_stream_inserts_gives_up_when_no_ack_arrives_within_read_timeout() -> None:
    async def main() -> None:
        with FakeH2Server() as server:
            async with AsyncClient(server.url, read_timeout=0.5) as client:
                with pytest.raises(KsqlTimeoutError, match="sent to PV were acknowledged"):
                    await client.stream_inserts("PV", [{"ID": 1}])

    asyncio.run(main())
