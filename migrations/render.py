"""Text and JSON views of what the commands return (the CLI prints them; nothing here prints)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlglot import exp

from ksqlpy.sql import StatementKind

from .commands import ApplyResult, InfoResult, InfoRow
from .lock import when
from .plan import Problem, State
from .runner import Event
from .statements import Action, InsertValues, Send, identifier

_HEADERS = (
    "Version",
    "Name",
    "State",
    "Previous Version",
    "Started On",
    "Completed On",
    "Error Reason",
)
_COLOURS = {
    State.MIGRATED: "\x1b[32m",
    State.ERROR: "\x1b[31m",
    State.RUNNING: "\x1b[33m",
    State.PENDING: "\x1b[2m",
}
_RESET = "\x1b[0m"


def timestamp(epoch_ms: str) -> str:
    """An epoch-ms string as ksql-migrations' info prints it (local time, with the zone)."""
    if not epoch_ms.isdigit():
        return epoch_ms
    moment = datetime.fromtimestamp(int(epoch_ms) / 1000).astimezone()
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d} {moment.tzname()}"


def _duration(row: InfoRow, now_ms: int) -> str:
    start, end = row.info.started_on, row.info.completed_on
    if not start.isdigit():
        return ""
    stop = int(end) if end.isdigit() else now_ms
    seconds = max(stop - int(start), 0) / 1000
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _clip(text: str, width: int = 60) -> str:
    # One line per version in the table; the whole reason follows the table.
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def info_table(result: InfoResult, *, colour: bool = False) -> str:
    """``info`` as ksql-migrations lays it out, plus a Duration column and the lock."""
    lines = [f"Current migration version: {result.current}"]
    if not result.rows:
        lines.append("No migrations files found")
        return "\n".join(lines) + "\n"
    headers = (*_HEADERS, "Duration")
    cells = []
    for row in result.rows:
        info = row.info
        error = info.error_reason
        if info.state in (State.RUNNING, State.ERROR) and row.runner:
            error = f"{error} [run by {row.runner}, {row.statements_done} statement(s) finished]"
        cells.append(
            (
                str(info.version),
                info.name,
                info.state.value,
                info.previous,
                timestamp(info.started_on),
                timestamp(info.completed_on),
                _clip(error),
                _duration(row, result.now_ms),
            )
        )
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    divider = "-" * (sum(widths) + 3 * len(widths) - 1)

    def line(values: Sequence[str], state: State | None = None) -> str:
        text = " " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " "
        if colour and state is not None:
            return f"{_COLOURS[state]}{text}{_RESET}"
        return text

    lines += [divider, line(headers), divider]
    lines += [line(c, r.info.state) for c, r in zip(cells, result.rows, strict=True)]
    lines.append(divider)
    lines += [
        f"Error of version {r.info.version}: {r.info.error_reason}"
        for r in result.rows
        if _clip(r.info.error_reason) != r.info.error_reason
    ]
    if result.lock.live(result.now_ms):
        lines.append(
            f"Locked by {result.lock.holder} since {when(result.lock.since_ms)} "
            f"(lease until {when(result.lock.until_ms)})"
        )
    return "\n".join(lines) + "\n"


def info_json(result: InfoResult) -> str:
    """``info --json``: the same facts, machine-readable (times as epoch ms strings)."""
    lock: dict[str, Any] | None = None
    if result.lock.live(result.now_ms):
        lock = {
            "holder": result.lock.holder,
            "since": result.lock.since_ms,
            "until": result.lock.until_ms,
            "command": result.lock.command,
        }
    document = {
        "current": result.current,
        "lock": lock,
        "migrations": [
            {
                "version": row.info.version,
                "name": row.info.name,
                "state": row.info.state.value,
                "previous": row.info.previous,
                "checksum": row.info.checksum,
                "started_on": row.info.started_on,
                "completed_on": row.info.completed_on,
                "error_reason": row.info.error_reason,
                "file": str(row.file.path) if row.file else None,
                "runner": row.runner or None,
                "statements_finished": row.statements_done,
            }
            for row in result.rows
        ],
    }
    return json.dumps(document, indent=2)


def problems_json(problems: Sequence[Problem]) -> str:
    """``validate --json``."""
    return json.dumps(
        {
            "valid": not problems,
            "problems": [
                {"version": p.version, "message": p.message, "fix": p.fix} for p in problems
            ],
        },
        indent=2,
    )


def _topic(tree: exp.Expr) -> str:
    for prop in tree.find_all(exp.Property):
        if prop.name.lower() == "kafka_topic":
            value = prop.args.get("value")
            return f" (topic {value.name})" if value is not None else ""
    return ""


def effect(action: Action) -> str:
    """What a statement creates, replaces or drops, for the dry run's plan view."""
    if isinstance(action, InsertValues):
        return f"inserts a row into {action.target}"
    if not isinstance(action, Send) or action.tree is None:
        return ""
    tables = list(action.tree.find_all(exp.Table))
    named = tables[0] if tables else action.tree.args.get("this")
    target = identifier(named) if isinstance(named, exp.Expr) else ""
    kind, words = action.kind, action.sql.upper().split()
    if kind is StatementKind.PERSISTENT_QUERY and words[0] == "INSERT":
        return f"starts a query writing into {target}"
    if kind in (StatementKind.CREATE_SOURCE, StatementKind.PERSISTENT_QUERY):
        verb = "replaces" if words[1:3] == ["OR", "REPLACE"] else "creates"
        query = " and its query" if kind is StatementKind.PERSISTENT_QUERY else ""
        return f"{verb} {target}{query}{_topic(action.tree)}"
    if kind is StatementKind.DROP_SOURCE:
        deletes = " and deletes its topic" if "DELETE TOPIC" in " ".join(words) else ""
        return f"drops {target}{deletes}"
    if kind is StatementKind.TERMINATE and len(words) > 1:
        return f"terminates query {words[1].rstrip(';')}"
    return ""


def dry_run(result: ApplyResult) -> str:
    """``apply --dry-run``: every statement that would run, substituted, and what it touches."""
    if not result.planned:
        return "No eligible migrations found.\n"
    out = [f"Dry run: nothing is sent. Latest migrated version: {result.previous}."]
    for planned in result.planned:
        migration = planned.migration
        out.append(f"\n-- version {migration.version}: {migration.name} ({migration.path})")
        for index, action in enumerate(planned.actions, 1):
            mark = "   [already finished: skipped]" if index in planned.done else ""
            does = effect(action)
            note = f"   -- line {action.line}" + (f": {does}" if does else "")
            out.append(f"{action.sql}{note}{mark}")
    return "\n".join(out) + "\n"


def event_line(event: Event) -> str:
    """One progress line of ``apply``."""
    migration = event.migration
    if event.kind == "start" and migration is not None:
        return (
            f"[{event.index}/{event.total}] applying version {migration.version}: {migration.name}"
        )
    if event.kind in ("statement", "skipped") and event.action is not None:
        head = " ".join(event.action.sql.split())[:70]
        if event.kind == "skipped":
            return f"    statement {event.index}/{event.total}: {head} (finished before, skipped)"
        return f"    statement {event.index}/{event.total}: {head} ({event.seconds:.2f} s)"
    if event.kind == "done" and migration is not None:
        return f"    migrated version {migration.version} in {event.seconds:.2f} s"
    return event.text
