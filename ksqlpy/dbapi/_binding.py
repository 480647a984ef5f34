"""Client-side parameter binding: Python values as KSQL literals, ``?`` placeholders bound
outside quotes and comments, and the plain ``INSERT ... VALUES (?, ...)`` that ``executemany``
sends through ``/inserts-stream``."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlglot.tokenizer_core import Token, TokenType

from ksqlpy._protocol import base64_text, timestamp_text
from ksqlpy.sql import quote_literal
from ksqlpy.sql._lex import tokenize

from ._errors import DataError, ProgrammingError, _errors


def _number(value: float | Decimal) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DataError(f"ksqlDB has no literal for the float {value!r}")
        return repr(value)
    if not value.is_finite():
        raise DataError(f"ksqlDB has no literal for {value!r}")
    return format(value, "f")


def _timestamp(value: datetime) -> str:
    return quote_literal(timestamp_text(value))  # the text inserts send: UTC, no zone


def _time(value: time) -> str:
    if value.utcoffset() is not None:
        raise DataError(f"ksqlDB's TIME has no time zone; pass a naive time, not {value!r}")
    return quote_literal(value.isoformat(timespec="milliseconds"))


def _base64(value: bytes | bytearray | memoryview) -> str:
    return quote_literal(base64_text(value))


def _array(value: Sequence[Any]) -> str:
    return "ARRAY[" + ", ".join(literal(item) for item in value) + "]"


def _map(value: Mapping[Any, Any]) -> str:
    return "MAP(" + ", ".join(f"{literal(k)} := {literal(v)}" for k, v in value.items()) + ")"


# Order matters: bool before int, datetime before date (each is a subclass of the next).
_LITERALS: tuple[tuple[type[Any] | tuple[type[Any], ...], Callable[[Any], str]], ...] = (
    (type(None), lambda _: "NULL"),
    (bool, quote_literal),
    (int, quote_literal),
    ((float, Decimal), _number),
    (str, quote_literal),
    ((bytes, bytearray, memoryview), _base64),
    (datetime, _timestamp),
    (date, lambda value: quote_literal(value.isoformat())),
    (time, _time),
    ((list, tuple), _array),
    (Mapping, _map),
)
_LITERAL_BY_TYPE: dict[type[Any], Callable[[Any], str]] = {}


def literal(value: Any) -> str:
    """``value`` as a KSQL literal: what a ``?`` bound to it becomes.

    None -> ``NULL``, bool -> ``TRUE``/``FALSE``, numbers as written (Decimal exact), str quoted,
    bytes as base64 text, date/time/datetime as ISO text (datetime in UTC, naive means UTC),
    list/tuple -> ``ARRAY[...]``, dict -> ``MAP(k := v, ...)``.

    >>> literal(["it's", None])
    "ARRAY['it''s', NULL]"
    """
    render = _LITERAL_BY_TYPE.get(type(value))
    if render is None:
        for kind, candidate in _LITERALS:
            if isinstance(value, kind):
                render = _LITERAL_BY_TYPE[type(value)] = candidate
                break
        else:
            raise ProgrammingError(
                f"cannot bind a {type(value).__name__} as a ksqlDB value; use None, bool, int, "
                "float, Decimal, str, bytes, date, time, datetime, list or dict"
            )
    return render(value)


def _tokens(sql: str) -> list[Token]:
    with _errors():
        return tokenize(sql)


def _placeholders(tokens: Sequence[Token]) -> list[Token]:
    """The ``?`` tokens among ``tokens`` (never one inside a literal, identifier or comment)."""
    return [token for token in tokens if token.token_type == TokenType.PLACEHOLDER]


def _check_params(params: Any) -> Sequence[Any]:
    if params is None:
        return ()
    if isinstance(params, (str, bytes, Mapping)) or not isinstance(params, Sequence):
        raise ProgrammingError(
            f"parameters must be a sequence (a tuple or list) for the '?' placeholders, "
            f"not a {type(params).__name__}"
        )
    return params


def bind(sql: str, params: Sequence[Any] | None, tokens: Sequence[Token] | None = None) -> str:
    """``sql`` with each ``?`` placeholder replaced by the literal of the next parameter.

    Question marks inside string literals, quoted identifiers and comments stay as written; a
    wrong number of parameters raises ProgrammingError naming both counts.

    >>> bind("SELECT * FROM t WHERE a = ? AND b = '?';", ["x"])
    "SELECT * FROM t WHERE a = 'x' AND b = '?';"
    """
    values = _check_params(params)
    marks = _placeholders(tokens if tokens is not None else _tokens(sql))
    if len(marks) != len(values):
        raise ProgrammingError(
            f"the statement has {len(marks)} placeholder(s) but {len(values)} parameter(s) were "
            "given"
        )
    if not marks:
        return sql
    pieces: list[str] = []
    done = 0
    for mark, value in zip(marks, values, strict=True):
        pieces.append(sql[done : mark.start])
        pieces.append(literal(value))
        done = mark.end + 1
    pieces.append(sql[done:])
    return "".join(pieces)


def _identifier(token: Token) -> str | None:
    """A source or column name as ksqlDB resolves it (unquoted names are upper-cased)."""
    if token.token_type == TokenType.IDENTIFIER:
        return token.text
    if "${" in token.text:  # a session variable: only the server knows its value
        return None
    if token.token_type == TokenType.VAR or token.text.replace("_", "").isalnum():
        return token.text.upper()
    return None


def _key(name: str) -> str:
    """A name as ``/inserts-stream`` reads it: backticked unless upper-casing would keep it."""
    return name if name == name.upper() else "`" + name.replace("`", "``") + "`"


class _FastInsert:
    """``INSERT INTO target [(columns)] VALUES (?, ...)``: what ``/inserts-stream`` can carry."""

    __slots__ = ("columns", "target", "width")

    def __init__(self, target: str, columns: list[str] | None, width: int) -> None:
        self.target = target
        self.columns = columns
        self.width = width


def _fast_insert(tokens: Sequence[Token]) -> _FastInsert | None:
    """The target, columns and width of a plain all-placeholder INSERT ... VALUES, else None."""
    items = list(tokens)
    if items and items[-1].token_type == TokenType.SEMICOLON:
        items.pop()
    words = [token.text.upper() for token in items[:2]]
    if len(items) < 6 or words != ["INSERT", "INTO"]:
        return None
    target = _identifier(items[2])
    if target is None:
        return None
    pos = 3
    columns: list[str] | None = None
    if items[pos].token_type == TokenType.L_PAREN:
        names, pos = _list(items, pos + 1, _identifier)
        if names is None:
            return None
        columns = names
    if pos >= len(items) or items[pos].token_type != TokenType.VALUES:
        return None
    if pos + 1 >= len(items) or items[pos + 1].token_type != TokenType.L_PAREN:
        return None
    marks, end = _list(
        items, pos + 2, lambda t: "?" if t.token_type == TokenType.PLACEHOLDER else None
    )
    if marks is None or end != len(items):
        return None
    return _FastInsert(target, columns, len(marks))


def _list(
    items: Sequence[Token], pos: int, item: Callable[[Token], str | None]
) -> tuple[list[str] | None, int]:
    """The items of ``a, b, c)`` starting at ``pos`` (after the ``(``) and the position after."""
    found: list[str] = []
    while pos + 1 < len(items):
        value = item(items[pos])
        if value is None:
            return None, pos
        found.append(value)
        follow = items[pos + 1].token_type
        pos += 2
        if follow == TokenType.R_PAREN:
            return found, pos
        if follow != TokenType.COMMA:
            return None, pos
    return None, pos
