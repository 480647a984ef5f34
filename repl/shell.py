"""The shell: reads input (a prompt, or a script), runs it through the executor, renders results.

``Shell.run_text`` serves both the interactive loop and ``-e``/``-f``/stdin. A query's rows are
read with ``poll`` so that Ctrl-C (KeyboardInterrupt in the main thread) can stop it at any
moment; leaving the ``with`` block closes it on the server (``/close-query``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ksqlpy import KsqlError, KsqlTimeoutError, ServerInfo, __version__
from ksqlpy.sql import StatementKind, TokenKind, tokenize

from . import commands
from .executor import Executor
from .render.entities import entity_json, render_entity
from .render.errors import render_error
from .render.live import FiniteTable, JsonLines, LiveTable
from .render.output import Output
from .session import (
    Action,
    Control,
    EntityResult,
    Failure,
    Message,
    PrintStarted,
    QueryStarted,
    Result,
    Session,
)

BATCH = 5000
"""Rows drained from a query per screen write (the pump hands them over in batches)."""
POLL = 0.1
"""Seconds a query read waits before the status line and the timeout are looked at."""


class View(Protocol):
    """What shows a query's rows: the live grid, the finite grid, or JSON lines."""

    started: float

    @property
    def count(self) -> int: ...

    def add(self, rows: Any) -> None: ...
    def tick(self) -> None: ...
    def finish(self) -> str: ...


def is_complete(text: str) -> bool:
    """Whether Enter should run ``text``: it ends with a ';' outside strings and comments, or it
    is a shell command that needs none (HELP, EXIT, SPOOL ...), or it is empty."""
    if not text.strip() or commands.runs_without_semicolon(text):
        return True
    for token in reversed(tokenize(text)):
        if token.kind in (TokenKind.WHITESPACE, TokenKind.COMMENT):
            continue
        return token.kind is TokenKind.PUNCTUATION and token.text == ";"
    return True


