"""Helpers shared by the console scripts: one argument parser shape, the usage exit code, and
the defaults every tool takes from the environment."""

from __future__ import annotations

import argparse
import os
from typing import NoReturn

from ._version import __version__

# Exit code for usage errors (argparse uses 2 as well).
EXIT_USAGE = 2

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
LOCAL_BOOTSTRAP = "localhost:9092"


def default_bootstrap() -> str:
    """Kafka's ``host:port[,...]`` when none is given: ``$KAFKA_BOOTSTRAP_SERVERS``, else
    ``localhost:9092`` (the bundled test broker picks a random port and prints it)."""
    return os.environ.get(BOOTSTRAP_ENV, "").strip() or LOCAL_BOOTSTRAP


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors in one line (the full usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: message`` and exit with ``EXIT_USAGE``."""
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def base_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """Return a parser with the ``--version`` flag every ksqlpy command has; a bad flag or
    value is one line on stderr and exit code 2."""
    parser = _Parser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    return parser
