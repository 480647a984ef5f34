"""Pure completion: the text around the cursor and a catalog snapshot in, suggestions out.

Nothing here does I/O or imports prompt-toolkit, so every context is tested with plain values.
The context comes from the tokens of the current statement (``ksqlpy.sql.tokenize``, which never
raises on half-typed text): the last significant tokens pick a handler from a dispatch table,
and the statement's FROM/JOIN clauses (read past the cursor too) give the columns in scope.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ksqlpy.sql import SqlToken, TokenKind, tokenize

from .vocabulary import (
    FORMATS,
    SHOW_TARGETS,
    SQL_TYPES,
    STATEMENT_STARTS,
    WITH_KEYS,
    CatalogSnapshot,
    SourceMeta,
    Suggestion,
    SuggestionKind,
    Suggestions,
)

_FORMAT_KEYS = {"VALUE_FORMAT", "KEY_FORMAT", "FORMAT"}
# Keywords that may follow a complete expression or name, by the clause it sits in.
_AFTER_TERM = {
    "SELECT": ("FROM", "AS"),
    "FROM": (
        "WHERE",
        "EMIT CHANGES",
        "EMIT FINAL",
        "JOIN",
        "LEFT JOIN",
        "RIGHT JOIN",
        "FULL OUTER JOIN",
        "INNER JOIN",
        "WINDOW",
        "GROUP BY",
        "PARTITION BY",
        "HAVING",
        "LIMIT",
        "AS",
        "ON",
        "WITHIN",
    ),
    "WHERE": (
        "AND",
        "OR",
        "NOT",
        "IS NULL",
        "IS NOT NULL",
        "IN",
        "LIKE",
        "BETWEEN",
        "GROUP BY",
        "PARTITION BY",
        "EMIT CHANGES",
        "LIMIT",
        "WINDOW",
    ),
    "BY": ("HAVING", "EMIT CHANGES", "EMIT FINAL", "LIMIT"),
    "HAVING": ("AND", "OR", "EMIT CHANGES", "LIMIT"),
    "WINDOW": ("TUMBLING", "HOPPING", "SESSION", "SIZE", "ADVANCE BY", "GRACE PERIOD", "RETENTION"),
    "EMIT": ("LIMIT",),
    "CREATE": ("WITH", "AS SELECT", "EMIT CHANGES"),
    "WITH": ("AS SELECT",),
}
# Clause keywords: the last one before the cursor decides the clause.
_CLAUSES = frozenset(
    {"SELECT", "FROM", "JOIN", "WHERE", "BY", "HAVING", "WINDOW", "EMIT", "LIMIT", "WITH", "ON"}
)
_CLAUSE_ALIASES = {"JOIN": "FROM", "ON": "WHERE"}
_EXPRESSION_KEYWORDS = ("CASE", "CAST", "NOT", "NULL", "TRUE", "FALSE", "INTERVAL")
_SOURCE_KINDS = {"STREAM": SuggestionKind.STREAM, "TABLE": SuggestionKind.TABLE}

_VARIABLE_REF = re.compile(r"\$\{(\w*)$")
_WORD_KINDS = frozenset({TokenKind.IDENTIFIER, TokenKind.KEYWORD, TokenKind.TYPE})
_INSIGNIFICANT = frozenset({TokenKind.WHITESPACE, TokenKind.COMMENT})


# --- context ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """The statement around the cursor, cut into what handlers need."""

    words: tuple[str, ...]
    """Upper-cased significant tokens of the statement before the word being typed."""
    partial: str
    """The part of the word being typed that is before the cursor."""
    in_string: bool
    """The cursor is inside an unterminated '...' literal."""
    qualifier: str | None
    """``alias`` of ``alias.par|``."""
    aliases: Mapping[str, str]
    """Upper-cased alias or source name -> upper-cased source name, for the whole statement."""
    catalog: CatalogSnapshot

    def last(self, n: int = 1) -> tuple[str, ...]:
        return self.words[-n:] if len(self.words) >= n else ()


def _significant(tokens: Iterable[SqlToken]) -> list[SqlToken]:
    return [t for t in tokens if t.kind not in _INSIGNIFICANT]


def _statement_tokens(text: str) -> list[SqlToken]:
    tokens = tokenize(text)
    for index in range(len(tokens) - 1, -1, -1):
        token = tokens[index]
        if token.kind is TokenKind.PUNCTUATION and token.text == ";":
            return tokens[index + 1 :]
    return tokens


def _rest_of_statement(after: str) -> str:
    """The text after the cursor up to the end of its statement (good enough: first ';')."""
    end = after.find(";")
    return after if end < 0 else after[:end]


def _aliases(tokens: Sequence[SqlToken], sources: Mapping[str, SourceMeta]) -> dict[str, str]:
    """Sources named after FROM/JOIN, under their own name and their alias."""
    words = _significant(tokens)
    found: dict[str, str] = {}
    for index, token in enumerate(words[:-1]):
        if token.text.upper().split()[-1] not in ("FROM", "JOIN"):
            continue
        name = _unquote(words[index + 1].text)
        if name not in sources:
            continue
        found[name] = name
        rest = words[index + 2 : index + 4]
        if rest and rest[0].text.upper() == "AS":
            rest = rest[1:]
        if rest and rest[0].kind in (TokenKind.IDENTIFIER, TokenKind.QUOTED_IDENTIFIER):
            found[_unquote(rest[0].text)] = name
    return found


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == "`":
        return text[1:-1].replace("``", "`")
    return text.upper()


def _context(before: str, after: str, catalog: CatalogSnapshot) -> _Context:
    tokens = _statement_tokens(before)
    partial = ""
    in_string = False
    if tokens:
        tail = tokens[-1]
        if tail.kind in _WORD_KINDS:
            partial, tokens = tail.text, tokens[:-1]
        elif tail.kind is TokenKind.ERROR and tail.text.startswith("'"):
            partial, tokens, in_string = tail.text[1:], tokens[:-1], True
        elif tail.kind is TokenKind.ERROR and tail.text.startswith("`"):
            partial, tokens = tail.text, tokens[:-1]
    significant = _significant(tokens)
    qualifier = None
    if len(significant) >= 2 and significant[-1].text == "." and not in_string:
        qualifier = _unquote(significant[-2].text)
    whole = [*tokens, *tokenize(_rest_of_statement(after))]
    return _Context(
        # sqlglot reads GROUP BY, LEFT JOIN... as one token: count their words one by one.
        words=tuple(word for t in significant for word in t.text.upper().split()),
        partial=partial,
        in_string=in_string,
        qualifier=qualifier,
        aliases=_aliases(whole, catalog.sources),
        catalog=catalog,
    )


# --- what to offer ------------------------------------------------------------------------------


def _keywords(words: Iterable[str]) -> list[Suggestion]:
    return [Suggestion(word, SuggestionKind.KEYWORD) for word in words]


def _sources(ctx: _Context, kind: str | None = None) -> list[Suggestion]:
    return [
        Suggestion(meta.name, _SOURCE_KINDS.get(meta.kind, SuggestionKind.STREAM), meta.topic)
        for meta in ctx.catalog.sources.values()
        if kind is None or meta.kind == kind
    ]


def _columns_of(ctx: _Context, names: Iterable[str]) -> list[Suggestion]:
    seen: dict[str, Suggestion] = {}
    for name in names:
        meta = ctx.catalog.sources.get(name)
        if meta is None:
            continue
        for column, sql_type in meta.columns:
            seen.setdefault(column, Suggestion(column, SuggestionKind.COLUMN, sql_type))
    return list(seen.values())


def _functions(ctx: _Context) -> list[Suggestion]:
    return [
        Suggestion(name, SuggestionKind.FUNCTION, meta)
        for name, meta in ctx.catalog.functions.items()
    ]


def _expression(ctx: _Context) -> list[Suggestion]:
    """Where a value starts: columns in scope, functions, a few keywords."""
    columns = _columns_of(ctx, dict.fromkeys(ctx.aliases.values()))
    return [*columns, *_functions(ctx), *_keywords(_EXPRESSION_KEYWORDS)]


def _select_list(ctx: _Context) -> list[Suggestion]:
    return [Suggestion("*", SuggestionKind.KEYWORD), *_expression(ctx)]


def _qualified(ctx: _Context) -> list[Suggestion]:
    source = ctx.aliases.get(ctx.qualifier or "")
    if source is None and ctx.qualifier in ctx.catalog.sources:
        source = ctx.qualifier
    return _columns_of(ctx, [source] if source else [])


def _fixed(*words: str) -> Callable[[_Context], list[Suggestion]]:
    return lambda _ctx: _keywords(words)


def _describe(ctx: _Context) -> list[Suggestion]:
    return [*_sources(ctx), *_keywords(("EXTENDED", "FUNCTION", "STREAMS", "TABLES", "CONNECTOR"))]


def _drop_kind(kind: str) -> Callable[[_Context], list[Suggestion]]:
    return lambda ctx: [*_sources(ctx, kind), *_keywords(("IF EXISTS",))]


def _drop_if_exists(ctx: _Context) -> list[Suggestion]:
    kind = ctx.words[1] if len(ctx.words) > 1 else None
    return _sources(ctx, kind if kind in _SOURCE_KINDS else None)


def _after_source_name(ctx: _Context) -> list[Suggestion]:
    """``DROP STREAM s |`` -> DELETE TOPIC."""
    return _keywords(("DELETE TOPIC",))


def _topics(ctx: _Context) -> list[Suggestion]:
    return [Suggestion(topic, SuggestionKind.TOPIC) for topic in ctx.catalog.topics]


def _print(ctx: _Context) -> list[Suggestion]:
    return _topics(ctx)


def _print_options(_ctx: _Context) -> list[Suggestion]:
    return _keywords(("FROM BEGINNING", "INTERVAL", "LIMIT"))


def _queries(ctx: _Context, extra: tuple[str, ...] = ()) -> list[Suggestion]:
    return [
        *(Suggestion(q, SuggestionKind.QUERY) for q in ctx.catalog.queries),
        *_keywords(extra),
    ]


def _properties(ctx: _Context) -> list[Suggestion]:
    # Outside a string the name is offered quoted, as SET wants it.
    quote = "" if ctx.in_string else "'"
    return [
        Suggestion(f"{quote}{name}{quote}", SuggestionKind.PROPERTY)
        for name in ctx.catalog.properties
    ]


def _set(ctx: _Context) -> list[Suggestion]:
    return [*_properties(ctx), *_keywords(("CLI",))] if not ctx.in_string else _properties(ctx)


def _functions_only(ctx: _Context) -> list[Suggestion]:
    return _functions(ctx)


def _with_keys(_ctx: _Context) -> list[Suggestion]:
    return _keywords(WITH_KEYS)


def _with_value(ctx: _Context) -> list[Suggestion]:
    key = ctx.words[-2] if len(ctx.words) >= 2 else ""
    if key == "KAFKA_TOPIC":
        quote = "" if ctx.in_string else "'"
        return [Suggestion(f"{quote}{t}{quote}", SuggestionKind.TOPIC) for t in ctx.catalog.topics]
    if key in _FORMAT_KEYS:
        quote = "" if ctx.in_string else "'"
        return [Suggestion(f"{quote}{f}{quote}", SuggestionKind.VALUE) for f in FORMATS]
    return []


def _types(ctx: _Context) -> list[Suggestion]:
    return [
        *(Suggestion(t, SuggestionKind.TYPE) for t in SQL_TYPES),
        *(Suggestion(t, SuggestionKind.TYPE, "custom type") for t in ctx.catalog.types),
    ]


def _after_as(ctx: _Context) -> list[Suggestion]:
    """``CAST(x AS |`` wants a type, ``CREATE STREAM s AS |`` wants SELECT, an alias nothing."""
    if "CAST" in ctx.words:
        return _types(ctx)
    if ctx.words[0] == "CREATE" and "SELECT" not in ctx.words:
        return _keywords(("SELECT",))
    return []


def _statement_start(ctx: _Context) -> list[Suggestion]:
    return [
        *_keywords(STATEMENT_STARTS),
        *(Suggestion(c, SuggestionKind.COMMAND) for c in ctx.catalog.commands),
    ]


# The last one, two or three significant words before the cursor -> what may come next.
_BY_LAST: dict[tuple[str, ...], Callable[[_Context], list[Suggestion]]] = {
    ("FROM",): _sources,
    ("JOIN",): _sources,
    ("INSERT", "INTO"): _sources,
    ("INSERT",): _fixed("INTO"),
    ("DESCRIBE",): _describe,
    ("DESCRIBE", "EXTENDED"): _sources,
    ("DESCRIBE", "FUNCTION"): _functions_only,
    ("DESCRIBE", "CONNECTOR"): lambda ctx: [
        Suggestion(c, SuggestionKind.CONNECTOR) for c in ctx.catalog.connectors
    ],
    ("DROP",): _fixed("STREAM", "TABLE", "TYPE", "CONNECTOR"),
    ("DROP", "STREAM"): _drop_kind("STREAM"),
    ("DROP", "TABLE"): _drop_kind("TABLE"),
    ("DROP", "CONNECTOR"): lambda ctx: [
        Suggestion(c, SuggestionKind.CONNECTOR) for c in ctx.catalog.connectors
    ],
    ("DROP", "TYPE"): lambda ctx: [Suggestion(t, SuggestionKind.TYPE) for t in ctx.catalog.types],
    ("IF", "EXISTS"): _drop_if_exists,
    ("DELETE",): _fixed("TOPIC"),
    ("CREATE",): _fixed(
        "STREAM", "TABLE", "OR REPLACE", "SOURCE", "SINK CONNECTOR", "SOURCE CONNECTOR", "TYPE"
    ),
    ("CREATE", "OR"): _fixed("REPLACE"),
    ("OR", "REPLACE"): _fixed("STREAM", "TABLE"),
    ("CREATE", "SOURCE"): _fixed("STREAM", "TABLE", "CONNECTOR"),
    ("CREATE", "SINK"): _fixed("CONNECTOR"),
    ("SHOW",): _fixed(*SHOW_TARGETS),
    ("LIST",): _fixed(*SHOW_TARGETS),
    ("PRINT",): _print,
    ("TERMINATE",): lambda ctx: _queries(ctx, ("ALL",)),
    ("PAUSE",): lambda ctx: _queries(ctx, ("ALL",)),
    ("RESUME",): lambda ctx: _queries(ctx, ("ALL",)),
    ("EXPLAIN",): _queries,
    ("SET",): _set,
    ("UNSET",): _properties,
    ("EMIT",): _fixed("CHANGES", "FINAL"),
    ("WINDOW",): _fixed("TUMBLING", "HOPPING", "SESSION"),
    ("GROUP",): _fixed("BY"),
    ("PARTITION",): _fixed("BY"),
    ("ADVANCE",): _fixed("BY"),
    ("GRACE",): _fixed("PERIOD"),
    ("LEFT",): _fixed("JOIN", "OUTER JOIN"),
    ("FULL",): _fixed("OUTER JOIN", "JOIN"),
    ("RUN",): _fixed("SCRIPT"),
    ("IS",): _fixed("NULL", "NOT NULL", "DISTINCT FROM"),
    ("SELECT",): _select_list,
    ("CAST",): lambda ctx: [],
    ("AS",): _after_as,
}
_VALUE_STARTS = frozenset(
    {",", "(", "=", "<", ">", "<=", ">=", "<>", "!=", "+", "-", "*", "/", "%", "||", "->"}
)
_VALUE_STARTS |= {"WHERE", "AND", "OR", "NOT", "BY", "ON", "HAVING", "WHEN", "THEN", "ELSE"}
_VALUE_STARTS |= {"IN", "LIKE", "BETWEEN", "CASE"}


def _by_clause(ctx: _Context) -> list[Suggestion]:
    """No rule for the last words: decide from the clause the cursor is in."""
    words = ctx.words
    clause = next((w for w in reversed(words) if w in _CLAUSES), None)
    clause = _CLAUSE_ALIASES.get(clause or "", clause)
    last = words[-1]
    if clause == "WITH" and last in ("(", ","):
        return _with_keys(ctx)
    if clause == "WITH" and last == "=":
        return _with_value(ctx)
    if clause == "WITH":
        return _keywords(("AS SELECT",))
    if last in _VALUE_STARTS and clause not in (None, "EMIT", "LIMIT", "WINDOW"):
        if clause == "SELECT" and last == ",":
            return _select_list(ctx)
        return _expression(ctx)
    if clause is None:
        return _top_level(ctx)
    return _keywords(_AFTER_TERM.get(clause, ()))


def _top_level(ctx: _Context) -> list[Suggestion]:
    """Outside any clause: CREATE's column list and WITH, DROP's DELETE TOPIC, PRINT options."""
    words = ctx.words
    first = words[0]
    if first == "DROP" and len(words) >= 3:
        return _after_source_name(ctx)
    if first == "PRINT":
        return _print_options(ctx)
    if first == "CREATE" and words[-1] in ("(", ","):
        return []
    if first == "CREATE" and len(words) >= 2 and words[-2] in ("(", ","):
        return _types(ctx)
    if first == "CREATE":
        return _keywords(("WITH", "AS SELECT", "KEY", "PRIMARY KEY", "HEADERS"))
    return []


def _in_string(ctx: _Context) -> list[Suggestion]:
    words = ctx.words
    if len(words) >= 2 and words[-1] == "=":
        return _with_value(ctx)
    if words[-1:] in (("SET",), ("UNSET",)):
        return _properties(ctx)
    if words[-1:] == ("PRINT",):
        return _topics(ctx)
    return []


def _variables(partial: str, catalog: CatalogSnapshot) -> Suggestions:
    items = [
        Suggestion(name + "}", SuggestionKind.VARIABLE)
        for name in catalog.variables
        if name.upper().startswith(partial.upper())
    ]
    return Suggestions(len(partial), tuple(sorted(items, key=lambda s: s.text.upper())))


# --- matching -----------------------------------------------------------------------------------


# Menu order within prefix and substring matches: the columns of the sources in scope first (what
# a WHERE or SELECT most often wants), then other names, keywords last.
_RANK = {SuggestionKind.COLUMN: 0, SuggestionKind.KEYWORD: 2}


def _order(item: Suggestion) -> tuple[int, str]:
    return _RANK.get(item.kind, 1), item.text


def _match(partial: str, items: Iterable[Suggestion]) -> tuple[Suggestion, ...]:
    """Prefix matches first, then names that contain the text, each ranked by kind (columns,
    names, keywords) and then by name; no duplicates."""
    needle = partial.upper().lstrip("`'")
    prefix: dict[str, Suggestion] = {}
    inside: dict[str, Suggestion] = {}
    for item in items:
        key = item.text.upper().lstrip("`'")
        if key.startswith(needle):
            prefix.setdefault(item.text, item)
        elif needle and needle in key:
            inside.setdefault(item.text, item)
    return (*sorted(prefix.values(), key=_order), *sorted(inside.values(), key=_order))


def suggest(before: str, catalog: CatalogSnapshot, after: str = "") -> Suggestions:
    """Suggestions for the cursor between ``before`` and ``after`` (the whole buffer).

    >>> snap = CatalogSnapshot(sources={"ORDERS": SourceMeta("ORDERS", "STREAM")})
    >>> suggest("SELECT * FROM or", snap).texts
    {'ORDERS'}
    """
    variable = _VARIABLE_REF.search(before)
    if variable is not None:
        return _variables(variable.group(1), catalog)
    ctx = _context(before, after, catalog)
    if not ctx.words:
        items = [] if ctx.in_string else _statement_start(ctx)
    elif ctx.in_string:
        items = _in_string(ctx)
    elif ctx.qualifier is not None:
        items = _qualified(ctx)
    else:
        handler = next(
            (h for n in (3, 2, 1) if (h := _BY_LAST.get(ctx.last(n))) is not None), _by_clause
        )
        items = handler(ctx)
    return Suggestions(len(ctx.partial), _match(ctx.partial, items))
