"""PEP 249's exception tree over ksqlpy's errors, and the translation between them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ksqlpy._errors import (
    AuthenticationError,
    AuthorizationError,
    ClientClosedError,
    ConfigurationError,
    InsertError,
    KsqlError,
    KsqlServerError,
    KsqlStatementError,
    KsqlSyntaxError,
    KsqlTimeoutError,
    NotFoundError,
    ProtocolError,
    ServerUnavailableError,
)


class Warning(KsqlError):
    """PEP 249's Warning; never raised: ksqlDB's statement warnings are in ``Cursor.entity``."""


class Error(KsqlError):
    """Base of the DB-API errors (also a ``KsqlError``); the ksqlpy error is ``__cause__``.

    ``error_code``, ``http_status``, ``message``, ``statement_text`` and ``entities`` repeat the
    server's fields when the cause carried them (None or ``()`` otherwise); for a refused row of
    ``executemany`` ``seq``, ``row`` and ``acknowledged`` do too.
    """

    error_code: int | None = None
    http_status: int | None = None
    statement_text: str | None = None
    entities: tuple[object, ...] = ()
    seq: int | None = None
    row: object = None
    acknowledged: int | None = None

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InterfaceError(Error):
    """The interface was misused or failed: a closed connection or cursor, bad options."""


class DatabaseError(Error):
    """An error of the database (ksqlDB) itself."""


class DataError(DatabaseError):
    """A value cannot be represented or was refused (a non-finite float, a refused row)."""


class OperationalError(DatabaseError):
    """ksqlDB could not be reached, refused the credentials, or took too long."""


class IntegrityError(DatabaseError):
    """PEP 249's IntegrityError; ksqlDB has no constraints to violate, so never raised."""


class InternalError(DatabaseError):
    """ksqlDB failed inside (a 5xx answer that is not 'unavailable')."""


class ProgrammingError(DatabaseError):
    """The SQL or its use is wrong: rejected statement, unknown source, parameter count."""


class NotSupportedError(DatabaseError):
    """Something ksqlDB or this module does not do (transactions, PRINT)."""


_FIELDS = (
    "error_code",
    "http_status",
    "statement_text",
    "entities",
    "seq",
    "row",
    "acknowledged",
)


def _dbapi_class(error: KsqlError) -> type[Error]:
    status = getattr(error, "http_status", None)
    if isinstance(error, KsqlStatementError) and status is not None and status >= 500:
        return InternalError
    for kind, target in _ERROR_CLASSES:
        if isinstance(error, kind):
            return target
    if isinstance(error, KsqlServerError) and status is not None and status >= 500:
        return InternalError
    return DatabaseError


# Most specific first: InsertError and the others are KsqlServerErrors too.
_ERROR_CLASSES: tuple[tuple[type[KsqlError], type[Error]], ...] = (
    (KsqlStatementError, ProgrammingError),
    (InsertError, DataError),
    (AuthenticationError, OperationalError),
    (AuthorizationError, OperationalError),
    (ServerUnavailableError, OperationalError),
    (KsqlTimeoutError, OperationalError),
    (NotFoundError, ProgrammingError),
    (KsqlSyntaxError, ProgrammingError),
    (ClientClosedError, InterfaceError),
    (ConfigurationError, InterfaceError),
    (ProtocolError, InterfaceError),
)


def _translate(error: KsqlError) -> Error:
    """The DB-API error for a ksqlpy error, carrying its fields (raise it ``from`` the cause)."""
    if isinstance(error, Error):
        return error
    translated = _dbapi_class(error)(str(error))
    for name in _FIELDS:
        if hasattr(error, name):
            setattr(translated, name, getattr(error, name))
    translated.message = getattr(error, "message", str(error))
    return translated


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except Error:
        raise
    except KsqlError as error:
        raise _translate(error) from error
