"""``Migrator``: every command of ksqlpy-migrations as a method with a typed result.

The CLI is a thin layer over this class; a test suite or a deploy script can use it directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from ksqlpy._errors import KsqlError, MigrationError, MigrationFileError, MigrationStateError

from .config import MigrationConfig, load_config, new_project_properties
from .files import MigrationFile, Scan, checksum, create_file, scan, variant_checksums
from .lock import Clock, Lock, runner_id, wall_clock_ms
from .metadata import Metadata, Names
from .plan import (
    CURRENT,
    NONE_VERSION,
    LockState,
    Problem,
    State,
    Target,
    VersionInfo,
    finished,
    progress,
    select,
    skipped_below,
    validate,
)
from .runner import (
    ApplyOptions,
    Emit,
    Event,
    PlannedMigration,
    Runner,
    latest,
    plan_file,
    stopped_run,
)

if TYPE_CHECKING:
    from ksqlpy import Client

CONFIG_FILE = "ksql-migrations.properties"
# The oldest servers ksql-migrations accepts: Confluent Platform 6.0 / standalone ksqlDB 0.10.
_MIN_PLATFORM, _MIN_STANDALONE = (6, 0), (0, 10)


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What ``apply`` did (or, for a dry run, would do)."""

    previous: str
    """The latest migrated version before the run (``<none>`` for none)."""
    planned: tuple[PlannedMigration, ...]
    applied: tuple[int, ...]
    dry_run: bool = False
    out_of_order: tuple[MigrationFile, ...] = ()
    """Files below the latest migrated version that were never applied (never run by apply)."""


@dataclass(frozen=True, slots=True)
class InfoRow:
    """One line of ``info``: a file's version info, and who ran it when ksqlpy did."""

    info: VersionInfo
    file: MigrationFile | None
    runner: str = ""
    statements_done: int = 0


@dataclass(frozen=True, slots=True)
class InfoResult:
    """What ``info`` shows: the current version, one row per file, and the lock."""

    current: str
    rows: tuple[InfoRow, ...]
    lock: LockState
    now_ms: int
    skipped: tuple[str, ...] = ()


def new_project(folder: str | os.PathLike[str], server_url: str) -> Path:
    """Create a project folder with ``migrations/`` and ``ksql-migrations.properties``.

    Like ksql-migrations it does not contact the server and refuses an existing properties
    file; returns the properties file's path.
    """
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise MigrationFileError(f"{root} exists and is not a folder")
    properties = root / CONFIG_FILE
    if properties.exists():
        raise MigrationFileError(
            f"{properties} exists already; new-project never overwrites a project's config"
        )
    text = new_project_properties(server_url)  # checks the URL before anything is written
    try:
        (root / "migrations").mkdir(parents=True, exist_ok=True)
        with properties.open("x", encoding="latin-1") as out:
            out.write(text)
    except OSError as error:
        raise MigrationFileError(f"cannot create the project in {root}: {error}") from error
    return properties


