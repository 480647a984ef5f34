"""Low-level lexing shared by the script utilities: one tokenizer, error positions, comments."""

from __future__ import annotations

from sqlglot.errors import TokenError
from sqlglot.tokenizer_core import Token

from ksqlpy._errors import KsqlSyntaxError

from .dialect import KSQL

DIALECT = KSQL()

_QUOTE_NAMES = {"'": "string literal", "`": "quoted identifier", '"': "quoted identifier"}


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``; \\n, \\r\\n and \\r end lines."""
    head = text[:offset].replace("\r\n", "\n").replace("\r", "\n")
    line = head.count("\n") + 1
    return line, offset - line_start(text, offset) + 1


def line_start(text: str, offset: int) -> int:
    """Offset of the first character of the line holding ``offset``."""
    return max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1


def caret_snippet(text: str, offset: int, width: int = 1) -> str:
    """The source line holding ``offset`` with a caret line under it."""
    start = line_start(text, offset)
    ends = [i for i in (text.find("\n", offset), text.find("\r", offset)) if i >= 0]
    end = min(ends) if ends else len(text)
    source_line = text[start:end]
    pad = "".join("\t" if ch == "\t" else " " for ch in source_line[: offset - start])
    return f"{source_line}\n{pad}{'^' * max(width, 1)}"


def find_unterminated(text: str) -> tuple[int, str] | None:
    """Offset and name of the first quote or block comment that is never closed, if any."""
    i, size = 0, len(text)
    while i < size:
        ch = text[i]
        if ch in _QUOTE_NAMES:
            j = i + 1
            while True:
                k = text.find(ch, j)
                if k < 0:
                    return i, _QUOTE_NAMES[ch]
                if k + 1 < size and text[k + 1] == ch:  # a doubled quote is an escaped quote
                    j = k + 2
                    continue
                i = k + 1
                break
        elif text.startswith("--", i):
            k = min((p for p in (text.find("\n", i), text.find("\r", i)) if p >= 0), default=-1)
            if k < 0:
                return None
            i = k + 1
        elif text.startswith("/*", i):
            k = text.find("*/", i + 2)
            if k < 0:
                return i, "comment"
            i = k + 2
        else:
            i += 1
    return None


def lex_error(text: str) -> KsqlSyntaxError:
    """The KsqlSyntaxError for text the tokenizer refused (an unterminated quote or comment)."""
    found = find_unterminated(text)
    offset, what = found if found else (len(text), "input")
    line, column = line_col(text, offset)
    return KsqlSyntaxError(
        f"unterminated {what}: add the closing {_closer(text, offset)}",
        line,
        column,
        caret_snippet(text, offset),
    )


def _closer(text: str, offset: int) -> str:
    if text.startswith("/*", offset):
        return "'*/'"
    return repr(text[offset]) if offset < len(text) else "token"


def tokenize(text: str) -> list[Token]:
    """sqlglot tokens of ``text`` with the KSQL tokenizer; refused input -> KsqlSyntaxError."""
    try:
        return DIALECT.tokenize(text)
    except TokenError:
        raise lex_error(text) from None
