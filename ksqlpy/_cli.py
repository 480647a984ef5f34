"""Helpers shared by the console scripts: one argument parser shape, the 'not built yet' exit,
and the defaults every tool takes from the environment."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ._version import __version__

# Exit code for usage errors and for tools that cannot run yet (argparse uses 2 as well).
EXIT_USAGE = 2

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
LOCAL_BOOTSTRAP = "localhost:9092"


def default_bootstrap() -> str:
    """Kafka's ``host:port[,...]`` when none is given: ``$KAFKA_BOOTSTRAP_SERVERS``, else
    ``localhost:9092`` (the bundled test broker picks a random port and prints it)."""
    return os.environ.get(BOOTSTRAP_ENV, "").strip() or LOCAL_BOOTSTRAP


def base_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """Return a parser with the ``--version`` flag every ksqlpy command has."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    return parser


def not_built(prog: str, description: str, what: str, argv: Sequence[str] | None) -> int:
    """Answer ``--help``/``--version`` of an unbuilt tool; otherwise say so in one line."""
    parser = base_parser(prog, description)
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.parse_args(argv)
    print(f"{prog}: {what} is not built yet in ksqlpy {__version__}", file=sys.stderr)
    return EXIT_USAGE
