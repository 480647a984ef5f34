"""Connection options of the clients, validated once, and the retry policy.

Every contradiction is caught here with a message that names the option, before any socket
opens: two kinds of credentials, TLS files with an ``http://`` URL, a negative timeout.
"""

from __future__ import annotations

import base64
import random
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict, Unpack, get_type_hints
from urllib.parse import urlsplit

from ._errors import ConfigurationError
from ._version import __version__

__all__ = ["OPTIONS", "ClientConfig", "ClientOptions", "Option", "RetryPolicy", "options_doc"]

DEFAULT_URL = "http://localhost:8088"

Verify = bool | str | ssl.SSLContext
Cert = str | tuple[str, str] | tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries with exponential backoff and jitter, for idempotent requests only.

    A request is retried when it could not connect, its connection broke, or the server answered
    502/503/504 (``Retry-After`` is honoured up to ``max_backoff``). Statements that change state
    (CREATE, INSERT, TERMINATE, ...) are never retried: the first attempt may have run.
    """

    retries: int = 2
    backoff: float = 0.25
    max_backoff: float = 5.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or None when out of retries."""
        if attempt >= self.retries:
            return None
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), self.max_backoff)
            except ValueError:
                pass  # an HTTP date: fall back to our own backoff
        base: float = min(self.backoff * (2**attempt), self.max_backoff)
        return base * (0.5 + random.random() / 2)  # jitter: 50-100 % of the step


RETRYABLE_STATUS = frozenset({502, 503, 504})


@dataclass(frozen=True, slots=True)
class Option:
    """A client option's default and its one-line description (docs and help read it)."""

    default: Any
    doc: str


class ClientOptions(TypedDict, total=False):
    """The keyword options of ``Client`` and ``AsyncClient``, declared once.

    Both constructors take them as ``**options``, ``ClientConfig.from_options`` validates them,
    and the clients' docstrings and docs/client.md list them from ``OPTIONS``.
    """

    auth: Annotated[tuple[str, str] | None, Option(None, "HTTP Basic credentials (user, password)")]
    bearer_token: Annotated[str | None, Option(None, "an OAuth bearer token, sent as is")]
    api_key: Annotated[str | None, Option(None, "a Confluent Cloud API key (with api_secret)")]
    api_secret: Annotated[str | None, Option(None, "the secret of api_key")]
    verify: Annotated[
        Verify, Option(True, "TLS: False, a CA bundle path or an ssl.SSLContext (https:// only)")
    ]
    cert: Annotated[
        Cert | None, Option(None, "a client certificate: PEM path, (cert, key) or (cert, key, pw)")
    ]
    connect_timeout: Annotated[float | None, Option(10.0, "seconds to connect; None waits forever")]
    read_timeout: Annotated[
        float | None,
        Option(60.0, "seconds for each reply (or insert ack) to start; None waits forever"),
    ]
    headers: Annotated[
        Mapping[str, str] | None, Option(None, "extra HTTP headers sent with every request")
    ]
    http2: Annotated[bool, Option(True, "HTTP/2 (h2c on http://, ALPN on https://); False: 1.1")]
    retries: Annotated[int, Option(2, "retries of idempotent requests after a broken connection")]
    backoff: Annotated[float, Option(0.25, "first retry delay in seconds (doubles, with jitter)")]
    properties: Annotated[
        Mapping[str, Any] | None,
        Option(None, "ksqlDB properties sent with every statement and query"),
    ]


OPTIONS: Mapping[str, Option] = {
    name: hint.__metadata__[0]
    for name, hint in get_type_hints(ClientOptions, include_extras=True).items()
}
"""Each option of ``ClientOptions`` with its default and description, in declaration order."""


def options_doc() -> str:
    """The options as a docstring section (appended to the clients' docstrings)."""
    lines = ["", "Keyword options (``ClientOptions``), besides ``transport``:", ""]
    lines += [f"- ``{name}={spec.default!r}``: {spec.doc}" for name, spec in OPTIONS.items()]
    # Indented as the docstrings it ends, so inspect.cleandoc dedents both alike.
    return "".join(f"    {line}\n" if line else "\n" for line in lines)


