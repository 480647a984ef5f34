"""SET/UNSET/DEFINE/UNDEFINE in the shell: read by ksqlpy.sql, kept in the shell's session."""

from __future__ import annotations

from typing import Any, cast

from ksqlpy import Client, KsqlSyntaxError
from ksqlpy.repl.executor import Executor
from ksqlpy.repl.session import Failure, Message, Session


def _run(session: Session, text: str) -> list[Any]:
    # These statements never reach the server: no client is needed.
    return list(Executor(cast(Client, None), session).run(text))


def test_set_and_unset_keep_quotes_and_say_what_changed() -> None:
    session = Session()
    out = _run(session, "SET 'a''b' = 'it''s'; SET 'a''b'='x';")
    assert out == [
        Message("Successfully changed local property 'a'b' to 'it's'."),
        Message("Successfully changed local property 'a'b' from 'it's' to 'x'."),
    ]
    assert _run(session, "-- done\nUNSET 'a''b';") == [
        Message("Successfully unset local property 'a'b' (value was 'x').")
    ]
    assert _run(session, "unset 'a''b';") == [Message("Local property 'a'b' was not set.")]
    assert session.properties == {}


def test_define_replaces_a_variable_in_any_case_and_undefine_removes_it() -> None:
    session = Session()
    assert _run(session, "DEFINE topic = 'pv'; define TOPIC = 'orders';") == []
    assert session.variables == {"TOPIC": "orders"}
    assert _run(session, "UNDEFINE Topic;") == []
    assert _run(session, "UNDEFINE topic;") == [Message("Variable 'topic' is not defined.")]
    assert session.variables == {}


def test_a_malformed_one_fails_with_the_position_and_changes_nothing() -> None:
    session = Session()
    [failure] = _run(session, "DEFINE x = unquoted;")
    assert isinstance(failure, Failure)
    assert isinstance(failure.error, KsqlSyntaxError)
    assert "unquoted" in str(failure.error)
    assert session.variables == {}


def test_set_cli_idle_timeout_sets_the_bound_and_refuses_what_is_not_seconds() -> None:
    session = Session()
    [message] = _run(session, "SET CLI IDLE-TIMEOUT 2.5")
    assert session.idle_timeout == 2.5
    assert isinstance(message, Message)
    assert "nothing for 2.5 s is reported hung" in message.text
    [failure] = _run(session, "set cli idle-timeout soon")
    assert isinstance(failure, Failure)
    assert "IDLE-TIMEOUT wants seconds" in str(failure.error)
    assert session.idle_timeout == 2.5
    _run(session, "SET CLI IDLE-TIMEOUT OFF")
    assert session.idle_timeout is None
