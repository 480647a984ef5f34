"""Command line entry point of ``ksqlpy-datagen``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ksqlpy._cli import not_built

DESCRIPTION = "Produce realistic fake data to Kafka topics or ksqlDB streams."


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ksqlpy-datagen`` and return its exit code."""
    return not_built("ksqlpy-datagen", DESCRIPTION, "the fake-data producer", argv)


if __name__ == "__main__":
    sys.exit(main())