def _unknown(name: str) -> str:
    import difflib  # only for this message

    close = difflib.get_close_matches(name, OPTIONS, n=1)
    hint = f"did you mean {close[0]}=? " if close else ""
    return f"unknown client option {name}=; {hint}the options are: {', '.join(OPTIONS)}"


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """The validated options of a ``Client`` or ``AsyncClient`` (build with ``from_options``)."""

    urls: tuple[str, ...]
    headers: Mapping[str, str]
    verify: Verify
    cert: Cert | None
    connect_timeout: float | None
    read_timeout: float | None
    http2: bool
    retry: RetryPolicy
    properties: Mapping[str, Any] = field(default_factory=dict)
    tls: bool = False

    @classmethod
    def from_options(
        cls, url: str | Sequence[str] = DEFAULT_URL, **options: Unpack[ClientOptions]
    ) -> ClientConfig:
        """Validate the keyword options of the clients; ConfigurationError names what is wrong."""
        unknown = sorted(set(options) - OPTIONS.keys())
        if unknown:
            raise ConfigurationError(_unknown(unknown[0]))
        given: dict[str, Any] = {name: spec.default for name, spec in OPTIONS.items()}
        given.update(options)
        auth, bearer_token = given["auth"], given["bearer_token"]
        api_key, api_secret = given["api_key"], given["api_secret"]
        verify, cert, headers = given["verify"], given["cert"], given["headers"]
        connect_timeout, read_timeout = given["connect_timeout"], given["read_timeout"]
        retries, backoff = given["retries"], given["backoff"]
        urls = _urls(url)
        schemes = {urlsplit(u).scheme for u in urls}
        if len(schemes) > 1:
            raise ConfigurationError(
                f"all URLs must use the same scheme, got {', '.join(urls)}; use all http:// or "
                "all https://"
            )
        tls = schemes == {"https"}
        if not tls and (cert is not None or isinstance(verify, str | ssl.SSLContext)):
            raise ConfigurationError(
                f"cert= or a CA bundle in verify= needs an https:// URL, got {urls[0]}; "
                "change the URL to https://"
            )
        out_headers = {"User-Agent": f"ksqlpy/{__version__}"}
        for name, value in (headers or {}).items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise ConfigurationError(f"headers must map str to str, got {name!r}: {value!r}")
            out_headers[name] = value
        authorization = _authorization(auth, bearer_token, api_key, api_secret)
        if authorization is not None:
            if any(name.lower() == "authorization" for name in out_headers):
                raise ConfigurationError(
                    "an Authorization header was given in headers= and credentials too; "
                    "pass only one"
                )
            out_headers["Authorization"] = authorization
        for option, seconds in (
            ("connect_timeout", connect_timeout),
            ("read_timeout", read_timeout),
        ):
            if seconds is not None and (not isinstance(seconds, int | float) or seconds <= 0):
                raise ConfigurationError(
                    f"{option} must be a positive number of seconds or None, got {seconds!r}"
                )
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise ConfigurationError(f"retries must be an int >= 0, got {retries!r}")
        if not isinstance(backoff, int | float) or backoff < 0:
            raise ConfigurationError(f"backoff must be >= 0 seconds, got {backoff!r}")
        if cert is not None and not (
            isinstance(cert, str)
            or (
                isinstance(cert, tuple)
                and len(cert) in (2, 3)
                and all(isinstance(c, str) for c in cert)
            )
        ):
            raise ConfigurationError(
                "cert must be a PEM path, (cert, key) or (cert, key, password), got "
                f"{type(cert).__name__}"
            )
        if not isinstance(verify, bool | str | ssl.SSLContext):
            raise ConfigurationError(
                f"verify must be True, False, a CA bundle path or an ssl.SSLContext, got {verify!r}"
            )
        return cls(
            urls=urls,
            headers=out_headers,
            verify=verify,
            cert=cert,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            http2=bool(given["http2"]),
            retry=RetryPolicy(retries, float(backoff)),
            properties=dict(given["properties"] or {}),
            tls=tls,
        )

    def ssl_context(self) -> ssl.SSLContext | bool:
        """A fresh TLS context (one per httpx client, since each sets its own ALPN list)."""
        if not self.tls:
            return True
        if isinstance(self.verify, ssl.SSLContext):
            return self.verify
        if self.verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif isinstance(self.verify, str):
            try:
                context = ssl.create_default_context(cafile=self.verify)
            except (OSError, ssl.SSLError) as error:
                raise ConfigurationError(
                    f"cannot load the CA bundle verify={self.verify!r}: {error}"
                ) from error
        else:
            context = ssl.create_default_context()
        if self.cert is not None:
            certfile, keyfile, password = _cert_parts(self.cert)
            try:
                context.load_cert_chain(certfile, keyfile, password)
            except (OSError, ssl.SSLError) as error:
                raise ConfigurationError(
                    f"cannot load the client certificate cert={certfile!r}: {error}"
                ) from error
        return context


def _cert_parts(cert: Cert) -> tuple[str, str | None, str | None]:
    if isinstance(cert, str):
        return cert, None, None
    if len(cert) == 2:
        return cert[0], cert[1], None
    return cert[0], cert[1], cert[2]


def _urls(url: str | Sequence[str]) -> tuple[str, ...]:
    raw = [url] if isinstance(url, str) else list(url)
    if not raw:
        raise ConfigurationError("no ksqlDB URL given; pass url='http://localhost:8088'")
    out: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            raise ConfigurationError(f"a URL must be a string, got {item!r}")
        parts = urlsplit(item.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                f"{item!r} is not an http:// or https:// URL; pass e.g. 'http://localhost:8088'"
            )
        if parts.query or parts.fragment:
            raise ConfigurationError(f"the URL {item!r} must not have a query or fragment")
        out.append(item.strip().rstrip("/"))
    return tuple(out)


def _authorization(
    auth: tuple[str, str] | None,
    bearer_token: str | None,
    api_key: str | None,
    api_secret: str | None,
) -> str | None:
    given = [
        name
        for name, value in (("auth", auth), ("bearer_token", bearer_token), ("api_key", api_key))
        if value is not None
    ]
    if len(given) > 1:
        raise ConfigurationError(f"pass only one kind of credentials, got {' and '.join(given)}")
    if api_secret is not None and api_key is None:
        raise ConfigurationError("api_secret= needs api_key= (a Confluent Cloud API key)")
    if auth is not None:
        if not (
            isinstance(auth, tuple) and len(auth) == 2 and all(isinstance(a, str) for a in auth)
        ):
            raise ConfigurationError("auth must be a (username, password) tuple of strings")
        return _basic(*auth)
    if bearer_token is not None:
        if not isinstance(bearer_token, str) or not bearer_token:
            raise ConfigurationError("bearer_token must be a non-empty string")
        return f"Bearer {bearer_token}"
    if api_key is not None:
        if api_secret is None:
            raise ConfigurationError(
                "api_key= needs api_secret= too (the Confluent Cloud API key's secret)"
            )
        # Confluent Cloud ksqlDB takes an API key and secret as HTTP Basic credentials.
        return _basic(api_key, api_secret)
    return None


def _basic(user: str, password: str) -> str:
    if ":" in user:
        raise ConfigurationError("a Basic auth username cannot contain ':'")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"