@dataclass(slots=True)
class Shell:
    """Runs text and renders every result to ``out``."""

    executor: Executor
    session: Session
    out: Output
    interactive: bool = False
    width: Callable[[], int | None] = lambda: None
    failures: list[Failure] = field(default_factory=list)
    done: bool = False

    def run_text(self, text: str) -> list[Failure]:
        """Run every statement of ``text``; the failures (also rendered)."""
        failed: list[Failure] = []
        for result in self.executor.run(text):
            self.out.spool = self.session.spool  # SPOOL opens or closes it between results
            outcome = _HANDLERS[type(result)](self, result)
            if outcome is not None:
                failed.append(outcome)
            if self.done:
                break
        self.out.flush()
        self.failures.extend(failed)
        return failed

    def echo(self, text: str) -> None:
        """Copy typed input to the spool file, as the ksql CLI does."""
        if self.session.spool is not None:
            self.session.spool.write(f"ksql> {text}\n")

    # result handlers ---------------------------------------------------------------------------

    def _entity(self, result: EntityResult) -> None:
        if self.session.output == "JSON":
            self.out.line(entity_json(result.entity))
        else:
            self.out.block(render_entity(result.entity, self._width()))

    def _message(self, result: Message) -> None:
        self.out.line(result.text)

    def _failure(self, result: Failure) -> Failure:
        error = render_error(
            result.error, verbose=self.session.verbose_errors, url=self.session.url
        )
        self.out.error(error)
        return result

    def _control(self, result: Control) -> None:
        if result.action is Action.EXIT:
            self.done = True
        elif self.out.tty:
            self.out.write("\x1b[2J\x1b[H")

    def _query(self, result: QueryStarted) -> Failure | None:
        query = result.query
        view = self._view(result)
        if result.started is not None:
            view.started = result.started
        note = ""
        try:
            note = self._read(query, view)
        except KeyboardInterrupt:
            note = "Query terminated"
        except KsqlError as error:
            if view.count:
                view.finish()  # close the grid of the rows shown before the error
            query.close()
            return self._failure(
                Failure(self._hung(error, f"Query {query.query_id}"), result.statement)
            )
        finally:
            _close_quietly(query)
        summary = view.finish()
        if summary:
            self.out.line(f"{summary}{f'. {note}' if note else ''}")
        elif note and self.interactive:
            self.out.line(note)
        return None

    def _print(self, result: PrintStarted) -> Failure | None:
        """Show a PRINT's lines as they arrive until its LIMIT, the row limit or Ctrl-C."""
        printed = result.printed
        limit = self.session.row_limit
        shown = 0
        try:
            for line in printed:
                self.out.line(line)
                if not line.startswith(("Key format:", "Value format:")):
                    shown += 1
                    if limit is not None and shown >= limit:
                        break
        except KeyboardInterrupt:
            if self.interactive:
                self.out.line("Topic printing ceased")
        except KsqlError as error:
            return self._failure(Failure(self._hung(error, result.statement), result.statement))
        finally:
            _close_quietly(printed)
        return None

    def _hung(self, error: KsqlError, what: str) -> KsqlError:
        """The shell's words for a query that stopped at the idle bound, naming it."""
        seconds = self.session.idle_timeout
        if not isinstance(error, KsqlTimeoutError) or seconds is None:
            return error
        hung = KsqlTimeoutError(
            f"{what} hung: nothing from ksqlDB for {seconds:g} s "
            f"(idle timeout {seconds:g} s), so it was closed. The server may have stopped or "
            "frozen; if the query is only quiet, raise the bound with SET CLI IDLE-TIMEOUT "
            "<seconds> (0: none) or --idle-timeout."
        )
        hung.__cause__ = error
        return hung

    def _view(self, result: QueryStarted) -> View:
        columns = result.query.columns
        if self.session.output == "JSON":
            return JsonLines(columns, self.out)
        if result.kind is StatementKind.PULL_QUERY:
            return FiniteTable(columns, self.out, width=self._width(), column=self._column())
        types = [column.type.name for column in result.query.column_types]
        return LiveTable(columns, self.out, width=self._width(), types=types, column=self._column())

    def _width(self) -> int | None:
        return None if self.session.wrap else self.width()

    def _column(self) -> int | None:
        return self.session.column_width or None

    def _read(self, query: Any, view: View) -> str:
        """Show rows until the query ends, the row limit or the timeout; why it stopped."""
        limit, timeout = self.session.row_limit, self.session.timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                return f"Query stopped after {timeout:g} s (--query-timeout)"
            row = query.poll(POLL)
            if row is None:
                if query.finished:
                    return ""
                view.tick()
                continue
            batch = [row]
            while len(batch) < BATCH and (more := query.poll(0)) is not None:
                batch.append(more)
            if limit is not None:
                batch = batch[: max(limit - view.count, 0)]
            view.add(batch)
            if limit is not None and view.count >= limit:
                return f"Query stopped at {limit} rows (--query-row-limit)"

    # banner ------------------------------------------------------------------------------------

    def banner(self, info: ServerInfo) -> None:
        """The start-up lines: versions, URL and server state."""
        status = info.server_status or "RUNNING"
        self.out.line(f"ksqlpy {__version__}, an interactive shell for ksqlDB")
        self.out.line(f"Server {info.version} at {self.session.url} (status: {status})")
        self.out.line("Type 'help' for commands and keys; statements end with ';'.")
        self.out.line()


def _close_quietly(query: Any) -> None:
    """Close a query even when a second Ctrl-C arrives meanwhile."""
    for _ in range(3):
        try:
            query.close()
            return
        except KeyboardInterrupt:
            continue


_HANDLERS: dict[type[Result], Callable[[Shell, Any], Failure | None]] = {
    EntityResult: Shell._entity,
    Message: Shell._message,
    Failure: Shell._failure,
    Control: Shell._control,
    QueryStarted: Shell._query,
    PrintStarted: Shell._print,
}


