"""A log kept in memory and in a journal file, so a restarted server loses nothing it acknowledged.

Every change (a topic created or deleted, a record appended, a query's output committed with its
positions, a group forgotten) is one checksummed line of ``<dir>/journal.log`` (format:
``_journal``), written before the change is visible or acknowledged. A commit is one line, so
its records and positions survive a crash together or not at all.

Loading replays the journal. A torn last line (a crash or a full disk mid-write) is cut off,
with a warning, before anything is appended; a damaged line with good lines after it is
reported with the file and byte offset and skipped, the rest is kept. What cannot be trusted
at all (an unreadable file, another server holding the directory, a newer format) is refused
with an ``OSError`` naming the file.

At start, a journal more than half of which no longer matters (the lines of deleted topics,
positions a later commit replaced) is rewritten with what is live, aside and renamed over it.

Durability: each change is handed to the kernel with ``write()`` before it is acknowledged,
which survives a killed process; ``fsync=True`` also flushes it to the disk (power loss), at a
cost per write.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
from pathlib import Path
from typing import IO

from ._base import TopicInfo, UnknownTopicError
from ._file_legacy import convert_legacy
from ._journal import HEADER, VERSION, Appended, Line, frame, lines
from ._journal import encode as encode_change
from ._memory import Batch, Change, GroupDeleted, MemoryLog, TopicDeleted

_log = logging.getLogger("ksqlpy.local")
JOURNAL = "journal.log"
LOCK = ".lock"
# Damaged lines are each reported up to this many; then only counted.
REPORTED = 20
# A journal is rewritten at start when more than half of it, and more than this, is dead.
COMPACT_AFTER = 1 << 20


class FileLog(MemoryLog):
    """:class:`MemoryLog` whose topics, records and consumer groups survive a restart."""

    def __init__(self, directory: str | Path, *, fsync: bool = False) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.path = self.directory / JOURNAL
        self.fsync = fsync
        # What loading dropped or repaired, one message each (also logged as warnings).
        self.recovery: list[str] = []
        self._fd: int | None = None
        self._lock_file: IO[bytes] | None = None
        self._dirty = False
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock_file = _lock(self.directory / LOCK)
            if not self.path.exists():
                convert_legacy(self.directory, self.path)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            self._weight = _DeadWeight()
            self._size = self._load()
            if self._weight.worth_compacting(self._size):
                self._compact()
        except OSError as exc:
            self.close()
            if exc.filename is None:  # a message of ours, which names its file already
                raise
            # The system's own (a directory where a file should be, no permission): say which.
            raise OSError(
                exc.errno, f"cannot use data dir {self.directory}: {exc.filename}: {exc.strerror}"
            ) from exc
        except BaseException:
            self.close()
            raise

    # -- loading --------------------------------------------------------------------------------

    def _load(self) -> int:
        """Replay the journal; return where new lines go (after the last whole line)."""
        end = 0
        pending: list[Line] = []  # damaged lines not (yet) followed by a good one
        seen_good = False
        try:
            with self.path.open("rb") as handle:
                for line in lines(handle):
                    if line.change is None:
                        pending.append(line)
                        continue
                    for bad in pending:
                        self._report(f"dropped a damaged line at byte {bad.offset} ({bad.problem})")
                    pending = []
                    self._replay(line)
                    self._weight.add(line)
                    seen_good = True
                    end = line.offset + line.size
                size = handle.tell()
        except OSError as exc:
            raise OSError(exc.errno, f"cannot read {self.path}: {exc.strerror}") from exc
        if not seen_good and size > len(frame(HEADER)):
            raise OSError(
                errno.EINVAL,
                f"{self.path} is not a ksqlpy journal or its start is damaged; move it away to "
                "start with an empty data directory",
            )
        if size > end:
            # A torn tail: nothing after it was acknowledged; cut it off before appending.
            if seen_good:
                self._report(f"truncated a torn last line: {size - end} bytes at byte {end}")
            self._truncate(end)
        if end == 0:
            self._write(frame(HEADER), 0)
            end = len(frame(HEADER))
            if self.fsync:
                _sync_directory(self.directory)  # the new file's name, for power loss too
        hidden = len(self.recovery) - REPORTED
        if hidden > 0:
            _log.warning("%s: %d more problems of the kind above", self.path, hidden)
        return end

    def _replay(self, line: Line) -> None:
        change = line.change
        try:
            if isinstance(change, int):
                if change > VERSION:
                    raise OSError(
                        errno.EINVAL,
                        f"{self.path} was written by a newer ksqlpy (journal format {change}); "
                        "upgrade ksqlpy to read it",
                    )
                return
            if isinstance(change, Appended):
                if change.group is None and len(change.records) == 1:
                    self._restore(change.records[0])  # the common line, taken short
                else:
                    batch = Batch(self._placed(change.records), change.group, change.positions)
                    self._apply(batch)
            elif isinstance(change, TopicInfo):
                existing = self.topic(change.name)
                if existing is None:
                    self._apply(change)
                elif existing.partitions != change.partitions:
                    self._report(f"ignored a second creation of topic '{change.name}'", line)
            elif isinstance(change, TopicDeleted):
                if self.topic(change.name) is not None:
                    self._apply(change)
            elif isinstance(change, GroupDeleted):
                self._apply(change)
        except UnknownTopicError as exc:
            self._report(f"dropped records of topic '{exc.args[0]}', whose creation was lost", line)
        except ValueError as exc:
            self._report(f"dropped a line that does not fit the topics ({exc})", line)

    def _report(self, message: str, line: Line | None = None) -> None:
        where = f" at byte {line.offset}" if line is not None else ""
        text = f"{self.path}{where}: {message}"
        if len(self.recovery) < REPORTED:
            _log.warning("storage recovery: %s", text)
        self.recovery.append(text)

    def _compact(self) -> None:
        """Rewrite the journal with what is live only (written aside, then renamed over it: a
        crash leaves the old journal or the new one, both whole)."""
        aside = self.path.with_name(JOURNAL + ".compact")
        try:
            with aside.open("wb") as out:
                out.write(frame(HEADER))
                for info in self.topics():
                    out.write(encode_change(info))
                    for records in self._topics[info.name].partitions:
                        for record in records:
                            out.write(encode_change(Batch([record])))
                for group, positions in self._groups.items():
                    out.write(encode_change(Batch([], group, positions)))
                out.flush()
                os.fsync(out.fileno())
            before = self._size
            os.replace(aside, self.path)
        except OSError as exc:  # no room for the copy: go on with the old journal
            _log.warning("%s: not compacted: %s", self.path, exc)
            aside.unlink(missing_ok=True)
            return
        _sync_directory(self.directory)
        if self._fd is not None:
            os.close(self._fd)
        self._fd = os.open(self.path, os.O_RDWR)
        self._size = os.fstat(self._fd).st_size
        _log.info("%s: compacted from %d to %d bytes", self.path, before, self._size)

    # -- writing --------------------------------------------------------------------------------

    def _persist(self, change: Change) -> None:
        data = encode_change(change)
        self._write(data, self._size)
        self._size += len(data)

    def _write(self, data: bytes, at: int) -> None:
        """Write ``data`` whole at ``at`` or raise ``OSError`` leaving the file as it was."""
        fd = self._fd
        if fd is None:
            raise OSError(errno.EBADF, f"{self.path} is closed")
        if self._dirty:
            self._truncate(at)  # a failed write left bytes behind: they go first
        try:
            done = 0
            while done < len(data):
                done += os.pwrite(fd, data[done:], at + done)
            if self.fsync:
                os.fsync(fd)
        except OSError:
            # A full disk (or a size limit): cut the torn line off, so the file holds whole
            # lines only and the change is refused as a whole.
            self._dirty = True
            with contextlib.suppress(OSError):
                self._truncate(at)
            raise

    def _truncate(self, size: int) -> None:
        if self._fd is None:
            raise OSError(errno.EBADF, f"{self.path} is closed")
        os.ftruncate(self._fd, size)
        self._dirty = False

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                if self.fsync:
                    os.fsync(fd)
            os.close(fd)
        lock, self._lock_file = self._lock_file, None
        if lock is not None:
            lock.close()  # releases the directory for another server


class _DeadWeight:
    """Bytes of the journal that no longer matter: the lines of deleted topics, positions a
    later commit of the group replaced (counted while loading, to decide on compacting)."""

    def __init__(self) -> None:
        self.dead = 0.0
        self._topics: dict[str, float] = {}
        self._groups: dict[str, float] = {}

    def add(self, line: Line) -> None:
        change, size = line.change, line.size
        if isinstance(change, Appended):
            if change.group is not None:
                self.dead += self._groups.pop(change.group, 0.0)
                if not change.records:
                    self._groups[change.group] = size
                    return
            share = size / len(change.records)
            for record in change.records:
                self._topics[record.topic] = self._topics.get(record.topic, 0.0) + share
        elif isinstance(change, TopicInfo):
            self._topics[change.name] = self._topics.get(change.name, 0.0) + size
        elif isinstance(change, TopicDeleted):
            self.dead += self._topics.pop(change.name, 0.0) + size
        elif isinstance(change, GroupDeleted):
            self.dead += self._groups.pop(change.group, 0.0) + size

    def worth_compacting(self, size: int) -> bool:
        return self.dead > COMPACT_AFTER and self.dead > size / 2


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock(path: Path) -> IO[bytes]:
    """Hold ``path`` exclusively while this process lives (the kernel lets go on a crash)."""
    handle = path.open("ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        handle.close()
        raise OSError(
            errno.EBUSY,
            f"{path.parent} is in use by another ksqlpy-local server (it holds {path}); stop it "
            "or choose another --data-dir",
        ) from exc
    return handle
