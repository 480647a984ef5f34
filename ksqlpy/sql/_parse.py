"""Parsing and formatting: sqlglot's errors become KsqlSyntaxError with a caret snippet."""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError
from sqlglot.tokenizer_core import Token, TokenType
from sqlglot.tokens import SQLGLOTC_INSTALLED

from ksqlpy._errors import KsqlError, KsqlSyntaxError

from ._lex import DIALECT, caret_snippet, line_col, tokenize
from ._locate import shift
from .dialect import END_OF_INPUT, NO_VIABLE

SQLGLOTC_MESSAGE = (
    "sqlglotc (sqlglot's compiled build) is installed, and it refuses Python subclasses of its "
    "parser, so ksqlpy cannot parse ksqlDB SQL; run 'pip uninstall sqlglotc' (splitting and "
    "highlighting still work)"
)

# sqlglot's generic messages, said the way a ksqlDB user reads them.
_DESCRIPTIONS = {
    "Invalid expression / Unexpected token": "unexpected input",
}

# sqlglot's own errors raised where ksqlDB's grammar has several alternatives, none fitting.
_NO_VIABLE = frozenset({"Expected TYPE after CAST"})


def _syntax_error(text: str, error: ParseError) -> KsqlSyntaxError:
    info: dict[str, Any] = error.errors[0] if error.errors else {}
    description = str(info.get("description") or error)
    ksqldb = str(info.get("ksqldb") or (NO_VIABLE if description in _NO_VIABLE else ""))
    description = _DESCRIPTIONS.get(description, description)
    if description.startswith("Required keyword"):
        # sqlglot's node validation ("Required keyword: 'this' missing for <class ...>").
        description = "expecting an expression"
    line = int(info.get("line") or 1)
    end_col = int(info.get("col") or 1)
    highlight = str(info.get("highlight") or "")
    # sqlglot reports the column of the token's last character; point at its first one.
    offset = _offset(text, line, end_col) - max(len(highlight) - 1, 0)
    if description.endswith(END_OF_INPUT):
        description = description[: -len(END_OF_INPUT)]
        offset += len(highlight)
        near, highlight = "syntax error at end of input", ""
    elif highlight and "\n" not in highlight:
        near = f"syntax error at or near '{highlight}'"
    else:
        near = "syntax error"
    offset = max(0, min(offset, len(text)))
    message = f"{near}: {description[:1].lower()}{description[1:]}"
    line, column = line_col(text, offset)
    snippet = caret_snippet(text, offset, len(highlight))
    if ksqldb == NO_VIABLE:
        ksqldb = _no_viable(highlight, line, column)
    return KsqlSyntaxError(message, line, column, snippet, near=highlight, ksqldb=ksqldb)


def _no_viable(near: str, line: int, column: int) -> str:
    """ksqlDB's SyntaxErrorValidator's words for ANTLR's NoViableAltException."""
    return f"Syntax error at or near '{near}' at line {line}:{column}"


def _offset(text: str, line: int, column: int) -> int:
    """Offset of a 1-based line/column pair, with the tokenizer's line breaks (\\n, \\r\\n, \\r)."""
    pos = 0
    for _ in range(line - 1):
        breaks = [i for i in (text.find("\n", pos), text.find("\r", pos)) if i >= 0]
        if not breaks:
            return len(text)
        i = min(breaks)
        pos = i + 2 if text.startswith("\r\n", i) else i + 1
    return pos + column - 1


_OPENERS = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE})
_CLOSERS = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE})


def _too_deep(text: str, tokens: list[Token]) -> KsqlSyntaxError:
    """The error for input that nests deeper than sqlglot's recursive parser can follow
    (Python's recursion limit): how deep it goes, with the caret at the deepest bracket."""
    depth = deepest = offset = 0
    for token in tokens:
        if token.token_type in _OPENERS:
            depth += 1
            if depth > deepest:
                deepest, offset = depth, token.start
        elif token.token_type in _CLOSERS:
            depth = max(depth - 1, 0)
    message = (
        f"expression nested too deeply: {deepest} levels of brackets; "
        "split it up (for example into a derived stream) or nest less"
        if deepest
        else "statement nested too deeply to parse; split it up"
    )
    line, column = line_col(text, offset)
    return KsqlSyntaxError(message, line, column, caret_snippet(text, offset, 1))


def relocate(error: KsqlSyntaxError, line: int, column: int) -> KsqlSyntaxError:
    """``error`` for text that starts at ``line``/``column`` of a larger script."""
    shift = column - 1 if error.line == 1 else 0
    moved = (error.line + line - 1, error.column + shift)
    ksqldb = error.ksqldb
    if ksqldb == _no_viable(error.near, error.line, error.column):
        ksqldb = _no_viable(error.near, *moved)  # it names the position
    return KsqlSyntaxError(error.description, *moved, error.snippet, near=error.near, ksqldb=ksqldb)


def parse(text: str, *, line: int = 1, column: int = 1) -> list[exp.Expr]:
    """Parse every statement of ``text`` into sqlglot trees, in order.

    Raises KsqlSyntaxError (with line, column and a caret snippet) for invalid SQL. For text cut
    from a larger script, ``line``/``column`` say where it starts: error and node positions
    (see ``location``) then count from the script's start.

    >>> [type(t).__name__ for t in parse("SHOW STREAMS; SELECT * FROM s EMIT CHANGES;")]
    ['KsqlShow', 'KsqlSelect']
    """
    if SQLGLOTC_INSTALLED:
        raise KsqlError(SQLGLOTC_MESSAGE)
    try:
        tokens = tokenize(text)
    except KsqlSyntaxError as error:
        raise relocate(error, line, column) from None
    try:
        trees = DIALECT.parser(error_level=ErrorLevel.IMMEDIATE).parse(tokens, text)
    except ParseError as error:
        raise relocate(_syntax_error(text, error), line, column) from None
    except RecursionError:
        # sqlglot descends about twenty frames per bracket level; the limit depends on how deep
        # the caller already is, so the depth is reported rather than promised.
        raise relocate(_too_deep(text, tokens), line, column) from None
    return [shift(tree, line, column) for tree in trees if tree is not None]


def parse_one(text: str, *, line: int = 1, column: int = 1) -> exp.Expr:
    """Parse ``text`` holding exactly one statement; otherwise raise KsqlSyntaxError.

    ``line``/``column`` locate ``text`` in a larger script, as for ``parse``.
    """
    trees = parse(text, line=line, column=column)
    if len(trees) != 1:
        raise KsqlSyntaxError(f"expected one statement, found {len(trees)}", 1, 1)
    return trees[0]


def format(text: str, *, pretty: bool = True) -> str:
    """Canonical, readable text of every statement in ``text``, each ending with ``;``.

    Keywords are upper-cased and clauses start on new lines; identifiers and literals keep
    their spelling. Never use it for checksums: those are over the file bytes.

    >>> print(format("select a, b from s where a > 1 emit changes"))
    SELECT a, b
    FROM s
    WHERE a > 1
    EMIT CHANGES;
    """
    statements = [DIALECT.generate(tree, pretty=pretty) + ";" for tree in parse(text)]
    return ("\n\n" if pretty else "\n").join(statements)
