"""``ksqlpy-migrations``: ksql-migrations' command line over ``Migrator``.

The commands, flags and exit codes (0 on success, 1 on any error, usage errors included) are
ksql-migrations'; ``repair``, ``abort``, ``unlock``, ``baseline``, ``--resume``/``--restart``,
``--json`` and ``--ok-if-up-to-date`` are ksqlpy's own. This is the only place an error
becomes a message.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType

from ksqlpy._cli import base_parser
from ksqlpy._errors import KsqlError

from .exits import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK

PROG = "ksqlpy-migrations"
DESCRIPTION = (
    "Versioned migrations for ksqlDB streams and tables, compatible with Confluent's "
    "ksql-migrations: the same project layout, properties file, files and metadata, with a "
    "lock, resumable runs and an honest dry run."
)
CONFIG_HELP = (
    "the project's ksql-migrations.properties (default: ./ksql-migrations.properties); may "
    "come before or after the command"
)

_COMMANDS: dict[str, str] = {
    "new-project": "create a project folder with migrations/ and ksql-migrations.properties",
    "initialize-metadata": "create the metadata stream and table (existing ones are kept)",
    "destroy-metadata": "drop the metadata stream and table and their topics (not your objects)",
    "create": "write an empty V<version>__<description>.sql migration file",
    "apply": "apply migrations (exactly one of --all, --next, --until N, --version N)",
    "info": "show the current version and every migration's state",
    "validate": "check applied versions against their files (checksums, chain)",
    "repair": "mark a stopped run failed, or a version migrated; accept edited files' checksums",
    "abort": "break a hung run's lock and mark its RUNNING version ERROR",
    "unlock": "break the migrations lock (after a runner crashed)",
    "baseline": "record an existing cluster as migrated up to version N without running files",
    "help": "show the help of a command",
}


def _config_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("-c", "--config-file", default=default, metavar="FILE", help=CONFIG_HELP)


def _version(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 999_999:
        raise argparse.ArgumentTypeError(f"a version is a number from 1 to 999999, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (``help <command>`` prints a sub-parser's help)."""
    # A usage error exits 1, as in ksql-migrations (argparse's usual code is 2).
    parser = base_parser(PROG, DESCRIPTION, usage_exit=EXIT_ERROR, debug=True)
    _config_option(parser, None)
    commands = parser.add_subparsers(dest="command", metavar="<command>")
    sub = {
        name: commands.add_parser(name, help=text, description=text)
        for name, text in _COMMANDS.items()
    }
    for name, command in sub.items():
        if name not in ("new-project", "help"):
            _config_option(command, argparse.SUPPRESS)
    sub["new-project"].add_argument("project_path", metavar="<project-path>")
    sub["new-project"].add_argument("server_url", metavar="<ksql-server-url>")
    sub["create"].add_argument(
        "-v",
        "--version",
        type=_version,
        dest="number",
        metavar="N",
        help="the version (default: the highest one + 1)",
    )
    sub["create"].add_argument("description", nargs="+", metavar="<description>")
    apply = sub["apply"]
    target = apply.add_mutually_exclusive_group(required=True)
    target.add_argument("-a", "--all", action="store_true", help="every pending migration")
    target.add_argument("-n", "--next", action="store_true", help="the next pending migration")
    target.add_argument(
        "-u",
        "--until",
        type=_version,
        metavar="N",
        help="pending migrations up to and including version N",
    )
    target.add_argument(
        "-v",
        "--version",
        type=_version,
        dest="number",
        metavar="N",
        help="only version N (later than the latest migrated one)",
    )
    apply.add_argument(
        "--dry-run",
        action="store_true",
        help="print the statements that would run, substituted; send nothing",
    )
    apply.add_argument(
        "-d",
        "--define",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable for ${NAME} in the files (repeatable)",
    )
    apply.add_argument(
        "--headers",
        metavar="FILE",
        help="extra HTTP headers for every request, one 'Name: value' a line",
    )
    stopped = apply.add_mutually_exclusive_group()
    stopped.add_argument(
        "--resume",
        action="store_true",
        help="continue a stopped or failed version after its finished statements",
    )
    stopped.add_argument(
        "--restart",
        action="store_true",
        help="run a stopped or failed version again from its first statement",
    )
    apply.add_argument(
        "--no-parse-check",
        action="store_true",
        help="send statements ksqlpy's parser cannot read to the server unread",
    )
    apply.add_argument(
        "--ok-if-up-to-date",
        action="store_true",
        help="exit 0 when --next finds nothing to apply (ksql-migrations exits 1)",
    )
    for name in ("info", "validate"):
        sub[name].add_argument("--json", action="store_true", help="print JSON")
    sub["repair"].add_argument(
        "--checksums",
        action="store_true",
        help="store the current checksums of edited migrated files",
    )
    sub["repair"].add_argument(
        "--migrated", action="store_true", help="mark the current RUNNING/ERROR version MIGRATED"
    )
    sub["baseline"].add_argument(
        "-v",
        "--version",
        type=_version,
        dest="number",
        metavar="N",
        required=True,
        help="the version the cluster is at",
    )
    sub["help"].add_argument("topic", nargs="?", metavar="<command>")
    parser.set_defaults(_sub=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ksqlpy-migrations`` and return its exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as done:
        if done.code == EXIT_ERROR:  # a usage error, already said in one line
            return EXIT_ERROR
        raise  # --help and --version end the program, as with argparse
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    if args.command == "help":
        return _help(parser, args.topic)
    restore = _stop_on_sigterm()
    try:
        from .actions import run  # the heavy imports (httpx, sqlglot) only past --help

        return run(args, " ".join(shlex.quote(a) for a in args_list))
    except KeyboardInterrupt:
        print("ksqlpy-migrations: stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KsqlError as error:
        if args.debug:
            raise
        print(f"ksqlpy-migrations: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        restore()


def _help(parser: argparse.ArgumentParser, topic: str | None) -> int:
    sub = parser.get_default("_sub")
    if topic is None:
        parser.print_help()
        return EXIT_OK
    if topic not in sub:
        print(
            f"ksqlpy-migrations: no command '{topic}'; commands: {', '.join(sub)}", file=sys.stderr
        )
        return EXIT_ERROR
    sub[topic].print_help()
    return EXIT_OK


def _stop_on_sigterm() -> Callable[[], None]:
    # SIGTERM stops a run the way Ctrl-C does, so the version is marked and the lock released.
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        return lambda: None

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


if __name__ == "__main__":
    sys.exit(main())
