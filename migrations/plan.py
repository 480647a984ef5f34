"""The pure model of migrations: states, metadata rows, the ``previous`` chain, targets, the lock.

Nothing here does I/O: values in, values out. ``metadata.py`` reads and writes the rows,
``runner.py`` acts on what these functions decide. Every rule that ksql-migrations also
applies is ksql-migrations' own (``MetadataUtil``, ``ApplyMigrationCommand``,
``ValidateMigrationsCommand``), so both tools read the same history the same way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from ksqlpy._errors import MigrationStateError

from .files import MigrationFile

NONE_VERSION = "<none>"
CURRENT = "CURRENT"
NO_ERROR = "N/A"
# The nine columns of the metadata stream, in the order ksql-migrations writes them.
COLUMNS = (
    "VERSION_KEY",
    "VERSION",
    "NAME",
    "STATE",
    "CHECKSUM",
    "STARTED_ON",
    "COMPLETED_ON",
    "PREVIOUS",
    "ERROR_REASON",
)
# Keys of ksqlpy's own rows. ksql-migrations reads only CURRENT and plain version numbers.
LOCK_KEY = "KSQLPY_LOCK"
JOURNAL_SEPARATOR = "#"


class State(enum.Enum):
    """The state of a migration version (PENDING is never written: it means "no row")."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    MIGRATED = "MIGRATED"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One version's row of the metadata table, as ksql-migrations reads it."""

    version: int
    name: str
    state: State
    checksum: str
    started_on: str
    completed_on: str
    previous: str
    error_reason: str = NO_ERROR

    @classmethod
    def from_row(cls, row: Mapping[str, object], where: str) -> VersionInfo:
        """Parse a metadata row strictly (ksql-migrations fails on the same rows)."""
        values: dict[str, str] = {}
        for column in COLUMNS[1:]:
            value = row.get(column)
            if not isinstance(value, str):
                raise MigrationStateError(
                    f"the metadata row of {where} has no {column} (got {value!r}); it was not "
                    "written by ksql-migrations or ksqlpy-migrations: repair it with "
                    "'ksqlpy-migrations repair'"
                )
            values[column] = value
        try:
            version = int(values["VERSION"])
            state = State(values["STATE"])
            for column in ("STARTED_ON", "COMPLETED_ON"):
                if values[column] not in ("", NO_ERROR):
                    int(values[column])
        except ValueError as error:
            raise MigrationStateError(
                f"the metadata row of {where} is malformed ({error}); repair it with "
                "'ksqlpy-migrations repair'"
            ) from error
        return cls(
            version=version,
            name=values["NAME"],
            state=state,
            checksum=values["CHECKSUM"],
            started_on=values["STARTED_ON"],
            completed_on=values["COMPLETED_ON"],
            previous=values["PREVIOUS"],
            error_reason=values["ERROR_REASON"],
        )

    @classmethod
    def pending(cls, migration: MigrationFile) -> VersionInfo:
        """How ``info`` shows a file that has no row yet."""
        return cls(
            migration.version, migration.name, State.PENDING, NO_ERROR, NO_ERROR, NO_ERROR, NO_ERROR
        )

    def rows(self) -> list[dict[str, str]]:
        """The two rows a state change writes: key ``CURRENT`` first, then the version."""
        return [self.row(CURRENT), self.row(str(self.version))]

    def row(self, key: str) -> dict[str, str]:
        """The row of this info under ``key``, with the nine upper-case column names."""
        return {
            "VERSION_KEY": key,
            "VERSION": str(self.version),
            "NAME": self.name,
            "STATE": self.state.value,
            "CHECKSUM": self.checksum,
            "STARTED_ON": self.started_on,
            "COMPLETED_ON": self.completed_on,
            "PREVIOUS": self.previous,
            "ERROR_REASON": self.error_reason,
        }


def running(migration: MigrationFile, checksum: str, previous: str, now_ms: int) -> VersionInfo:
    """The RUNNING info written before a migration's first statement."""
    return VersionInfo(
        migration.version, migration.name, State.RUNNING, checksum, str(now_ms), "", previous
    )


