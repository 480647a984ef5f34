"""The examples in docs/sql.md and in ksqlpy.sql's docstrings are true."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "sql.md"
MODULES = [
    "ksqlpy.sql",
    "ksqlpy.sql._classify",
    "ksqlpy.sql._highlight",
    "ksqlpy.sql._parse",
    "ksqlpy.sql._quote",
    "ksqlpy.sql._split",
    "ksqlpy.sql._substitute",
    "ksqlpy.sql.dialect",
]


def test_user_doc_examples_run() -> None:
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10
    assert result.failed == 0


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
