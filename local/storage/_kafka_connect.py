"""Reaching the Kafka cluster under a KafkaLog: the first admin client, and a cheap probe."""

from __future__ import annotations

import contextlib
import socket
import time

from ksqlpy._errors import BrokerUnavailableError, KafkaError
from ksqlpy.kafka import TopicAdmin


def connect_admin(bootstrap_servers: str, connect_timeout: float, timeout: float) -> TopicAdmin:
    """An admin client once the cluster answers, trying for ``connect_timeout`` seconds (a broker
    that is still starting); else BrokerUnavailableError naming the address."""
    deadline = time.monotonic() + connect_timeout
    last: KafkaError | None = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            detail = f" ({last})" if last is not None and "cannot reach" not in str(last) else ""
            raise BrokerUnavailableError(
                bootstrap_servers,
                connect_timeout,
                f"cannot reach Kafka at {bootstrap_servers} within {connect_timeout:g} s{detail}; "
                "start a broker (e.g. 'python -m ksqlpy.testing.kafka') or pass the right "
                "--bootstrap-servers",
            )
        admin: TopicAdmin | None = None
        try:
            admin = TopicAdmin(bootstrap_servers, timeout=min(max(left, 0.5), timeout))
            if admin.broker_count() > 0:
                return admin
        except KafkaError as exc:
            last = exc
        if admin is not None:
            with contextlib.suppress(KafkaError):
                admin.close()
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


def reachable(bootstrap_servers: str) -> bool:
    """Whether any bootstrap address accepts a TCP connection (a cheap probe, 0.5 s at most)."""
    for address in bootstrap_servers.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=0.5):
                return True
        except (OSError, ValueError):
            continue
    return False
