"""A tiny HTTP/2 (h2c) server on a thread for insert tests the local server cannot stage.

``answer`` decides what the server does with an ``/inserts-stream`` request: ``"silent"`` sends
200 headers and reads every row but never acks; ``"mute"`` never even answers the headers.
Request DATA is always read and its flow-control credit returned, so a silent server is silent
only in what it says, never because the client is blocked on a window. ``"frozen-query"``
answers ``/query-stream`` with 200 and the header of query ``transient_FROZEN_1``, then freezes:
no row, no end, and no answer to any other request.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.exceptions

FROZEN_HEADER = b'{"queryId":"transient_FROZEN_1","columnNames":["A"],"columnTypes":["INTEGER"]}\n'


class FakeH2Server:
    """Serve h2c on 127.0.0.1 until ``close()``; ``lines`` counts received lines (head too)."""

    def __init__(self, answer: str = "silent") -> None:
        self.answer = answer
        self.lines = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        assert self._server is not None
        self.port: int = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()
        tasks = asyncio.all_tasks(self._loop)
        for task in tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        if self._server is not None:
            self._loop.run_until_complete(self._server.wait_closed())
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        try:
            while data := await reader.read(65536):
                for event in conn.receive_data(data):
                    self._event(conn, event)
                writer.write(conn.data_to_send())
                await writer.drain()
        except (ConnectionError, h2.exceptions.ProtocolError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    def _event(self, conn: Any, event: Any) -> None:
        if isinstance(event, h2.events.RequestReceived) and self.answer == "silent":
            conn.send_headers(event.stream_id, [(":status", "200")])
        elif isinstance(event, h2.events.RequestReceived) and self.answer == "frozen-query":
            if dict(event.headers).get(b":path") == b"/query-stream":
                conn.send_headers(event.stream_id, [(":status", "200")])
                conn.send_data(event.stream_id, FROZEN_HEADER)
        elif isinstance(event, h2.events.DataReceived):
            self.lines += event.data.count(b"\n")
            conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)

    def close(self) -> None:
        """Stop serving and end the thread."""

        def stop() -> None:
            if self._server is not None:
                self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(stop)
        self._thread.join(10)

    def __enter__(self) -> FakeH2Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
