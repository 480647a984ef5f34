"""The pure model: metadata rows, the previous chain, validation, targets, the lock, the journal."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksqlpy._errors import MigrationStateError
from ksqlpy.migrations.files import MigrationFile, checksum
from ksqlpy.migrations.plan import (
    COLUMNS,
    NONE_VERSION,
    JournalEntry,
    LockEvent,
    LockEventKind,
    State,
    Target,
    VersionInfo,
    finished,
    latest_migrated,
    lock_state,
    progress,
    resumable,
    running,
    select,
    skipped_below,
    validate,
)


def _file(version: int, name: str = "x") -> MigrationFile:
    return MigrationFile(version, name, Path(f"V{version:06d}__{name}.sql"))


def _info(version: int, state: State, previous: str, checksum: str = "c") -> VersionInfo:
    return VersionInfo(version, "x", state, checksum, "1000", "2000", previous)


def test_rows_are_written_current_first_with_the_nine_columns() -> None:
    info = running(_file(3, "Add users"), "abc", "2", 1700000000123)
    rows = info.rows()
    assert [r["VERSION_KEY"] for r in rows] == ["CURRENT", "3"]
    assert rows[0] == {
        "VERSION_KEY": "CURRENT",
        "VERSION": "3",
        "NAME": "Add users",
        "STATE": "RUNNING",
        "CHECKSUM": "abc",
        "STARTED_ON": "1700000000123",
        "COMPLETED_ON": "",
        "PREVIOUS": "2",
        "ERROR_REASON": "N/A",
    }
    assert tuple(rows[1]) == COLUMNS
    done = finished(info, 1700000000999)
    assert (done.state, done.completed_on, done.error_reason) == (
        State.MIGRATED,
        "1700000000999",
        "N/A",
    )
    failed = finished(info, 5, "Failed to execute sql: x. Error: y")
    assert (failed.state, failed.error_reason) == (
        State.ERROR,
        "Failed to execute sql: x. Error: y",
    )


def test_rows_round_trip_and_bad_rows_are_refused() -> None:
    info = _info(4, State.ERROR, "3")
    assert VersionInfo.from_row(info.row("4"), "v4") == info
    for column, value in (("STATE", "DONE"), ("VERSION", "four"), ("STARTED_ON", "noon")):
        with pytest.raises(MigrationStateError, match="malformed"):
            VersionInfo.from_row({**info.row("4"), column: value}, "v4")
    with pytest.raises(MigrationStateError, match="no NAME"):
        VersionInfo.from_row({**info.row("4"), "NAME": None}, "v4")


def test_latest_migrated_follows_ksql_migrations() -> None:
    rows = {
        "1": _info(1, State.MIGRATED, NONE_VERSION),
        "2": _info(2, State.MIGRATED, "1"),
        "3": _info(3, State.ERROR, "2"),
        "4": _info(4, State.RUNNING, "3"),
        "5": _info(5, State.RUNNING, NONE_VERSION),
    }
    assert latest_migrated(NONE_VERSION, rows.get) == NONE_VERSION
    assert latest_migrated("2", rows.get) == "2"
    assert latest_migrated("3", rows.get) == "2"  # a failed version falls back to its previous
    assert latest_migrated("5", rows.get) == NONE_VERSION
    with pytest.raises(MigrationStateError, match="sits on version 3, which is ERROR"):
        latest_migrated("4", rows.get)
    with pytest.raises(MigrationStateError, match="no row"):
        latest_migrated("9", rows.get)


def _checksums(migration: MigrationFile) -> tuple[str, frozenset[str]]:
    text = f"v{migration.version}".encode()
    return checksum(text), frozenset({checksum(text + b"\r\n")})


def test_validate_walks_the_chain_and_names_the_first_problem() -> None:
    files = {v: _file(v) for v in (1, 2, 3)}
    good = {
        str(v): _info(
            v, State.MIGRATED, str(v - 1) if v > 1 else NONE_VERSION, checksum(f"v{v}".encode())
        )
        for v in (1, 2, 3)
    }
    assert validate("3", good.get, files, _checksums) == []
    assert validate(NONE_VERSION, {}.get, files, _checksums) == []

    edited = {**good, "2": _info(2, State.MIGRATED, "1", "0" * 32)}
    [problem] = validate("3", edited.get, files, _checksums)
    assert problem.version == 2
    assert "does not match its checksum" in problem.message
    assert "repair --checksums" in problem.fix

    crlf = {**good, "1": _info(1, State.MIGRATED, NONE_VERSION, checksum(b"v1\r\n"))}
    [problem] = validate("3", crlf.get, files, _checksums)
    assert "only line endings" in problem.fix

    [problem] = validate("3", good.get, {1: files[1], 3: files[3]}, _checksums)
    assert (problem.version, "no migration file" in problem.message) == (2, True)

    broken = {**good, "2": _info(2, State.ERROR, "1", checksum(b"v2"))}
    [problem] = validate("3", broken.get, files, _checksums)
    assert "ERROR, not MIGRATED" in problem.message


def test_select_targets_as_ksql_migrations_does() -> None:
    files = [_file(v) for v in (1, 2, 4, 7)]
    versions = lambda picked: [f.version for f in picked]  # noqa: E731
    assert versions(select(files, NONE_VERSION, Target.ALL)) == [1, 2, 4, 7]
    assert versions(select(files, "2", Target.ALL)) == [4, 7]
    assert versions(select(files, "2", Target.NEXT)) == [4]
    assert versions(select(files, "1", Target.UNTIL, 4)) == [2, 4]
    assert versions(select(files, "1", Target.VERSION, 7)) == [7]  # skipping 2 and 4 is allowed
    assert select(files, "7", Target.ALL) == []
    with pytest.raises(MigrationStateError, match="no eligible migrations"):
        select(files, "7", Target.NEXT)
    with pytest.raises(MigrationStateError, match="no migration file with version 5"):
        select(files, "1", Target.VERSION, 5)
    with pytest.raises(MigrationStateError, match="not above the latest migrated version 4"):
        select(files, "4", Target.VERSION, 2)


def test_files_below_the_latest_without_rows_are_reported() -> None:
    files = [_file(v) for v in (1, 2, 3)]
    known = {1: _info(1, State.MIGRATED, NONE_VERSION), 3: _info(3, State.MIGRATED, "1")}
    assert [f.version for f in skipped_below(files, "3", known)] == [2]
    assert skipped_below(files, NONE_VERSION, {}) == []


# --- the lock ------------------------------------------------------------------------------------


def _event(
    kind: LockEventKind, holder: str, at: int, ttl: int = 100, target: str = ""
) -> LockEvent:
    return LockEvent(kind, holder, at, at + ttl, target)


CLAIM, BEAT, RELEASE, BREAK = (
    LockEventKind.CLAIM,
    LockEventKind.HEARTBEAT,
    LockEventKind.RELEASE,
    LockEventKind.BREAK,
)


def test_first_live_claim_wins_and_later_claims_lose() -> None:
    state = lock_state([_event(CLAIM, "a", 10), _event(CLAIM, "b", 11)])
    assert (state.holder, state.since_ms, state.until_ms) == ("a", 10, 110)
    assert state.live(110)
    assert not state.live(111)


def test_release_heartbeat_expiry_and_break() -> None:
    assert (
        lock_state([_event(CLAIM, "a", 0), _event(RELEASE, "a", 5), _event(CLAIM, "b", 6)]).holder
        == "b"
    )
    # Only the holder's own release or heartbeat counts.
    assert lock_state([_event(CLAIM, "a", 0), _event(RELEASE, "b", 5)]).holder == "a"
    beat = lock_state([_event(CLAIM, "a", 0), _event(BEAT, "a", 90), _event(CLAIM, "b", 150)])
    assert (beat.holder, beat.until_ms) == ("a", 190)
    expired = lock_state([_event(CLAIM, "a", 0), _event(CLAIM, "b", 101)])
    assert expired.holder == "b"
    broken = lock_state([_event(CLAIM, "a", 0), _event(BREAK, "x", 5, target="a")])
    assert broken.holder is None
    assert lock_state([_event(CLAIM, "a", 0), _event(BREAK, "x", 5, target="z")]).holder == "a"


def test_lock_rows_round_trip_under_a_key_the_java_tool_never_reads() -> None:
    event = LockEvent(CLAIM, "me@host pid 1 #ab", 123, 456, command="apply --all")
    row = event.row()
    assert row["VERSION_KEY"] not in ("CURRENT",)
    assert not row["VERSION_KEY"].isdigit()
    assert set(row) == set(COLUMNS)
    assert LockEvent.from_row(row) == event
    assert LockEvent.from_row({**row, "STATE": "GIBBERISH"}) is None


@given(
    st.lists(
        st.tuples(st.sampled_from(list(LockEventKind)), st.sampled_from("abc"), st.integers(0, 50)),
        max_size=12,
    )
)
def test_every_reader_agrees_and_only_claims_grant(
    raw: list[tuple[LockEventKind, str, int]],
) -> None:
    at = 0
    events = []
    for kind, holder, step in raw:
        at += step
        events.append(_event(kind, holder, at, 30, target=holder))
    state = lock_state(events)
    assert state == lock_state(list(events))  # deterministic
    if state.holder is not None:
        assert any(e.kind is CLAIM and e.holder == state.holder for e in events)


# --- the journal ---------------------------------------------------------------------------------


def test_progress_counts_only_the_run_of_the_version_row() -> None:
    info = running(_file(3), "sum", "2", 1000)
    entries = [
        JournalEntry(3, 0, "1000", "me", "", "sum", 1001),
        JournalEntry(3, 1, "1000", "me", "d1", "sum", 1002),
        JournalEntry(3, 2, "1000", "me", "d2", "sum", 1003),
        JournalEntry(3, 3, "999", "old run", "d3", "sum", 900),
        JournalEntry(4, 4, "1000", "me", "d4", "sum", 1003),
    ]
    done = progress(info, entries)
    assert (done.runner, done.done, done.journaled) == ("me", frozenset({1, 2}), True)
    assert resumable(done, ["d1", "d2", "d3"]) == []
    assert resumable(done, ["d1", "edited", "d3"]) == [2]
    assert resumable(done, ["d1"]) == [2]
    assert not progress(info, entries[3:]).journaled
    for entry in entries:
        assert JournalEntry.from_row(entry.row()) == entry
    assert JournalEntry.from_row({"VERSION_KEY": "CURRENT"}) is None
