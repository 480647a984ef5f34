"""What the HTTP layer needs from the engine: the engine, its running queries, PRINTs and
inserters, as protocols (the app never imports the engine's classes)."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Protocol

from .engine.results import Command, Result, ServerInfo
from .engine.types import SqlType
from .storage import Record


class QueryStream(Protocol):
    """A running query as the HTTP layer sees it (implemented by the engine)."""

    query_id: str
    header_v1: dict[str, Any]
    header_plain: dict[str, Any]
    column_types: list[SqlType]
    buffered: bool
    final_message: str | None

    async def next_batch(self, limit: int) -> tuple[list[list[Any]], list[bool] | None] | None:
        """Rows ready now (waiting for at least one), or ``None`` once the query has ended."""

    def close(self) -> None:
        """Stop the query and free it; ``next_batch`` then returns ``None``."""


class PrintStream(Protocol):
    """A running PRINT of a topic: text lines."""

    async def next_lines(self) -> list[str] | None:
        """Lines ready now, or ``None`` at the end."""

    def close(self) -> None:
        """Stop printing."""


class Inserter(Protocol):
    """Inserts rows into one stream or table."""

    def insert(self, row: Any) -> Future[Record]:
        """Start inserting one row (a JSON object), raising :class:`InsertFailed`; the future
        completes once the row is stored (or with the OSError that kept it out)."""

    def done(self) -> None:
        """A batch of rows was inserted (persistent queries may catch up now)."""


class Engine(Protocol):
    """What the HTTP layer needs from the engine."""

    def execute(
        self, ksql: str, properties: dict[str, Any], variables: dict[str, Any]
    ) -> list[Result]:
        """Run the statements of a ``/ksql`` request; return their results."""

    def open_query(
        self, sql: str, properties: dict[str, Any], variables: dict[str, Any]
    ) -> QueryStream | PrintStream:
        """Start a query (or PRINT) of ``/query`` or ``/query-stream``."""

    def close_query(self, query_id: str) -> None:
        """Close a push query by id (``/close-query``)."""

    def inserter(self, target: str, properties: dict[str, Any]) -> Inserter:
        """Validate an ``/inserts-stream`` target and return its inserter."""

    def terminate_cluster(self, delete_topics: list[str]) -> list[Result]:
        """``/ksql/terminate``."""

    def server_info(self) -> ServerInfo:
        """What ``/info`` tells of the server."""

    def command_statuses(self) -> dict[str, Command]:
        """``/status``: every recorded command by id."""

    def command_status(self, command_id: str) -> Command | None:
        """``/status/type/entity/action``: one command, or ``None``."""

    def is_valid_property(self, name: str) -> None:
        """Raise :class:`EngineError` unless ``name`` can be set per request."""
