"""Inserts against servers that misbehave, and the full-duplex insert stream.

The ack timeout uses ``h2_fake`` (a server that takes rows and never acks); the duplex stream runs
against the local server, which answers each row as it reads it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from client_tls import tls_files as _tls_files
from h2_fake import FakeH2Server
from test_client_local import SERVE

from ksqlpy import (
    AsyncClient,
    AuthenticationError,
    Client,
    ClientClosedError,
    InsertAck,
    InsertError,
    KsqlStatementError,
    KsqlTimeoutError,
    ServerUnavailableError,
)
from ksqlpy.local import LocalServer


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


# -- the full-duplex insert stream ----------------------------------------------------------------

DDL = (
    "CREATE STREAM {name} (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='{topic}', "
    "VALUE_FORMAT='JSON', PARTITIONS=1);"
)


def _stream(client: Client, name: str) -> None:
    client.execute_statement(DDL.format(name=name, topic=name.lower()))


def test_a_row_sent_alone_is_acknowledged_and_seen_while_the_stream_is_open(
    local_ksqldb: Any,
) -> None:
    with Client(local_ksqldb.url) as client:
        _stream(client, "LIVE")
        with (
            client.stream_query("SELECT * FROM LIVE EMIT CHANGES;") as query,
            client.insert_stream("LIVE") as stream,
        ):
            for i in range(3):
                assert stream.send({"ID": i, "V": f"v{i}"}) == i
                assert stream.poll(timeout=5) == InsertAck(i)  # before the request ends
                row = query.poll(timeout=5)
                assert row is not None
                assert row["V"] == f"v{i}"
            assert (stream.sent, stream.acked, stream.pending) == (3, 3, 0)
            assert stream.poll(timeout=0.05) is None
        assert stream.closed
        assert stream.close().rows == 3  # closing twice does nothing
        with pytest.raises(ClientClosedError, match="insert stream into LIVE is closed"):
            stream.send({"ID": 9})


def test_many_rows_round_trip_and_acks_can_be_read_from_another_thread(local_ksqldb: Any) -> None:
    n = 100_000
    with Client(local_ksqldb.url) as client:
        _stream(client, "MANY")
        with client.insert_stream("MANY") as stream:
            seen: list[int] = []
            reader = threading.Thread(target=lambda: seen.extend(a.seq for a in stream.acks()))
            reader.start()
            for i in range(n):
                stream.send({"ID": i, "V": "x"})
            stream.flush()
            result = stream.close()
            reader.join(10)
        assert result.rows == n
        assert len(seen) >= n - 65_536  # unread acks beyond the kept ones may be dropped
        assert seen == sorted(seen)
        rows = client.execute_query("SELECT * FROM MANY WHERE ID = 99999;").rows
        assert [r["ID"] for r in rows] == [99_999]


def test_a_refused_row_is_an_insert_error_and_the_rows_before_it_are_inserted(
    local_ksqldb: Any,
) -> None:
    with Client(local_ksqldb.url) as client:
        _stream(client, "PICKY")

        def three_rows() -> None:
            with client.insert_stream("PICKY") as stream:
                stream.send({"ID": 1, "V": "a"})
                stream.send({"ID": "not a number", "V": "b"})
                stream.send({"ID": 3, "V": "c"})

        with pytest.raises(InsertError) as caught:
            three_rows()
        assert (caught.value.seq, caught.value.row) == (1, {"ID": "not a number", "V": "b"})
        rows = client.execute_query("SELECT * FROM PICKY;").rows
        assert [r["ID"] for r in rows] == [1]
        stream = client.insert_stream("PICKY")
        stream.send({"ID": "bad"})
        with pytest.raises(InsertError):
            stream.poll(timeout=5)  # the error ack surfaces here, while the stream is open
        assert not stream.closed
        stream.abort()


def test_an_unknown_target_is_a_statement_error(local_ksqldb: Any) -> None:
    with (
        Client(local_ksqldb.url) as client,
        pytest.raises(KsqlStatementError, match="unknown stream/table: `NOPE`"),
        client.insert_stream("NOPE") as stream,
    ):
        stream.send({"ID": 1})


def test_an_unknown_target_is_reported_while_the_stream_is_open(local_ksqldb: Any) -> None:
    with Client(local_ksqldb.url) as client:
        stream = client.insert_stream("NOPE")

        # Not only at close(): the server answers at once, so the error comes from send() when
        # it is there first (a busy machine), else from poll().
        def send_and_poll() -> None:
            stream.send({"ID": 1})
            stream.poll(timeout=5)

        with pytest.raises(KsqlStatementError, match="unknown stream/table: `NOPE`"):
            send_and_poll()
        stream.abort()
        for _ in range(2):  # and the client's other connection is unharmed by it
            with pytest.raises(KsqlStatementError, match="unknown stream/table"):
                client.stream_inserts("NOPE", [{"ID": 1}] * 20_000)
        assert client.list_streams() == ()


def test_wrong_credentials_are_an_authentication_error_and_tls_with_a_ca_bundle_works(
    tmp_path: Path,
) -> None:
    ca, cert, key = _tls_files(tmp_path)
    with LocalServer(user="alice", password="s3cret", certfile=cert, keyfile=key) as server:
        assert server.url.startswith("https://")
        with (
            Client(server.url, verify=ca, auth=("alice", "wrong")) as client,
            pytest.raises(AuthenticationError),
            client.insert_stream("ANY") as stream,
        ):
            stream.send({"ID": 1})
        with Client(server.url, verify=ca, auth=("alice", "s3cret")) as client:
            _stream(client, "SAFE")
            with client.insert_stream("SAFE") as stream:
                stream.send({"ID": 1, "V": "tls"})
                assert stream.poll(timeout=5) == InsertAck(0)
            assert client.execute_query("SELECT * FROM SAFE;").rows[0]["V"] == "tls"
        with (
            Client(server.url, auth=("alice", "s3cret")) as client,
            pytest.raises(ServerUnavailableError, match="certificate is not trusted"),
        ):
            client.insert_stream("SAFE")


def test_a_server_killed_mid_stream_gives_a_clear_error_not_a_hang() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        with Client(url, read_timeout=5) as client:
            _stream(client, "DYING")
            stream = client.insert_stream("DYING")
            stream.send({"ID": 1, "V": "x"})
            assert stream.poll(timeout=5) == InsertAck(0)
            child.kill()
            child.wait(10)
            started = time.monotonic()

            def keep_sending() -> None:
                for i in range(1000):
                    stream.send({"ID": i, "V": "y"})
                    time.sleep(0.005)

            with pytest.raises(ServerUnavailableError, match="broke during the inserts into DYING"):
                keep_sending()
            assert time.monotonic() - started < 5
            with pytest.raises(ServerUnavailableError, match="broke"):
                stream.close()  # closing a failed stream says why it failed, once
            stream.close()
    finally:
        child.kill()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()


def test_close_gives_up_when_no_ack_arrives_within_read_timeout() -> None:
    with FakeH2Server() as server, Client(server.url, read_timeout=0.3) as client:
        stream = client.insert_stream("PV")
        stream.send({"ID": 1})
        stream.send({"ID": 2})
        started = time.monotonic()
        with pytest.raises(KsqlTimeoutError, match=r"0 of the 2 rows .* not acknowledged: 0, 1"):
            stream.close()
        assert time.monotonic() - started < 3
        assert stream.closed


def test_closing_the_client_aborts_its_open_insert_streams(local_ksqldb: Any) -> None:
    client = Client(local_ksqldb.url)
    stream = client.insert_stream("WHATEVER")
    client.close()
    assert stream.closed
    with pytest.raises(ClientClosedError):
        client.insert_stream("WHATEVER")


def test_async_insert_stream_acks_rows_while_open_and_reports_errors(local_ksqldb: Any) -> None:
    async def main() -> None:
        async with AsyncClient(local_ksqldb.url) as client:
            await client.execute_statement(DDL.format(name="ALIVE", topic="alive"))
            async with client.insert_stream("ALIVE") as stream:
                assert await stream.send({"ID": 1, "V": "a"}) == 0
                assert await stream.poll(timeout=5) == InsertAck(0)
                for i in range(1000):
                    await stream.send({"ID": i, "V": "b"})
                await stream.flush()
            assert (stream.acked, stream.closed) == (1001, True)
            assert (await stream.close()).rows == 1001

            stream = await client.insert_stream("ALIVE")
            await stream.send({"ID": 1})
            await stream.send({"ID": "bad"})
            with pytest.raises(InsertError) as caught:
                async for _ack in stream:
                    pass
            assert caught.value.seq == 1
            with pytest.raises(InsertError):
                await stream.close()
            with pytest.raises(ClientClosedError):
                await stream.send({"ID": 2})

            with pytest.raises(KsqlStatementError, match="NOPE"):
                async with client.insert_stream("NOPE") as stream:
                    await stream.send({"ID": 1})

        with FakeH2Server() as server:
            async with AsyncClient(server.url, read_timeout=0.3) as client:
                stream = await client.insert_stream("PV")
                await stream.send({"ID": 1})
                with pytest.raises(KsqlTimeoutError, match="not acknowledged: 0"):
                    await stream.close()

    asyncio.run(main())
