"""ksqlDB's wording of syntax errors (its ``SyntaxErrorValidator``) from ksqlpy's parse errors."""

from __future__ import annotations

import re

from ksqlpy.sql import KsqlSyntaxError

# The statement keywords ksqlDB suggests from, in its order (the first closest one wins).
COMMANDS = (
    "SELECT", "CREATE", "INSERT", "DESCRIBE", "PRINT", "EXPLAIN", "SHOW", "LIST", "TERMINATE",
    "PAUSE", "RESUME", "DROP", "SET", "DEFINE", "UNDEFINE", "UNSET", "ASSERT", "ALTER",
)  # fmt: skip
_UNKNOWN = re.compile(r"unknown statement '([^' ]+)'", re.IGNORECASE)


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def closest_command(word: str) -> str:
    """The statement keyword ksqlDB offers for a mistyped one."""
    upper = word.upper()
    return min(COMMANDS, key=lambda command: _distance(command, upper))


def syntax_message(error: KsqlSyntaxError, text: str) -> str:
    """``line L:C: Syntax Error``, ksqlDB's detail where it has one, then ``Statement: ...``;
    ksqlpy's own description and caret follow when ksqlDB's detail would be empty.

    ``text`` is what the error's position counts in (the request); like ksqlDB's
    ``DefaultKsqlParser`` the statement shown is the line of it the error is on.
    """
    head = f"line {error.line}:{error.column}: Syntax Error"
    lines = text.split("\n")
    failed = lines[error.line - 1] if 0 < error.line <= len(lines) else text
    unknown = _UNKNOWN.search(error.description)
    if unknown is not None:
        word = unknown.group(1)
        detail = f"Unknown statement '{word}'\nDid you mean '{closest_command(word)}'?"
        return f"{head}\n{detail}\nStatement: {failed}"
    if error.ksqldb:
        return f"{head}\n{error.ksqldb}\nStatement: {failed}"
    ours = error.description + (f"\n{error.snippet}" if error.snippet else "")
    return f"{head}\n\nStatement: {failed}\n{ours}"