class Migrator:
    """Versioned migrations for the ksqlDB server a ``ksql-migrations.properties`` names.

    >>> from ksqlpy.migrations import Migrator, Target
    >>> with Migrator.from_config_file("project/ksql-migrations.properties") as migrator:
    ...     migrator.initialize_metadata()
    ...     result = migrator.apply(Target.ALL)
    ...     print("applied", result.applied)
    """

    def __init__(
        self,
        config: MigrationConfig,
        *,
        headers: Mapping[str, str] | None = None,
        emit: Emit | None = None,
        clock: Clock = wall_clock_ms,
        command: str = "",
        settle_timeout: float = 10.0,
    ) -> None:
        self.config = config
        self.headers = dict(headers or {})
        self.emit = emit
        self.clock = clock
        self.command = command
        self.settle_timeout = settle_timeout
        self.holder = runner_id()
        self._client: Client | None = None
        self._metadata: Metadata | None = None

    @classmethod
    def from_config_file(
        cls, path: str | os.PathLike[str] = CONFIG_FILE, **options: object
    ) -> Migrator:
        """A Migrator for the project whose properties file is ``path``."""
        return cls(load_config(path), **options)  # type: ignore[arg-type]

    # resources ----------------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The ksqlDB client, connected on first use."""
        if self._client is None:
            from ksqlpy import Client

            self._client = Client(**self.config.client_options(self.headers))
        return self._client

    @property
    def metadata(self) -> Metadata:
        """The metadata objects, named from the config and the server's service id."""
        if self._metadata is None:
            info = self.client.server_info()
            _check_server_version(info.version, self.client.url)
            stream_topic, table_topic = self.config.topics(info.ksql_service_id)
            names = Names(
                self.config.stream_name,
                self.config.table_name,
                stream_topic,
                table_topic,
                self.config.topic_replicas,
            )
            self._metadata = Metadata(self.client, names, settle_timeout=self.settle_timeout)
        return self._metadata

    def close(self) -> None:
        """Close the client; closing twice does nothing."""
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> Migrator:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def scan(self) -> Scan:
        """The project's migration files."""
        return scan(self.config.migrations_dir)

    def _lock(self) -> Lock:
        return Lock(self.metadata, self.holder, self.config.lock_ttl, self.command, self.clock)

    def _emit(self, event: Event) -> None:
        if self.emit is not None:
            self.emit(event)

    # commands -----------------------------------------------------------------------------------

    def create(self, description: str, version: int | None = None) -> MigrationFile:
        """Write an empty ``V<version>__<description>.sql`` (no server needed)."""
        return create_file(self.config.migrations_dir, description, version)

    def initialize_metadata(self) -> tuple[str, ...]:
        """Create the metadata stream and table; the ones that exist already are kept.

        Returns the statements that ran (empty when everything existed).
        """
        metadata = self.metadata
        ran = []
        if metadata.describe(metadata.names.stream) is None:
            ran.append(metadata.names.create_stream())
        if metadata.describe(metadata.names.table) is None:
            ran.append(metadata.names.create_table())
        for statement in ran:
            try:
                self.client.execute_statement(statement)
            except KsqlError as error:
                raise MigrationError(
                    f"could not create the migrations metadata: {error}"
                ) from error
        return tuple(ran)

    def destroy_metadata(self) -> tuple[str, ...]:
        """Drop the metadata table (after terminating its query) and stream, with their topics.

        User objects are never touched; returns the statements that ran.
        """
        metadata = self.metadata
        ran: list[str] = []
        table = metadata.describe(metadata.names.table)
        if table is not None:
            writers = [q.id for q in table.write_queries]
            if len(writers) > 1:
                raise MigrationStateError(
                    f"Found multiple queries writing to the metadata table. Query IDs: "
                    f"{', '.join(writers)}; terminate the extra ones first"
                )
            ran += [f"TERMINATE {q};" for q in writers]
            ran.append(f"DROP TABLE {metadata.names.table} DELETE TOPIC;")
        if metadata.describe(metadata.names.stream) is not None:
            ran.append(f"DROP STREAM {metadata.names.stream} DELETE TOPIC;")
        for statement in ran:
            try:
                self.client.execute_statement(statement)
            except KsqlError as error:
                raise MigrationError(
                    f"could not destroy the migrations metadata at '{statement}': {error}"
                ) from error
        return tuple(ran)

    def apply(
        self,
        target: Target,
        version: int | None = None,
        *,
        dry_run: bool = False,
        defines: Mapping[str, str] | None = None,
        resume: bool = False,
        restart: bool = False,
    ) -> ApplyResult:
        """Apply migrations: ``Target.ALL``, ``NEXT``, ``UNTIL`` (with version) or ``VERSION``.

        Every selected file is split, substituted and checked before anything is sent. A dry
        run takes no lock and writes nothing. See ``ApplyOptions`` for resume/restart.
        """
        options = ApplyOptions(target, version, dry_run, dict(defines or {}), resume, restart)
        if resume and restart:
            raise MigrationStateError("--resume and --restart exclude each other; pick one")
        if target in (Target.UNTIL, Target.VERSION) and version is None:
            raise MigrationStateError(f"apply --{target.value} needs a version")
        metadata = self.metadata
        metadata.require()
        if dry_run:
            return self._plan(options, stopped=True)
        self._plan(options, stopped=False)  # every file checked before the lock writes a row
        with self._lock() as lock:
            result = self._plan(options, stopped=True)
            runner = Runner(self.client, metadata, lock, clock=self.clock, emit=self._emit)
            applied = runner.run(list(result.planned), result.previous)
        return replace(result, applied=tuple(applied))

    def _plan(self, options: ApplyOptions, *, stopped: bool) -> ApplyResult:
        # stopped: judge a RUNNING/ERROR current version (only under the lock, or in a dry
        # run: without the lock a RUNNING version may simply be another run in progress).
        current, latest_version, lookup = latest(self.metadata)
        files = self.scan()
        problems = validate(latest_version, lookup, files.by_version(), _checksums)
        if problems:
            raise MigrationStateError(f"validation failed: {problems[0]}")
        chosen = select(files.files, latest_version, options.target, options.version)
        plans = [plan_file(f, options.defines) for f in chosen]
        if plans and stopped:
            info = lookup(current) if current != NONE_VERSION else None
            if options.dry_run and info is not None and info.state is State.RUNNING:
                lock = self._lock()
                lock.refuse_if_held(lock.state(), self.clock())
            plans[0] = stopped_run(self.metadata, current, info, plans[0], options)
        known = self.metadata.infos(f.version for f in files.files) if files.files else {}
        below = skipped_below(files.files, latest_version, known)
        return ApplyResult(latest_version, tuple(plans), (), options.dry_run, tuple(below))

    def info(self) -> InfoResult:
        """The current version, every file's state (PENDING without a row) and the lock."""
        metadata = self.metadata
        metadata.require()
        files = self.scan()
        current = metadata.current()
        infos = metadata.infos(f.version for f in files.files) if files.files else {}
        rows = []
        for migration in files.files:
            info = infos.get(migration.version)
            if info is None:
                rows.append(InfoRow(VersionInfo.pending(migration), migration))
                continue
            runner, done = "", 0
            if info.state in (State.RUNNING, State.ERROR):
                entries = metadata.journal(info.version, _statement_bound(migration))
                run = progress(info, entries)
                runner, done = run.runner, run.count
            rows.append(InfoRow(info, migration, runner, done))
        lock = self._lock().state()
        return InfoResult(current, tuple(rows), lock, self.clock(), files.skipped)

    def validate(self) -> list[Problem]:
        """Check the applied chain against the files; empty when everything matches."""
        self.metadata.require()
        _current, latest_version, lookup = latest(self.metadata)
        return validate(latest_version, lookup, self.scan().by_version(), _checksums)

    def repair(self, *, checksums: bool = False, migrated: bool = False) -> tuple[str, ...]:
        """Mend the metadata so ``apply`` can go on, writing only rows ksql-migrations accepts.

        Without flags: a RUNNING version whose run stopped (no live lock) becomes ERROR.
        ``migrated``: the current RUNNING/ERROR version becomes MIGRATED (you finished it by
        hand). ``checksums``: MIGRATED versions whose files were edited take the files'
        checksums. Returns what was changed.
        """
        self.metadata.require()
        changes: list[str] = []
        with self._lock():
            current, _latest, lookup = latest(self.metadata)
            info = lookup(current) if current != NONE_VERSION else None
            if info is not None and info.state in (State.RUNNING, State.ERROR):
                if migrated:
                    self.metadata.write(finished(info, self.clock()).rows())
                    changes.append(f"version {info.version}: {info.state.value} -> MIGRATED")
                elif info.state is State.RUNNING:
                    reason = "Marked failed by ksqlpy-migrations repair: its run had stopped"
                    self.metadata.write(finished(info, self.clock(), reason).rows())
                    changes.append(f"version {info.version}: RUNNING -> ERROR")
            elif migrated:
                raise MigrationStateError(
                    f"--migrated marks a RUNNING or ERROR current version, but the current "
                    f"version is {current}" + (f" ({info.state.value})" if info else "")
                )
            if checksums:
                changes += self._repair_checksums(current)
        return tuple(changes)

    def _repair_checksums(self, current: str) -> list[str]:
        _current, latest_version, look = latest(self.metadata)
        files = self.scan().by_version()
        changes = []
        version = latest_version
        while version != NONE_VERSION:
            info = look(version)
            if info is None:
                break
            migration = files.get(info.version)
            if migration is None:
                raise MigrationStateError(
                    f"version {version} has no migration file; restore it before repairing"
                )
            actual = migration.checksum()
            if actual != info.checksum:
                fixed = replace(info, checksum=actual)
                keys = [CURRENT, str(info.version)] if version == current else [str(info.version)]
                self.metadata.write([fixed.row(k) for k in keys])
                changes.append(f"version {version}: checksum {info.checksum} -> {actual}")
            version = info.previous
        return changes

    def abort(self) -> VersionInfo | None:
        """Stop waiting for a hung run: break its lock and mark its RUNNING version ERROR."""
        metadata = self.metadata
        metadata.require()
        lock = self._lock()
        broken = lock.break_("abort")
        with lock:
            current, _latest, lookup = latest(metadata)
            info = lookup(current) if current != NONE_VERSION else None
            if info is None or info.state is not State.RUNNING:
                return None
            holder = f" (run by {broken.holder})" if broken.holder else ""
            reason = f"Aborted with ksqlpy-migrations abort{holder}"
            aborted = finished(info, self.clock(), reason)
            metadata.write(aborted.rows())
        return aborted

    def unlock(self) -> LockState:
        """Break the lock whoever holds it; returns the state that was broken."""
        self.metadata.require()
        return self._lock().break_("unlock")

    def lock_state(self) -> LockState:
        """Who holds the lock now."""
        self.metadata.require()
        return self._lock().state()

    def baseline(self, version: int) -> VersionInfo:
        """Record an existing cluster as migrated up to ``version`` without running files.

        Only on an empty history; the file of ``version`` must exist (its checksum is stored,
        as ``validate`` in both tools checks it). Later versions apply as usual.
        """
        metadata = self.metadata
        metadata.require()
        with self._lock():
            current = metadata.current()
            if current != NONE_VERSION:
                raise MigrationStateError(
                    f"baseline needs an empty migrations history, but version {current} is "
                    "recorded already"
                )
            migration = self.scan().find(version)
            if migration is None:
                raise MigrationFileError(
                    f"baseline {version}: no migration file V{version:06d}__*.sql in "
                    f"{self.config.migrations_dir}; create it (it may hold the statements that "
                    "built the cluster)"
                )
            now = self.clock()
            info = VersionInfo(
                version,
                migration.name,
                State.MIGRATED,
                migration.checksum(),
                str(now),
                str(now),
                NONE_VERSION,
            )
            metadata.write(info.rows())
            metadata.wait_for(version, {"STATE": State.MIGRATED.value})
        return info


