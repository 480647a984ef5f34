"""Helpers shared by the console scripts: one argument parser shape and the usage exit code."""

from __future__ import annotations

import argparse
from typing import NoReturn

from ._version import __version__

# Exit code for usage errors (argparse uses 2 as well).
EXIT_USAGE = 2


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
