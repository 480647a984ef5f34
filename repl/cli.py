"""Command line entry point of ``ksqlpy``: flags, start-up, exit codes.

This is the one place where an error that ends the program becomes a message and an exit code;
statement errors inside a session are rendered by the shell and the session goes on.

Exit codes: 0 success, 1 a statement failed on the server, 2 usage, 3 a statement is not valid
SQL (found before sending), 4 the server cannot be reached or refused the credentials,
130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import importlib
import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ksqlpy import (
    AuthenticationError,
    Client,
    KsqlError,
    KsqlSyntaxError,
    KsqlTimeoutError,
    ProtocolError,
    ServerUnavailableError,
)
from ksqlpy._cli import EXIT_USAGE, base_parser, positive_float, positive_int

from .config import (
    DEFAULT_URL,
    ClientFile,
    Settings,
    load_client_file,
    load_settings,
    read_text_file,
)
from .render.errors import unreachable
from .session import OUTPUT_FORMATS, Failure, Session

DESCRIPTION = "Interactive shell for ksqlDB (pgcli-style, ksql CLI compatible)."

EXIT_OK = 0
EXIT_STATEMENT = 1
EXIT_SYNTAX = 3
EXIT_UNAVAILABLE = 4
EXIT_INTERRUPTED = 130
_ASK = object()  # -p given without a value


def build_parser() -> argparse.ArgumentParser:
    """The flags, compatible with the ksql CLI's."""
    parser = base_parser("ksqlpy", DESCRIPTION, debug=True)
    parser.add_argument("url", nargs="?", help=f"ksqlDB server URL (default {DEFAULT_URL})")
    parser.add_argument("-u", "--user", help="user name for HTTP basic authentication")
    parser.add_argument(
        "-p",
        "--password",
        nargs="?",
        const=_ASK,
        help="password; without a value (or with -u alone) it is asked for, never echoed",
    )
    parser.add_argument(
        "--config-file",
        type=Path,
        help="Java properties file: ssl.* keys configure TLS, other keys become properties",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("-e", "--execute", metavar="STATEMENTS", help="run these and exit")
    source.add_argument("-f", "--file", type=Path, help="run the statements of a file and exit")
    parser.add_argument(
        "-d",
        "--define",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="define a variable (repeatable)",
    )
    parser.add_argument(
        "--query-row-limit", type=positive_int, metavar="N", help="stop queries after N rows"
    )
    parser.add_argument(
        "--query-timeout",
        type=positive_int,
        metavar="MS",
        help="stop queries after MS milliseconds",
    )
    parser.add_argument(
        "--idle-timeout",
        type=positive_float,
        metavar="SECONDS",
        help="report a query or PRINT that receives nothing for SECONDS as hung, and close it",
    )
    parser.add_argument(
        "--output",
        type=str.upper,
        choices=OUTPUT_FORMATS,
        help="TABULAR (default) or JSON",
    )
    parser.add_argument(
        "--local", action="store_true", help="start an embedded ksqlDB-compatible server"
    )
    parser.add_argument(
        "--bootstrap-servers",
        metavar="HOST:PORT",
        help="with --local: keep the server's topics on this Kafka cluster",
    )
    parser.add_argument(
        "--continue-on-error",
        action="store_true",
        help="in -e/-f/stdin mode, run the remaining statements after a failure",
    )
    parser.add_argument(
        "--no-warn", action="store_true", help="do not ask before destructive statements"
    )
    parser.add_argument("--vi", action="store_true", help="vi key bindings (F4 switches)")
    parser.add_argument(
        "--no-pager", action="store_true", help="never page tables taller than the screen"
    )
    parser.add_argument(
        "--settings", type=Path, help="the TOML settings file (default: user config dir)"
    )
    parser.add_argument(
        "--verbose-errors",
        action="store_true",
        help="show the error code, HTTP status and statement of server errors",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only parse the statements of -e/-f/stdin offline and report syntax errors",
    )
    return parser


def exit_code(error: KsqlError) -> int:
    """The exit code for a failure."""
    if isinstance(error, KsqlSyntaxError):
        return EXIT_SYNTAX
    if isinstance(
        error, ServerUnavailableError | AuthenticationError | KsqlTimeoutError | ProtocolError
    ):
        return EXIT_UNAVAILABLE
    return EXIT_STATEMENT


def connect_message(error: KsqlError, url: str) -> str:
    """One line for a server that cannot be used, with what to do next."""
    gone = unreachable(error, url)
    if gone is not None:
        return gone
    if isinstance(error, AuthenticationError):
        return f"ksqlDB at {url} refused the credentials (HTTP 401); pass -u USER and -p"
    return str(error).splitlines()[0]


def _defines(values: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        match = re.fullmatch(r"(\w+)=(.*)", item, re.S)
        if match is None:
            raise KsqlError(f"-d/--define wants NAME=VALUE, got {item!r}")
        out[match.group(1)] = match.group(2)
    return out


def _password(args: argparse.Namespace, ask: Callable[[str], str]) -> str | None:
    if args.user is None:
        if args.password is not None:
            raise KsqlError("-p/--password needs -u/--user")
        return None
    if args.password is None or args.password is _ASK:
        if not sys.stdin.isatty():
            raise KsqlError(
                "a password is needed for -u; pass -p PASSWORD when stdin is not a terminal"
            )
        args.password = ask("Enter password: ")
    if not args.password:
        raise KsqlError("the password must not be empty")
    return str(args.password)


def _positive(value: int | None, setting: int) -> int | None:
    chosen = value if value is not None else setting
    return chosen if chosen and chosen > 0 else None


def main(argv: Sequence[str] | None = None, *, ask: Callable[[str], str] = getpass.getpass) -> int:
    """Run ``ksqlpy`` and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.bootstrap_servers and not args.local:
        parser.error("--bootstrap-servers goes with --local (a remote ksqlDB has its own Kafka)")
    try:
        return _main(args, ask)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except KsqlError as error:
        if args.debug:
            raise
        print(f"ksqlpy: {str(error).splitlines()[0]}", file=sys.stderr)
        return EXIT_USAGE


def _check(args: argparse.Namespace) -> int:
    from .executor import check

    script = _script(args)
    if script is None:
        raise KsqlError("--check needs statements: -e, -f or stdin")
    errors = check(script, _defines(args.define))
    for error in errors:
        print(str(error), file=sys.stderr)
    return EXIT_SYNTAX if errors else EXIT_OK


def _main(args: argparse.Namespace, ask: Callable[[str], str]) -> int:
    if args.check:
        return _check(args)
    settings = load_settings(args.settings)
    password = _password(args, ask)
    client_file = load_client_file(args.config_file) if args.config_file else ClientFile({})
    session = Session(
        properties=dict(client_file.properties),
        variables=_defines(args.define),
        output=args.output or settings.output.upper(),
        row_limit=_positive(args.query_row_limit, settings.query_row_limit),
        verbose_errors=args.verbose_errors,
        idle_timeout=args.idle_timeout,
    )
    timeout_ms = _positive(args.query_timeout, settings.query_timeout)
    session.timeout = timeout_ms / 1000 if timeout_ms else None
    if session.output not in OUTPUT_FORMATS:
        raise KsqlError(f"output must be TABULAR or JSON, got {session.output!r}")
    with contextlib.ExitStack() as stack:
        if args.local:
            # ksqlpy.local is a mapped folder mypy cannot follow; load it by name.
            local = importlib.import_module("ksqlpy.local")
            server = local.LocalServer(bootstrap_servers=args.bootstrap_servers)
            url = stack.enter_context(server).url
        else:
            url = args.url or settings.url
        session.url = url
        client = stack.enter_context(
            Client(
                url,
                auth=(args.user, password) if args.user and password else None,
                verify=client_file.verify,
                cert=client_file.cert,
            )
        )
        try:
            info = client.server_info()
        except KsqlError as error:
            if args.debug:
                raise
            print(f"ksqlpy: {connect_message(error, url)}", file=sys.stderr)
            return EXIT_UNAVAILABLE
        session.server_version = info.version
        stack.callback(session.close_spool)
        script = _script(args)
        if script is not None:
            return _run_script(client, session, script, args)
        return _interactive(client, session, info, settings, args, stack)


def _script(args: argparse.Namespace) -> str | None:
    """The text to run without a prompt: -e, -f, or stdin when it is not a terminal."""
    if args.execute is not None:
        return str(args.execute)
    if args.file is not None:
        return read_text_file(args.file, "-f/--file")
    if not sys.stdin.isatty():
        return sys.stdin.read()
    return None


def _run_script(client: Client, session: Session, text: str, args: argparse.Namespace) -> int:
    from .executor import Executor
    from .render.output import Output
    from .shell import Shell

    executor = Executor(client, session, continue_on_error=args.continue_on_error)
    out = Output(sys.stdout, err=sys.stderr)
    shell = Shell(executor, session, out, interactive=False, width=_width(out))
    failures = shell.run_text(text)
    return _code(failures)


def _code(failures: list[Failure]) -> int:
    return exit_code(failures[0].error) if failures else EXIT_OK


def _width(out: Any) -> Callable[[], int | None]:
    if not out.tty:
        return lambda: None
    return lambda: shutil.get_terminal_size().columns


def _interactive(
    client: Client,
    session: Session,
    info: Any,
    settings: Settings,
    args: argparse.Namespace,
    stack: contextlib.ExitStack,
) -> int:
    from .commands import completion_names
    from .completion.catalog import Catalog, load_catalog
    from .completion.vocabulary import CatalogSnapshot
    from .executor import Executor
    from .render.output import Output
    from .shell import Shell, confirm_with, data_dir, loop, make_prompt

    names = completion_names()
    catalog = Catalog(lambda: load_catalog(client, names), CatalogSnapshot(commands=names))
    # The refresh thread shares the client: let it finish before the client closes.
    stack.callback(catalog.close)
    history = Path(settings.history_file) if settings.history_file else data_dir() / "history"
    prompt = make_prompt(
        session,
        lambda: catalog.snapshot,
        vi=args.vi or settings.key_bindings == "vi",
        history_file=history,
    )
    session.history.extend(reversed(list(prompt.history.load_history_strings())))
    warn = settings.destructive_warning and not args.no_warn
    executor = Executor(
        client,
        session,
        confirm=confirm_with(prompt) if warn else None,
        on_change=catalog.refresh,
    )
    pager = os.environ.get("PAGER", settings.pager) if not args.no_pager else ""
    out = Output(
        sys.stdout,
        pager=pager if pager and shutil.which(shlex.split(pager)[0]) else None,
        height=lambda: shutil.get_terminal_size().lines,
    )
    shell = Shell(executor, session, out, interactive=True, width=_width(out))
    shell.banner(info)
    catalog.refresh()
    loop(shell, prompt)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
