"""The prompt with prompt-toolkit's pipe input: Enter, multi-line, Ctrl-C/D, completion, keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.output import DummyOutput

from ksqlpy.repl.completion.completer import KsqlCompleter
from ksqlpy.repl.completion.vocabulary import CatalogSnapshot, SourceMeta
from ksqlpy.repl.session import Session
from ksqlpy.repl.shell import is_complete, make_prompt

SNAPSHOT = CatalogSnapshot(
    sources={"ORDERS": SourceMeta("ORDERS", "STREAM", "orders", (("ID", "INTEGER"),))}
)


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with (
        create_pipe_input() as pipe_input,
        create_app_session(input=pipe_input, output=DummyOutput()),
    ):
        yield pipe_input


def prompt_for(pipe: PipeInput, keys: str, session: Session | None = None) -> str:
    prompt = make_prompt(session or Session(), lambda: SNAPSHOT, input=pipe, output=DummyOutput())
    pipe.send_text(keys)
    return str(prompt.prompt())


@pytest.mark.parametrize(
    ("text", "complete"),
    [
        ("SHOW STREAMS;", True),
        ("SHOW STREAMS", False),
        ("SELECT * FROM s WHERE v = 'a;", False),
        ("SELECT * FROM s WHERE v = 'a;';", True),
        ("SHOW STREAMS; -- done", True),
        ("SHOW STREAMS -- not yet;", False),
        ("help", True),
        ("spool /tmp/out.txt", True),
        ("exit", True),
        ("SET 'a'='b'", False),
        ("", True),
    ],
)
def test_when_enter_runs_the_input(text: str, complete: bool) -> None:
    assert is_complete(text) is complete


def test_enter_continues_until_the_semicolon(pipe: PipeInput) -> None:
    assert prompt_for(pipe, "SELECT *\rFROM orders\rEMIT CHANGES;\r") == (
        "SELECT *\nFROM orders\nEMIT CHANGES;"
    )


def test_semicolon_inside_a_string_does_not_end_the_input(pipe: PipeInput) -> None:
    assert (
        prompt_for(pipe, "INSERT INTO s VALUES ('a;\rb');\r") == "INSERT INTO s VALUES ('a;\nb');"
    )


def test_shell_commands_run_without_semicolon(pipe: PipeInput) -> None:
    assert prompt_for(pipe, "history\r") == "history"


def test_alt_enter_always_adds_a_line(pipe: PipeInput) -> None:
    assert prompt_for(pipe, "help\x1b\rme;\r") == "help\nme;"


def test_ctrl_c_and_ctrl_d_reach_the_loop(pipe: PipeInput) -> None:
    with pytest.raises(KeyboardInterrupt):
        prompt_for(pipe, "SELECT\x03")
    with pytest.raises(EOFError):
        prompt_for(pipe, "\x04")


def test_f4_switches_to_vi_keys(pipe: PipeInput) -> None:
    prompt = make_prompt(Session(), lambda: SNAPSHOT, input=pipe, output=DummyOutput())
    pipe.send_text("\x1bOS")  # F4
    pipe.send_text("x;\r")
    prompt.prompt()
    assert prompt.app.editing_mode == EditingMode.VI


def test_vi_mode_from_settings(pipe: PipeInput) -> None:
    prompt = make_prompt(Session(), lambda: SNAPSHOT, vi=True, input=pipe, output=DummyOutput())
    assert prompt.editing_mode == EditingMode.VI


def test_history_file_persists_between_sessions(pipe: PipeInput, tmp_path: object) -> None:
    from pathlib import Path

    history = Path(str(tmp_path)) / "sub" / "history"
    prompt = make_prompt(
        Session(), lambda: SNAPSHOT, history_file=history, input=pipe, output=DummyOutput()
    )
    pipe.send_text("SHOW STREAMS;\r")
    prompt.prompt()
    again = make_prompt(
        Session(), lambda: SNAPSHOT, history_file=history, input=pipe, output=DummyOutput()
    )
    assert list(again.history.load_history_strings()) == ["SHOW STREAMS;"]


def test_completer_replaces_the_typed_word_and_shows_meta() -> None:
    completer = KsqlCompleter(lambda: SNAPSHOT, lambda: ("env",))
    (completion,) = completer.get_completions(Document("SELECT * FROM or"), CompleteEvent())
    assert (completion.text, completion.start_position) == ("ORDERS", -2)
    assert completion.display_meta_text == "orders"
    (variable,) = completer.get_completions(Document("SELECT ${e"), CompleteEvent())
    assert variable.text == "env}"


def test_completer_reads_the_latest_snapshot() -> None:
    current = [CatalogSnapshot()]
    completer = KsqlCompleter(lambda: current[0])
    assert list(completer.get_completions(Document("SELECT * FROM or"), CompleteEvent())) == []
    current[0] = SNAPSHOT
    found = completer.get_completions(Document("SELECT * FROM or"), CompleteEvent())
    assert [c.text for c in found] == ["ORDERS"]


def test_toolbar_shows_server_output_and_overrides(pipe: PipeInput) -> None:
    session = Session(url="http://h:8088", properties={"a": "b"})
    prompt = make_prompt(session, lambda: SNAPSHOT, input=pipe, output=DummyOutput())
    toolbar = prompt.bottom_toolbar()
    assert "http://h:8088" in toolbar
    assert "output TABULAR" in toolbar
    assert "1 property set" in toolbar


@pytest.mark.parametrize(
    ("properties", "shown"),
    [
        ({}, "0 properties set"),
        ({"a": "1"}, "1 property set"),
        ({"a": "1", "b": "2"}, "2 properties set"),
    ],
)
def test_toolbar_counts_properties_in_plain_english(
    pipe: PipeInput, properties: dict[str, str], shown: str
) -> None:
    session = Session(url="http://localhost:8088", properties=properties)
    prompt = make_prompt(session, lambda: SNAPSHOT, input=pipe, output=DummyOutput())
    assert prompt.bottom_toolbar() == f" http://localhost:8088 | output TABULAR | {shown}"
