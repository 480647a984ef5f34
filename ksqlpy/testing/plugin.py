"""The pytest plugin of ksqlpy (entry point ``pytest11``), loaded by every pytest run of a user.

It imports nothing heavy at load time: the broker launcher and kafka-python are imported only when
a test asks for the ``kafka_bootstrap`` fixture.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

MARKERS = {
    "kafka": "needs a real Kafka broker (started by the tests, or KAFKA_BOOTSTRAP_SERVERS)",
    "ksqldb": "needs a real ksqlDB server at KSQLDB_URL (skipped with a reason when unset)",
    "slow": "takes more than a few seconds",
}


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers, so that ``--strict-markers`` accepts them in any project."""
    for name, help_text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {help_text}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``ksqldb`` tests, saying why, when no real ksqlDB server is configured."""
    if os.environ.get("KSQLDB_URL"):
        return
    skip = pytest.mark.skip(reason="needs a real ksqlDB server: set KSQLDB_URL=http://host:8088")
    for item in items:
        if "ksqldb" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def ksqldb_url() -> str:
    """The URL of a real ksqlDB server, from ``KSQLDB_URL`` (for tests marked ``ksqldb``)."""
    url = os.environ.get("KSQLDB_URL")
    if not url:
        pytest.skip("needs a real ksqlDB server: set KSQLDB_URL=http://host:8088")
    return url


@pytest.fixture
def local_ksqldb(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh embedded ksqlDB-compatible server (``ksqlpy.local.LocalServer``) for one test.

    Its ``url`` is ``http://127.0.0.1:PORT``; it speaks ksqlDB's REST API over HTTP/1.1 and
    HTTP/2 and keeps everything in memory, so each test starts empty. A test that also asks for
    ``kafka_bootstrap`` gets a server whose topics are on that broker (with a service id of its
    own, so its command topic and query groups are its own too)::

        def test_course(local_ksqldb, kafka_bootstrap): ...
    """
    # Imported by name: the mapped ksqlpy.local package is invisible to a type checker of ksqlpy/.
    local = importlib.import_module("ksqlpy.local")
    options: dict[str, Any] = {}
    if "kafka_bootstrap" in request.fixturenames:
        options["bootstrap_servers"] = request.getfixturevalue("kafka_bootstrap")
        options["service_id"] = f"test_{uuid.uuid4().hex[:12]}_"
    with local.LocalServer(**options) as server:
        yield server


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """The ``host:port`` of a real Kafka broker for the whole test session.

    Uses ``KAFKA_BOOTSTRAP_SERVERS`` when it is set (and starts nothing); otherwise starts a
    single-node KRaft broker on 127.0.0.1 from cached Maven Central jars and stops it at the end.
    """
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    from .kafka import KafkaBroker

    with KafkaBroker() as broker:
        yield broker.bootstrap
