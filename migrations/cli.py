"""Command line entry point of ``ksqlpy-migrations``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ksqlpy._cli import not_built

DESCRIPTION = "Versioned migrations for ksqlDB streams and tables, compatible with ksql-migrations."


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ksqlpy-migrations`` and return its exit code."""
    return not_built("ksqlpy-migrations", DESCRIPTION, "the migrations runner", argv)


if __name__ == "__main__":
    sys.exit(main())
