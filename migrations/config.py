"""``ksql-migrations.properties``: the project's settings, read as ksql-migrations reads them.

The file is a Java properties file (``_properties``); its keys, defaults and checks are those of
ksql-migrations' ``MigrationConfig`` (values are trimmed, booleans are ``true``/``false``,
``java.*``-style keys make loading fail, unknown keys are ignored). ksqlpy's own settings live
under ``ksqlpy.``, a prefix the Java tool ignores, so one file serves both tools.

``MigrationConfig.client_options()`` turns the settings into ``ksqlpy.Client`` arguments: basic
or OAuth bearer credentials (``_bearer``), TLS from JKS/PKCS12 stores (``_tls``), the HTTP
version and the timeouts. Every problem is a ``MigrationConfigError`` naming the file, the line
or key, and the fix.

Example::

    config = load_config("ksql-migrations.properties")
    with Client(**config.client_options()) as client:
        print(client.server_info().ksql_service_id)
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from ksqlpy._config import ClientConfig
from ksqlpy._errors import ConfigurationError, MigrationConfigError

from ._bearer import (
    BEARER_CLIENT_ID,
    BEARER_CLIENT_SECRET,
    BEARER_EXPIRY_BUFFER,
    BEARER_ISSUER,
    BEARER_SCOPE,
    BEARER_SCOPE_CLAIM,
    BEARER_SUB_CLAIM,
    BearerSettings,
    fetch_token,
)
from ._properties import escape_value, read_properties_lines
from ._tls import TlsSettings, build_context

__all__ = [
    "CONFIG_FILE",
    "MigrationConfig",
    "load_config",
    "new_project_properties",
    "read_headers",
]

CONFIG_FILE = "ksql-migrations.properties"
MIGRATIONS_DIR = "migrations"

SERVER_URL = "ksql.server.url"
BASIC_USER = "ksql.auth.basic.username"
BASIC_PASSWORD = "ksql.auth.basic.password"
TRUSTSTORE = "ssl.truststore.location"
TRUSTSTORE_PASSWORD = "ssl.truststore.password"
KEYSTORE = "ssl.keystore.location"
KEYSTORE_PASSWORD = "ssl.keystore.password"
KEY_PASSWORD = "ssl.key.password"
KEY_ALIAS = "ssl.key.alias"
ALPN = "ssl.alpn"
VERIFY_HOST = "ssl.verify.host"
STREAM_NAME = "ksql.migrations.stream.name"
TABLE_NAME = "ksql.migrations.table.name"
STREAM_TOPIC = "ksql.migrations.stream.topic.name"
TABLE_TOPIC = "ksql.migrations.table.topic.name"
REPLICAS = "ksql.migrations.topic.replicas"
DIR_OVERRIDE = "ksql.migrations.dir.override"
LOCK_TTL = "ksqlpy.migrations.lock.ttl.seconds"
REQUEST_TIMEOUT = "ksqlpy.migrations.request.timeout.seconds"
EMPTY_IS_SUCCESS = "ksqlpy.migrations.apply.empty.success"

DEFAULT_STREAM = "MIGRATION_EVENTS"
DEFAULT_TABLE = "MIGRATION_SCHEMA_VERSIONS"
CONNECT_TIMEOUT = 10.0  # seconds; an unreachable host should not take the whole request timeout

# Keys PropertiesUtil refuses (they would shadow JVM system properties); prefixes, as in Java.
_RESERVED = ("java.", "os.", "sun.", "user.", "line.separator", "path.separator", "file.separator")
_TLS_KEYS = (TRUSTSTORE, TRUSTSTORE_PASSWORD, KEYSTORE, KEYSTORE_PASSWORD, KEY_PASSWORD, KEY_ALIAS)
_KSQLPY_DEFAULTS = {LOCK_TTL: "120", REQUEST_TIMEOUT: "60", EMPTY_IS_SUCCESS: "false"}
_BOM = "\u00ef\u00bb\u00bf"  # a UTF-8 byte order mark, as Java's ISO-8859-1 reading sees it
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@dataclass(frozen=True, slots=True)
class MigrationConfig:
    """The settings of a migrations project, from its ``ksql-migrations.properties``."""

    path: Path
    server_url: str
    migrations_dir: Path
    stream_name: str = DEFAULT_STREAM
    table_name: str = DEFAULT_TABLE
    stream_topic: str = ""
    table_topic: str = ""
    topic_replicas: int = 1
    lock_ttl: float = 120.0
    request_timeout: float = 60.0
    empty_is_success: bool = False
    properties: Mapping[str, str] = field(default_factory=dict, repr=False)
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)
    bearer: BearerSettings | None = None
    tls: TlsSettings = field(default_factory=TlsSettings)
    warnings: tuple[str, ...] = ()

    @property
    def uses_tls(self) -> bool:
        """True for an ``https://`` server URL (else the ``ssl.*`` keys serve only the issuer)."""
        return self.server_url.startswith("https://")

    def topics(self, service_id: str) -> tuple[str, str]:
        """(stream topic, table topic): the configured names, else ksql-migrations' defaults."""
        return (
            self.stream_topic or f"{service_id}ksql_{self.stream_name}",
            self.table_topic or f"{service_id}ksql_{self.table_name}",
        )

    def client_options(self, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Keyword arguments for ``ksqlpy.Client(**options)``.

        With an OAuth issuer configured this fetches a token (once, with a bounded timeout);
        with key stores configured it reads them. ``headers`` are extra request headers (the
        ``--headers`` file of ``apply``).
        """
        options: dict[str, Any] = {
            "url": self.server_url,
            "connect_timeout": min(CONNECT_TIMEOUT, self.request_timeout),
            "read_timeout": self.request_timeout,
            # The Java client speaks HTTP/2 without TLS, and over TLS only when ssl.alpn=true.
            "http2": self.tls.alpn if self.uses_tls else True,
        }
        issuer_tls = self.bearer is not None and self.bearer.issuer.lower().startswith("https:")
        context = None
        if self.tls.customised and (self.uses_tls or issuer_tls):
            context = build_context(self.tls)
        if self.uses_tls and context is not None:
            options["verify"] = context
        extra = dict(headers or {})
        credentials = self.basic_auth is not None or self.bearer is not None
        if credentials and any(name.lower() == "authorization" for name in extra):
            raise MigrationConfigError(
                f"the request headers set Authorization and {self.path} sets credentials too; "
                "remove the Authorization header or the ksql.auth.basic.* / bearer.auth.* keys"
            )
        if extra:
            options["headers"] = extra
        if self.basic_auth is not None:
            options["auth"] = self.basic_auth
        if self.bearer is not None:
            # As in ksql's client, the ssl.* stores also guard an https:// token endpoint.
            verify = context if issuer_tls else None
            options["bearer_token"] = fetch_token(self.bearer, verify, self.request_timeout)
        try:
            ClientConfig.from_options(**options)
        except ConfigurationError as error:
            raise MigrationConfigError(f"{self.path}: {error}") from error
        return options


# ---- loading -----------------------------------------------------------------------------------


def _java_trim(text: str) -> str:
    # String.trim(): every character up to U+0020 at either end (Kafka's ConfigDef trims values).
    return text.strip("".join(chr(code) for code in range(0x21)))


class _Reader:
    """Typed reads of the file's values, with errors that name the key, its line and the fix."""

    def __init__(self, path: Path, entries: dict[str, tuple[str, int]]) -> None:
        self.path = path
        self.entries = entries

    def where(self, key: str) -> str:
        return (
            f"{self.path}, line {self.entries[key][1]}" if key in self.entries else str(self.path)
        )

    def fail(self, key: str, problem: str, fix: str) -> MigrationConfigError:
        return MigrationConfigError(f"{self.where(key)}: {key} {problem}; {fix}")

    def text(self, key: str, default: str = "") -> str:
        return _java_trim(self.entries[key][0]) if key in self.entries else default

    def name(self, key: str, default: str) -> str:
        value = self.text(key, default)
        if not value:
            raise self.fail(key, "is empty", f"remove the line to use {default}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.text(key, str(default).lower()).lower()
        if value not in ("true", "false"):
            raise self.fail(
                key,
                f"must be true or false, got {self.entries[key][0]!r}",
                f"write {key}=true or {key}=false",
            )
        return value == "true"

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.text(key, str(default))
        if re.fullmatch(r"[+-]?[0-9]+", value) and low <= int(value) <= high:
            return int(value)
        shown = self.entries[key][0] if key in self.entries else value
        raise self.fail(
            key,
            f"must be a whole number from {low} to {high}, got {shown!r}",
            f"write e.g. {key}={default}",
        )

    def seconds(self, key: str, default: float) -> float:
        value = self.text(key, str(default))
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number > 0):
            raise self.fail(
                key,
                f"must be a number of seconds above 0, got {self.entries[key][0]!r}",
                f"write e.g. {key}={default:g}",
            )
        return number

    def path_of(self, key: str) -> Path | None:
        value = self.text(key)
        # Java opens a relative path against the working directory.
        return Path(os.path.abspath(value)) if value else None


def load_config(path: str | os.PathLike[str]) -> MigrationConfig:
    """Read and check a ``ksql-migrations.properties`` file (nothing is contacted)."""
    config_path = Path(os.path.abspath(os.fspath(path)))
    data = _read_file(config_path, "config file", _CONFIG_FIX)
    entries = read_properties_lines(data, source=str(config_path))
    _refuse_reserved(config_path, entries)
    read = _Reader(config_path, entries)
    warnings: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        warnings.append(_bom_note(config_path, entries))
    server_url = _server_url(read, entries)
    tls = TlsSettings(
        truststore=read.path_of(TRUSTSTORE),
        truststore_password=read.text(TRUSTSTORE_PASSWORD),
        keystore=read.path_of(KEYSTORE),
        keystore_password=read.text(KEYSTORE_PASSWORD),
        key_password=read.text(KEY_PASSWORD),
        key_alias=read.text(KEY_ALIAS),
        alpn=read.boolean(ALPN, False),
        verify_host=read.boolean(VERIFY_HOST, True),
    )
    # The stores serve an https:// server and an https:// OAuth issuer; else they are unused.
    issuer_tls = read.text(BEARER_ISSUER).lower().startswith("https:")
    if not server_url.startswith("https://") and not issuer_tls:
        ignored = [key for key in _TLS_KEYS if read.text(key)]
        if ignored:
            warnings.append(
                f"{config_path}: {', '.join(ignored)} ignored: {SERVER_URL} is not https:// "
                "(ksql-migrations ignores them too)"
            )
    override = read.path_of(DIR_OVERRIDE)
    basic_auth, bearer = _basic_auth(read), _bearer(read, warnings)
    warnings += _unknown_ksqlpy_keys(read)
    return MigrationConfig(
        path=config_path,
        server_url=server_url,
        migrations_dir=override or config_path.parent / MIGRATIONS_DIR,
        stream_name=read.name(STREAM_NAME, DEFAULT_STREAM),
        table_name=read.name(TABLE_NAME, DEFAULT_TABLE),
        stream_topic=read.text(STREAM_TOPIC),
        table_topic=read.text(TABLE_TOPIC),
        topic_replicas=read.integer(REPLICAS, 1, 1, 2**31 - 1),
        lock_ttl=read.seconds(LOCK_TTL, 120.0),
        request_timeout=read.seconds(REQUEST_TIMEOUT, 60.0),
        empty_is_success=read.boolean(EMPTY_IS_SUCCESS, False),
        properties=MappingProxyType({key: value for key, (value, _) in entries.items()}),
        basic_auth=basic_auth,
        bearer=bearer,
        tls=tls,
        warnings=tuple(warnings),
    )


_CONFIG_FIX = (
    "pass the project's file with -c/--config-file, or create a project with "
    "'ksqlpy-migrations new-project <folder> <server url>'"
)


def _read_file(path: Path, what: str, fix: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        reason = "it does not exist"
    except IsADirectoryError:
        reason = "it is a folder"
        fix = (
            f"pass the file inside it, e.g. {path / CONFIG_FILE}" if what == "config file" else fix
        )
    except PermissionError:
        reason = "permission denied"
        fix = "make it readable by this user"
    except OSError as error:
        reason = error.strerror or str(error)
    raise MigrationConfigError(f"cannot read the {what} {path}: {reason}; {fix}")


def _refuse_reserved(path: Path, entries: dict[str, tuple[str, int]]) -> None:
    reserved = sorted(
        (line, key) for key, (_, line) in entries.items() if key.startswith(_RESERVED)
    )
    if reserved:
        listed = ", ".join(f"{key!r} (line {line})" for line, key in reserved)
        raise MigrationConfigError(
            f"{path}: {listed}: keys starting with {', '.join(_RESERVED)} are reserved for "
            "Java system properties and ksql-migrations refuses the file too; remove them"
        )


def _bom_note(path: Path, entries: dict[str, tuple[str, int]]) -> str:
    first = next((key for key in entries if key.startswith(_BOM)), None)
    shown = f" (so the key {first[len(_BOM) :]!r} is ignored)" if first else ""
    return (
        f"{path} starts with a UTF-8 byte order mark, which Java and ksqlpy read as part of the "
        f"first key{shown}; save the file without a BOM"
    )


def _server_url(read: _Reader, entries: dict[str, tuple[str, int]]) -> str:
    value = read.text(SERVER_URL)
    if not value:
        hint = "add a line such as ksql.server.url=http://localhost:8088"
        if _BOM + SERVER_URL in entries:
            hint = "a UTF-8 byte order mark at the start of the file hides it; save it without one"
        problem = "is empty" if SERVER_URL in entries else "is missing"
        raise read.fail(SERVER_URL, problem, hint)
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    try:
        parts.port  # noqa: B018 (raises ValueError on a bad port)
        bad_port = False
    except ValueError:
        bad_port = True
    blank = any(ord(char) <= 0x20 for char in value)  # inside: Java's trim took the ends
    if scheme not in ("http", "https") or not parts.hostname or bad_port or blank:
        raise read.fail(
            SERVER_URL,
            f"is not an http:// or https:// URL with a host: {value!r}",
            "write e.g. ksql.server.url=http://localhost:8088",
        )
    if parts.username is not None or parts.password is not None:
        raise read.fail(
            SERVER_URL,
            "must not hold credentials",
            f"put them in {BASIC_USER} and {BASIC_PASSWORD}",
        )
    if parts.query or parts.fragment:
        raise read.fail(SERVER_URL, f"must not have a query or fragment: {value!r}", "remove it")
    return f"{scheme}://{parts.netloc}{parts.path}".rstrip("/")


def _basic_auth(read: _Reader) -> tuple[str, str] | None:
    user, password = read.text(BASIC_USER), read.text(BASIC_PASSWORD)
    if not user and not password:
        return None
    if ":" in user:
        raise read.fail(BASIC_USER, "must not contain ':'", "HTTP basic auth cannot send it")
    if read.text(BEARER_ISSUER):
        raise MigrationConfigError(
            f"{read.path}: both basic auth ({BASIC_USER}/{BASIC_PASSWORD}) and OAuth "
            f"({BEARER_ISSUER}) are set; keep one of them"
        )
    return user, password


def _bearer(read: _Reader, warnings: list[str]) -> BearerSettings | None:
    issuer = read.text(BEARER_ISSUER)
    if not issuer:
        stray = [k for k in (BEARER_CLIENT_ID, BEARER_CLIENT_SECRET, BEARER_SCOPE) if read.text(k)]
        if stray:
            warnings.append(f"{read.path}: {', '.join(stray)} ignored: {BEARER_ISSUER} is not set")
        return None
    parts = urlsplit(issuer)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise read.fail(
            BEARER_ISSUER,
            f"is not an http:// or https:// URL: {issuer!r}",
            "write the token endpoint URL of your identity provider",
        )
    for key in (BEARER_CLIENT_ID, BEARER_CLIENT_SECRET):
        if not read.text(key):
            raise read.fail(key, "is empty or missing", f"{BEARER_ISSUER} is set: OAuth needs it")
    return BearerSettings(
        issuer=issuer,
        client_id=read.text(BEARER_CLIENT_ID),
        client_secret=read.text(BEARER_CLIENT_SECRET),
        scope=read.text(BEARER_SCOPE),
        scope_claim=read.text(BEARER_SCOPE_CLAIM, "scope") or "scope",
        sub_claim=read.text(BEARER_SUB_CLAIM, "sub") or "sub",
        expiry_buffer=read.integer(BEARER_EXPIRY_BUFFER, 300, 0, 2**15 - 1),
    )


def _unknown_ksqlpy_keys(read: _Reader) -> list[str]:
    notes = []
    for key in read.entries:
        if key.startswith("ksqlpy.") and key not in _KSQLPY_DEFAULTS:
            close = difflib.get_close_matches(key, list(_KSQLPY_DEFAULTS), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            notes.append(f"{read.where(key)}: unknown ksqlpy setting {key} ignored{hint}")
    return notes


# ---- headers and new projects -------------------------------------------------------------------


def read_headers(path: str | os.PathLike[str]) -> dict[str, str]:
    """The extra HTTP headers of ``apply --headers FILE`` (``Name: value`` or ``Name=value``)."""
    headers_path = Path(os.path.abspath(os.fspath(path)))
    fix = "pass an existing file of 'Name: value' lines to --headers"
    data = _read_file(headers_path, "headers file", fix)
    entries = read_properties_lines(data, source=str(headers_path))
    _refuse_reserved(headers_path, entries)
    headers: dict[str, str] = {}
    for name, (raw, line) in entries.items():
        value = raw.strip(" \t")
        if not _HEADER_NAME.fullmatch(name):
            raise MigrationConfigError(
                f"{headers_path}, line {line}: {name!r} is not a valid HTTP header name; use "
                "letters, digits and -"
            )
        if any(_unsendable(c) for c in value):
            raise MigrationConfigError(
                f"{headers_path}, line {line}: the value of header {name!r} holds control or "
                "non-Latin-1 characters, which HTTP cannot send; remove them"
            )
        headers[name] = value
    return headers


def _unsendable(char: str) -> bool:
    code = ord(char)
    return (code < 0x20 and char != "\t") or code == 0x7F or code > 0xFF


# ksql-migrations' template: its groups, in its order; keys without a default get "".
_TEMPLATE_GROUPS = {
    "Migrations metadata configs": (STREAM_NAME, TABLE_NAME, STREAM_TOPIC, TABLE_TOPIC, REPLICAS),
    "TLS configs": (*_TLS_KEYS, ALPN, VERIFY_HOST),
    "ksqlDB server authentication configs": (BASIC_USER, BASIC_PASSWORD),
    "Migrations directory configs": (DIR_OVERRIDE,),
}
_TEMPLATE_DEFAULTS = {
    STREAM_NAME: DEFAULT_STREAM,
    TABLE_NAME: DEFAULT_TABLE,
    # The Java tool derives these with a placeholder service id.
    STREAM_TOPIC: f"ksql-service-idksql_{DEFAULT_STREAM}",
    TABLE_TOPIC: f"ksql-service-idksql_{DEFAULT_TABLE}",
    REPLICAS: "1",
    ALPN: "false",
    VERIFY_HOST: "true",
}


def new_project_properties(server_url: str) -> str:
    """The ``ksql-migrations.properties`` text ``new-project`` writes for ``server_url``.

    The URL line, then ksql-migrations' commented-out defaults in its groups, then OAuth and
    ksqlpy's own settings (also commented out; the Java tool ignores the ``ksqlpy.`` keys).
    """
    lines = [f"{SERVER_URL}={escape_value(server_url)}"]
    for title, keys in _TEMPLATE_GROUPS.items():
        lines += ["", f"# {title}:"] + [
            f"# {key}={_TEMPLATE_DEFAULTS.get(key, '')}" for key in keys
        ]
    lines += [
        "",
        "# OAuth bearer authentication (client credentials grant), instead of basic auth:",
        f"# {BEARER_ISSUER}=",
        f"# {BEARER_CLIENT_ID}=",
        f"# {BEARER_CLIENT_SECRET}=",
        f"# {BEARER_SCOPE}=",
        "",
        "# ksqlpy-migrations settings (ksql-migrations ignores them):",
        "# Seconds without a heartbeat after which another runner may take the migrations lock.",
        f"# {LOCK_TTL}={_KSQLPY_DEFAULTS[LOCK_TTL]}",
        "# Seconds to wait for each answer of the ksqlDB server.",
        f"# {REQUEST_TIMEOUT}={_KSQLPY_DEFAULTS[REQUEST_TIMEOUT]}",
        "# Whether 'apply' with nothing left to apply exits 0 (ksql-migrations exits 1).",
        f"# {EMPTY_IS_SUCCESS}={_KSQLPY_DEFAULTS[EMPTY_IS_SUCCESS]}",
    ]
    return "\n".join(lines) + "\n"
