"""The ksqlDB sink: generated records inserted into a stream over ``/inserts-stream``.

For users without Kafka access: the server writes the rows to the stream's topic. The stream is
created when missing, from the schema (``CREATE STREAM IF NOT EXISTS``, as ``--print-ddl``
shows it), with upper-case column names so that rows and columns match exactly. Its key column
is a separate ``ROWKEY`` holding the key field's value, so that the topic's JSON values carry
every field, as the Kafka sink writes them: a second stream declared over the topic (the ksqlDB
course's ``CREATE STREAM my_stream (id STRING, name STRING, title STRING) ...``) sees them all.
"""

from __future__ import annotations

import math
import queue
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ksqlpy._errors import DatagenError, InsertError, KsqlError, KsqlStatementError

from ._schema import Schema, quote_name

if TYPE_CHECKING:
    from ksqlpy import Client, SourceDescription

# Rows per /inserts-stream request: the ~1 ms a request costs disappears (against the local
# server 2,000 to 20,000 rows per request all reach ~50,000 rows/s), and acks and the progress
# line still move several times a second.
BATCH_ROWS = 5000
# The longest a generated row waits for its request; a trickle (rows further apart than this)
# goes row by row, so paced runs show up live.
LINGER_SECONDS = 0.1
KEY_COLUMN = "ROWKEY"
# How long a request may wait for its acks, whatever read_timeout the caller's client has (None
# waits forever), so a server that stops answering mid-insert cannot hang the run.
ACK_TIMEOUT_SECONDS = 60.0
# A new connection after this many requests: hypercorn (the local server) closes an HTTP/2
# connection after 1,000 requests (keep_alive_max_requests) and the client does not retry an
# insert that meets the close, so a trickle of one-row requests would fail after 1,000 rows.
REQUESTS_PER_CONNECTION = 500

_PLAIN = re.compile(r"[A-Z][A-Z0-9_]*")


def key_column(schema: Schema) -> str | None:
    """The name of the separate key column the sink creates (None: no key, or none needed)."""
    if schema.key is None:
        return None
    names = set(schema.field_names)
    for candidate in (KEY_COLUMN, f"{schema.key}_KEY", f"{KEY_COLUMN}_"):
        if candidate == schema.key:
            return None  # a field called ROWKEY is the key: it is the key column itself
        if candidate not in names:
            return candidate
    raise DatagenError(f"{schema.source}: no free name for the key column; rename the field")


def create_stream_ddl(
    schema: Schema,
    stream: str,
    topic: str,
    *,
    value_format: str = "json",
    key_format: str = "kafka",
    partitions: int | None = None,
    replicas: int | None = None,
) -> str:
    """The ``CREATE STREAM IF NOT EXISTS`` the sink runs for ``schema`` (ksqlDB names)."""
    named = schema.ksql_names()
    return named.ddl(
        stream,
        topic,
        value_format,
        key_format,
        if_not_exists=True,
        key_column=key_column(named),
        partitions=partitions,
        replicas=replicas,
    )


