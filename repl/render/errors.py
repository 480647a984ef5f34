"""How a failed statement reads: the message, the caret under the position, the statement."""

from __future__ import annotations

from ksqlpy import KsqlError, KsqlServerError, KsqlSyntaxError, ServerUnavailableError

START_HINT = "run 'ksqlpy --local' for an embedded server, or start ksqlDB and pass its URL"
"""What to do when no server answers (there is no compose file to point at)."""


def unreachable(error: KsqlError, url: str) -> str | None:
    """The one line for a server that did not answer at all, or None for other errors."""
    if isinstance(error, ServerUnavailableError) and error.http_status is None:
        return f"cannot reach ksqlDB at {url} ({error.message}); {START_HINT}"
    return None


def _syntax(error: KsqlSyntaxError, verbose: bool) -> str:
    return str(error)


def _server(error: KsqlServerError, verbose: bool) -> str:
    text = error.message or str(error)
    if error.line is not None and error.column is not None:
        text = f"statement at line {error.line}, column {error.column} failed: {text}"
    if verbose:
        details: list[tuple[str, object]] = [
            ("Error code", error.error_code),
            ("HTTP status", error.http_status),
            ("Statement", error.statement_text),
        ]
        text += "".join(f"\n{name}: {value}" for name, value in details if value is not None)
    return text


def render_error(error: KsqlError, *, verbose: bool = False, url: str = "") -> str:
    """The text for a statement that failed (syntax errors keep their caret snippet)."""
    gone = unreachable(error, url) if url else None
    if gone is not None:
        return gone
    if isinstance(error, KsqlSyntaxError):
        return _syntax(error, verbose)
    if isinstance(error, KsqlServerError) and error.http_status is not None:
        return _server(error, verbose)
    return str(error)
