"""Applying migrations: read the state under the lock, check every file, run statements in order.

The steps and the rows written are ksql-migrations' (``ApplyMigrationCommand``); what is added
is safety: a lock, every file checked before anything is sent, a journal of finished statements
so a stopped run can be resumed instead of re-run blindly, and a wait for each statement's
command on the server (the client passes ksqlDB's command sequence numbers on).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ksqlpy._errors import KsqlError, KsqlServerError, MigrationStateError
from ksqlpy._types import SqlType
from ksqlpy.sql import quote_identifier

from .files import MigrationFile, checksum, split_statements
from .lock import Clock, Lock, when
from .metadata import Metadata
from .plan import (
    NONE_VERSION,
    JournalEntry,
    State,
    Target,
    VersionInfo,
    finished,
    latest_migrated,
    progress,
    resumable,
    running,
)
from .statements import (
    Action,
    Define,
    InsertValues,
    Send,
    SetProperty,
    Undefine,
    UnsetProperty,
    coerce,
    prepare,
)

if TYPE_CHECKING:
    from ksqlpy import Client


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    """What ``apply`` should do: the target, and how to treat a stopped run."""

    target: Target
    version: int | None = None
    dry_run: bool = False
    defines: Mapping[str, str] = field(default_factory=dict)
    resume: bool = False
    """Continue a stopped (RUNNING) or failed (ERROR) version after its last finished statement."""
    restart: bool = False
    """Run a stopped or failed version again from its first statement (ksql-migrations' way)."""


@dataclass(frozen=True, slots=True)
class PlannedMigration:
    """One file ready to run: its actions after substitution, and those already done."""

    migration: MigrationFile
    checksum: str
    actions: tuple[Action, ...]
    done: frozenset[int] = frozenset()
    resumed: VersionInfo | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """Progress of a run, for whoever shows it: ``kind`` is start, statement, done or note."""

    kind: str
    migration: MigrationFile | None = None
    index: int = 0
    total: int = 0
    action: Action | None = None
    seconds: float = 0.0
    text: str = ""


Emit = Callable[[Event], None]


def _silent(_event: Event) -> None:
    pass


def plan_file(migration: MigrationFile, defines: Mapping[str, str]) -> PlannedMigration:
    """Split, substitute and check every statement of a file before anything is sent.

    Variables start from ``defines`` for each file, as in ksql-migrations; a bad statement is a
    MigrationFileError naming the file and line.
    """
    data = migration.read_bytes()
    source = str(migration.path)
    raws = split_statements(migration.read_text(), source)
    variables = dict(defines)
    actions: list[Action] = []
    for raw in raws:
        action = prepare(raw, variables, source)
        if isinstance(action, Define):
            variables[action.name] = action.value
        elif isinstance(action, Undefine):
            for name in [n for n in variables if n.lower() == action.name.lower()]:
                del variables[name]
        actions.append(action)
    return PlannedMigration(migration, checksum(data), tuple(actions))


def server_action(action: Action) -> bool:
    """True for actions that change the server (journaled), False for client-side ones."""
    return isinstance(action, InsertValues | Send)


def java_error(error: KsqlError) -> str:
    """An error as the Java client words it (ksql-migrations stores that text)."""
    if isinstance(error, KsqlServerError) and error.http_status:
        return (
            "io.confluent.ksql.api.client.exception.KsqlClientException: Received "
            f"{error.http_status} response from server: {error.message}. "
            f"Error code: {error.error_code}"
        )
    return str(error)


def stopped_run(
    metadata: Metadata,
    current: str,
    info: VersionInfo | None,
    planned: PlannedMigration,
    options: ApplyOptions,
) -> PlannedMigration:
    """Decide what to do with the current version when it is RUNNING or ERROR.

    A run that stopped half-way is never re-run blindly: without ``--resume`` or
    ``--restart`` this raises MigrationStateError saying what happened and the choices.
    """
    if info is None or str(planned.migration.version) != current:
        return planned
    if info.state not in (State.RUNNING, State.ERROR):
        return planned
    count = sum(1 for a in planned.actions if server_action(a))
    entries = metadata.journal(info.version, len(planned.actions))
    done = progress(info, entries)
    journaled = done.journaled
    by = f" by {done.runner}" if done.runner else ""
    status = (
        f"version {info.version} ({planned.migration.path.name}) is {info.state.value} "
        f"since {when(int(info.started_on))}{by}"
        if info.started_on.isdigit()
        else f"version {info.version} is {info.state.value}"
    )
    if options.restart:
        return planned
    if options.resume:
        if not journaled:
            raise MigrationStateError(
                f"{status}, but that run kept no statement journal (it was not a "
                "ksqlpy-migrations run), so it cannot be resumed; use --restart to run it "
                "from the top"
            )
        digests = [_digest(a.sql) if server_action(a) else None for a in planned.actions]
        changed = resumable(done, digests)
        if changed:
            lines = ", ".join(
                str(planned.actions[i - 1].line) if i <= len(planned.actions) else "(gone)"
                for i in changed
            )
            raise MigrationStateError(
                f"{status}, and statements that already ran were edited since (at line(s) "
                f"{lines}); resuming would skip what the file now says: restore them, or use "
                "--restart to run the file from the top"
            )
        return PlannedMigration(
            planned.migration, planned.checksum, planned.actions, done.done, info
        )
    if journaled and done.count == 0 and info.state is State.ERROR:
        return planned  # it failed at its first statement: nothing to undo, run it again
    reason = (
        ""
        if info.error_reason in ("", "N/A")
        else f"; its error: {' '.join(info.error_reason.split())}"
    )
    if journaled:
        finished_part = f" with {done.count} of {count} statements finished"
    else:
        finished_part = " (not known how many of its statements ran)"
    stopped = (
        " and no runner holds the lock: that run stopped" if (info.state is State.RUNNING) else ""
    )
    resume = "continue after the finished statements with 'apply --resume', " if journaled else ""
    raise MigrationStateError(
        f"{status}{finished_part}{stopped}{reason}. Running it again from the top could "
        f"repeat statements that already ran: {resume}run it from the top with "
        "'apply --restart', or mark it with 'ksqlpy-migrations repair'"
    )


class Runner:
    """Runs planned migrations against one server, writing the metadata as it goes."""

    def __init__(
        self,
        client: Client,
        metadata: Metadata,
        lock: Lock,
        *,
        clock: Clock,
        emit: Emit = _silent,
    ) -> None:
        self.client = client
        self.metadata = metadata
        self.lock = lock
        self.clock = clock
        self.emit = emit
        self._described: dict[str, dict[str, SqlType]] = {}

    # running ------------------------------------------------------------------------------------

    def run(self, plans: list[PlannedMigration], previous: str) -> list[int]:
        """Run planned migrations in order; returns the versions migrated."""
        applied: list[int] = []
        # As ksql-migrations does: the version this run builds on must read as MIGRATED (pull
        # queries on the table can lag its stream). Later versions are our own writes.
        if plans and previous != NONE_VERSION:
            self.metadata.wait_for(int(previous), {"STATE": State.MIGRATED.value})
        for number, planned in enumerate(plans, 1):
            self.lock.renew()
            self.emit(Event("start", planned.migration, number, len(plans)))
            started = time.monotonic()
            self._run_one(planned, previous)
            self.emit(
                Event(
                    "done",
                    planned.migration,
                    number,
                    len(plans),
                    seconds=time.monotonic() - started,
                )
            )
            applied.append(planned.migration.version)
            previous = str(planned.migration.version)
        if applied:  # so that 'info' right after the run shows it
            self.metadata.wait_for(applied[-1], {"STATE": State.MIGRATED.value})
        return applied

    def _run_one(self, planned: PlannedMigration, previous: str) -> None:
        migration = planned.migration
        if planned.resumed is not None:
            info = VersionInfo(
                migration.version,
                migration.name,
                State.RUNNING,
                planned.checksum,
                planned.resumed.started_on,
                "",
                previous,
            )
        else:
            info = running(migration, planned.checksum, previous, self.clock())
        start_entry = JournalEntry(
            migration.version,
            0,
            info.started_on,
            self.lock.holder,
            "",
            planned.checksum,
            self.clock(),
        )
        self.metadata.write([*info.rows(), start_entry.row()])
        properties: dict[str, Any] = {}
        current: Action | None = None
        total = len(planned.actions)
        last = max((i for i, a in enumerate(planned.actions, 1) if server_action(a)), default=0)
        deferred: list[dict[str, str]] = []
        try:
            for index, action in enumerate(planned.actions, 1):
                current = action
                if isinstance(action, SetProperty):
                    properties[action.name] = action.value
                elif isinstance(action, UnsetProperty):
                    properties.pop(action.name, None)
                if not server_action(action):
                    continue
                if index in planned.done:
                    self.emit(Event("skipped", migration, index, total, action))
                    continue
                self.lock.renew()
                began = time.monotonic()
                self._execute(action, properties)
                entry = JournalEntry(
                    migration.version,
                    index,
                    info.started_on,
                    self.lock.holder,
                    _digest(action.sql),
                    planned.checksum,
                    self.clock(),
                )
                if index == last:  # written with the MIGRATED rows: one request less
                    deferred.append(entry.row())
                else:
                    self.metadata.write([entry.row()])
                self.emit(
                    Event("statement", migration, index, total, action, time.monotonic() - began)
                )
        except KsqlError as error:
            assert current is not None
            reason = f"Failed to execute sql: {current.raw}. Error: {java_error(error)}"
            self.metadata.write(finished(info, self.clock(), reason).rows())
            raise MigrationStateError(
                f"version {migration.version} failed at {migration.path}, line {current.line}:\n"
                f"  {current.sql}\n{error}\nThe version is now ERROR; statements before this one "
                "stay applied."
            ) from error
        except (KeyboardInterrupt, SystemExit):
            reason = (
                f"Interrupted: ksqlpy-migrations was stopped during the statement at line "
                f"{current.line if current else 0}"
            )
            self.metadata.write(finished(info, self.clock(), reason).rows())
            raise
        self.metadata.write([*deferred, *finished(info, self.clock()).rows()])

    def _execute(self, action: Action, properties: Mapping[str, Any]) -> None:
        if isinstance(action, InsertValues):
            types = self._columns(action.target)
            columns = action.columns or tuple(types)
            if len(columns) != len(action.values):
                raise MigrationStateError(
                    f"Invalid `INSERT VALUES` statement. Number of columns and values must "
                    f"match. Got: Columns: {len(columns)}. Values: {len(action.values)}."
                )
            row = {
                quote_identifier(c): coerce(v, types[c]) if c in types else v
                for c, v in zip(columns, action.values, strict=True)
            }
            self.client.stream_inserts(
                quote_identifier(action.target), [row], properties=dict(properties) or None
            )
        elif isinstance(action, Send):
            self._described.clear()  # DDL may change any source's columns
            self.client.execute_statement(action.sql, properties=dict(properties) or None)

    def _columns(self, target: str) -> dict[str, SqlType]:
        # Column order (for VALUES without names) and types (for numbers), once per target.
        if target not in self._described:
            source = self.metadata.describe(quote_identifier(target))
            if source is None:
                raise MigrationStateError(
                    f"INSERT INTO {target}: no stream or table named {target} exists"
                )
            self._described[target] = {f.name: f.type for f in source.fields}
        return self._described[target]


def _digest(sql: str) -> str:
    return checksum(sql.encode())


def latest(metadata: Metadata) -> tuple[str, str, Callable[[str], VersionInfo | None]]:
    """``(current, latest migrated, lookup)`` read from the metadata, lookups cached."""
    cache: dict[str, VersionInfo | None] = {}

    def lookup(version: str) -> VersionInfo | None:
        if version not in cache:
            cache[version] = metadata.info(version)
        return cache[version]

    current = metadata.current()
    return current, latest_migrated(current, lookup), lookup
