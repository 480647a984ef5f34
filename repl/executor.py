"""Text in, results out: split into statements, run shell commands, send the rest to ksqlDB.

The executor never prints: it yields ``Result`` values (see ``session.py``) that the shell
renders, and it stops at the first failure unless told to continue. Variables are substituted
here, on the client (as the ksql CLI does), so errors point into the text the user typed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

from ksqlpy import Client, KsqlError, KsqlSyntaxError
from ksqlpy.sql import Statement, StatementKind, classify, split, substitute

from . import commands
from .session import (
    EntityResult,
    Failure,
    Message,
    PrintStarted,
    QueryStarted,
    Result,
    Session,
)

Confirm = Callable[[str], bool]
"""Asked before a destructive statement with a description of it; False cancels."""

# Statements after which the completion catalog is out of date.
CHANGES_CATALOG = frozenset(
    {
        StatementKind.CREATE_SOURCE,
        StatementKind.DROP_SOURCE,
        StatementKind.ALTER_SOURCE,
        StatementKind.PERSISTENT_QUERY,
        StatementKind.TERMINATE,
        StatementKind.CONNECTOR,
        StatementKind.TYPE,
    }
)
STREAMED = frozenset({StatementKind.PUSH_QUERY, StatementKind.PULL_QUERY})

# Statements that lose data or stop work, and what to tell the user before running them.
DESTRUCTIVE: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\s*DROP\s+(?:STREAM|TABLE)\s+(?:IF\s+EXISTS\s+)?(\S+).*\bDELETE\s+TOPIC\s*",
            re.I | re.S,
        ),
        "drops {0} and deletes its Kafka topic with all its data",
    ),
    (re.compile(r"\s*TERMINATE\s+ALL\s*", re.I), "terminates every persistent query"),
    (
        re.compile(r"\s*DROP\s+CONNECTOR\s+(?:IF\s+EXISTS\s+)?(\S+)\s*", re.I),
        "drops the connector {0}",
    ),
    (re.compile(r"\s*DROP\s+TYPE\s+(?:IF\s+EXISTS\s+)?(\S+)\s*", re.I), "drops the type {0}"),
)


def destructive(text: str) -> str | None:
    """What a destructive statement would do, or None for a harmless one."""
    for pattern, description in DESTRUCTIVE:
        match = pattern.fullmatch(text)
        if match is not None:
            return description.format(*match.groups())
    return None


class Executor:
    """Runs text against one client within one session.

    ``confirm`` is asked before destructive statements (None runs them without asking);
    ``on_change`` is called after statements that change streams, tables, queries or types.
    """

    def __init__(
        self,
        client: Client,
        session: Session,
        *,
        confirm: Confirm | None = None,
        on_change: Callable[[], None] | None = None,
        continue_on_error: bool = False,
    ) -> None:
        self.client = client
        self.session = session
        self.confirm = confirm
        self.on_change = on_change
        self.continue_on_error = continue_on_error

    def run(self, text: str) -> Iterator[Result]:
        """The results of every statement of ``text``, in order."""
        found = commands.find(text.strip().removesuffix(";"))
        if found is not None and not found[0].semicolon:
            # A line-based shell command (its argument may hold quotes or ';'): never split.
            try:
                yield from found[0].handler(self.session, found[1], self.run)
            except KsqlError as error:
                yield Failure(error, text)
            return
        try:
            statements = split(text)
        except KsqlError as error:
            yield Failure(error, text)
            return
        for statement in statements:
            failed = False
            try:
                for result in self._statement(statement):
                    failed = failed or isinstance(result, Failure)
                    yield result
            except KsqlSyntaxError as error:
                failed = True
                yield Failure(_located(error, text), statement.text)
            except KsqlError as error:
                failed = True
                yield Failure(error, statement.text)
            if failed and not self.continue_on_error:
                return

    def _statement(self, statement: Statement) -> Iterator[Result]:
        found = commands.find(statement.text)
        if found is not None:
            command, match = found
            yield from command.handler(self.session, match, self.run)
            return
        kind = classify(statement)
        text = statement.text
        if self.session.substitution and "${" in text:
            text = _relocated(substitute, text, self.session.variables, statement)
        warning = destructive(text)
        if warning is not None and self.confirm is not None and not self.confirm(warning):
            yield Message("Cancelled; nothing was run.")
            return
        sql = text + ";"
        if kind is StatementKind.PRINT:
            printed = self.client.print_topic(
                sql, self.session.properties, idle_timeout=self.session.idle_timeout
            )
            yield PrintStarted(printed, text)
            return
        if kind in STREAMED:
            started = time.monotonic()
            query = self.client.stream_query(
                sql, self.session.properties, idle_timeout=self.session.idle_timeout
            )
            yield QueryStarted(query, kind, text, started)
            return
        entity = self.client.execute_statement(sql, self.session.properties)
        if kind in CHANGES_CATALOG and self.on_change is not None:
            self.on_change()
        if entity is not None:
            yield EntityResult(entity, text)


def _relocated(
    fn: Callable[..., str],
    text: str,
    variables: dict[str, str],
    statement: Statement,
) -> str:
    """Substitute, moving a syntax error's position from the statement to the whole input."""
    try:
        return fn(text, variables)
    except KsqlSyntaxError as error:
        shift = statement.column - 1 if error.line == 1 else 0
        raise KsqlSyntaxError(
            error.description, error.line + statement.line - 1, error.column + shift, error.snippet
        ) from None


def _located(error: KsqlSyntaxError, text: str) -> KsqlSyntaxError:
    """The error with its snippet taken from the whole input, so the caret sits under the
    reported column even when the statement was not the first on its line."""
    lines = text.splitlines()
    if not 1 <= error.line <= len(lines):
        return error
    width = max(error.snippet.count("^"), 1)
    snippet = f"{lines[error.line - 1]}\n{' ' * (error.column - 1)}{'^' * width}"
    return KsqlSyntaxError(error.description, error.line, error.column, snippet)


def check(text: str, variables: dict[str, str]) -> list[KsqlSyntaxError]:
    """Parse every statement of ``text`` offline (``--check``): the syntax errors, located in
    the whole text. Shell commands are accepted; variables are substituted when defined."""
    try:
        statements = split(text)
    except KsqlSyntaxError as error:
        return [_located(error, text)]
    errors: list[KsqlSyntaxError] = []
    for statement in statements:
        if commands.find(statement.text) is not None:
            continue
        try:
            classify(statement)
            if "${" in statement.text and variables:
                _relocated(substitute, statement.text, variables, statement)
        except KsqlSyntaxError as error:
            errors.append(_located(error, text))
    return errors
