"""Statements written back as ksqlDB's SqlFormatter writes them (used in its messages)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .metastore import Column
from .types import ArrayType, MapType, SqlType, StructType

# ksqlDB's reserved words (keywords of SqlBase.g4 outside its nonReserved rule): an identifier
# spelled as one needs back-quotes.
_RESERVED = frozenset(
    {
        "ADVANCE",
        "ALL",
        "AND",
        "AS",
        "AT",
        "BEGINNING",
        "BETWEEN",
        "BY",
        "CASE",
        "CAST",
        "CATALOG",
        "CONNECTOR",
        "CONNECTORS",
        "CREATE",
        "DAYS",
        "DECIMAL",
        "DELETE",
        "DESCRIBE",
        "DISTINCT",
        "DROP",
        "ELSE",
        "END",
        "EXISTS",
        "EXPORT",
        "EXTENDED",
        "FALSE",
        "FROM",
        "FULL",
        "GROUP",
        "HAVING",
        "HOPPING",
        "HOURS",
        "IN",
        "INNER",
        "INSERT",
        "INTO",
        "IS",
        "JOIN",
        "LEFT",
        "LIKE",
        "LIMIT",
        "LIST",
        "LOAD",
        "MATERIALIZED",
        "MILLISECOND",
        "MILLISECONDS",
        "MINUTES",
        "MONTHS",
        "NAMESPACE",
        "NOT",
        "NULL",
        "ON",
        "OR",
        "OUTER",
        "PAUSE",
        "PRINT",
        "PROPERTIES",
        "QUERIES",
        "QUERY",
        "RENAME",
        "RESUME",
        "RETENTION",
        "RIGHT",
        "RUN",
        "SAMPLE",
        "SCRIPT",
        "SECONDS",
        "SELECT",
        "SIZE",
        "STREAM",
        "STREAMS",
        "TABLE",
        "TERMINATE",
        "THEN",
        "TO",
        "TOPIC",
        "TOPICS",
        "TRUE",
        "TUMBLING",
        "UNSET",
        "VALUES",
        "VIEW",
        "WHEN",
        "WHERE",
        "WINDOW",
        "WITH",
        "WITHIN",
        "YEARS",
    }
)
# The grammar's IDENTIFIER and DIGIT_IDENTIFIER; a name the lexer would read as a number is not
# one (INTEGER_VALUE and FLOATING_POINT_VALUE come first in SqlBase.g4).
_PLAIN = re.compile(r"[A-Z_][A-Z0-9_@]*|[0-9][A-Z0-9_@]+")
_NUMBER = re.compile(r"[0-9]+(E[0-9]+)?")


def name(text: str) -> str:
    """An identifier, back-quoted only when it would not read back the same without quotes
    (ksqlDB's IdentifierUtil.needsQuotes)."""
    if _PLAIN.fullmatch(text) and not _NUMBER.fullmatch(text) and text not in _RESERVED:
        return text
    return "`" + text.replace("`", "``") + "`"


def sql_type(kind: SqlType) -> str:
    """A type as ksqlDB's ExpressionFormatter writes it (struct fields quoted only if needed)."""
    if isinstance(kind, StructType):
        if not kind.fields:
            return "STRUCT< >"
        return "STRUCT<" + ", ".join(f"{name(f)} {sql_type(t)}" for f, t in kind.fields) + ">"
    if isinstance(kind, ArrayType):
        return f"ARRAY<{sql_type(kind.element)}>"
    if isinstance(kind, MapType):
        return f"MAP<{sql_type(kind.key)}, {sql_type(kind.value)}>"
    return str(kind)


def literal(value: Any) -> str:
    """A WITH property's value as a ksqlDB literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def properties(props: Mapping[str, Any]) -> str:
    """``NAME=literal, ...`` in ksqlDB's order (by name)."""
    return ", ".join(f"{key}={literal(props[key])}" for key in sorted(props))


def with_default_formats(
    props: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """ksqlDB's DefaultFormatInjector on a CREATE STREAM/TABLE: without FORMAT, a missing
    KEY_FORMAT or VALUE_FORMAT makes it write both, upper-cased, the missing one from
    ``defaults`` (the server's default-format configs; the key's default being KAFKA).
    (Without any value format the statement is refused, so there is nothing to write.)"""
    out = dict(props)
    if "FORMAT" in out or ("KEY_FORMAT" in out and "VALUE_FORMAT" in out):
        return out
    chosen = {"KEY_FORMAT": "KAFKA", **(defaults or {}), **out}
    if chosen.get("VALUE_FORMAT") is None:
        return out
    out["KEY_FORMAT"] = str(chosen["KEY_FORMAT"]).upper()
    out["VALUE_FORMAT"] = str(chosen["VALUE_FORMAT"]).upper()
    return out


def _column(column: Column, kind: str) -> str:
    suffix = {
        "KEY": " PRIMARY KEY" if kind == "TABLE" else " KEY",
        "HEADERS": " HEADERS",
        "HEADER": f" HEADER('{column.header_key}')",
    }.get(column.role, "")
    return f"{name(column.name)} {sql_type(column.type)}{suffix}"


def create_source(
    kind: str,
    source_name: str,
    columns: Iterable[Column],
    props: Mapping[str, Any],
    *,
    replace: bool = False,
    is_source: bool = False,
    not_exists: bool = False,
) -> str:
    """``CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] NAME (...) WITH (...);``."""
    head = "CREATE " + ("OR REPLACE " if replace else "") + ("SOURCE " if is_source else "")
    head += kind + " " + ("IF NOT EXISTS " if not_exists else "") + name(source_name)
    elements = ", ".join(_column(c, kind) for c in columns)
    if elements:
        head += f" ({elements})"
    if props:
        head += f" WITH ({properties(props)})"
    return head + ";"