def finished(info: VersionInfo, now_ms: int, error: str | None = None) -> VersionInfo:
    """``info`` moved to MIGRATED, or to ERROR with ``error``, completed at ``now_ms``."""
    state = State.MIGRATED if error is None else State.ERROR
    return replace(
        info,
        state=state,
        completed_on=str(now_ms),
        error_reason=NO_ERROR if error is None else error,
    )


# --- the previous chain --------------------------------------------------------------------------

Lookup = Callable[[str], "VersionInfo | None"]


def _require(lookup: Lookup, version: str) -> VersionInfo:
    info = lookup(version)
    if info is None:
        raise MigrationStateError(
            f"version {version} is named in the metadata but has no row of its own; the "
            "metadata was edited by hand or written half: see 'ksqlpy-migrations info'"
        )
    return info


def latest_migrated(current: str, lookup: Lookup) -> str:
    """The latest MIGRATED version (``<none>`` for none), by ksql-migrations' rule.

    ``current`` is the version under key CURRENT. If it is not MIGRATED (ERROR, or RUNNING
    after a crash), its ``previous`` is taken, which must itself be MIGRATED.
    """
    if current == NONE_VERSION:
        return NONE_VERSION
    info = _require(lookup, current)
    if info.state is State.MIGRATED:
        return current
    if info.previous == NONE_VERSION:
        return NONE_VERSION
    before = _require(lookup, info.previous)
    if before.state is not State.MIGRATED:
        raise MigrationStateError(
            f"version {current} sits on version {info.previous}, which is {before.state.value}, "
            "not MIGRATED; the metadata is inconsistent: see 'ksqlpy-migrations info'"
        )
    return info.previous


@dataclass(frozen=True, slots=True)
class Problem:
    """Why ``validate`` failed, and what would fix it."""

    version: int
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.message}; {self.fix}"


def validate(
    latest: str,
    lookup: Lookup,
    files: Mapping[int, MigrationFile],
    checksum_of: Callable[[MigrationFile], tuple[str, frozenset[str]]],
) -> list[Problem]:
    """Walk the ``previous`` chain from ``latest`` as ksql-migrations' validate does.

    Every version on it must have a row, all but the first must be MIGRATED, its file must
    exist and the file's MD5 must equal the stored one. ``checksum_of`` returns a file's
    checksum and those of its line-ending variants (for the hint). Returns the first problem
    found (a list, so callers can add their own), empty when valid.
    """
    version, after = latest, None
    while version != NONE_VERSION:
        info = _require(lookup, version)
        if after is not None and info.state is not State.MIGRATED:
            return [
                Problem(
                    info.version,
                    f"version {version} (before {after}) is {info.state.value}, not MIGRATED",
                    "the metadata is inconsistent: see 'ksqlpy-migrations info'",
                )
            ]
        migration = files.get(info.version)
        if migration is None:
            return [
                Problem(
                    info.version,
                    f"no migration file for version {version}, which is MIGRATED",
                    f"restore the file V{info.version:06d}__*.sql",
                )
            ]
        actual, variants = checksum_of(migration)
        if actual != info.checksum:
            if info.checksum in variants:
                fix = (
                    "only line endings or a BOM changed (git autocrlf?): restore them, or run "
                    "'ksqlpy-migrations repair --checksums'"
                )
            else:
                fix = (
                    "restore the file as it was applied, or run "
                    "'ksqlpy-migrations repair --checksums' to accept the edit"
                )
            return [
                Problem(
                    info.version,
                    f"migration file {migration.path} of version {version} "
                    f"does not match its checksum (stored {info.checksum}, file {actual})",
                    fix,
                )
            ]
        after, version = version, info.previous
    return []


# --- targets -------------------------------------------------------------------------------------


class Target(enum.Enum):
    """Which migrations ``apply`` runs."""

    ALL = "all"
    NEXT = "next"
    UNTIL = "until"
    VERSION = "version"


