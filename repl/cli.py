"""Command line entry point of ``ksqlpy``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ksqlpy._cli import not_built

DESCRIPTION = "Interactive shell for ksqlDB (pgcli-style, ksql CLI compatible)."


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ksqlpy`` and return its exit code."""
    return not_built("ksqlpy", DESCRIPTION, "the interactive ksqlDB shell", argv)


if __name__ == "__main__":
    sys.exit(main())
