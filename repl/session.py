"""The state of one shell session and the values the executor hands back (it never prints)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TextIO

from ksqlpy import Entity, KsqlError, PrintedTopic, StreamedQuery
from ksqlpy.sql import StatementKind

OUTPUT_FORMATS = ("TABULAR", "JSON")


@dataclass(slots=True)
class Session:
    """What a session remembers between statements: properties, variables, output, spool."""

    url: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    """Session properties set with SET, sent with every request (values as typed)."""
    variables: dict[str, str] = field(default_factory=dict)
    """Variables set with DEFINE or ``-d``; names compare case-insensitively."""
    output: str = "TABULAR"
    history: list[str] = field(default_factory=list)
    spool: TextIO | None = None
    spool_path: str | None = None
    server_version: str = ""
    row_limit: int | None = None
    """``--query-row-limit``: a query stops after this many rows."""
    timeout: float | None = None
    """``--query-timeout`` in seconds: a query stops after this long."""
    idle_timeout: float | None = None
    """``--idle-timeout`` / ``SET CLI IDLE-TIMEOUT``: seconds a query or PRINT may receive
    nothing before it is reported hung and closed (None: it may stay quiet forever)."""
    verbose_errors: bool = False
    wrap: bool = False
    """``SET CLI WRAP ON``: long lines are left to the terminal instead of clipped."""
    column_width: int = 0
    """``SET CLI COLUMN-WIDTH n``: query result columns at most n wide (0: automatic)."""

    @property
    def substitution(self) -> bool:
        """False when ``ksql.variable.substitution.enable`` was SET to false."""
        value = self.properties.get("ksql.variable.substitution.enable", "true")
        return value.strip().lower() != "false"

    def find_variable(self, name: str) -> str | None:
        """The stored spelling of a variable name (case-insensitive), or None."""
        upper = name.upper()
        return next((key for key in self.variables if key.upper() == upper), None)

    def close_spool(self) -> None:
        """Stop spooling (idempotent)."""
        if self.spool is not None:
            self.spool.close()
        self.spool = None
        self.spool_path = None


@dataclass(frozen=True, slots=True)
class EntityResult:
    """A statement the server answered with an entity."""

    entity: Entity
    statement: str = ""


@dataclass(frozen=True, slots=True)
class QueryStarted:
    """A push or pull query (or PRINT) that is running: the shell reads its rows, then closes it."""

    query: StreamedQuery
    kind: StatementKind
    statement: str = ""
    started: float | None = None
    """``time.monotonic()`` when the statement was sent (for the elapsed time shown)."""


@dataclass(frozen=True, slots=True)
class PrintStarted:
    """A running PRINT: the shell shows its lines as they arrive, then closes it."""

    printed: PrintedTopic
    statement: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """Plain text for the user (from a shell command)."""

    text: str


@dataclass(frozen=True, slots=True)
class Failure:
    """A statement that failed; the rest of the input is skipped unless continuing on errors."""

    error: KsqlError
    statement: str = ""


class Action(enum.Enum):
    """Things only the shell can do."""

    EXIT = "exit"
    CLEAR = "clear"


@dataclass(frozen=True, slots=True)
class Control:
    """Ask the shell to exit or clear the screen."""

    action: Action


Result = EntityResult | QueryStarted | PrintStarted | Message | Failure | Control
