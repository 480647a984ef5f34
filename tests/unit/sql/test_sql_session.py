"""session_change: the one reading of SET/UNSET/DEFINE/UNDEFINE for client, shell and migrations."""

from __future__ import annotations

import pytest

from ksqlpy.sql import KsqlSyntaxError, SessionChange, session_change, split


@pytest.mark.parametrize(
    ("text", "change"),
    [
        (
            "SET 'auto.offset.reset' = 'earliest';",
            SessionChange(False, "auto.offset.reset", "earliest"),
        ),
        ("set 'a''b'='it''s'", SessionChange(False, "a'b", "it's")),
        ("UNSET 'x';", SessionChange(False, "x", None)),
        ("-- first\n/* a; b */ DEFINE Topic = 'pv';", SessionChange(True, "Topic", "pv")),
        ("undefine topic", SessionChange(True, "topic", None)),
        ("SET 'v' = '${x}';", SessionChange(False, "v", "${x}")),
    ],
)
def test_each_session_statement_reads_as_one_change(text: str, change: SessionChange) -> None:
    assert session_change(text) == change


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM settings;",
        "SHOW PROPERTIES;",
        "SET 'a'='b'; SET 'c'='d';",  # two statements are not one change
        "ALTER SYSTEM 'a'='b';",
        "SETTLE garbage (",  # not a session statement: not even parsed
    ],
)
def test_other_statements_change_nothing(text: str) -> None:
    assert session_change(text) is None


def test_a_malformed_one_is_a_syntax_error_located_in_its_script() -> None:
    statements = split("SHOW STREAMS;\n  DEFINE x = unquoted;")
    with pytest.raises(KsqlSyntaxError) as caught:
        session_change(statements[1])
    assert caught.value.line == 2


def test_apply_changes_properties_or_variables_and_returns_the_old_value() -> None:
    properties: dict[str, str] = {"a": "1"}
    variables: dict[str, str] = {}
    set_a = session_change("SET 'a' = '2';")
    assert set_a is not None
    assert set_a.keyword == "SET"
    assert set_a.apply(properties, variables) == "1"
    define = session_change("DEFINE v = 'x';")
    assert define is not None
    assert define.apply(properties, variables) is None
    undefine = session_change("UNDEFINE v;")
    assert undefine is not None
    assert undefine.keyword == "UNDEFINE"
    assert undefine.apply(properties, variables) == "x"
    assert (properties, variables) == ({"a": "2"}, {})
