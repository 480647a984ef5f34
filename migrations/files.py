"""Migration files: finding them, their checksums, creating new ones, splitting their statements.

Every rule here is ksql-migrations' own (``MigrationsDirectoryUtil``, ``CommandParser.splitSql``),
so that both tools pick the same files, compute the same checksums and run the same statements.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ksqlpy._errors import MigrationFileError

# Searched, not matched whole, as Java's Matcher.find does: "old_V000001__x.sql" and
# "V000001__x.sql.bak" are migration files to ksql-migrations too (we warn about them).
FILE_PATTERN = re.compile(r"V([0-9]{6})__(.+)\.sql")
STRICT_PATTERN = re.compile(r"V[0-9]{6}__.+\.sql\Z")
MAX_VERSION = 999_999
# Characters ksql-migrations replaces with '_' in a new file's description.
_UNSAFE = re.compile(r"[\s/\\:*?\"<>|]")


@dataclass(frozen=True, slots=True)
class MigrationFile:
    """One migration file: ``V000003__Add_users.sql`` has version 3 and name ``Add users``."""

    version: int
    name: str
    path: Path

    def read_bytes(self) -> bytes:
        """The file's raw bytes; MigrationFileError names the file when it cannot be read."""
        try:
            return self.path.read_bytes()
        except OSError as error:
            raise MigrationFileError(
                f"cannot read migration file {self.path}: {error.strerror or error}"
            ) from error

    def read_text(self) -> str:
        """The file's text (UTF-8, as ksql-migrations reads it)."""
        data = self.read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MigrationFileError(
                f"migration file {self.path} is not UTF-8 text (byte {error.start}); "
                "save it as UTF-8"
            ) from error

    def checksum(self) -> str:
        """MD5 of the raw bytes as 32 lowercase hex digits, exactly as ksql-migrations stores it."""
        return checksum(self.read_bytes())


@dataclass(frozen=True, slots=True)
class Scan:
    """What a migrations folder holds: the migration files in name order, and what was skipped."""

    files: tuple[MigrationFile, ...]
    skipped: tuple[str, ...] = ()
    loose: tuple[str, ...] = ()
    """Names that ksql-migrations also takes although they do not end in ``.sql`` or start
    with ``V`` (``V000001__x.sql.bak``): probably left-overs, worth a warning."""

    def by_version(self) -> dict[int, MigrationFile]:
        """The files keyed by version."""
        return {f.version: f for f in self.files}

    def find(self, version: int) -> MigrationFile | None:
        """The file of ``version``, if there is one."""
        for migration in self.files:
            if migration.version == version:
                return migration
        return None


def checksum(data: bytes) -> str:
    """MD5 hex digest of ``data``; no normalisation (a CRLF or a BOM changes it)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def variant_checksums(data: bytes) -> frozenset[str]:
    """Checksums of ``data`` with other line endings or without a BOM (for hints only).

    A stored checksum among these means the file changed only in how git or an editor wrote
    its line breaks, which ksql-migrations' raw MD5 cannot tell from a real edit.
    """
    bare = data.removeprefix(b"\xef\xbb\xbf")
    lf = bare.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    crlf = lf.replace(b"\n", b"\r\n")
    bom = b"\xef\xbb\xbf"
    return frozenset(checksum(v) for v in (bare, lf, crlf, bom + lf, bom + crlf))


def parse_file_name(name: str) -> tuple[int, str] | None:
    """``(version, name)`` of a file name, or None when ksql-migrations would skip it."""
    match = FILE_PATTERN.search(name)
    if match is None:
        return None
    return int(match.group(1)), match.group(2).replace("_", " ")


def scan(folder: Path) -> Scan:
    """List the migration files of ``folder`` in file-name order, as ksql-migrations does.

    Version 0 and two files with one version are errors (MigrationFileError names them).
    """
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise MigrationFileError(
            f"migrations folder {folder} {what}; create it (ksqlpy-migrations new-project makes "
            "one) or set ksql.migrations.dir.override"
        )
    try:
        names = sorted(os.listdir(folder))
    except OSError as error:
        raise MigrationFileError(f"cannot list migrations folder {folder}: {error}") from error
    files: list[MigrationFile] = []
    skipped: list[str] = []
    loose: list[str] = []
    seen: dict[int, MigrationFile] = {}
    for name in names:
        path = folder / name
        if path.is_dir():
            continue
        parsed = parse_file_name(name)
        if parsed is None:
            skipped.append(name)
            continue
        version, description = parsed
        if version == 0:
            raise MigrationFileError(
                f"migration file versions start at 1, found {path}; rename it to V000001__..."
            )
        if not STRICT_PATTERN.match(name):
            loose.append(name)
        if version in seen:
            raise MigrationFileError(
                f"two migration files have version {version}: {seen[version].path} and {path}; "
                "give one of them another version"
            )
        migration = MigrationFile(version, description, path)
        seen[version] = migration
        files.append(migration)
    return Scan(tuple(files), tuple(skipped), tuple(loose))


def file_name(version: int, description: str) -> str:
    """The file name ksql-migrations' ``create`` gives: ``V000001__Add_users.sql``."""
    check_version(version)
    if not description.strip():
        raise MigrationFileError("a migration needs a description, e.g. 'add users table'")
    return f"V{version:06d}__{_UNSAFE.sub('_', description)}.sql"


