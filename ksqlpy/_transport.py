"""The httpx boundary: the only module that touches httpx, and where its exceptions stop.

Every httpx exception becomes a ksqlpy error here, ``from`` the original, with a message that says
what happened and what to do. Two twins (sync and async) share the error mapping, the client
construction and the retry/failover loops: ``send_flow`` and ``stream_flow`` are sans-IO
generators (as httpx's ``Auth.auth_flow``) that say what to do next, and each twin only performs
it, with or without ``await``.

HTTP versions: the main client speaks HTTP/2 when ``http2=True`` (prior knowledge on
``http://``, ALPN on ``https://``) and HTTP/1.1 otherwise. ``/inserts-stream`` is HTTP/2-only on
the server (§2), so inserts always go through a second, HTTP/2-only client created on first use.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from ._config import RETRYABLE_STATUS, ClientConfig
from ._errors import (
    START_HINT,
    ClientClosedError,
    KsqlError,
    KsqlTimeoutError,
    ProtocolError,
    ServerUnavailableError,
)
from ._protocol import Request, error_from_body

__all__ = ["AsyncTransport", "Reply", "SyncTransport"]


@dataclass(frozen=True, slots=True)
class _Attempt:
    """Send the request to ``base`` and send back the response, or the httpx error."""

    base: str


@dataclass(frozen=True, slots=True)
class _Pause:
    """Sleep before the next attempt."""

    seconds: float


class _Renew:
    """Replace the main client with an HTTP/1.1 one (h2c by prior knowledge was refused)."""


_RENEW = _Renew()
_Step = _Attempt | _Pause | _Renew

_Silent = Callable[[], KsqlError]
"""Builds the error for a stream body that stayed silent past its idle timeout."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A buffered response: status, body and the request it answers (for messages)."""

    status: int
    body: bytes
    where: str


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "certificate_verify_failed" in lowered or "certificate verify failed" in lowered:
        return (
            "the server's TLS certificate is not trusted; pass verify='ca.pem' with its CA "
            "bundle (or verify=False for a test server)"
        )
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "unknown host name"
    if "connectionterminated" in lowered:
        return "the server closed the HTTP/2 connection"
    return text


def map_error(error: BaseException, where: str, base: str, timeout: float | None) -> KsqlError:
    """The ksqlpy error for an httpx (or socket) failure during ``where``."""
    if isinstance(error, httpx.ConnectTimeout):
        return KsqlTimeoutError(
            f"could not connect to ksqlDB at {base} within {timeout} s; check the URL and "
            f"network, or raise connect_timeout="
        )
    if isinstance(error, httpx.TimeoutException):
        return KsqlTimeoutError(
            f"ksqlDB at {base} did not answer {where} within {timeout} s; raise read_timeout= "
            "or check the server's load"
        )
    if isinstance(error, httpx.ConnectError):
        return ServerUnavailableError(
            _reason(error),
            detail=f"cannot reach ksqlDB at {base} ({_reason(error)}); {START_HINT}",
        )
    if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL | httpx.LocalProtocolError):
        return ProtocolError(f"cannot send {where} to {base}: {error}")
    if isinstance(error, httpx.TransportError | OSError):
        return ServerUnavailableError(
            _reason(error),
            detail=(
                f"the connection to ksqlDB at {base} broke during {where} ({_reason(error)}); "
                "the server may have stopped or a proxy closed the connection; retry once it "
                "is back"
            ),
        )
    return ServerUnavailableError(str(error), detail=f"{where} to ksqlDB at {base} failed: {error}")


def _connect_failure(error: BaseException) -> bool:
    # Nothing was sent: safe to try the next URL, whatever the request.
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)


def _retryable(error: BaseException) -> bool:
    return isinstance(error, httpx.TransportError) and not isinstance(
        error, httpx.UnsupportedProtocol | httpx.LocalProtocolError
    )


