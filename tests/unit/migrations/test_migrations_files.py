"""Migration files as ksql-migrations finds, names, hashes and splits them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksqlpy._errors import MigrationFileError
from ksqlpy.migrations.files import (
    checksum,
    create_file,
    file_name,
    parse_file_name,
    scan,
    split_statements,
    variant_checksums,
)


def _touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_text("CREATE STREAM s (a INT) WITH (kafka_topic='s');\n")


def test_scan_orders_by_file_name_and_names_from_the_description(tmp_path: Path) -> None:
    _touch(tmp_path, "V000010__Ten.sql", "V000002__Add_users_table.sql", "README.md")
    (tmp_path / "V000003__a_folder.sql").mkdir()
    found = scan(tmp_path)
    assert [(f.version, f.name) for f in found.files] == [(2, "Add users table"), (10, "Ten")]
    assert found.skipped == ("README.md",)
    assert found.loose == ()


def test_scan_takes_names_the_java_tool_takes_and_flags_them(tmp_path: Path) -> None:
    # Matcher.find semantics: a pattern anywhere in the name counts, as in ksql-migrations.
    _touch(
        tmp_path, "V000001__x.sql.bak", "old_V000002__y.sql", "V0000003__z.sql", "v000004__w.sql"
    )
    found = scan(tmp_path)
    assert [(f.version, f.name) for f in found.files] == [(1, "x"), (2, "y")]
    assert set(found.loose) == {"V000001__x.sql.bak", "old_V000002__y.sql"}
    assert set(found.skipped) == {"V0000003__z.sql", "v000004__w.sql"}


def test_two_files_with_one_version_are_an_error_naming_both(tmp_path: Path) -> None:
    _touch(tmp_path, "V000001__a.sql", "V000001__b.sql")
    with pytest.raises(MigrationFileError, match=r"version 1: .*V000001__a\.sql and .*__b\.sql"):
        scan(tmp_path)


def test_version_zero_and_missing_folder_are_errors(tmp_path: Path) -> None:
    _touch(tmp_path, "V000000__zero.sql")
    with pytest.raises(MigrationFileError, match="start at 1"):
        scan(tmp_path)
    with pytest.raises(MigrationFileError, match=r"does not exist.*new-project"):
        scan(tmp_path / "nope")


def test_checksum_is_md5_of_raw_bytes_and_line_endings_count() -> None:
    data = b"CREATE STREAM s (a INT) WITH (kafka_topic='s');\n"
    assert checksum(data) == hashlib.md5(data).hexdigest()
    assert checksum(b"") == "d41d8cd98f00b204e9800998ecf8427e"
    crlf = data.replace(b"\n", b"\r\n")
    assert checksum(crlf) != checksum(data)
    assert checksum(data) in variant_checksums(crlf)
    assert checksum(b"\xef\xbb\xbf" + data) in variant_checksums(data)


def test_file_name_replaces_what_ksql_migrations_replaces() -> None:
    assert file_name(3, "add users: v2") == "V000003__add_users__v2.sql"
    assert file_name(999_999, 'a/b\\c*d?e"f<g>h|i\tj') == "V999999__a_b_c_d_e_f_g_h_i_j.sql"
    assert parse_file_name(file_name(7, "Add users")) == (7, "Add users")
    for bad in (0, 1_000_000, -1):
        with pytest.raises(MigrationFileError, match="1 to 999999"):
            file_name(bad, "x")
    with pytest.raises(MigrationFileError, match="description"):
        file_name(1, "   ")


def test_create_takes_the_next_version_and_refuses_a_taken_one(tmp_path: Path) -> None:
    assert create_file(tmp_path, "first").path.name == "V000001__first.sql"
    _touch(tmp_path, "V000007__seven.sql")
    created = create_file(tmp_path, "next one")
    assert created.path.name == "V000008__next_one.sql"
    assert created.path.read_bytes() == b""
    with pytest.raises(MigrationFileError, match="version 7 exists already"):
        create_file(tmp_path, "again", 7)


# --- splitting, as CommandParser.splitSql does ---------------------------------------------------


def _texts(sql: str) -> list[str]:
    return [s.sql for s in split_statements(sql)]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            "CREATE STREAM a (x INT) WITH (kafka_topic='a');",
            ["CREATE STREAM a (x INT) WITH (kafka_topic='a');"],
        ),
        ("SET 'a'=';';\nDEFINE b = 'x;y';", ["SET 'a'=';';", "DEFINE b = 'x;y';"]),
        ("INSERT INTO t VALUES ('it''s');", ["INSERT INTO t VALUES ('it''s');"]),
        ("-- a comment; with a semicolon\nDROP STREAM a;\n", ["DROP STREAM a;"]),
        ("DROP /* inline; */ STREAM a;", ["DROP  STREAM a;"]),
        ("DROP STREAM a; -- done\n", ["DROP STREAM a;"]),
        ("\n\n  \n", []),
        # Backticks and double quotes are not special to ksql-migrations: the ; inside splits.
        ("CREATE STREAM `a;b` (x INT);", ["CREATE STREAM `a;", "b` (x INT);"]),
        # '/*/' closes at once: the search for */ starts one character after /*.
        ("/*/ DROP STREAM a; */;", ["DROP STREAM a;", "*/;"]),
    ],
)
def test_split_like_ksql_migrations(script: str, expected: list[str]) -> None:
    assert _texts(script) == expected


def test_split_reports_lines_of_statements() -> None:
    statements = split_statements("-- head\n\nDROP STREAM a;\n  DROP STREAM b;\n")
    assert [(s.line, s.sql) for s in statements] == [(3, "DROP STREAM a;"), (4, "DROP STREAM b;")]
    assert statements[1].text == "\n  DROP STREAM b;"


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("DROP STREAM a", r"line 1: .*no ';'.*missing semicolon"),
        ("DROP STREAM a;\n\nDROP STREAM b", r"line 3: .*DROP STREAM b"),
        ("INSERT INTO t VALUES ('x);", r"line 1: a string literal .* never closed"),
        ("DROP STREAM a;\n/* open", r"line 2: a /\* comment is never closed"),
        ("DROP STREAM a; -- no newline", r"line 1: the '--' comment on the last line"),
    ],
)
def test_split_errors_name_the_line(script: str, message: str) -> None:
    with pytest.raises(MigrationFileError, match=message):
        split_statements(script, "V000001__x.sql")


_words = st.sampled_from(["DROP", "STREAM", "a", "'x;y'", "''", "-- c\n", "/* ; */", "\n", " "])


@given(st.lists(st.lists(_words, min_size=1, max_size=6), max_size=6))
def test_split_then_join_keeps_every_statement(pieces: list[list[str]]) -> None:
    # Statements built from safe pieces come back one by one, whatever comments surround them.
    bodies = [" ".join(p) for p in pieces]
    bodies = [b for b in bodies if "".join(b.replace("-- c\n", "").replace("/* ; */", "").split())]
    script = "".join(f"{b};\n" for b in bodies)
    assert len(split_statements(script)) == len(bodies)
