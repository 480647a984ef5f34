"""docs/migrations.md against the code (test_docs_examples.py runs its blocks)."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "migrations.md"


def test_the_documented_keys_are_the_ones_the_config_reads() -> None:
    text = DOC.read_text()
    for key in (
        "ksqlpy.migrations.lock.ttl.seconds",
        "ksqlpy.migrations.request.timeout.seconds",
        "ksqlpy.migrations.apply.empty.success",
    ):
        assert key in text
    from ksqlpy.migrations import config

    source = Path(config.__file__).read_text()
    for key in re.findall(r"`(ksqlpy\.migrations\.[a-z.]+)`", text):
        assert key in source, key
