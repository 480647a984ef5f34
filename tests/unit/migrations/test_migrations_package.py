"""ksqlpy.migrations as users import it: public names, docstrings, a cheap import."""

from __future__ import annotations

import subprocess
import sys

import ksqlpy.migrations


def test_all_is_sorted_resolves_and_is_documented() -> None:
    assert ksqlpy.migrations.__all__ == sorted(ksqlpy.migrations.__all__)
    for name in ksqlpy.migrations.__all__:
        assert (getattr(ksqlpy.migrations, name).__doc__ or "").strip(), name
    assert set(dir(ksqlpy.migrations)) >= set(ksqlpy.migrations.__all__)


def test_importing_the_package_loads_neither_the_client_nor_sqlglot() -> None:
    code = (
        "import sys, ksqlpy.migrations, ksqlpy.migrations.cli; "
        "print([m for m in ('httpx', 'sqlglot', 'cryptography') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
