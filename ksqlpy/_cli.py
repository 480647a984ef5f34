"""Helpers shared by the console scripts: one argument parser shape, the usage exit code, the
argument types they share, and the defaults every tool takes from the environment."""

from __future__ import annotations

import argparse
import os
from functools import partial
from typing import Any, NoReturn

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

    def __init__(self, *args: Any, usage_exit: int = EXIT_USAGE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.usage_exit = usage_exit

    def error(self, message: str) -> NoReturn:
        """Print ``prog: message`` and exit with ``usage_exit``."""
        self.exit(self.usage_exit, f"{self.prog}: {message} (see {self.prog} --help)\n")

    def add_subparsers(self, **kwargs: Any) -> Any:
        """Sub-commands parse (and fail) the same way."""
        kwargs.setdefault("parser_class", partial(_Parser, usage_exit=self.usage_exit))
        return super().add_subparsers(**kwargs)


def base_parser(
    prog: str, description: str, *, usage_exit: int = EXIT_USAGE, debug: bool = False
) -> argparse.ArgumentParser:
    """Return a parser with the ``--version`` flag every ksqlpy command has; a bad flag or
    value is one line on stderr and exit code ``usage_exit`` (2, as argparse; ksql-migrations
    uses 1). ``debug=True`` adds ``--debug`` (tracebacks instead of one-line errors)."""
    parser = _Parser(prog=prog, description=description, usage_exit=usage_exit)
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    if debug:
        parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return parser


def whole_number(text: str, *, least: int = 0) -> int:
    """An argparse ``type``: an integer of at least ``least``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be {least} or more, got {value}")
    return value


def positive_int(text: str) -> int:
    """An argparse ``type``: an integer of 1 or more."""
    return whole_number(text, least=1)


def positive_float(text: str) -> float:
    """An argparse ``type``: a number greater than 0 (seconds, rates)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value
