"""The public surface of ksqlpy.sql: exports, docstrings, and what importing it costs."""

from __future__ import annotations

import inspect
import subprocess
import sys

import ksqlpy.sql


def test_all_is_sorted_and_complete() -> None:
    names = ksqlpy.sql.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(ksqlpy.sql, name), name


def test_every_public_name_has_a_docstring() -> None:
    for name in ksqlpy.sql.__all__:
        obj = getattr(ksqlpy.sql, name)
        assert inspect.getdoc(obj), f"{name} has no docstring"


def test_split_documents_an_example() -> None:
    assert ">>>" in (ksqlpy.sql.split.__doc__ or "")


def test_importing_does_not_pull_in_the_client_shell_or_kafka() -> None:
    code = (
        "import sys, ksqlpy.sql; "
        "ksqlpy.sql.parse('SELECT * FROM s EMIT CHANGES'); "
        "bad = [m for m in ('httpx', 'prompt_toolkit', 'kafka') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