def select(
    files: Sequence[MigrationFile], latest: str, target: Target, version: int | None = None
) -> list[MigrationFile]:
    """The files ``apply`` runs, in file-name order, by ksql-migrations' rules.

    Files below ``latest + 1`` are never picked; ``--version`` picks one file at or above it
    (so versions may be skipped); ``--next`` with nothing left is an error.
    """
    minimum = 1 if latest == NONE_VERSION else int(latest) + 1
    if target is Target.VERSION:
        assert version is not None
        chosen = [f for f in files if f.version == version]
        if not chosen:
            raise MigrationStateError(f"no migration file with version {version} exists")
        if version < minimum:
            raise MigrationStateError(
                f"version {version} is not above the latest migrated version {latest}; "
                "only later versions can be applied"
            )
        return chosen
    picked = [f for f in files if f.version >= minimum]
    if target is Target.UNTIL:
        assert version is not None
        picked = [f for f in picked if f.version <= version]
    if target is Target.NEXT:
        if not picked:
            raise MigrationStateError("no eligible migrations found: every file is applied")
        return picked[:1]
    return picked


def skipped_below(
    files: Iterable[MigrationFile], latest: str, known: Mapping[int, VersionInfo | None]
) -> list[MigrationFile]:
    """Files below the latest migrated version that were never applied (out of order)."""
    if latest == NONE_VERSION:
        return []
    return [f for f in files if f.version < int(latest) and known.get(f.version) is None]


# --- the lock ------------------------------------------------------------------------------------
# Lock rows live in the metadata stream under LOCK_KEY. The stream has one partition, so every
# runner reads the same events in the same order and computes the same holder: a claim wins
# only if the lock was free (or its holder's lease had run out) when the claim was written.


class LockEventKind(enum.Enum):
    """What a lock row says."""

    CLAIM = "CLAIM"
    HEARTBEAT = "HEARTBEAT"
    RELEASE = "RELEASE"
    BREAK = "BREAK"


