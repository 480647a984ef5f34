"""Fixtures for the conformance tests: ksqlDB's own test cases, read from a sibling checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO_ROOT = Path(__file__).resolve().parents[2]
_DEFAULT = _REPO_ROOT.parent / "shared" / "ksqldb-tests"


@pytest.fixture(scope="session")
def ksqldb_tests_dir() -> Path:
    """The folder of ksqlDB's test data (qtt/, rest/); ``$KSQLPY_KSQLDB_TESTS`` overrides it."""
    override = os.environ.get("KSQLPY_KSQLDB_TESTS")
    path = Path(override) if override else _DEFAULT
    if not (path / "qtt").is_dir():
        pytest.skip(
            f"ksqlDB's test cases are not at {path} (expected qtt/ and rest/ there); "
            "set KSQLPY_KSQLDB_TESTS to a copy of ksqldb-functional-tests' test data to run these"
        )
    return path
