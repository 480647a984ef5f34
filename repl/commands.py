"""Shell-only commands, as one registry: it runs them, and feeds HELP and completion.

Commands that the ksql CLI accepts without a semicolon (HELP, EXIT, SPOOL, ...) run as soon as
Enter is pressed; the SQL-shaped ones (SET, DEFINE, RUN SCRIPT, ...) end with ``;`` like any
statement. Every handler returns results and never prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ksqlpy import KsqlError, VariableList, __version__
from ksqlpy.sql import SessionChange, session_change

from .config import read_text_file
from .session import OUTPUT_FORMATS, Action, Control, EntityResult, Message, Result, Session

Runner = Callable[[str], Iterator[Result]]
"""Runs the statements of a text through the executor (RUN SCRIPT uses it)."""
Handler = Callable[[Session, "re.Match[str]", Runner], Iterator[Result]]

_QUOTED = r"'((?:[^']|'')*)'"


def _unquote(text: str) -> str:
    return text.replace("''", "'")


@dataclass(frozen=True, slots=True)
class Command:
    """One shell command: how it is typed, what it does, and its handler."""

    name: str
    usage: str
    summary: str
    pattern: re.Pattern[str]
    handler: Handler
    semicolon: bool = False
    """True for commands that end with ';' like statements (SET, DEFINE, RUN SCRIPT...)."""


def _help(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    topic = (match.group(1) or "").upper()
    if topic:
        found = [c for c in COMMANDS if c.name.startswith(topic)]
        if not found:
            raise KsqlError(f"no help for {topic!r}; type 'help' for the list of commands")
        yield Message("\n\n".join(f"{c.usage}\n    {c.summary}" for c in found))
        return
    yield Message(help_text())


def help_text() -> str:
    """The text of HELP: commands, statements, keys and the multi-line rule."""
    width = max(len(c.usage) for c in COMMANDS)
    lines = ["Shell commands:"]
    lines += [f"  {c.usage.ljust(width)}  {c.summary}" for c in COMMANDS]
    lines += [
        "",
        "Any other input is ksqlDB SQL: a statement ends at ';' (a ';' in a string or comment",
        "does not end it), several statements on a line run in order, and Enter inside an",
        "unfinished statement starts a new line. Shell commands without ';' run at Enter.",
        "",
        "Keys:",
        "  Tab            complete (keywords, sources, columns, functions, topics, variables)",
        "  Ctrl-R         search the history        Right arrow  accept the grey suggestion",
        "  Ctrl-C         clear the input; stop a running query (it is closed on the server)",
        "  Ctrl-D         exit                      F4           switch emacs/vi keys",
    ]
    return "\n".join(lines)


def _exit(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    yield Control(Action.EXIT)


def _clear(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    yield Control(Action.CLEAR)


def _entries(session: Session) -> list[str]:
    """The history without the ``!N`` lines themselves (so numbers stay put)."""
    return [entry for entry in session.history if not entry.lstrip().startswith("!")]


def _history(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    entries = _entries(session)
    width = len(str(len(entries)))
    lines = [f"{i:>{width}}  {' '.join(entry.split())}" for i, entry in enumerate(entries, 1)]
    yield Message("\n".join(lines) if lines else "The history is empty.")


def _rerun(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    entries = _entries(session)
    which = match.group(1)
    index = len(entries) if which == "!" else int(which)
    if not 1 <= index <= len(entries):
        raise KsqlError(f"no history entry {which}; 'history' lists them")
    text = entries[index - 1]
    yield Message(text)
    yield from run(text)


def _spool(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    target = match.group(1).strip().strip("'\"")
    if target.upper() == "OFF":
        if session.spool is None:
            yield Message("Not spooling.")
            return
        path = session.spool_path
        session.close_spool()
        yield Message(f"Stopped spooling to {path}.")
        return
    if session.spool is not None:
        raise KsqlError(f"already spooling to {session.spool_path}; run 'SPOOL OFF' first")
    try:
        session.spool = Path(target).expanduser().open("w", encoding="utf-8")
    except OSError as error:
        raise KsqlError(f"cannot spool to {target}: {error.strerror}") from error
    session.spool_path = target
    yield Message(f"Spooling commands and output to {target}; 'SPOOL OFF' stops.")


def _output(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    wanted = (match.group(1) or "").upper()
    if not wanted:
        yield Message(f"Output format: {session.output}")
        return
    if wanted not in OUTPUT_FORMATS:
        raise KsqlError(f"unknown output format {wanted!r}; use {' or '.join(OUTPUT_FORMATS)}")
    session.output = wanted
    yield Message(f"Output format set to {wanted}.")


def _change(match: re.Match[str]) -> SessionChange:
    # ksqlpy.sql owns the grammar of these statements; the shell keeps the session.
    change = session_change(match.group(0))
    if change is None:
        raise KsqlError(f"expected one SET, UNSET, DEFINE or UNDEFINE statement: {match.group(0)}")
    return change


def _property(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    change = _change(match)
    old = change.apply(session.properties, session.variables)
    if change.value is not None:
        how = f"from '{old}' to '{change.value}'" if old is not None else f"to '{change.value}'"
        yield Message(f"Successfully changed local property '{change.name}' {how}.")
    elif old is None:
        yield Message(f"Local property '{change.name}' was not set.")
    else:
        yield Message(f"Successfully unset local property '{change.name}' (value was '{old}').")


def _variable(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    change = _change(match)
    existing = session.find_variable(change.name)  # names match in any case, as in ksql
    if existing is not None:
        del session.variables[existing]
    if change.value is not None:
        session.variables[change.name] = change.value
    elif existing is None:
        yield Message(f"Variable '{change.name}' is not defined.")


def _show_variables(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    raw = {
        "@type": "variables",
        "statementText": match.group(0),
        "variables": [{"name": k, "value": v} for k, v in session.variables.items()],
        "warnings": [],
    }
    entity = VariableList(
        type="variables", statement_text=match.group(0), variables=dict(session.variables), raw=raw
    )
    yield EntityResult(entity, match.group(0))


def _run_script(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    path = Path(_unquote(match.group(1))).expanduser()
    yield from run(read_text_file(path, "script"))


def _on_off(value: str) -> bool:
    if value.upper() not in ("ON", "OFF"):
        raise KsqlError(f"expected ON or OFF, got {value!r}")
    return value.upper() == "ON"


def _cli_wrap(session: Session, value: str) -> str:
    session.wrap = _on_off(value)
    how = "wrap in the terminal" if session.wrap else "are clipped at the terminal width"
    return f"Long lines {how}."


def _cli_column_width(session: Session, value: str) -> str:
    if not value.isdigit():
        raise KsqlError(f"COLUMN-WIDTH wants a number of characters (0: automatic), got {value!r}")
    session.column_width = int(value)
    return (
        f"Query result columns are at most {value} characters wide."
        if int(value)
        else ("Query result columns fit their values.")
    )


def _cli_pipelining(session: Session, value: str) -> str:
    _on_off(value)
    return "ksqlpy always waits for earlier commands (request pipelining is OFF)."


def _cli_idle_timeout(session: Session, value: str) -> str:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if value.upper() != "OFF" and not seconds >= 0:
        raise KsqlError(f"IDLE-TIMEOUT wants seconds (0 or OFF: no bound), got {value!r}")
    session.idle_timeout = seconds if value.upper() != "OFF" and seconds > 0 else None
    if session.idle_timeout is None:
        return "Queries may stay quiet for ever, as in ksqlDB (no idle timeout)."
    return (
        f"A query or PRINT that receives nothing for {session.idle_timeout:g} s is reported "
        "hung and closed."
    )


_CLI_SETTINGS: dict[str, Callable[[Session, str], str]] = {
    "WRAP": _cli_wrap,
    "COLUMN-WIDTH": _cli_column_width,
    "IDLE-TIMEOUT": _cli_idle_timeout,
    "REQUEST-PIPELINING": _cli_pipelining,
}


def _set_cli(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    name, value = (match.group(1) or "").upper(), (match.group(2) or "").strip()
    setting = _CLI_SETTINGS.get(name)
    if setting is None or not value:
        known = ", ".join(f"{n} <value>" for n in _CLI_SETTINGS)
        raise KsqlError(f"usage: SET CLI {known}")
    yield Message(setting(session, value))


def _version(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    server = f"; server {session.server_version}" if session.server_version else ""
    yield Message(f"ksqlpy {__version__}{server}")


def _server(session: Session, match: re.Match[str], run: Runner) -> Iterator[Result]:
    yield Message(f"Server: {session.url}")


def _command(
    name: str, usage: str, summary: str, pattern: str, handler: Handler, semicolon: bool = False
) -> Command:
    return Command(name, usage, summary, re.compile(pattern, re.I | re.S), handler, semicolon)


COMMANDS: tuple[Command, ...] = (
    _command(
        "HELP", "HELP [command]", "Show this help, or one command's.", r"help(?:\s+(\S+))?", _help
    ),
    _command("EXIT", "EXIT | QUIT | Ctrl-D", "Leave the shell.", r"(?:exit|quit)", _exit),
    _command("CLEAR", "CLEAR", "Clear the screen.", r"clear", _clear),
    _command("HISTORY", "HISTORY", "List the statements entered so far.", r"history", _history),
    _command("!", "!! | !N", "Run the last history entry again, or entry N.", r"!(!|\d+)", _rerun),
    _command(
        "SPOOL",
        "SPOOL <file> | SPOOL OFF",
        "Copy commands and their output to a file (overwritten), or stop.",
        r"spool\s+(.+)",
        _spool,
    ),
    _command(
        "OUTPUT",
        "OUTPUT [TABULAR|JSON]",
        "Show or set the output format.",
        r"output(?:\s+(\w+))?",
        _output,
    ),
    _command(
        "SET CLI IDLE-TIMEOUT",
        "SET CLI IDLE-TIMEOUT s",
        "Report a query or PRINT silent for s seconds as hung, and close it (0: never).",
        r"set\s+cli\s+(idle-timeout)(?:\s+(\S+))?",
        _set_cli,
    ),
    _command(
        "SET CLI",
        "SET CLI WRAP ON|OFF | COLUMN-WIDTH n",
        "Wrap or clip long lines; cap query result column widths (ksql CLI settings).",
        r"set\s+cli(?:\s+([\w-]+))?(?:\s+(\S+))?",
        _set_cli,
    ),
    _command("VERSION", "VERSION", "Show the ksqlpy and server versions.", r"version", _version),
    _command("SERVER", "SERVER", "Show the server this shell talks to.", r"server", _server),
    _command(
        "SET",
        "SET '<property>'='<value>';",
        "Set a property for the statements of this session.",
        r"set\b.*",
        _property,
        semicolon=True,
    ),
    _command(
        "UNSET",
        "UNSET '<property>';",
        "Remove a property set with SET.",
        r"unset\b.*",
        _property,
        semicolon=True,
    ),
    _command(
        "DEFINE",
        "DEFINE <name> = '<value>';",
        "Define a variable, used as ${name} in later statements.",
        r"define\b.*",
        _variable,
        semicolon=True,
    ),
    _command(
        "UNDEFINE",
        "UNDEFINE <name>;",
        "Remove a variable.",
        r"undefine\b.*",
        _variable,
        semicolon=True,
    ),
    _command(
        "SHOW VARIABLES",
        "SHOW VARIABLES;",
        "List the variables of this session.",
        r"(?:show|list)\s+variables",
        _show_variables,
        semicolon=True,
    ),
    _command(
        "RUN SCRIPT",
        "RUN SCRIPT '<file>';",
        "Run the statements of a file, one by one, like typed input.",
        rf"run\s+script\s+{_QUOTED}",
        _run_script,
        semicolon=True,
    ),
)


def find(text: str) -> tuple[Command, re.Match[str]] | None:
    """The command ``text`` (one statement, without its ';') invokes, if any."""
    stripped = text.strip()
    for command in COMMANDS:
        match = command.pattern.fullmatch(stripped)
        if match is not None:
            return command, match
    return None


def runs_without_semicolon(text: str) -> bool:
    """True when ``text`` is a complete command that Enter runs without a ';'."""
    found = find(text)
    return found is not None and not found[0].semicolon


def completion_names() -> tuple[str, ...]:
    """Command words to offer at the start of a statement."""
    hidden = {
        "!",
        "SET CLI",
        "SET CLI IDLE-TIMEOUT",
    }  # SET completes as a statement; ! is typed, not completed
    return (*tuple(c.name for c in COMMANDS if not c.semicolon and c.name not in hidden), "QUIT")
