"""Errors raised by the engine, mapped to ksqlDB's error bodies by the HTTP layer."""

from __future__ import annotations


class KsqlStatementError(Exception):
    """A statement was refused: HTTP 400, ``statement_error`` 40001 unless said otherwise."""

    def __init__(self, message: str, code: int = 40001) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class InsertFailed(Exception):
    """A row of an inserts stream was refused (an error ack ends the stream)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