@dataclass(frozen=True, slots=True)
class LockEvent:
    """One lock row: ``holder`` did ``kind`` at ``at_ms``; its lease lasts until ``until_ms``.

    For BREAK, ``target`` is the holder whose lock was broken and ``holder`` who broke it.
    """

    kind: LockEventKind
    holder: str
    at_ms: int
    until_ms: int
    target: str = ""
    command: str = ""

    def row(self) -> dict[str, str]:
        """The metadata-stream row of this event (columns the Java tool never reads as such)."""
        return {
            "VERSION_KEY": LOCK_KEY,
            "VERSION": "0",
            "NAME": self.holder,
            "STATE": self.kind.value,
            "CHECKSUM": "",
            "STARTED_ON": str(self.at_ms),
            "COMPLETED_ON": str(self.until_ms),
            "PREVIOUS": self.target,
            "ERROR_REASON": self.command or NO_ERROR,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> LockEvent | None:
        """The event of a lock row, or None for a row this version does not understand."""
        try:
            return cls(
                kind=LockEventKind(str(row.get("STATE"))),
                holder=str(row.get("NAME") or ""),
                at_ms=int(str(row.get("STARTED_ON"))),
                until_ms=int(str(row.get("COMPLETED_ON"))),
                target=str(row.get("PREVIOUS") or ""),
                command=_text(row.get("ERROR_REASON")),
            )
        except ValueError:
            return None


def _text(value: object) -> str:
    return "" if value in (None, NO_ERROR) else str(value)


@dataclass(frozen=True, slots=True)
class LockState:
    """Who holds the lock after a sequence of events; ``holder`` None when free."""

    holder: str | None = None
    since_ms: int = 0
    until_ms: int = 0
    command: str = ""

    def live(self, now_ms: int) -> bool:
        """True while a holder's lease has not run out."""
        return self.holder is not None and now_ms <= self.until_ms


def lock_state(events: Iterable[LockEvent]) -> LockState:
    """Replay lock events in stream order (the same answer for every reader)."""
    state = LockState()
    for event in events:
        kind = event.kind
        if kind is LockEventKind.CLAIM:
            if state.holder is None or event.at_ms > state.until_ms:
                state = LockState(event.holder, event.at_ms, event.until_ms, event.command)
        elif state.holder is None:
            continue
        elif kind is LockEventKind.HEARTBEAT and event.holder == state.holder:
            state = replace(state, until_ms=event.until_ms)
        elif (kind is LockEventKind.RELEASE and event.holder == state.holder) or (
            kind is LockEventKind.BREAK and event.target == state.holder
        ):
            state = LockState()
    return state


# --- the statement journal -----------------------------------------------------------------------
# While a migration runs, ksqlpy writes one row per finished statement under the key
# "<version>#<n>", so a crashed or failed run can be resumed after its last finished
# statement instead of re-running the file from the top. "<version>#0" names the runner.


def journal_key(version: int, index: int) -> str:
    """The metadata key of statement ``index`` (1-based; 0 for the run itself) of a version."""
    return f"{version}{JOURNAL_SEPARATOR}{index}"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A finished statement of one run (``run`` is the run's started_on)."""

    version: int
    index: int
    run: str
    runner: str
    statement_checksum: str
    file_checksum: str
    at_ms: int

    def row(self) -> dict[str, str]:
        """The metadata-stream row of this entry."""
        return {
            "VERSION_KEY": journal_key(self.version, self.index),
            "VERSION": str(self.version),
            "NAME": self.runner,
            "STATE": "DONE" if self.index else "STARTED",
            "CHECKSUM": self.statement_checksum,
            "STARTED_ON": self.run,
            "COMPLETED_ON": str(self.at_ms),
            "PREVIOUS": self.file_checksum,
            "ERROR_REASON": NO_ERROR,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> JournalEntry | None:
        """The entry of a journal row, or None when the row is not one."""
        key = str(row.get("VERSION_KEY", ""))
        head, sep, tail = key.partition(JOURNAL_SEPARATOR)
        try:
            if not sep:
                return None
            return cls(
                version=int(head),
                index=int(tail),
                run=str(row.get("STARTED_ON")),
                runner=str(row.get("NAME") or ""),
                statement_checksum=str(row.get("CHECKSUM") or ""),
                file_checksum=str(row.get("PREVIOUS") or ""),
                at_ms=int(str(row.get("COMPLETED_ON"))),
            )
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a run of one version got: who ran it and which statements finished.

    ``digests`` maps each finished statement's index to the checksum of its text as it ran.
    ``journaled`` is False for a run that kept no journal (ksql-migrations' own runs).
    """

    runner: str
    digests: Mapping[int, str]
    journaled: bool

    @property
    def done(self) -> frozenset[int]:
        """Indices (1-based) of the finished statements."""
        return frozenset(self.digests)

    @property
    def count(self) -> int:
        """How many statements finished."""
        return len(self.digests)


def progress(info: VersionInfo, entries: Iterable[JournalEntry]) -> Progress:
    """The progress of the run that wrote ``info`` (entries of other runs are ignored).

    A resumed run keeps its first run's ``started_on``, so its journal carries on.
    """
    runner, journaled = "", False
    digests: dict[int, str] = {}
    for entry in entries:
        if entry.version != info.version or entry.run != info.started_on:
            continue
        if entry.index == 0:
            runner, journaled = entry.runner, True
        else:
            digests[entry.index] = entry.statement_checksum
    return Progress(runner, digests, journaled)


def resumable(done: Progress, digests: Sequence[str | None]) -> list[int]:
    """Finished statements whose text differs now (``digests[i-1]``: statement i's checksum).

    Resuming is safe only when every finished statement is still the same statement.
    """
    changed = []
    for index, digest in sorted(done.digests.items()):
        now = digests[index - 1] if index <= len(digests) else None
        if now != digest:
            changed.append(index)
    return changed