class _Base:
    """What the twins share: options, URL rotation, timeouts, httpx client arguments."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self._url = 0
        self.closed = False
        # h2c by prior knowledge fails against servers and proxies that speak only HTTP/1.1;
        # until an HTTP/2 reply proves it works, such a failure switches to HTTP/1.1 once.
        self._h2c_unproven = config.http2 and not config.tls
        self.http1_fallback = False

    def _falls_back(self, error: BaseException) -> bool:
        # Such a server answers the HTTP/2 preface with an HTTP/1.1 error and closes: seen as a
        # protocol error, or a reset or broken pipe depending on timing.
        broken = httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError
        if self._h2c_unproven and isinstance(error, broken):
            self._h2c_unproven = False
            self.http1_fallback = True
            return True
        return False

    @property
    def base(self) -> str:
        """The URL requests go to now (rotates to the next one when a connection fails)."""
        return self.config.urls[self._url]

    def _rotate(self) -> bool:
        if len(self.config.urls) == 1:
            return False
        self._url = (self._url + 1) % len(self.config.urls)
        return True

    def _timeout(self, request: Request) -> httpx.Timeout:
        # Streams too must start within read_timeout; _quiet_allowed lifts it once push queries
        # have. Insert acks keep it: a server that stops acking must not hang the inserts.
        read = self.config.read_timeout
        if request.timeout is not None and (read is None or request.timeout < read):
            read = request.timeout
        return httpx.Timeout(
            connect=self.config.connect_timeout,
            read=read,
            write=read,
            pool=self.config.connect_timeout,
        )

    @staticmethod
    def _quiet_allowed(built: httpx.Request, idle_timeout: float | None) -> None:
        """A started push query may stay silent as long as it likes, or ``idle_timeout`` seconds.

        httpcore reads the read timeout from the request's extensions at each read of the body,
        so changing it after the response headers arrived applies to the body only.
        """
        timeout = built.extensions.get("timeout")
        if isinstance(timeout, dict):
            timeout["read"] = idle_timeout

    def _client_args(self, *, inserts: bool) -> dict[str, Any]:
        http2 = (self.config.http2 and not self.http1_fallback) or inserts
        # Cleartext HTTP/2 needs prior knowledge (http1=False); over TLS ALPN picks it.
        http1 = not inserts and not (http2 and not self.config.tls)
        return {
            "http1": http1,
            "http2": http2,
            "verify": self.config.ssl_context(),
            "headers": dict(self.config.headers),
            "timeout": httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout),
            "follow_redirects": False,
        }

    def _headers(self, request: Request) -> dict[str, str]:
        headers = {}
        if request.accept is not None:
            headers["Accept"] = request.accept
        if request.body is not None:
            headers["Content-Type"] = "application/json"
        return headers

    def _where(self, request: Request) -> str:
        return f"{request.method} {request.path}"

    def _check_open(self) -> None:
        if self.closed:
            raise ClientClosedError(
                "this client is closed; create a new Client (or use it in a 'with' block)"
            )

    def _body_error(self, error: BaseException, where: str, silent: _Silent | None) -> KsqlError:
        if silent is not None and isinstance(error, httpx.ReadTimeout):
            return silent()
        return map_error(error, where, self.base, self.config.read_timeout)

    def send_flow(self, request: Request) -> Generator[_Step, Any, Reply]:
        """The retry/failover loop of ``send``, without I/O: both twins drive it.

        It yields what to do next -- ``_Attempt`` (send to that URL; the twin sends back the
        response or the httpx error), ``_Pause`` (sleep), ``_Renew`` (a new HTTP/1.1 client) --
        and returns the reply or raises the mapped error.
        """
        attempt = 0
        tried = 0
        while True:
            base = self.base
            outcome = yield _Attempt(base)
            if isinstance(outcome, httpx.HTTPError):
                if self._falls_back(outcome):
                    yield _RENEW
                    continue
                tried += 1
                if _connect_failure(outcome) and tried < len(self.config.urls) and self._rotate():
                    continue
                delay = self.config.retry.delay(attempt) if request.idempotent else None
                if delay is None or not _retryable(outcome):
                    raise self._mapped(outcome, request, base) from outcome
                attempt += 1
                yield _Pause(delay)
                continue
            response: httpx.Response = outcome
            self._h2c_unproven = False
            if response.status_code in RETRYABLE_STATUS and request.idempotent:
                delay = self.config.retry.delay(attempt, response.headers.get("retry-after"))
                if delay is not None:
                    attempt += 1
                    yield _Pause(delay)
                    continue
            if response.status_code != 200:
                raise self.error_for(response.status_code, response.content, request)
            return Reply(
                response.status_code, response.content, f"{self._where(request)} at {base}"
            )

    def stream_flow(self, request: Request, inserts: bool) -> Generator[_Step, Any, None]:
        """The failover loop of ``open_stream``, without I/O; returns once a response came.

        The twin reads a non-200 response's body itself (that is I/O) and raises ``error_for``.
        """
        tried = 0
        while True:
            base = self.base
            outcome = yield _Attempt(base)
            if not isinstance(outcome, httpx.HTTPError):
                if not inserts:
                    self._h2c_unproven = False
                return
            if not inserts and self._falls_back(outcome):
                yield _RENEW
                continue
            tried += 1
            if _connect_failure(outcome) and tried < len(self.config.urls) and self._rotate():
                continue
            raise self._mapped(outcome, request, base) from outcome

    def _mapped(self, error: BaseException, request: Request, base: str) -> KsqlError:
        timeout = (
            self.config.connect_timeout
            if isinstance(error, httpx.ConnectTimeout)
            else self.config.read_timeout
        )
        return map_error(error, self._where(request), base, timeout)

    def error_for(self, status: int, body: bytes, request: Request) -> KsqlError:
        """The exception for a non-200 reply to ``request``."""
        return error_from_body(status, body, where=f"{self._where(request)} at {self.base}")


class SyncTransport(_Base):
    """Blocking requests over ``httpx.Client`` with retries, failover and error mapping."""

    def __init__(self, config: ClientConfig, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(config)
        self._mock = transport
        self._client = self._make(inserts=False)
        self._inserts: httpx.Client | None = None

    def _make(self, *, inserts: bool) -> httpx.Client:
        args = self._client_args(inserts=inserts)
        if self._mock is not None:
            args["transport"] = self._mock
        return httpx.Client(**args)

    def send(self, request: Request) -> Reply:
        """Send ``request`` and read the whole body; non-200 replies raise the mapped error."""
        self._check_open()
        flow = self.send_flow(request)
        step = next(flow)
        while True:
            outcome: Any = None
            if isinstance(step, _Attempt):
                try:
                    outcome = self._client.request(
                        request.method,
                        step.base + request.path,
                        content=request.body,
                        headers=self._headers(request),
                        timeout=self._timeout(request),
                    )
                except httpx.HTTPError as error:
                    outcome = error
            elif isinstance(step, _Pause):
                time.sleep(step.seconds)
            else:
                self._client.close()
                self._client = self._make(inserts=False)
            try:
                step = flow.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    def open_stream(
        self,
        request: Request,
        content: Iterable[bytes] | None = None,
        *,
        inserts: bool = False,
        idle_timeout: float | None = None,
    ) -> httpx.Response:
        """Send ``request`` and return the streaming response once its status is 200.

        The body may then stay silent for ``idle_timeout`` seconds (None: forever); insert
        acks keep ``read_timeout``.
        """
        self._check_open()
        client = self._client
        if inserts:
            if self._inserts is None:
                self._inserts = self._make(inserts=True)
            client = self._inserts
        flow = self.stream_flow(request, inserts)
        step = next(flow)
        response: httpx.Response | None = None
        while True:
            outcome: Any = None
            if isinstance(step, _Attempt):
                try:
                    built = client.build_request(
                        request.method,
                        step.base + request.path,
                        content=request.body if content is None else content,
                        headers=self._headers(request),
                        timeout=self._timeout(request),
                    )
                    outcome = response = client.send(built, stream=True)
                    if not inserts:
                        self._quiet_allowed(built, idle_timeout)
                except httpx.HTTPError as error:
                    outcome = error
            else:  # _Renew: an HTTP/1.1 client after h2c failed
                self._client.close()
                client = self._client = self._make(inserts=False)
            try:
                step = flow.send(outcome)
            except StopIteration:
                break
        assert response is not None
        if response.status_code == 200:
            return response
        try:
            body = response.read()
        except httpx.HTTPError:
            body = b""
        finally:
            response.close()
        raise self.error_for(response.status_code, body, request)

    def chunks(
        self, response: httpx.Response, where: str, silent: _Silent | None = None
    ) -> Iterator[bytes]:
        """The body of a streaming response as it arrives; failures become ksqlpy errors.

        ``silent`` builds the error for a body that stayed quiet past its idle timeout.
        """
        try:
            yield from response.iter_bytes()
        except httpx.HTTPError as error:
            raise self._body_error(error, where, silent) from error

    def close(self) -> None:
        """Close the connections; a second call does nothing."""
        if self.closed:
            return
        self.closed = True
        self._client.close()
        if self._inserts is not None:
            self._inserts.close()


class AsyncTransport(_Base):
    """The ``httpx.AsyncClient`` twin of ``SyncTransport``."""

    def __init__(
        self, config: ClientConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(config)
        self._mock = transport
        self._client = self._make(inserts=False)
        self._inserts: httpx.AsyncClient | None = None

    def _make(self, *, inserts: bool) -> httpx.AsyncClient:
        args = self._client_args(inserts=inserts)
        if self._mock is not None:
            args["transport"] = self._mock
        return httpx.AsyncClient(**args)

    async def send(self, request: Request) -> Reply:
        """Send ``request`` and read the whole body; non-200 replies raise the mapped error."""
        self._check_open()
        flow = self.send_flow(request)
        step = next(flow)
        while True:
            outcome: Any = None
            if isinstance(step, _Attempt):
                try:
                    outcome = await self._client.request(
                        request.method,
                        step.base + request.path,
                        content=request.body,
                        headers=self._headers(request),
                        timeout=self._timeout(request),
                    )
                except httpx.HTTPError as error:
                    outcome = error
            elif isinstance(step, _Pause):
                await asyncio.sleep(step.seconds)
            else:
                await self._client.aclose()
                self._client = self._make(inserts=False)
            try:
                step = flow.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    async def open_stream(
        self,
        request: Request,
        content: Iterable[bytes] | AsyncIterator[bytes] | None = None,
        *,
        inserts: bool = False,
        idle_timeout: float | None = None,
    ) -> httpx.Response:
        """Send ``request`` and return the streaming response once its status is 200."""
        self._check_open()
        client = self._client
        if inserts:
            if self._inserts is None:
                self._inserts = self._make(inserts=True)
            client = self._inserts
        flow = self.stream_flow(request, inserts)
        step = next(flow)
        response: httpx.Response | None = None
        while True:
            outcome: Any = None
            if isinstance(step, _Attempt):
                try:
                    built = client.build_request(
                        request.method,
                        step.base + request.path,
                        content=request.body if content is None else _aiter(content),
                        headers=self._headers(request),
                        timeout=self._timeout(request),
                    )
                    outcome = response = await client.send(built, stream=True)
                    if not inserts:
                        self._quiet_allowed(built, idle_timeout)
                except httpx.HTTPError as error:
                    outcome = error
            else:  # _Renew: an HTTP/1.1 client after h2c failed
                await self._client.aclose()
                client = self._client = self._make(inserts=False)
            try:
                step = flow.send(outcome)
            except StopIteration:
                break
        assert response is not None
        if response.status_code == 200:
            return response
        try:
            body = await response.aread()
        except httpx.HTTPError:
            body = b""
        finally:
            await response.aclose()
        raise self.error_for(response.status_code, body, request)

    async def chunks(
        self, response: httpx.Response, where: str, silent: _Silent | None = None
    ) -> AsyncIterator[bytes]:
        """The body of a streaming response as it arrives; failures become ksqlpy errors."""
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        except httpx.HTTPError as error:
            raise self._body_error(error, where, silent) from error

    async def close(self) -> None:
        """Close the connections; a second call does nothing."""
        if self.closed:
            return
        self.closed = True
        await self._client.aclose()
        if self._inserts is not None:
            await self._inserts.aclose()


async def _aiter(content: Iterable[bytes] | AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if isinstance(content, AsyncIterator):
        async for chunk in content:
            yield chunk
    else:
        for chunk in content:
            yield chunk
