"""What each ``ksqlpy-migrations`` command does with a ``Migrator``, and what it prints.

Loaded by ``cli.py`` once the arguments parse, so ``--help`` never pays for the client.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from ksqlpy._errors import MigrationStateError

from .commands import CONFIG_FILE, Migrator, new_project, parse_defines
from .config import MigrationConfig, load_config, read_headers
from .exits import EXIT_ERROR, EXIT_OK
from .plan import Target
from .render import dry_run, event_line, info_json, info_table, problems_json
from .runner import Event

Handler = Callable[[argparse.Namespace, str], int]


def _say(text: str) -> None:
    print(text, flush=True)


def _warn(text: str) -> None:
    print(f"ksqlpy-migrations: warning: {text}", file=sys.stderr, flush=True)


def _migrator(
    args: argparse.Namespace,
    command: str,
    *,
    headers: dict[str, str] | None = None,
    emit: Callable[[Event], None] | None = None,
) -> Migrator:
    config = _config(args)
    return Migrator(config, headers=headers, emit=emit, command=command)


def _config(args: argparse.Namespace) -> MigrationConfig:
    config = load_config(args.config_file or CONFIG_FILE)
    for warning in config.warnings:
        _warn(warning)
    return config


def _warn_about_files(migrator: Migrator) -> None:
    found = migrator.scan()
    for name in found.loose:
        _warn(
            f"{name} is taken as a migration (ksql-migrations matches V<6 digits>__<name>.sql "
            "anywhere in a file name); rename or remove it if it is a left-over"
        )


def elapsed(started: float) -> str:
    """``Execution time: 1.2345 seconds`` as ksql-migrations ends every command."""
    return f"Execution time: {time.monotonic() - started:.4f} seconds"


def colour_allowed(stream: object) -> bool:
    """ANSI colours only on a terminal, and never with NO_COLOR set."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


def _new_project(args: argparse.Namespace, _command: str) -> int:
    path = new_project(args.project_path, args.server_url)
    _say(f"Created {path} and {path.parent / 'migrations'}")
    _say(f"Next: cd {path.parent} && ksqlpy-migrations initialize-metadata")
    return EXIT_OK


def _initialize(args: argparse.Namespace, command: str) -> int:
    with _migrator(args, command) as migrator:
        ran = migrator.initialize_metadata()
        names = migrator.metadata.names
    if ran:
        _say(
            f"Migrations metadata initialized successfully (stream {names.stream}, table "
            f"{names.table})"
        )
    else:
        _say(
            f"Migrations metadata already initialized (stream {names.stream}, table "
            f"{names.table}); nothing to do"
        )
    return EXIT_OK


def _destroy(args: argparse.Namespace, command: str) -> int:
    with _migrator(args, command) as migrator:
        ran = migrator.destroy_metadata()
    for statement in ran:
        _say(f"ran: {statement}")
    _say("Migrations metadata destroyed" if ran else "No migrations metadata to destroy")
    return EXIT_OK


def _create(args: argparse.Namespace, command: str) -> int:
    migrator = Migrator(_config(args), command=command)
    created = migrator.create(" ".join(args.description), args.number)
    _say(f"Created {created.path}")
    return EXIT_OK


def _target(args: argparse.Namespace) -> tuple[Target, int | None]:
    if args.all:
        return Target.ALL, None
    if args.next:
        return Target.NEXT, None
    if args.until is not None:
        return Target.UNTIL, args.until
    return Target.VERSION, args.number


def _apply(args: argparse.Namespace, command: str) -> int:
    started = time.monotonic()
    headers = read_headers(args.headers) if args.headers else None
    defines = parse_defines(args.define)
    target, version = _target(args)

    def show(event: Event) -> None:
        _say(event_line(event))

    with _migrator(args, command, headers=headers, emit=show) as migrator:
        _warn_about_files(migrator)
        try:
            result = migrator.apply(
                target,
                version,
                dry_run=args.dry_run,
                defines=defines,
                resume=args.resume,
                restart=args.restart,
            )
        except MigrationStateError as error:
            nothing = target is Target.NEXT and str(error).startswith("no eligible migrations")
            if nothing and (args.ok_if_up_to_date or migrator.config.empty_is_success):
                _say("No eligible migrations found: everything is applied.")
                return EXIT_OK
            raise
    for skipped in result.out_of_order:
        _warn(
            f"{skipped.path.name} (version {skipped.version}) is below the latest migrated "
            f"version {result.previous} and was never applied; apply never runs it (renumber "
            "it above the latest version)"
        )
    if args.dry_run:
        sys.stdout.write(dry_run(result))
        return EXIT_OK
    if not result.applied:
        _say("No eligible migrations found.")
    else:
        _say(
            f"Successfully migrated {len(result.applied)} version(s); current version "
            f"{result.applied[-1]}"
        )
    _say(elapsed(started))
    return EXIT_OK


def _info(args: argparse.Namespace, command: str) -> int:
    with _migrator(args, command) as migrator:
        if not args.json:
            _warn_about_files(migrator)
        result = migrator.info()
    if args.json:
        _say(info_json(result))
    else:
        sys.stdout.write(info_table(result, colour=colour_allowed(sys.stdout)))
    return EXIT_OK


def _validate(args: argparse.Namespace, command: str) -> int:
    with _migrator(args, command) as migrator:
        problems = migrator.validate()
    if args.json:
        _say(problems_json(problems))
    elif problems:
        print(f"ksqlpy-migrations: validation failed: {problems[0]}", file=sys.stderr)
    else:
        _say("Successfully validated migrations: every applied file matches its checksum")
    return EXIT_ERROR if problems else EXIT_OK


def _repair(args: argparse.Namespace, command: str) -> int:
    with _migrator(args, command) as migrator:
        changes = migrator.repair(checksums=args.checksums, migrated=args.migrated)
    for change in changes:
        _say(f"repaired {change}")
    if not changes:
        _say("Nothing to repair")
    return EXIT_OK


def _abort(args: argparse.Namespace, command: str) -> int:
    with _migrator(args, command) as migrator:
        aborted = migrator.abort()
    if aborted is None:
        _say("No RUNNING version to abort; the lock is free now")
    else:
        _say(
            f"Aborted version {aborted.version}: it is ERROR now, the lock is free; "
            "'apply --resume' or '--restart' goes on"
        )
    return EXIT_OK


def _unlock(args: argparse.Namespace, command: str) -> int:
    with _migrator(args, command) as migrator:
        broken = migrator.unlock()
    if broken.holder is None:
        _say("The migrations lock was free")
    else:
        _say(f"Broke the migrations lock held by {broken.holder}")
    return EXIT_OK


def _baseline(args: argparse.Namespace, command: str) -> int:
    with _migrator(args, command) as migrator:
        info = migrator.baseline(args.number)
    _say(f"Recorded version {info.version} ({info.name}) as MIGRATED without running it")
    return EXIT_OK


HANDLERS: dict[str, Handler] = {
    "new-project": _new_project,
    "initialize-metadata": _initialize,
    "destroy-metadata": _destroy,
    "create": _create,
    "apply": _apply,
    "info": _info,
    "validate": _validate,
    "repair": _repair,
    "abort": _abort,
    "unlock": _unlock,
    "baseline": _baseline,
}


def run(args: argparse.Namespace, command: str) -> int:
    """Run the parsed command; errors propagate to ``cli.main``, which words them."""
    if args.command == "new-project" and getattr(args, "config_file", None):
        raise MigrationStateError("new-project takes no --config-file: it creates one")
    return HANDLERS[args.command](args, command)
