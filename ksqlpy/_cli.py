"""Helpers shared by the console scripts: one argument parser shape and the usage exit code."""

from __future__ import annotations

import argparse

from ._version import __version__

# Exit code for usage errors (argparse uses 2 as well).
EXIT_USAGE = 2


def base_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """Return a parser with the ``--version`` flag every ksqlpy command has."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    return parser
