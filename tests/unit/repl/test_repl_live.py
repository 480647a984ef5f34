"""The live push view: aligned rows, widening, status line only on a terminal, JSON lines."""

from __future__ import annotations

import io
import json

from ksqlpy.repl.render.live import JsonLines, LiveTable
from ksqlpy.repl.render.output import Output


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rows_are_aligned_and_the_header_repeats_when_a_column_widens() -> None:
    buffer = io.StringIO()
    clock = Clock()
    view = LiveTable(["ID", "NAME"], Output(buffer, tty=False), clock=clock)
    view.add([(1, "al"), (2, "bo")])
    view.add([(3, "a much longer name")])
    clock.now += 2.0
    summary = view.finish()
    lines = buffer.getvalue().splitlines()
    assert lines[:5] == [
        "+----+------+",
        "| ID | NAME |",
        "+----+------+",
        "| 1  | al   |",
        "| 2  | bo   |",
    ]
    assert lines[6] == "| ID | NAME               |"
    assert lines[8] == "| 3  | a much longer name |"
    assert lines[-1] == "+----+--------------------+"
    assert summary == "3 rows in 2.000 s"
    assert "\x1b" not in buffer.getvalue()  # no status line when not a terminal


def test_status_line_on_a_terminal_is_not_spooled() -> None:
    screen, spool = io.StringIO(), io.StringIO()
    out = Output(screen, tty=True)
    out.spool = spool
    clock = Clock()
    view = LiveTable(["V"], out, clock=clock)
    clock.now += 1.0
    view.add([("x",)])
    assert "1 row, 1 rows/s. Press Ctrl-C to stop." in screen.getvalue()
    out.line("after")
    assert screen.getvalue().endswith("\r\x1b[Kafter\n")  # status cleared before new output
    assert "rows/s" not in spool.getvalue()
    assert "| x |" in spool.getvalue()


def test_width_limit_clips_values() -> None:
    buffer = io.StringIO()
    view = LiveTable(["A"], Output(buffer, tty=False), width=12)
    view.add([("x" * 50,)])
    assert all(len(line) <= 12 for line in buffer.getvalue().splitlines())
    assert "…" in buffer.getvalue()


def test_json_lines() -> None:
    buffer = io.StringIO()
    view = JsonLines(["ID", "TAGS"], Output(buffer, tty=False))
    view.add([(1, ["a"]), (2, None)])
    assert [json.loads(line) for line in buffer.getvalue().splitlines()] == [
        {"ID": 1, "TAGS": ["a"]},
        {"ID": 2, "TAGS": None},
    ]
    assert view.finish() == ""


def test_pull_rows_wider_than_the_terminal_print_vertically() -> None:
    from ksqlpy.repl.render.live import FiniteTable

    buffer = io.StringIO()
    view = FiniteTable(["ID", "DESCRIPTION"], Output(buffer, tty=False), width=30)
    view.add([(1, "x" * 40), (2, None)])
    assert view.finish().startswith("2 rows in ")
    assert buffer.getvalue().splitlines() == [
        "******************** 1. row ********************",
        "         ID | 1",
        "DESCRIPTION | " + "x" * 40,
        "******************** 2. row ********************",
        "         ID | 2",
        "DESCRIPTION | null",
    ]


def test_pull_rows_that_fit_print_as_a_grid() -> None:
    from ksqlpy.repl.render.live import FiniteTable

    buffer = io.StringIO()
    view = FiniteTable(["ID"], Output(buffer, tty=False), width=30)
    view.add([(1,)])
    view.finish()
    assert buffer.getvalue().splitlines()[1] == "| ID |"


def test_errors_are_red_on_a_terminal_but_plain_in_the_spool() -> None:
    screen, spool = io.StringIO(), io.StringIO()
    out = Output(screen, tty=True)
    out.spool = spool
    out.error("Stream X does not exist.")
    assert screen.getvalue() == "\x1b[31mStream X does not exist.\x1b[0m\n"
    assert spool.getvalue() == "Stream X does not exist.\n"
    plain = Output(io.StringIO(), err=io.StringIO(), tty=True)
    plain.error("boom")
    assert plain.err is not None
    assert plain.err.getvalue() == "boom\n"  # script mode: stderr, no colour codes


def test_on_a_terminal_the_header_is_shown_once_however_rows_widen() -> None:
    # Rows of the demo's people arrive one at a time with ever longer names and titles.
    screen = io.StringIO()
    view = LiveTable(
        ["ID", "NAME", "TITLE"], Output(screen, tty=True), width=80, types=["STRING"] * 3
    )
    for n in range(1, 12):
        view.add([(str(n), "n" * (3 * n), "Chief " + "t" * (4 * n))])
    view.finish()
    lines = screen.getvalue().replace("\r\x1b[K", "\n").splitlines()
    assert sum(1 for line in lines if line.startswith("| ID ")) == 1
    assert all(len(line) <= 80 for line in lines)


def test_the_header_waits_for_the_first_rows_so_it_is_not_printed_twice() -> None:
    buffer = io.StringIO()
    clock = Clock()
    view = LiveTable(["ID", "NAME"], Output(buffer, tty=False), clock=clock, types=["INTEGER"])
    view.tick()  # the first poll: nothing yet
    view.add([(1, "a name longer than ten")])
    view.finish()
    lines = buffer.getvalue().splitlines()
    assert [line for line in lines if line.startswith("| ID")] == [
        "| ID     | NAME                   |"
    ]


def test_a_quiet_query_names_its_columns_after_a_moment_and_an_empty_one_at_the_end() -> None:
    buffer = io.StringIO()
    clock = Clock()
    view = LiveTable(["ID"], Output(buffer, tty=False), clock=clock)
    view.tick()
    assert buffer.getvalue() == ""
    clock.now += 1.0
    view.tick()
    assert "| ID |" in buffer.getvalue()
    empty = io.StringIO()
    assert LiveTable(["ID"], Output(empty, tty=False)).finish().startswith("0 rows in")
    assert empty.getvalue().splitlines() == ["+----+", "| ID |", "+----+", "+----+"]


def test_the_status_line_says_how_long_a_query_has_been_quiet() -> None:
    screen = io.StringIO()
    clock = Clock()
    view = LiveTable(["V"], Output(screen, tty=True), clock=clock)
    clock.now += 1.0
    view.add([("x",)])
    clock.now += 2.0
    view.tick()
    assert screen.getvalue().endswith("1 row, 0 rows/s. Press Ctrl-C to stop.")
    clock.now += 10.0
    view.tick()
    assert screen.getvalue().endswith("no new row for 12 s. Press Ctrl-C to stop.")
    idle = io.StringIO()
    waiting = LiveTable(["V"], Output(idle, tty=True), clock=clock)
    clock.now += 6.0
    waiting.tick()
    assert idle.getvalue().endswith("0 rows, 0 rows/s, no new row for 6 s. Press Ctrl-C to stop.")