def check_version(version: int) -> int:
    """``version`` when it is a valid migration version (1..999999), else MigrationFileError."""
    if not 1 <= version <= MAX_VERSION:
        raise MigrationFileError(f"migration versions run from 1 to {MAX_VERSION}, got {version}")
    return version


def create_file(folder: Path, description: str, version: int | None = None) -> MigrationFile:
    """Write an empty migration file; the version defaults to the highest one here plus one."""
    files = scan(folder).files
    if version is None:
        version = max((f.version for f in files), default=0) + 1
    path = folder / file_name(version, description)
    clash = [f for f in files if f.version == version]
    if clash:
        raise MigrationFileError(
            f"a migration file with version {version} exists already: {clash[0].path}"
        )
    try:
        with path.open("xb"):
            pass
    except OSError as error:
        raise MigrationFileError(f"cannot create {path}: {error.strerror or error}") from error
    return MigrationFile(version, description.strip().replace("_", " "), path)


# --- statements ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawStatement:
    """One statement of a migration file as ksql-migrations splits it (comments removed).

    ``text`` keeps the whitespace before the statement and ends with ``;``; ``line`` is the
    1-based line of its first non-blank character in the file.
    """

    text: str
    line: int

    @property
    def sql(self) -> str:
        """The statement without surrounding whitespace."""
        return self.text.strip()


def split_statements(text: str, source: str = "<migration>") -> list[RawStatement]:
    """Split a file into statements exactly as ksql-migrations' ``splitSql`` does.

    Only single quotes are special (a doubled ``''`` works because the two halves are joined
    again); ``--`` comments run to a line break and ``/* */`` comments are dropped; an unquoted
    ``;`` ends a statement. Text after the last ``;``, or an unclosed quote or comment, is a
    MigrationFileError naming the line. A ``--`` comment on the last line needs a line break
    after it: ksql-migrations refuses the file otherwise, so we do too.
    """
    statements: list[RawStatement] = []
    current: list[str] = []
    start_line = 0  # line of the first non-blank character of the current statement
    index, end = 0, len(text)

    def note_start(at: int) -> None:
        nonlocal start_line
        if start_line == 0:
            start_line = text.count("\n", 0, at) + 1

    while index < end:
        char = text[index]
        if char == "'":
            closing = text.find("'", index + 1)
            if closing < 0:
                raise _split_error(source, text, index, "a string literal (') is never closed")
            note_start(index)
            current.append(text[index : closing + 1])
            index = closing + 1
        elif text.startswith("--", index):
            closing = text.find("\n", index + 1)
            if closing < 0:
                raise _split_error(
                    source,
                    text,
                    index,
                    "the '--' comment on the last line has no line break after it (ksql-migrations "
                    "refuses such a file); end the file with a newline",
                )
            index = closing + 1
        elif text.startswith("/*", index):
            closing = text.find("*/", index + 1)
            if closing < 0:
                raise _split_error(source, text, index, "a /* comment is never closed with */")
            index = closing + 2
        elif char == ";":
            current.append(";")
            note_start(index)
            statements.append(RawStatement("".join(current), start_line))
            current, start_line = [], 0
            index += 1
        else:
            if not char.isspace():
                note_start(index)
            current.append(char)
            index += 1
    rest = "".join(current)
    if rest.strip():
        raise MigrationFileError(
            f"{source}, line {start_line}: the statement {rest.strip()[:60]!r} has no ';' at its "
            "end (missing semicolon)"
        )
    return statements


def _split_error(source: str, text: str, at: int, what: str) -> MigrationFileError:
    return MigrationFileError(f"{source}, line {text.count(chr(10), 0, at) + 1}: {what}")


# Statements ksql-migrations refuses before parsing (first word, or RUN SCRIPT).
REFUSED_FIRST_WORDS = ("DESCRIBE", "EXPLAIN", "SELECT", "PRINT", "SHOW", "LIST")


def refused_kind(sql: str) -> str | None:
    """The statement kind ksql-migrations refuses in a migration (``'SELECT'``, ...), or None."""
    words = sql.upper().split()
    if words and words[0] in REFUSED_FIRST_WORDS:
        return words[0]
    if words[:2] == ["RUN", "SCRIPT"]:
        return "RUN SCRIPT"
    return None
