"""What each statement of a migration file does, decided before anything is sent.

``prepare`` turns one split statement into an action, after ``${var}`` substitution:
variables and properties stay on the client (per file, as ksql-migrations scopes them),
``INSERT ... VALUES`` becomes one row for ``/inserts-stream`` (ksql-migrations sends them that
way), everything else goes to ``/ksql`` as text. Pure: the runner performs the actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlglot import exp

from ksqlpy._errors import KsqlSyntaxError, MigrationFileError
from ksqlpy._types import SqlType
from ksqlpy.sql import SessionChange, StatementKind, classify, parse_one, session_change, substitute

from .files import RawStatement, refused_kind


@dataclass(frozen=True, slots=True)
class Action:
    """One prepared statement: its substituted text and where it came from."""

    sql: str
    line: int
    raw: str


@dataclass(frozen=True, slots=True)
class Define(Action):
    """``DEFINE name = 'value'``: a client-side variable for the rest of the file."""

    name: str = ""
    value: str = ""


@dataclass(frozen=True, slots=True)
class Undefine(Action):
    """``UNDEFINE name``."""

    name: str = ""


@dataclass(frozen=True, slots=True)
class SetProperty(Action):
    """``SET 'name' = 'value'``: sent with the file's later statements."""

    name: str = ""
    value: str = ""


@dataclass(frozen=True, slots=True)
class UnsetProperty(Action):
    """``UNSET 'name'``."""

    name: str = ""


@dataclass(frozen=True, slots=True)
class InsertValues(Action):
    """``INSERT INTO target [(columns)] VALUES (...)``: one row for ``/inserts-stream``.

    ``target`` and ``columns`` are identifiers as ksqlDB reads them (unquoted ones upper-cased);
    ``columns`` is empty when the statement names none (the source's order is used then).
    """

    target: str = ""
    columns: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Send(Action):
    """Any other statement: sent to ``/ksql`` as it is (after substitution)."""

    kind: StatementKind | None = None
    tree: exp.Expr | None = field(default=None, compare=False)


def prepare(
    raw: RawStatement, variables: Mapping[str, str], source: str, *, parse_check: bool = True
) -> Action:
    """The action of one statement; MigrationFileError names ``source`` and the line.

    A statement ksqlpy's parser cannot read is an error, so a typo stops the run before anything
    is sent. ksqlpy's dialect reads about 99 % of ksqlDB's own test statements; for the rest,
    ``parse_check=False`` sends what it cannot read as it is (the server is the judge), except
    statements the runner must understand itself (DEFINE, SET, INSERT VALUES, ...).
    """
    where = f"{source}, line {raw.line}"
    refused = refused_kind(raw.sql)
    if refused is not None:
        raise MigrationFileError(
            f"{where}: '{refused}' statements are not allowed in a migration (ksql-migrations "
            "refuses them too); remove it"
        )
    try:
        sql = substitute(raw.sql, variables)
    except KsqlSyntaxError as error:
        raise _syntax(source, raw, error) from error
    common: dict[str, Any] = {"sql": sql, "line": raw.line, "raw": raw.text}
    try:
        tree = parse_one(sql)
    except KsqlSyntaxError as error:
        if parse_check or _needs_tree(sql):
            raise _syntax(source, raw, error, hint=not _needs_tree(sql)) from error
        return Send(**common)
    except RecursionError as error:
        raise MigrationFileError(f"{where}: the statement is nested too deeply") from error
    change = session_change(tree)
    if change is not None:
        return _session_action(change, common)
    kind = classify(tree)
    if kind is StatementKind.INSERT_VALUES:
        return _insert(tree, common, where)
    if kind in (
        StatementKind.PUSH_QUERY,
        StatementKind.PULL_QUERY,
        StatementKind.METADATA,
        StatementKind.PRINT,
        StatementKind.RUN_SCRIPT,
    ):
        raise MigrationFileError(f"{where}: {kind.name} statements are not allowed in a migration")
    return Send(**common, kind=kind, tree=tree)


def _syntax(
    source: str, raw: RawStatement, error: KsqlSyntaxError, *, hint: bool = False
) -> MigrationFileError:
    # The parser counts from the statement; the user wants the file's line.
    line = raw.line + error.line - 1
    snippet = f"\n{error.snippet}" if error.snippet else ""
    escape = (
        "\nIf ksqlDB accepts this statement, apply with --no-parse-check to send it unread."
        if hint
        else ""
    )
    return MigrationFileError(f"{source}, line {line}: {error.description}{snippet}{escape}")


_LOCAL_WORDS = ("DEFINE", "UNDEFINE", "SET", "UNSET")


def _first_word(sql: str) -> str:
    words = sql.split(None, 1)
    return words[0].upper() if words else ""


