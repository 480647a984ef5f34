"""``${name}`` variable substitution with ksqlDB's rules."""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlglot.tokenizer_core import TokenType

from ksqlpy._errors import KsqlSyntaxError

from ._lex import caret_snippet, line_col, tokenize

# ``$${name}`` is the escape for a literal ``${name}`` (ksqlDB uses commons-text's substitutor).
_REFERENCE = re.compile(r"\$(\$?)\{([^{}]*)\}")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# What may stand where a variable is used as an identifier or literal outside quotes.
_IDENTIFIER_VALUE = re.compile(r"[A-Za-z_][A-Za-z0-9_@]*\Z|`(?:[^`]|``)+`\Z|\"(?:[^\"]|\"\")+\"\Z")
_LITERAL_VALUE = re.compile(
    r"'(?:[^']|'')*'\Z|(?i:true|false)\Z|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z"
)


def substitute(text: str, variables: Mapping[str, str], *, enabled: bool = True) -> str:
    """Replace ``${name}`` references in ``text`` with the values of ``variables``.

    ksqlDB's rules: names are case-insensitive; inside a string literal the value is inserted
    with its quotes doubled, so it cannot end the literal; elsewhere the value must be an
    identifier, a quoted identifier or a literal (``'text'``, a number, TRUE/FALSE), which keeps
    the statement's structure intact; ``$${name}`` stands for a literal ``${name}``; comments and
    quoted identifiers are left alone. An undefined name raises KsqlSyntaxError.
    ``enabled=False`` returns ``text`` unchanged, like ``ksql.variable.substitution.enable``.

    >>> substitute("SELECT * FROM ${src} WHERE k = '${key}';", {"SRC": "orders", "key": "a'b"})
    "SELECT * FROM orders WHERE k = 'a''b';"
    """
    if not enabled or "${" not in text:
        return text
    values = {name.lower(): value for name, value in variables.items()}
    pieces: list[str] = []
    done = 0
    for token in tokenize(text):
        if "${" not in token.text:
            continue
        if token.token_type == TokenType.STRING:
            in_string = True
        elif token.token_type == TokenType.VAR:
            in_string = False
        else:  # quoted identifiers keep their text: ksqlDB does not substitute there
            continue
        start, end = token.start, token.end + 1
        raw = text[start:end]
        pieces.append(text[done:start])
        pieces.append(
            _REFERENCE.sub(lambda m: _replace(m, values, text, start, in_string), raw)  # noqa: B023
        )
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _replace(
    match: re.Match[str], values: Mapping[str, str], text: str, base: int, in_string: bool
) -> str:
    escaped, name = match.group(1), match.group(2)
    if escaped:
        return match.group(0)[1:]
    offset = base + match.start()
    if not _VARIABLE_NAME.match(name):
        raise _error(f"invalid variable name '{name}'", text, offset, len(match.group(0)))
    value = values.get(name.lower())
    if value is None:
        raise _error(
            f"undefined variable '{name}': define it with DEFINE {name} = '...'; "
            "or pass it in the variables",
            text,
            offset,
            len(match.group(0)),
        )
    if in_string:
        return value.replace("'", "''")
    if _IDENTIFIER_VALUE.match(value) or _LITERAL_VALUE.match(value):
        return value
    raise _error(
        f"variable '{name}' holds {value!r}, which is neither an identifier nor a literal; "
        "quote text values ('...')",
        text,
        offset,
        len(match.group(0)),
    )


def _error(message: str, text: str, offset: int, width: int) -> KsqlSyntaxError:
    line, column = line_col(text, offset)
    return KsqlSyntaxError(message, line, column, caret_snippet(text, offset, width))