def _checksums(migration: MigrationFile) -> tuple[str, frozenset[str]]:
    data = migration.read_bytes()
    return checksum(data), variant_checksums(data)


def _statement_bound(migration: MigrationFile) -> int:
    # The journal keys of a version run 0..n; the file's ';' count bounds n without parsing it.
    try:
        return migration.read_bytes().count(b";") + 1
    except MigrationError:
        return 0


def _check_server_version(version: str, url: str) -> None:
    numbers = []
    for part in version.split("-", maxsplit=1)[0].split(".")[:2]:
        if not part.isdigit():
            return  # ksql-migrations only warns about a version it cannot read
        numbers.append(int(part))
    found = tuple(numbers)
    if found < _MIN_STANDALONE or (_MIN_STANDALONE[0] < found[0] < _MIN_PLATFORM[0]):
        raise MigrationStateError(
            f"the ksqlDB server at {url} is version {version}; migrations need ksqlDB 0.10 or "
            "Confluent Platform 6.0 or newer"
        )


def parse_defines(pairs: Sequence[str]) -> dict[str, str]:
    """``--define name=value`` pairs; ``a=b=c`` is refused as ksql-migrations refuses it."""
    defines: dict[str, str] = {}
    for pair in pairs:
        parts = pair.split("=")
        if len(parts) != 2 or not parts[0].strip():
            raise MigrationStateError(
                f"--define takes name=value with exactly one '=', got {pair!r}; quote a value "
                "holding '=' in a DEFINE statement inside the file instead"
            )
        defines[parts[0].strip()] = parts[1]
    return defines