def _needs_tree(sql: str) -> bool:
    first = _first_word(sql)
    if first == "INSERT":
        upper = f" {sql.upper()} "
        return "VALUES" in upper and " SELECT " not in upper
    return first in _LOCAL_WORDS


def _session_action(change: SessionChange, common: dict[str, Any]) -> Action:
    # Variables and properties stay on the client, scoped to the file, as in ksql-migrations.
    name, value = change.name, change.value
    if change.variable:
        return (
            Undefine(**common, name=name)
            if value is None
            else Define(**common, name=name, value=value)
        )
    if value is None:
        return UnsetProperty(**common, name=name)
    return SetProperty(**common, name=name, value=value)


def identifier(node: exp.Expr) -> str:
    """An identifier as ksqlDB reads it: unquoted names are upper-cased."""
    ident = node if isinstance(node, exp.Identifier) else node.find(exp.Identifier)
    if ident is None:
        return node.name.upper()
    return str(ident.this) if ident.quoted else str(ident.this).upper()


def _insert(tree: exp.Expr, common: dict[str, Any], where: str) -> InsertValues:
    target = tree.this
    columns: tuple[str, ...] = ()
    if isinstance(target, exp.Schema):
        columns = tuple(identifier(c) for c in target.expressions)
        target = target.this
    rows = tree.expression.expressions
    if len(rows) != 1:
        raise MigrationFileError(f"{where}: INSERT ... VALUES takes exactly one row")
    values = tuple(literal_value(v, where) for v in rows[0].expressions)
    if columns and len(columns) != len(values):
        raise MigrationFileError(
            f"{where}: Invalid `INSERT VALUES` statement. Number of columns and values must "
            f"match. Got: Columns: {len(columns)}. Values: {len(values)}."
        )
    return InsertValues(**common, target=identifier(target), columns=columns, values=values)


def literal_value(node: exp.Expr, where: str) -> Any:
    """The Python value of a literal, as ksql-migrations converts INSERT VALUES literals.

    Strings, integers (int/bigint), decimals (``1.5`` is DECIMAL in ksqlDB), doubles (with an
    exponent), booleans, NULL, ARRAY[...], MAP(k := v, ...), STRUCT(f := v, ...).
    """
    if isinstance(node, exp.Neg):
        value = literal_value(node.this, where)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return -value
    elif isinstance(node, exp.Literal):
        text = str(node.this)
        if node.is_string:
            return text
        if "e" in text.lower():
            return float(text)
        if "." in text:
            return Decimal(text)
        return int(text)
    elif isinstance(node, exp.Boolean):
        return bool(node.this)
    elif isinstance(node, exp.Null):
        return None
    elif isinstance(node, exp.Paren):
        return literal_value(node.this, where)
    elif isinstance(node, exp.Array):
        return [literal_value(v, where) for v in node.expressions]
    elif isinstance(node, exp.Struct):
        return {identifier(f.this): literal_value(f.expression, where) for f in node.expressions}
    elif node.args.get("keys") is not None:  # MAP(k := v, ...)
        keys = [literal_value(k, where) for k in node.args["keys"]]
        values = [literal_value(v, where) for v in node.args.get("values") or []]
        return dict(zip(keys, values, strict=True))
    raise MigrationFileError(
        f"{where}: INSERT ... VALUES in a migration takes literals only (ksql-migrations sends "
        f"them through /inserts-stream), got {node.sql(dialect='ksql')}"
    )


def coerce(value: Any, sql_type: SqlType) -> Any:
    """``value`` as JSON carries it for a column of ``sql_type``.

    The Java client writes every number as a JSON number; ksqlpy's client writes a Decimal as a
    string (exact, for DECIMAL columns), which a DOUBLE column refuses. So a literal takes the
    column's numeric kind here, recursively through ARRAY, MAP and STRUCT.
    """
    name = sql_type.name
    if value is None or isinstance(value, bool | str):
        return value
    if name == "DOUBLE" and isinstance(value, int | Decimal):
        return float(value)
    if name == "DECIMAL" and isinstance(value, int | float):
        return Decimal(str(value))
    if name == "ARRAY" and isinstance(value, list) and sql_type.element is not None:
        return [coerce(v, sql_type.element) for v in value]
    if name == "MAP" and isinstance(value, dict) and sql_type.value is not None:
        return {k: coerce(v, sql_type.value) for k, v in value.items()}
    if name == "STRUCT" and isinstance(value, dict):
        fields = {field.upper(): kind for field, kind in sql_type.fields}
        return {
            k: coerce(v, fields[k.upper()]) if k.upper() in fields else v for k, v in value.items()
        }
    return value
