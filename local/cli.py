"""Command line entry point of ``ksqlpy-local``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ksqlpy._cli import not_built

DESCRIPTION = "Run an embedded ksqlDB-compatible server for development and tests."


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ksqlpy-local`` and return its exit code."""
    return not_built("ksqlpy-local", DESCRIPTION, "the embedded ksqlDB-compatible server", argv)


if __name__ == "__main__":
    sys.exit(main())
