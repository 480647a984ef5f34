"""The shared client scenarios (``tests/integration/client/client_scenarios.py``) on real ksqlDB."""

from __future__ import annotations

import pytest
from client_scenarios import *  # noqa: F403  (pytest collects the scenarios in this module)

pytestmark = pytest.mark.ksqldb
