"""The one place where kafka-python exceptions become ksqlpy exceptions."""

from __future__ import annotations

import gc
import re
import socket
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import kafka.errors as kerrors

from ksqlpy._errors import BrokerUnavailableError, DeliveryError, GroupError, KafkaError

_GROUP_ERRORS: tuple[type[Exception], ...] = (
    kerrors.CommitFailedError,
    kerrors.IllegalGenerationError,
    kerrors.UnknownMemberIdError,
    kerrors.RebalanceInProgressError,
    kerrors.GroupAuthorizationFailedError,
    kerrors.InvalidGroupIdError,
)
_FENCED_ERRORS: tuple[type[Exception], ...] = (
    kerrors.ProducerFencedError,
    kerrors.InvalidProducerEpochError,
    kerrors.TransactionalIdAuthorizationFailedError,
)


def is_unreachable(exc: BaseException) -> bool:
    """Tell whether a kafka-python error means that no broker could be reached."""
    # kafka-python 3.x reports a failed first contact as "Unable to bootstrap from host:port".
    return isinstance(exc, kerrors.KafkaTimeoutError) and "bootstrap" in str(exc).lower()


def translated(exc: Exception, action: str, bootstrap_servers: str, timeout: float) -> KafkaError:
    """The ksqlpy error for a kafka-python error raised while doing ``action``."""
    if is_unreachable(exc):
        return BrokerUnavailableError(bootstrap_servers, timeout)
    if isinstance(exc, _FENCED_ERRORS):
        return GroupError(
            f"{action} failed: this producer was fenced by a newer instance with the same "
            f"transactional id ({exc}); stop the other instance or use another id"
        )
    if isinstance(exc, _GROUP_ERRORS):
        return GroupError(f"{action} failed: {exc}")
    if isinstance(exc, kerrors.KafkaTimeoutError):
        return DeliveryError(
            f"{action} failed: timed out ({exc}); is the broker at {bootstrap_servers} up?"
        )
    return KafkaError(f"{action} failed: {exc}")


@contextmanager
def translate(action: str, bootstrap_servers: str, timeout: float) -> Iterator[None]:
    """Re-raise kafka-python errors raised inside the block as ksqlpy errors, ``from`` the original.

    ``action`` completes the sentence "... failed", e.g. ``"producing to topic 'x'"``.
    """
    try:
        yield
    except kerrors.KafkaError as exc:
        raise translated(exc, action, bootstrap_servers, timeout) from exc


def parse_bootstrap(bootstrap_servers: str) -> list[tuple[str, int]]:
    """Split ``"host:port,host2:port"`` (``[::1]:9092`` for IPv6, port 9092 by default)."""
    out: list[tuple[str, int]] = []
    for raw in bootstrap_servers.split(","):
        item = raw.strip()
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        if not sep or (host.endswith(":") and not host.startswith("[")):
            host, port = item, "9092"
        host = host.strip("[]")
        try:
            out.append((host, int(port)))
        except ValueError:
            raise KafkaError(f"invalid bootstrap server {item!r}; expected host:port") from None
    if not out:
        raise KafkaError("no bootstrap servers given; expected host:port[,host:port...]")
    return out


def reachable(bootstrap_servers: str, timeout: float) -> bool:
    """Whether one bootstrap server accepts a TCP connection within ``timeout`` seconds."""
    servers = parse_bootstrap(bootstrap_servers)
    deadline = time.monotonic() + timeout
    while True:
        for host, port in servers:
            left = deadline - time.monotonic()
            try:
                with socket.create_connection((host, port), timeout=max(0.05, min(left, 1.0))):
                    return True
            except OSError:
                continue
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def collect_leaked_sockets() -> None:
    """Collect, quietly, the sockets kafka-python leaves to the garbage collector.

    Its failed connection attempts (a broker that went away, refused reconnects) drop their
    sockets unclosed; collected later, they would raise ResourceWarning in unrelated code.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def ensure_reachable(bootstrap_servers: str, timeout: float) -> None:
    """Wait until one bootstrap server accepts a TCP connection, else raise BrokerUnavailableError.

    Checked before any kafka-python client is built: a client whose first bootstrap fails keeps
    its sockets and I/O thread (kafka-python 3.0.12 has no handle left to close them).
    """
    if not reachable(bootstrap_servers, timeout):
        raise BrokerUnavailableError(bootstrap_servers, timeout)


# What kafka-python raises for settings it cannot use: unknown names and impossible combinations
# (KafkaConfigurationError), bad values (ValueError, TypeError, AssertionError), and compression
# codecs whose optional package is missing (RuntimeError).
CONFIG_ERRORS: tuple[type[Exception], ...] = (
    kerrors.KafkaConfigurationError,
    ValueError,
    TypeError,
    AssertionError,
    RuntimeError,
)


def connection_settings(bootstrap_servers: str, timeout: float) -> dict[str, Any]:
    """What every kafka-python client of ours is built with: the first contact bounded by
    ``timeout`` and short reconnect backoffs, so a broker that returns is seen within a second."""
    return {
        "bootstrap_servers": bootstrap_servers,
        "bootstrap_timeout_ms": int(timeout * 1000),
        "reconnect_backoff_ms": 50,
        "reconnect_backoff_max_ms": 1000,
    }


def build_client(
    factory: Callable[..., Any], settings: dict[str, Any], action: str, what: str, timeout: float
) -> Any:
    """A kafka-python client built only once its broker answers, its errors translated: an
    unreachable broker, a refused connection and a setting it rejects each say so plainly."""
    bootstrap_servers = str(settings["bootstrap_servers"])
    ensure_reachable(bootstrap_servers, timeout)
    with translate(action, bootstrap_servers, timeout):
        try:
            return factory(**settings)
        except CONFIG_ERRORS as exc:
            raise config_error(exc, what) from exc


def config_error(exc: Exception, what: str) -> KafkaError:
    """The ksqlpy error for kafka-python refusing the ``what`` settings (raise it ``from``)."""
    text = str(exc)
    hint = ""
    codec = re.search(r"Libraries for (\w+) compression codec not found", text)
    if codec:
        hint = f"; install the '{codec.group(1)}' package or choose another compression type"
    elif "Unrecognized configs" in text:
        hint = "; kafka-python setting names use underscores, e.g. linger_ms"
    return KafkaError(f"invalid {what} settings: {text}{hint}")
