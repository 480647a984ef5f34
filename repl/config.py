"""Settings: the TOML config file under the user's config dir, and ksql's --config-file."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ksqlpy import KsqlError

DEFAULT_URL = "http://localhost:8088"


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/ksqlpy`` or ``~/.config/ksqlpy``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ksqlpy"


DEFAULT_CONFIG = """\
# ksqlpy shell settings; command-line flags win over these.
# url = "http://localhost:8088"
# output = "TABULAR"            # or "JSON"
# key_bindings = "emacs"        # or "vi" (F4 switches while typing)
# query_row_limit = 0           # 0: no limit
# query_timeout = 0             # milliseconds, 0: no timeout
# destructive_warning = true    # ask before DROP ... DELETE TOPIC, TERMINATE ALL, ...
# history_file = ""             # default: $XDG_DATA_HOME/ksqlpy/history
# pager = "less -SRXF"          # for tables taller than the screen; "" turns it off ($PAGER wins)
"""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the TOML config file may set (all optional)."""

    url: str = DEFAULT_URL
    output: str = "TABULAR"
    key_bindings: str = "emacs"
    query_row_limit: int = 0
    query_timeout: int = 0
    destructive_warning: bool = True
    history_file: str = ""
    pager: str = "less -SRXF"


def read_text_file(path: Path, what: str) -> str:
    """The UTF-8 text of a file the user named, or a KsqlError naming ``what`` it was meant to
    be and why it cannot be read (missing, a directory, binary, another encoding)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise KsqlError(f"cannot read {what} {path}: {error.strerror}") from error
    if b"\0" in data:
        raise KsqlError(
            f"cannot read {what} {path}: it is a binary file (NUL byte at offset {data.index(0)})"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise KsqlError(
            f"cannot read {what} {path}: it is not UTF-8 text "
            f"(byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file (writing a commented template on first use of the default path)."""
    default = path is None
    path = path or config_dir() / "config.toml"
    if not path.exists():
        if default:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(DEFAULT_CONFIG, encoding="utf-8")
            except OSError:
                pass  # a read-only home is no reason not to start
        return Settings()
    text = read_text_file(path, "the settings file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise KsqlError(f"cannot read the settings file {path}: {error}") from error
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise KsqlError(f"{path}: unknown setting {key!r}; known: {', '.join(sorted(known))}")
        expected = type(getattr(Settings(), key))
        if type(value) is not expected:  # exact: TOML's true is no query_row_limit
            raise KsqlError(f"{path}: {key} must be a {expected.__name__}, got {value!r}")
        if expected is int and value < 0:
            raise KsqlError(f"{path}: {key} must be 0 (none) or more, got {value!r}")
        values[key] = value
    return Settings(**values)


@dataclass(frozen=True, slots=True)
class ClientFile:
    """ksql's ``--config-file`` (Java properties): TLS options for the client, the rest
    become session properties."""

    properties: dict[str, str]
    verify: str | bool = True
    cert: str | tuple[str, str] | None = None
    ignored: tuple[str, ...] = ()


_CLIENT_PREFIXES = ("ssl.", "sasl.", "security.protocol")


def read_properties(text: str) -> dict[str, str]:
    """``key=value`` / ``key: value`` lines; ``#`` and ``!`` comments; no line continuations."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        key, value = (line, "") if cut < 0 else (line[:cut], line[cut + 1 :])
        out[key.strip()] = value.strip()
    return out


def load_client_file(path: Path) -> ClientFile:
    """Read ``--config-file``; PEM trust and key stores map onto the HTTP client."""
    props = read_properties(read_text_file(path, "--config-file"))
    session = {k: v for k, v in props.items() if not k.startswith(_CLIENT_PREFIXES)}
    client = {k: v for k, v in props.items() if k.startswith(_CLIENT_PREFIXES)}
    verify: str | bool = True
    cert: str | tuple[str, str] | None = None
    trust = client.pop("ssl.truststore.location", "")
    if trust:
        verify = trust
    keystore = client.pop("ssl.keystore.location", "")
    if keystore:
        key = client.pop("ssl.key.location", "")
        cert = (keystore, key) if key else keystore
    for location in (trust, keystore):
        if location.lower().endswith((".jks", ".p12", ".pfx")):
            raise KsqlError(
                f"{path}: {location} is a Java key store; ksqlpy reads PEM files: convert it "
                "with keytool/openssl and point ssl.truststore.location/ssl.keystore.location "
                "at the .pem files"
            )
    client.pop("ssl.truststore.password", None)
    client.pop("ssl.keystore.password", None)
    client.pop("ssl.key.password", None)
    return ClientFile(session, verify, cert, tuple(sorted(client)))
