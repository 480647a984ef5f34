"""Opening the insert stream's own connection (TCP, TLS with ALPN h2, failover over the
configured URLs), the counters both stream twins keep, and the words for a lost connection."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ._config import ClientConfig
from ._duplex_exchange import _HTTP2_HINT, Exchange
from ._errors import (
    START_HINT,
    KsqlError,
    KsqlTimeoutError,
    ServerUnavailableError,
)

_BUFFER_LIMIT = 1 << 20
"""Bytes of rows ``send`` may buffer before it waits for the connection (flow control)."""
_READ = 1 << 16

_DEFAULT: Any = object()


def _endpoint(base: str) -> tuple[str, int, bool]:
    parts = urlsplit(base)
    tls = parts.scheme == "https"
    return parts.hostname or "localhost", parts.port or (443 if tls else 80), tls


def _tls_context(config: ClientConfig) -> ssl.SSLContext:
    context = config.ssl_context()
    assert isinstance(context, ssl.SSLContext)  # an https:// URL always gets a context
    context.set_alpn_protocols(["h2"])
    return context


def _connect_error(error: BaseException, config: ClientConfig, base: str) -> KsqlError:
    if isinstance(error, TimeoutError):
        return KsqlTimeoutError(
            f"could not connect to ksqlDB at {base} within {config.connect_timeout} s; check the "
            "URL and network, or raise connect_timeout="
        )
    reason = str(error) or type(error).__name__
    if isinstance(error, ssl.SSLCertVerificationError):
        reason = (
            "the server's TLS certificate is not trusted; pass verify='ca.pem' with its CA "
            "bundle (or verify=False for a test server)"
        )
    elif isinstance(error, ConnectionRefusedError):
        reason = "connection refused"
    elif isinstance(error, socket.gaierror):
        reason = "unknown host name"
    return ServerUnavailableError(
        reason, detail=f"cannot reach ksqlDB at {base} ({reason}); {START_HINT}"
    )


def _no_h2(base: str) -> ServerUnavailableError:
    return ServerUnavailableError(
        "no HTTP/2",
        detail=f"ksqlDB at {base} did not agree to HTTP/2 over TLS (ALPN)\n{_HTTP2_HINT}",
    )


def connect(config: ClientConfig, base: str) -> socket.socket:
    """A connected (TLS-wrapped for https) blocking socket, or a ksqlpy error."""
    host, port, tls = _endpoint(base)
    try:
        sock = socket.create_connection((host, port), timeout=config.connect_timeout)
    except OSError as error:
        raise _connect_error(error, config, base) from error
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            sock = _tls_context(config).wrap_socket(sock, server_hostname=host)
            if not isinstance(sock, ssl.SSLSocket) or sock.selected_alpn_protocol() != "h2":
                raise _no_h2(base)
    except OSError as error:
        sock.close()
        raise _connect_error(error, config, base) from error
    except KsqlError:
        sock.close()
        raise
    return sock


def _each_url(config: ClientConfig, first: str, open_one: Callable[[str], Any]) -> tuple[str, Any]:
    # Nothing was sent when a connection fails: the next URL may be tried.
    urls = list(config.urls)
    start = urls.index(first) if first in urls else 0
    order = urls[start:] + urls[:start]
    for i, base in enumerate(order):
        try:
            return base, open_one(base)
        except (ServerUnavailableError, KsqlTimeoutError):
            if i == len(order) - 1:
                raise
    raise AssertionError("unreachable")


class _Counts:
    """What both twins report about their request (read from the shared ``Exchange``)."""

    _x: Exchange
    _closed: bool

    @property
    def target(self) -> str:
        """The stream or table the rows go into."""
        return self._x.target

    @property
    def sent(self) -> int:
        """How many rows were given to ``send``."""
        return self._x.sent

    @property
    def acked(self) -> int:
        """How many rows the server has acknowledged."""
        return self._x.acked

    @property
    def pending(self) -> int:
        """How many rows were sent and are not acknowledged yet."""
        return len(self._x.pending)

    @property
    def closed(self) -> bool:
        """True once ``close()`` or ``abort()`` ran."""
        return self._closed


# -- the blocking twin --------------------------------------------------------------------------


def _reason(error: BaseException) -> str:
    if isinstance(error, ConnectionResetError):
        return "connection reset"
    if isinstance(error, BrokenPipeError):
        return "broken pipe"
    return str(error) or type(error).__name__
