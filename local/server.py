"""``LocalServer``: the app served by hypercorn on one port (HTTP/1.1, h2c, and h2 over TLS).

hypercorn is the one server measured here that serves HTTP/1.1, cleartext HTTP/2 with prior
knowledge and ALPN h2 on a single port, and does full-duplex HTTP/2 for ``/inserts-stream``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TypeVar

from hypercorn.app_wrappers import ASGIWrapper
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config

from . import storage
from .app import KsqlApp
from .connection import connection_handler
from .engine import Engine
from .http_rules import BasicAuth
from .storage import FileLog, Log, MemoryLog
from .udf import load as load_udfs

PUMP_INTERVAL_S = 0.1
# A connection with no request in flight is closed after this long (it also bounds a client
# that trickles the head of a request).
IDLE_TIMEOUT_S = 120.0
# Answers to requests still running at shutdown get this long to finish.
GRACE_S = 1.0

_http_log = logging.getLogger("ksqlpy.local.http")
T = TypeVar("T")


class _LoopErrors:
    """The event loop's exception handler: expected noise dropped, descriptor exhaustion said
    at most once a minute (asyncio itself retries accepting every second), the rest reported."""

    def __init__(self) -> None:
        self.said_at: float | None = None

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        exc = context.get("exception")
        if isinstance(exc, asyncio.CancelledError):
            return  # connection tasks cancelled at shutdown
        if isinstance(exc, ValueError) and "._start_serving(" in str(context.get("message")):
            # asyncio's retry of accepting (a second after running out of descriptors) fired
            # after the server closed its listening socket: nothing is left to accept on.
            return
        if context.get("message") == "socket.accept() out of system resource":
            now = loop.time()
            if self.said_at is None or now - self.said_at > 60:
                self.said_at = now
                _http_log.warning(
                    "cannot accept connections: %s; retrying every second "
                    "(raise the limit with 'ulimit -n' or close idle clients)",
                    exc,
                )
            return
        loop.default_exception_handler(context)


def _check_tls_files(certfile: Path, keyfile: Path) -> None:
    """Load the certificate and key once, so a bad one is named before the server starts."""
    for kind, path, marker in (
        ("certificate", certfile, "-----BEGIN CERTIFICATE-----"),
        ("key", keyfile, "PRIVATE KEY-----"),
    ):
        try:
            text = path.read_bytes().decode("latin-1")
        except OSError as exc:
            raise ValueError(f"cannot read TLS {kind} file '{path}': {exc.strerror}") from exc
        if marker not in text:
            raise ValueError(f"TLS {kind} file '{path}' holds no PEM {kind} ({marker} not found)")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except ssl.SSLError as exc:
        reason = (exc.reason or exc.strerror or str(exc)).replace("_", " ").lower()
        raise ValueError(
            f"TLS certificate '{certfile}' and key '{keyfile}' cannot be used together: {reason} "
            "(is the key the certificate's own, unencrypted?)"
        ) from exc


class LocalServer:
    """A ksqlDB-compatible server on a free port, in a background thread or an asyncio task.

    Example::

        with LocalServer() as server:
            print(server.url)          # http://127.0.0.1:PORT

    ``user``/``password`` turn on HTTP basic auth; ``certfile``/``keyfile`` turn on TLS (with
    HTTP/2 by ALPN). Port 0 picks a free port. ``config`` holds server properties such as
    ``{"ksql.streams.auto.offset.reset": "earliest"}``, the defaults of every request.
    ``data_dir`` keeps topics, streams, tables and queries across restarts (``fsync=True`` also
    flushes every change to the disk before it is acknowledged, for power loss; without it a
    killed process loses nothing acknowledged, the kernel holds it); ``bootstrap_servers`` puts
    every topic on that Kafka cluster instead (``service_id`` names the server's command topic
    and consumer groups there, as ksqlDB's ``ksql.service.id``; a broker still starting is
    waited for ``kafka_timeout`` seconds). ``idle_timeout`` closes
    a connection with no request in flight after that many seconds (open queries keep theirs).
    ``udfs`` loads Python user functions (modules, module names, files, folders; see ``udf``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        user: str | None = None,
        password: str | None = None,
        certfile: str | Path | None = None,
        keyfile: str | Path | None = None,
        log: Log | None = None,
        config: dict[str, str] | None = None,
        data_dir: str | Path | None = None,
        idle_timeout: float = IDLE_TIMEOUT_S,
        fsync: bool = False,
        udfs: Sequence[str | Path | ModuleType] = (),
        bootstrap_servers: str | None = None,
        service_id: str | None = None,
        kafka_timeout: float = 30.0,
    ) -> None:
        if (user is None) != (password is None):
            raise ValueError("basic auth needs both a user and a password")
        if (certfile is None) != (keyfile is None):
            raise ValueError("TLS needs both a certificate file and a key file")
        if certfile is not None and keyfile is not None:
            _check_tls_files(Path(certfile), Path(keyfile))
        self.host = host
        self.port = port
        self.tls = certfile is not None
        load_udfs(udfs)  # Python UDFs: refused here, before anything starts (UdfLoadError)
        store = Path(data_dir) if data_dir is not None else None
        self._owns_log = log is None
        if bootstrap_servers and store is not None:
            raise ValueError("use either a data directory or a Kafka cluster, not both")
        if service_id is not None:
            config = {**(config or {}), "ksql.service.id": service_id}
        if log is None and bootstrap_servers:
            log = storage.KafkaLog(bootstrap_servers, connect_timeout=kafka_timeout)
        elif log is None:
            log = FileLog(store, fsync=fsync) if store is not None else MemoryLog()
        try:
            self.engine = Engine(log, config=config, store=store)
            self.engine.restore()
        except BaseException:
            if self._owns_log:  # a failed start frees the data dir, threads and connections
                log.close()
            raise
        self.app = KsqlApp(self.engine, BasicAuth(user, password) if user and password else None)
        self.config = Config()
        # Only a connection with no request in flight times out: push queries stay open.
        self.config.keep_alive_timeout = idle_timeout
        self.config.graceful_timeout = GRACE_S
        # hypercorn closes an HTTP/2 connection after 1,000 requests by default; clients that
        # keep one connection for a long session (inserts, shells) should not see that.
        self.config.keep_alive_max_requests = 1 << 31
        self.config.h2_max_inbound_frame_size = 1 << 20
        self.config.accesslog = None
        self.config.errorlog = _http_log
        if certfile is not None and keyfile is not None:
            self.config.certfile = str(certfile)
            self.config.keyfile = str(keyfile)
        self._sock: socket.socket | None = None
        self._loop_errors = _LoopErrors()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """``http(s)://host:port`` of the running server."""
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def _bind(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # The protocol named, so asyncio turns Nagle off on accepted sockets (it checks it).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise OSError(
                exc.errno, f"cannot listen on {self.host}:{self.port}: {exc.strerror}"
            ) from exc
        sock.listen(256)
        self.port = sock.getsockname()[1]
        self._sock = sock

    async def serve(self) -> None:
        """Serve until :meth:`stop` (or task cancellation); binds first if needed."""
        if self._sock is None:
            self._bind()
        assert self._sock is not None
        self._loop = asyncio.get_running_loop()
        self._loop.set_exception_handler(self._loop_errors)
        self._stop = asyncio.Event()
        context = WorkerContext(None)
        connections: set[asyncio.Task[None]] = set()
        writers: set[asyncio.StreamWriter] = set()
        app = ASGIWrapper(self.app)  # type: ignore[arg-type]
        handle = connection_handler(app, self.config, context, connections, writers)

        listener = await asyncio.start_server(
            handle,
            sock=self._sock,
            ssl=self.config.create_ssl_context(),
            ssl_handshake_timeout=self.config.ssl_handshake_timeout if self.tls else None,
        )
        self._ready.set()
        pumping = asyncio.ensure_future(self._pump())
        try:
            await self._stop.wait()
        finally:
            pumping.cancel()
            await context.terminated.set()
            listener.close()
            for query in list(self.engine.queries.values()):
                query.close()
            if connections:
                _, late = await asyncio.wait(connections, timeout=GRACE_S)
                for task in late:
                    task.cancel()
                if late:
                    await asyncio.wait(late, timeout=GRACE_S)
            for writer in list(writers):  # accepted at the last moment, never run
                writer.close()
            await listener.wait_closed()
            self._sock = None

    @property
    def ready(self) -> bool:
        """Whether the server accepts connections."""
        return self._ready.is_set() and self._error is None

    def call(self, work: Callable[[], T], timeout: float = 30.0) -> T:
        """Run ``work`` on the server's event loop and return its result: the engine is not
        thread-safe, and its own requests and timer run it there (code that drives
        ``server.engine`` from another thread, such as a test harness, goes through this)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the server is not running")
        done: Future[T] = Future()

        def run() -> None:
            try:
                done.set_result(work())
            except BaseException as exc:  # handed to the caller's thread
                done.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return done.result(timeout)

    def request_stop(self) -> None:
        """Ask :meth:`serve` to stop (from the server's own event loop); open queries end first."""
        for query in list(self.engine.queries.values()):
            query.close()
        if self._stop is not None:
            self._stop.set()

    async def _pump(self) -> None:
        # Records can reach the log without a request (another thread, a Kafka-backed log):
        # persistent queries catch up on a short timer as well as after every request.
        while True:
            await asyncio.sleep(PUMP_INTERVAL_S)
            self.engine.pump()

    def start(self) -> LocalServer:
        """Start serving in a background thread; returns once the port accepts connections."""
        if self._thread is not None:
            return self
        self._bind()

        def run() -> None:
            try:
                asyncio.run(self.serve())
            except BaseException as exc:  # surfaced to the thread that called start()
                self._error = exc
                self._ready.set()

        self._thread = threading.Thread(target=run, name="ksqlpy-local-server", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise RuntimeError(f"the local server failed to start: {self._error}") from self._error
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread; a second call does nothing."""
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(self.request_stop)
        if thread is not None:
            thread.join(timeout=10)
        self._thread = None
        self._loop = None
        if self._owns_log:
            self.engine.log.close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