def _target(name: str) -> str:
    # /inserts-stream upper-cases a target unless it is backticked: quote any other spelling.
    return name if _PLAIN.fullmatch(name) else f"`{name}`"


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class KsqlDbSink:
    """Insert records into a ksqlDB stream through the client's ``/inserts-stream``, with acks.

    Creates the stream when it is missing (see :func:`create_stream_ddl`), then checks that
    every generated field has a column. Records are sent in requests of up to ``batch_size``
    rows by a background thread, so the next batch is generated while one is in flight; each
    request's acks are checked before the next goes. A refused row, a lost connection, or no
    acks within ``ack_timeout`` seconds ends the run (``failed``), counting the rows that did
    not make it as ``errors``. Generate the records from ``sink.schema`` (the upper-case names
    of the columns). Example::

        with KsqlDbSink("http://localhost:8088", "PEOPLE", quickstart("people"),
                        topic="fake_people") as sink:
            run(sink.schema, sink, RunOptions(iterations=10, progress=False))
    """

    def __init__(
        self,
        url: str,
        stream: str,
        schema: Schema,
        *,
        topic: str | None = None,
        value_format: str = "json",
        key_format: str = "kafka",
        partitions: int | None = None,
        replicas: int | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float = 10.0,
        create: bool = True,
        batch_size: int = BATCH_ROWS,
        linger: float = LINGER_SECONDS,
        ack_timeout: float = ACK_TIMEOUT_SECONDS,
    ) -> None:
        from ksqlpy import Client

        if batch_size < 1:
            raise ValueError("batch_size must be 1 or more")
        self.schema = schema.ksql_names()
        self._source_schema = schema
        self.topic = topic or schema.name
        self._ddl_options: dict[str, Any] = {
            "value_format": value_format,
            "key_format": key_format,
            "replicas": replicas,
        }
        self._partitions = partitions
        self.ddl = create_stream_ddl(
            schema, stream, self.topic, partitions=partitions, **self._ddl_options
        )
        self.notes: list[str] = []
        self.created = False
        self.sent = 0
        self.acked = 0
        self.errors = 0
        self.last_error: str | None = None
        self.failed = False
        self._batch = batch_size
        self._linger = linger
        self._ack_timeout = ack_timeout
        self._buffer: list[dict[str, Any]] = []
        self._first = time.monotonic()
        self._last = -math.inf  # the first row goes at once: a trickle shows up live
        self._submitted = 0  # rows handed to the worker
        # One request in flight at most: the worker takes (first row number, rows) from _jobs
        # and sets _idle when done. _lock guards the counters the worker updates; _abandoned
        # (a request past ack_timeout, or an interrupt) makes it drop its late results.
        self._jobs: queue.SimpleQueue[tuple[int, list[dict[str, Any]]] | None] = queue.SimpleQueue()
        self._idle = threading.Event()
        self._idle.set()
        self._lock = threading.Lock()
        self._abandoned = False
        self._in_flight = 0  # rows of the request under way
        self._waiting = False  # the caller waits for the worker (an interrupt there abandons)
        self._closed = False
        self._requests = 0  # on the current connection
        self._connect: Callable[[], Client] = lambda: Client(
            url, auth=auth, connect_timeout=timeout
        )
        self._client = self._connect()
        try:
            description = self._ensure_stream(stream, create)
            self.stream = description.name
            self._copy_key = self._check_columns(description)
        except BaseException:
            self._client.close()
            raise
        self._stream_target = _target(description.name)
        self.target = f"ksqlDB stream {description.name} at {url}"
        # A daemon thread: one stuck on a silent server must not keep the process alive.
        self._worker = threading.Thread(target=self._work, name="ksqlpy-datagen-inserts")
        self._worker.daemon = True
        self._worker.start()

    # setup ---------------------------------------------------------------------------------------

    def _ensure_stream(self, stream: str, create: bool) -> SourceDescription:
        from ksqlpy import WarningResult

        name = quote_name(stream)
        # A GET first: it says "unreachable" or "wrong credentials" plainly (a server may cut a
        # POST it refuses before reading its body, which looks like a broken connection).
        self._client.server_info()
        if create:
            if self._partitions is None and self._topic_missing():
                # ksqlDB creates a topic only with PARTITIONS given (else it refuses the CREATE).
                self.ddl = create_stream_ddl(
                    self._source_schema, stream, self.topic, partitions=1, **self._ddl_options
                )
            try:
                result = self._client.execute_statement(self.ddl)
            except KsqlStatementError as exc:
                raise DatagenError(
                    f"ksqlDB refused to create stream {name}: {exc.message}"
                ) from exc
            self.created = not isinstance(result, WarningResult)
        try:
            description = self._client.describe_source(name)
        except KsqlStatementError as exc:
            hint = "" if create else "; let the sink create it"
            raise DatagenError(f"cannot use stream {name}: {exc.message}{hint}") from exc
        if description.type.upper() != "STREAM":
            raise DatagenError(
                f"{description.name} is a {description.type.lower()}, not a stream; "
                "choose another --stream name"
            )
        if self.created:
            self.notes.append(f"created stream {description.name} over topic '{self.topic}'")
        else:
            note = f"stream {description.name} exists (topic '{description.topic}'); adding rows"
            if description.topic != self.topic:
                note += f"; it reads topic '{description.topic}', not '{self.topic}'"
            self.notes.append(note)
        return description

    def _topic_missing(self) -> bool:
        try:
            topics = self._client.list_topics()
        except KsqlError:  # topics hidden from this user: let the server decide
            return False
        return all(t.name != self.topic for t in topics)

    def _check_columns(self, description: SourceDescription) -> tuple[str, str] | None:
        """Check the generated fields against the columns; the key column to fill, if any."""
        columns = {f.name for f in description.fields if not f.header}
        keys = [f.name for f in description.fields if f.key]
        fields = self.schema.field_names
        missing = [n for n in fields if n not in columns]
        if missing:
            raise DatagenError(
                f"stream {description.name} has no column for generated field(s) "
                f"{', '.join(missing)} (its columns: {', '.join(sorted(columns))}); "
                "choose another --stream name or drop that stream"
            )
        unfilled = [k for k in keys if k not in fields]
        if not unfilled:
            return None
        if len(unfilled) == 1 and self.schema.key is not None:
            return unfilled[0], self.schema.key
        raise DatagenError(
            f"stream {description.name} has key column(s) {', '.join(unfilled)} that no generated "
            "field fills; give --key FIELD (one key column) or choose another --stream name"
        )

    # Sink ----------------------------------------------------------------------------------------

    def send(self, record: dict[str, Any], timestamp_ms: int | None) -> None:
        """Queue one record; hand the queue over when it is full or has waited ``linger`` s.

        ``timestamp_ms`` is not sent: the stream's ``timestamp`` column (from the schema's
        timestamp field) gives its rows their time.
        """
        if self.failed:
            return  # the run stops at its next check
        if self._copy_key is not None:
            column, field = self._copy_key
            record[column] = record[field]
        buffer = self._buffer
        now = time.monotonic()
        if not buffer:
            self._first = now
        buffer.append(record)
        self.sent += 1
        linger = self._linger
        if len(buffer) >= self._batch or now - self._first >= linger or now - self._last >= linger:
            self._submit()
        self._last = now

    def _submit(self) -> None:
        rows, self._buffer = self._buffer, []
        self._wait(self._ack_timeout)
        if self.failed:
            self.errors += len(rows)  # never sent
            return
        self._idle.clear()
        self._in_flight = len(rows)
        self._jobs.put((self._submitted, rows))
        self._submitted += len(rows)

    def _wait(self, timeout: float) -> bool:
        """Wait for the request in flight; past ``timeout``, give it up as failed."""
        if self._abandoned:
            return False  # given up already: its rows are counted
        self._waiting = True
        done = self._idle.wait(timeout)
        self._waiting = False
        if done:
            return True
        with self._lock:
            if not self._in_flight:  # it finished just now
                return True
            self._abandoned = True
            first = self._submitted - self._in_flight
            self._fail(
                f"no acks from ksqlDB within {timeout:g} s for rows {first} to "
                f"{self._submitted - 1}; some of them may have been inserted",
                self._in_flight,
            )
        return False

    def _work(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                try:
                    self._insert(*job)
                except Exception as exc:  # the thread's boundary: a failure, never lost
                    with self._lock:
                        if not self._abandoned:
                            self._fail(f"inserting rows failed: {exc!r}", self._in_flight)
                        self._in_flight = 0
                finally:
                    self._idle.set()
        finally:
            self._client.close()

    def _insert(self, first: int, rows: list[dict[str, Any]]) -> None:
        if self._requests >= REQUESTS_PER_CONNECTION:
            self._client.close()
            self._client = self._connect()
            self._requests = 0
        self._requests += 1
        try:
            self._client.stream_inserts(self._stream_target, rows, batch_size=len(rows))
        except InsertError as exc:
            with self._lock:
                if self._abandoned:
                    return
                self._in_flight = 0
                self.acked += exc.acknowledged
                self._fail(
                    f"ksqlDB refused row {first + exc.seq} (0-based) {_short(exc.row)}: "
                    f"{exc.message}" + (f" (error {exc.error_code})" if exc.error_code else ""),
                    len(rows) - exc.acknowledged,
                )
        except KsqlError as exc:
            # The first line: the client's detail below it counts rows within one request.
            message = str(exc).split("\n", 1)[0]
            with self._lock:
                if self._abandoned:
                    return
                self._in_flight = 0
                self._fail(
                    f"{message} (while inserting rows {first} to {first + len(rows) - 1}; "
                    "some of them may have been inserted)",
                    len(rows),
                )
        else:
            with self._lock:
                if not self._abandoned:
                    self._in_flight = 0
                    self.acked += len(rows)

    def _fail(self, message: str, lost: int) -> None:
        self.errors += lost
        self.last_error = message
        self.failed = True

    def flush(self, timeout: float | None = None) -> None:
        """Send the queued rows and wait for every ack (at most ``timeout`` or ``ack_timeout``)."""
        if self._buffer and not self.failed:
            self._submit()
        self._wait(self._ack_timeout if timeout is None else timeout)

    def close(self, timeout: float | None = None) -> None:
        """Flush (unless interrupted while waiting), stop the worker, close; idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._waiting:  # an interrupt (a second Ctrl-C) came while waiting for acks
                with self._lock:
                    self._abandoned = True
            else:
                self.flush(timeout)
        finally:
            self._buffer = []
            self._jobs.put(None)  # the worker closes the client on its way out
            # A worker stuck on a silent server is not waited for: it ends (a daemon) when its
            # connection does, or with the process.
            if self._idle.is_set():
                self._worker.join()

    def __enter__(self) -> KsqlDbSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
