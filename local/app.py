"""The ASGI application: ksqlDB's REST routes over an engine.

Routing is a table of ``(method, path)`` to handler; templated paths (``/status/...``,
``/is_valid_property/...``) are matched by prefix. Handlers read the body, call the engine and
answer with ksqlDB's exact bodies and framings (see :mod:`.wire`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

from .asgi import (
    Message,
    Receive,
    Scope,
    Send,
    headers,
    is_http2,
    respond,
    respond_json,
    watch_disconnect,
)
from .engine.errors import EngineError, InsertFailed
from .entities import entities as encode_entities
from .http_rules import (
    INSERTS_TYPES,
    PRINT_TYPES,
    QUERY_STREAM_TYPES,
    QUERY_TYPES,
    BasicAuth,
    PlainAnswer,
    negotiate,
    origin_form,
)
from .insert_window import INSERTS_FAILED, InsertWindow
from .ports import Engine, Inserter, PrintStream, QueryStream
from .request_body import (
    BODY_TIMEOUT_S,
    Disconnected,
    Lines,
    LineTooLong,
    drain,
    json_object,
    object_field,
    parse_json,
    read_body,
)
from .state_routes import Handler, StateRoutes
from .wire import (
    DELIMITED,
    ELEMENT_END,
    ELEMENTS_HEADER,
    JSON,
    V1_JSON,
    BufferedStreamedRowFormat,
    DelimitedFormat,
    JsonArrayFormat,
    KsqlHttpError,
    RowEncoder,
    StreamedRowFormat,
    StreamFormat,
    dumps,
    generic_error,
    http_error,
    http_error_of,
)

# Rows per send of a query stream: one ASGI send per row is what makes HTTP servers slow. Each
# row still goes out as its own chunk or DATA frame (local/connection.py cuts sends at newlines).
BATCH_ROWS = 500

# ksqlDB's answer to a failure it did not foresee.
INTERNAL_ERROR = (
    "The server encountered an internal error when processing the query. "
    "Please consult the server logs for more information."
)

# Rows of one /inserts-stream sent and not acknowledged yet (ksqlDB's subscriber asks its
# publisher for 200 rows at a time; a broker round trip takes several milliseconds).
IN_FLIGHT = 2000
# How often persistent queries catch up with the rows of an inserts stream while it runs.
PUMP_EVERY_S = 0.05

_log = logging.getLogger("ksqlpy.local.http")

NO_AUTH_PATHS = frozenset(
    {"/healthcheck", "/v1/metadata", "/v1/metadata/id", "/chc/ready", "/chc/live"}
)


@contextlib.contextmanager
def _statement(text: str) -> Iterator[None]:
    """Engine failures on input it could not take, answered as ksqlDB answers a statement it
    cannot run (400, ``statement_error``) rather than as a fault of the server."""
    try:
        yield
    except KsqlHttpError:
        raise
    except RecursionError as exc:
        message = "Statement is nested too deeply to run; split the expression"
        raise http_error(40001, message, text) from exc
    except (ValueError, ArithmeticError) as exc:
        raise http_error(40001, f"Statement cannot run: {exc}", text) from exc


class KsqlApp:
    """The ASGI app of the local server."""

    def __init__(self, engine: Engine, auth: BasicAuth | None = None) -> None:
        self.engine = engine
        self.auth = auth
        self.body_timeout = BODY_TIMEOUT_S
        state = StateRoutes(engine)
        self.routes: dict[tuple[str, str], Handler] = {
            ("POST", "/ksql"): self.ksql,
            ("POST", "/ksql/terminate"): self.terminate,
            ("POST", "/query"): self.query,
            ("POST", "/query-stream"): self.query_stream,
            ("POST", "/inserts-stream"): self.inserts_stream,
            ("POST", "/close-query"): self.close_query,
            **state.routes(),
        }
        self.prefix_routes: dict[tuple[str, str], Handler] = state.prefix_routes()
        self.paths = {path for _, path in self.routes} | {p for _, p in self.prefix_routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body_read = False
        started = False

        async def tracked() -> Message:
            nonlocal body_read
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                body_read = True
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self._route(origin_form(scope), tracked, sending)
        except (KsqlHttpError, EngineError) as error:
            exc = http_error_of(error)
            # The rest of the body is read first, so an HTTP/1.1 connection stays usable
            # (not for a body that trickles in too slowly: that one is cut off).
            if not body_read and exc.status != 408:
                await drain(tracked)
            await respond(send, exc.status, dumps(exc.body).encode(), JSON, exc.headers)
        except PlainAnswer as exc:
            if not body_read:
                await drain(tracked)
            await respond(send, exc.status, exc.text.encode(), "text/plain")
        except Disconnected:
            return
        except Exception as exc:
            # A fault of ours (logged with its traceback) or of the machine (a full disk: one
            # line), answered as ksqlDB answers one.
            if isinstance(exc, OSError):
                _log.error("%s %s failed: %s", scope["method"], scope["path"], exc)
            else:
                _log.exception("%s %s failed", scope["method"], scope["path"])
            if started:  # a stream already under way just ends (it cannot change status)
                await send({"type": "http.response.body", "body": b""})
                return
            body = dumps(generic_error(50000, INTERNAL_ERROR)).encode()
            await respond(send, 500, body, JSON)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if len(path) > 1 and path.endswith("/") and path not in self.paths:
            path = path.rstrip("/")
        method = scope["method"]
        handler = self.routes.get((method, path))
        if handler is None:
            handler = next(
                (
                    h
                    for (m, p), h in self.prefix_routes.items()
                    if m == method and path.startswith(p)
                ),
                None,
            )
        if handler is None:
            await drain(receive)
            known = path in self.paths or any(path.startswith(p) for _, p in self.prefix_routes)
            if known:
                await respond(send, 405, b"Method Not Allowed", "text/plain")
            else:
                await respond(send, 404, b"Not Found", "text/plain")
            return
        auth = self.auth
        guarded = auth is not None and path not in NO_AUTH_PATHS
        if guarded and not auth.allows(headers(scope).get("authorization")):  # type: ignore[union-attr]
            realm = f'Basic realm="{auth.realm}"'  # type: ignore[union-attr]
            raise KsqlHttpError(
                401, generic_error(40100, "Unauthorized"), [("www-authenticate", realm)]
            )
        await handler(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- /ksql --------------------------------------------------------------------------------

    async def ksql(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /ksql``: run statements, answer their entities."""
        request = json_object(await read_body(receive, self.body_timeout))
        text = request.get("ksql") or ""
        if not isinstance(text, str):
            raise http_error(40000, "Invalid JSON in request: 'ksql' must be a string")
        with _statement(text):
            results = self.engine.execute(
                text,
                object_field(request, "streamsProperties"),
                object_field(request, "sessionVariables"),
            )
        await respond_json(send, 200, encode_entities(results))

    async def terminate(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /ksql/terminate``: drop everything (optionally topics matching patterns)."""
        request = json_object(await read_body(receive, self.body_timeout))
        delete = request.get("deleteTopicList") or []
        if not isinstance(delete, list) or not all(isinstance(t, str) for t in delete):
            raise http_error(40000, "Invalid JSON in request: 'deleteTopicList' must be strings")
        for pattern in delete:
            try:
                re.compile(pattern)
            except (re.error, RecursionError) as exc:
                raise http_error(
                    40000, f"Invalid regular expression in deleteTopicList: '{pattern}': {exc}"
                ) from exc
        await respond_json(send, 200, encode_entities(self.engine.terminate_cluster(delete)))

    # -- queries ------------------------------------------------------------------------------

    async def query(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /query``: the StreamedRow array (or delimited rows when asked)."""
        request = json_object(await read_body(receive, self.body_timeout))
        text = request.get("ksql")
        if not isinstance(text, str) or not text.strip():
            raise http_error(40000, '"ksql" field must be populated')
        accept_header = headers(scope).get("accept")
        with _statement(text):
            opened = self.engine.open_query(
                text,
                object_field(request, "streamsProperties"),
                object_field(request, "sessionVariables"),
            )
        if not hasattr(opened, "next_batch"):
            try:
                negotiate(accept_header, PRINT_TYPES)
            except PlainAnswer:
                opened.close()
                raise
            if is_http2(scope):
                opened.close()
                await respond(send, 405, b"", None)
                return
            await self._stream_print(opened, receive, send, JSON)
            return
        stream: QueryStream = opened  # type: ignore[assignment]
        try:
            accept = negotiate(accept_header, QUERY_TYPES)
        except PlainAnswer:
            stream.close()
            raise
        if accept == DELIMITED:
            fmt: StreamFormat = DelimitedFormat(RowEncoder(stream.column_types))
            header = stream.header_plain
        else:
            cls = BufferedStreamedRowFormat if stream.buffered else StreamedRowFormat
            fmt, header = cls(RowEncoder(stream.column_types)), stream.header_v1
        await self._stream_rows(stream, fmt, header, receive, send)

    async def query_stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /query-stream``: delimited by default, JSON array or StreamedRow on request."""
        if str(scope.get("http_version")) == "1.0":
            raise http_error(40000, "This endpoint is only available when using HTTP1.1 or HTTP2")
        request = json_object(await read_body(receive, self.body_timeout))
        text = request.get("sql")
        if not isinstance(text, str):
            raise http_error(40000, 'Invalid JSON in request: "sql" is a required field')
        accept = negotiate(headers(scope).get("accept"), QUERY_STREAM_TYPES)
        with _statement(text):
            opened = self.engine.open_query(
                text, object_field(request, "properties"), object_field(request, "sessionVariables")
            )
        if not hasattr(opened, "next_batch"):
            if accept not in (None, DELIMITED):
                opened.close()
                raise PlainAnswer(406, "Not Acceptable")
            await self._stream_print(opened, receive, send, DELIMITED)
            return
        stream: QueryStream = opened  # type: ignore[assignment]
        if accept == JSON:
            fmt: StreamFormat = JsonArrayFormat(RowEncoder(stream.column_types))
            header = stream.header_plain
        elif accept == V1_JSON:
            cls = BufferedStreamedRowFormat if stream.buffered else StreamedRowFormat
            fmt, header = cls(RowEncoder(stream.column_types)), stream.header_v1
        else:
            fmt, header = DelimitedFormat(RowEncoder(stream.column_types)), stream.header_plain
        await self._stream_rows(stream, fmt, header, receive, send)

    async def _stream_rows(
        self,
        stream: QueryStream,
        fmt: StreamFormat,
        header: dict[str, Any],
        receive: Receive,
        send: Send,
    ) -> None:
        content = [(b"content-type", fmt.content_type.encode()), *fmt.headers]
        await send({"type": "http.response.start", "status": 200, "headers": content})
        await send(
            {"type": "http.response.body", "body": fmt.header(header).encode(), "more_body": True}
        )
        watcher = asyncio.create_task(watch_disconnect(receive, stream.close))
        tail: list[str] = []
        try:
            while True:
                try:
                    batch = await stream.next_batch(BATCH_ROWS)
                    if batch is None:
                        tail = fmt.end(stream.final_message)
                        break
                    rows, tombstones = batch
                    writes = fmt.rows(rows, tombstones) if rows else []
                except (KsqlHttpError, EngineError) as exc:
                    tail = fmt.error(http_error_of(exc).body)
                    break
                except Exception as exc:
                    # A row the query cannot compute or encode ends it with an error element,
                    # as ksqlDB ends a query that fails while it runs.
                    reason = f"{type(exc).__name__}: {exc}"
                    _log.warning("query %s failed: %s", stream.query_id, reason)
                    tail = fmt.error(generic_error(50000, reason))
                    break
                for write in writes:
                    body = write.encode()
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                if writes:
                    # hypercorn's send() need not yield, and stored rows are ready at once: give
                    # the disconnect watcher its turn, or a gone client's query runs to its end.
                    await asyncio.sleep(0)
            for write in tail[:-1]:
                await send(
                    {"type": "http.response.body", "body": write.encode(), "more_body": True}
                )
            await send({"type": "http.response.body", "body": tail[-1].encode() if tail else b""})
        finally:
            stream.close()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _stream_print(
        self, stream: PrintStream, receive: Receive, send: Send, content_type: str
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", content_type.encode())],
            }
        )
        watcher = asyncio.create_task(watch_disconnect(receive, stream.close))
        try:
            while (lines := await stream.next_lines()) is not None:
                if lines:
                    body = "".join(line + "\n" for line in lines).encode()
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                    await asyncio.sleep(0)  # the disconnect watcher's turn (see _stream_rows)
            await send({"type": "http.response.body", "body": b""})
        finally:
            stream.close()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def close_query(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /close-query``: stop a push query by id; empty 200."""
        request = json_object(await read_body(receive, self.body_timeout))
        query_id = request.get("queryId")
        if not isinstance(query_id, str):
            raise http_error(40000, 'Invalid JSON in request: "queryId" is a required field')
        self.engine.close_query(query_id)
        await respond(send, 200, b"", None)

    # -- inserts ------------------------------------------------------------------------------

    async def inserts_stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /inserts-stream``: HTTP/2 only; one ack per row once it is stored, in order;
        an error ack ends it."""
        if not is_http2(scope):
            raise http_error(40004, "This endpoint is only available when using HTTP2")
        json_acks = negotiate(headers(scope).get("accept"), INSERTS_TYPES) == JSON
        inserter: Inserter | None = None
        window: InsertWindow | None = None
        seq = 0
        started = False
        first_ack = True
        pending: list[str] = []
        pumped = time.monotonic()

        async def start() -> None:
            nonlocal started
            headers = [(b"content-type", JSON.encode()), ELEMENTS_HEADER] if json_acks else []
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"", "more_body": True})
            started = True

        def answer() -> None:
            nonlocal first_ack
            if window is None:
                return
            for line in window.answers():
                if not json_acks:
                    pending.append(line)
                    continue
                # ksqlDB's JsonInsertsStreamResponseWriter: "[" + the first ack, "," + others.
                pending.append(("[" if first_ack else ",") + line.rstrip("\n") + ELEMENT_END)
                first_ack = False

        async def flush() -> None:
            # One send per round (connection.py cuts it at newlines, or at the ends of JSON
            # acks, so each ack still gets its own chunk or frame).
            answer()
            if pending:
                body = "".join(pending).encode()
                pending.clear()
                await send({"type": "http.response.body", "body": body, "more_body": True})
            pump()

        def pump(force: bool = False) -> None:
            # Stored rows are readable: persistent queries catch up, in batches (a query under
            # exactly-once commits a transaction each time).
            nonlocal pumped
            now = time.monotonic()
            if inserter is not None and (force or now - pumped >= PUMP_EVERY_S):
                inserter.done()
                pumped = now

        more = True
        lines = Lines()
        receiving: asyncio.Future[Message] | None = None
        try:
            while window is None or not window.ended:
                if more and receiving is None and (window is None or not window.full):
                    receiving = asyncio.ensure_future(receive())
                oldest = window.oldest() if window is not None else None
                waits = {w for w in (receiving, oldest) if w is not None}
                if not waits:
                    break
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                if receiving is None or not receiving.done():
                    await flush()
                    continue
                message, receiving = receiving.result(), None
                if message["type"] == "http.disconnect":
                    return  # rows in flight are still stored; nobody is left to hear of it
                more = message.get("more_body", False)
                try:
                    received = lines.feed(message.get("body", b""), more)
                except LineTooLong as exc:
                    if window is None:
                        raise http_error(40000, str(exc)) from exc
                    window.refused(seq, 40000, str(exc))
                    received, more = [], False
                for raw in received:
                    if not raw.strip():
                        continue
                    if inserter is None or window is None:
                        try:
                            inserter, target = self._inserter(raw)
                        except (KsqlHttpError, EngineError) as error:
                            refused = http_error_of(error)
                            # The error goes out at once, as ksqlDB sends it, so a client that
                            # keeps the request open (a duplex stream) hears it now; rows it
                            # still sends reset the stream (see connection.py).
                            body = dumps(refused.body).encode()
                            await respond(send, refused.status, body, JSON, refused.headers)
                            return
                        window = InsertWindow(target, IN_FLIGHT)
                        await start()
                        continue
                    while window.full and not window.ended:
                        waiter = window.oldest()
                        if waiter is not None:
                            await waiter
                        answer()
                    if window.ended:
                        break
                    try:
                        window.sent(seq, inserter.insert(_row(raw)))
                    except InsertFailed as exc:
                        window.refused(seq, exc.code, exc.message)
                        more = False
                        break
                    except OSError as exc:  # the row could not be stored (a full disk): not kept
                        _log.error("insert into %s failed: %s", window.target, exc)
                        window.refused(seq, 50000, INSERTS_FAILED)
                        more = False
                        break
                    seq += 1
                await flush()
        finally:
            if receiving is not None:
                receiving.cancel()
        if window is None:
            raise http_error(40000, 'Invalid JSON in request: "target" is a required field')
        if not started:
            await start()
        await flush()
        pump(force=True)
        closing = (b"[]" if first_ack else b"]") if json_acks else b""
        await send({"type": "http.response.body", "body": closing})

    def _inserter(self, raw: bytes) -> tuple[Inserter, str]:
        """The inserter the first line of an ``/inserts-stream`` names, and its target."""
        request = json_object(raw)
        target = request.get("target")
        if not isinstance(target, str):
            raise http_error(40000, 'Invalid JSON in request: "target" is a required field')
        return self.engine.inserter(target, object_field(request, "properties")), target


def _row(raw: bytes) -> dict[str, Any]:
    """One row of an inserts stream: a JSON object, else ksqlDB's error for it."""
    try:
        row = parse_json(raw)
    except ValueError as exc:
        raise InsertFailed(40000, "Invalid JSON in inserts stream") from exc
    if not isinstance(row, dict):
        raise InsertFailed(40000, "Invalid JSON in inserts stream")
    return row
