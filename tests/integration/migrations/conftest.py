"""A migrations project against a ksqlDB: the local server, or a real one at ``KSQLDB_URL``.

Every project gets metadata objects of its own names, so tests can share a real server.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from migrations_project import Project, write_config

from ksqlpy.migrations.cli import main


@pytest.fixture
def ksqldb_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """``KSQLDB_URL`` when set (a real ksqlDB), else a fresh local server."""
    real = os.environ.get("KSQLDB_URL")
    if real:
        yield real
        return
    server = request.getfixturevalue("local_ksqldb")
    yield server.url


@pytest.fixture
def project(tmp_path: Path, ksqldb_url: str) -> Project:
    """An initialized project (metadata created) with an empty migrations folder."""
    suffix = "T" + secrets.token_hex(3).upper()
    write_config(tmp_path, ksqldb_url, suffix)
    assert main(["-c", str(tmp_path / "ksql-migrations.properties"), "initialize-metadata"]) == 0
    return Project(tmp_path, ksqldb_url, suffix)


@pytest.fixture
def fresh(tmp_path: Path, ksqldb_url: str) -> Project:
    """A project whose metadata is not initialized yet."""
    suffix = "T" + secrets.token_hex(3).upper()
    write_config(tmp_path, ksqldb_url, suffix)
    return Project(tmp_path, ksqldb_url, suffix)
