"""The client scenarios against a real ksqlDB at ``KSQLDB_URL`` (skipped with a reason if unset).

``KSQLDB_USER``/``KSQLDB_PASSWORD`` add basic auth, ``KSQLDB_CA`` a CA bundle for https URLs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "client"))

from client_scenarios import Target


@pytest.fixture(scope="module")
def target(ksqldb_url: str) -> Target:
    """The real ksqlDB and the client options to reach it."""
    options: dict[str, Any] = {}
    if os.environ.get("KSQLDB_USER"):
        options["auth"] = (os.environ["KSQLDB_USER"], os.environ.get("KSQLDB_PASSWORD", ""))
    if os.environ.get("KSQLDB_CA"):
        options["verify"] = os.environ["KSQLDB_CA"]
    return Target(ksqldb_url, options, "ksqldb", None)
