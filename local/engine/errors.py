"""Errors raised by the engine; the HTTP layer maps them to statuses and ksqlDB's error bodies."""

from __future__ import annotations

import textwrap

from sqlglot import exp

from ksqlpy.sql import location

# ksqlDB's EngineContext.prepare wraps errors found while preparing (AstSanitizer) in these words.
PREPARING = "Exception while preparing statement: "


class EngineError(Exception):
    """An error with ksqlDB's error code, answered with HTTP status ``code // 100``.

    ``statement_text`` is the statement it is about (a ``statement_error`` body), or ``None``
    for an error about the request as a whole (a ``generic_error`` body).
    """

    def __init__(self, message: str, code: int = 40001, statement_text: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.statement_text = statement_text


class KsqlStatementError(EngineError):
    """A statement was refused: ``statement_error`` 40001 unless said otherwise.

    Executors raise it without the statement's text; the engine's loop adds it.
    """


class QueryFailure(Exception):
    """A record a persistent query cannot get past: ksqlDB's stream thread dies with it (an
    uncaught StreamsException), the query goes to ERROR and EXPLAIN lists the error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message  # the exception as Throwables.getStackTraceAsString starts


class InsertFailed(Exception):
    """A row of an inserts stream was refused (an error ack ends the stream)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def at(node: exp.Expr | None, columns: int = 0) -> str:
    """ksqlDB's ``NodeLocation.asPrefix``: ``Line: N, Col: M: `` where ``node`` was written in the
    request (moved right by ``columns``), or nothing when its position is unknown."""
    where = location(node) if node is not None else None
    return f"Line: {where[0]}, Col: {where[1] + columns}: " if where else ""


def prepare_failed(node: exp.Expr, message: str, back: int = 0) -> KsqlStatementError:
    """ksqlDB's AstBuilder refusing ``node``: ``Failed to prepare statement: line L:C: message``.

    ksqlDB builds that ParsingException from the node's NodeLocation, whose column already
    counts from 1, and adds 1 again: the column is one past the node's first character
    (``back`` moves the start left, for a sign written before a number literal).
    """
    where = location(node)
    if where is None:
        return KsqlStatementError(f"Failed to prepare statement: {message}")
    line, column = where[0], where[1] - back + 1
    return KsqlStatementError(f"Failed to prepare statement: line {line}:{column}: {message}")


def with_cause(message: str, cause: str) -> str:
    """``message`` and the error under it, as ksqlDB's ErrorMessageUtil joins them: a
    ``Caused by:`` line wrapped at 80 columns, its later lines indented by a tab."""
    lines = textwrap.wrap(f"Caused by: {cause}", 80, break_on_hyphens=False)
    return message + "\n" + "\n\t".join(lines)
