"""Fixtures: the client against the local server over HTTP/1.1, h2c, h2 with TLS, and basic auth.

Skipped (with the reason) while ``ksqlpy.local.LocalServer`` cannot be imported, so these tests
run as soon as the local server lands. ``Target`` describes how to reach the server; the shared
scenarios in ``client_scenarios.py`` take it, and ``tests/ksqldb`` runs them against a real ksqlDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from client_scenarios import Target
from client_tls import tls_files as _tls_files

VARIANTS = ["http1", "h2c", "h2-tls", "basic-auth"]


def _server_class() -> Any:
    try:
        from ksqlpy.local import LocalServer
    except ImportError:
        pytest.skip("local server not built yet")
    return LocalServer


@pytest.fixture(scope="module", params=VARIANTS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """A running local server and the client options to reach it, one per protocol variant."""
    server_class = _server_class()
    variant: str = request.param
    server_args: dict[str, Any] = {}
    options: dict[str, Any] = {"http2": variant != "http1"}
    if variant == "h2-tls":
        ca, cert, key = _tls_files(tmp_path_factory.mktemp("tls"))
        server_args.update(certfile=cert, keyfile=key)
        options["verify"] = ca
    if variant == "basic-auth":
        server_args.update(user="alice", password="s3cret")
        options["auth"] = ("alice", "s3cret")
    with server_class(**server_args) as server:
        yield Target(server.url, options, variant, server)