def data_dir() -> Path:
    """Where the history file lives: ``$XDG_DATA_HOME/ksqlpy`` or ``~/.local/share/ksqlpy``."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ksqlpy"


def key_bindings() -> Any:
    """Enter runs a complete statement (else starts a new line); Alt-Enter always adds a line;
    F4 switches between emacs and vi keys."""
    from prompt_toolkit.enums import EditingMode
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:
            buffer.apply_completion(state.current_completion)
            return
        if is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    @bindings.add("f4")
    def _switch_keys(event: KeyPressEvent) -> None:
        app = event.app
        vi = app.editing_mode == EditingMode.VI
        app.editing_mode = EditingMode.EMACS if vi else EditingMode.VI

    return bindings


def make_prompt(
    session: Session,
    snapshot: Callable[[], Any],
    *,
    vi: bool = False,
    history_file: Path | None = None,
    input: Any = None,
    output: Any = None,
) -> Any:
    """The prompt-toolkit session: multi-line until ';', KSQL highlighting, completion in a
    thread, history in a file with Ctrl-R search and grey suggestions, a bottom toolbar."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.completion import ThreadedCompleter
    from prompt_toolkit.enums import EditingMode
    from prompt_toolkit.history import FileHistory, History, InMemoryHistory

    from .completion.completer import KsqlCompleter
    from .lexer import STYLE, KsqlLexer

    history: History = InMemoryHistory()
    if history_file is not None:
        try:
            history_file.parent.mkdir(parents=True, exist_ok=True)
            history = FileHistory(str(history_file))
        except OSError:
            pass  # no writable data dir: keep the history in memory

    def toolbar() -> str:
        overrides = len(session.properties)
        noun = "property" if overrides == 1 else "properties"
        spool = f" | spool {session.spool_path}" if session.spool_path else ""
        return f" {session.url} | output {session.output} | {overrides} {noun} set{spool}"

    def continuation(width: int, line_number: int, wrap_count: int) -> Any:
        return [("class:continuation", "> ".rjust(width))]

    return PromptSession(
        message=[("class:prompt", "ksql> ")],
        multiline=True,
        prompt_continuation=continuation,
        key_bindings=key_bindings(),
        lexer=KsqlLexer(),
        style=STYLE,
        include_default_pygments_style=False,
        completer=ThreadedCompleter(KsqlCompleter(snapshot, lambda: tuple(session.variables))),
        complete_while_typing=True,
        auto_suggest=AutoSuggestFromHistory(),
        history=history,
        bottom_toolbar=toolbar,
        editing_mode=EditingMode.VI if vi else EditingMode.EMACS,
        input=input,
        output=output,
    )


def loop(shell: Shell, prompt: Any) -> None:
    """Read, run and render until EXIT or Ctrl-D; Ctrl-C clears the line, never exits."""
    while not shell.done:
        try:
            text = prompt.prompt()
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        if not text.strip():
            continue
        shell.session.history.append(text)
        shell.echo(text)
        try:
            shell.run_text(text)
        except KeyboardInterrupt:
            # Ctrl-C while waiting for the server (queries handle it themselves).
            shell.out.line("Interrupted; the statements after it were not run.")
    shell.out.line("Exiting ksqlDB.")
    shell.out.flush()


def confirm_with(prompt: Any) -> Callable[[str], bool]:
    """A ``confirm`` for the executor that asks y/N on the prompt's terminal."""
    from prompt_toolkit import PromptSession

    def confirm(description: str) -> bool:
        question: PromptSession[str] = PromptSession(input=prompt.input, output=prompt.output)
        try:
            answer = question.prompt(f"This statement {description}. Run it? [y/N] ")
        except (KeyboardInterrupt, EOFError):
            return False
        return str(answer).strip().lower() in ("y", "yes")

    return confirm
