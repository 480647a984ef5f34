"""The projection of a join: ``*`` as ksqlDB expands it, output names, and which output is the
result's key (read from the record key the last join step gives, as ksqlDB's key columns are).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlSelect

from .convert import identifier_name
from .errors import KsqlStatementError
from .expr import NULL_TYPE, Fn, compile_expr
from .joinplan import SYNTHETIC_KEY_DOC, JoinPlan
from .repartition import joined as grammatical
from .rows import PSEUDO_NAMES, WINDOW_BOUNDS
from .scope import canonical, unknown_column
from .selectitems import ColumnAliases, expand_struct_all
from .types import SqlType


@dataclass(slots=True)
class JoinOutput:
    """A projected column of a join result."""

    name: str
    type: SqlType
    fn: Fn
    key: bool
    position: int | None = None  # the joined row's slot a column reference reads


def star_columns(plan: JoinPlan, wanted: str | None) -> list[tuple[str, int]]:
    """What ``*`` (or ``alias.*``) selects, as ksqlDB's JoinNode.resolveSelectStar does: the
    synthetic key (for ``*``), then each input's keys, window bounds, values and header
    columns as ``ALIAS_COLUMN``, with the slot each one reads."""
    columns = []
    if wanted is None and plan.synthetic:
        columns.append((plan.key_name, plan.key_slot))
    for source in plan.inputs:
        if wanted is not None and wanted not in (source.alias, source.source.name):
            continue
        names = [c.name for c in source.source.keys]
        if source.source.windowed:  # a windowed source's bounds follow its keys
            names += list(WINDOW_BOUNDS)
        for name in names + [c.name for c in source.source.values + source.source.headers]:
            columns.append((f"{source.alias}_{name}", source.offset + source.names.index(name)))
    return columns


def join_aliases(plan: JoinPlan) -> ColumnAliases:
    """The generator of a join's column names: it avoids every input's numbered columns."""
    columns = [c for i in plan.inputs for c in i.source.keys + i.source.values + i.source.headers]
    return ColumnAliases(c.name for c in columns)


def column_name(plan: JoinPlan, node: exp.Expression, aliases: ColumnAliases) -> str:
    """The name of an unaliased select item in a join (ksqlDB's AstSanitizer): a column another
    source also has is ``ALIAS_COLUMN``, a struct field its name, an expression KSQL_COL_n."""
    if isinstance(node, exp.Column):
        name = identifier_name(node.this)
        table = node.args.get("table")
        clash = sum(item.names.count(name) for item in plan.inputs) > 1
        return f"{identifier_name(table)}_{name}" if table is not None and clash else name
    return aliases.for_expression(node)


def join_outputs(plan: JoinPlan, select: KsqlSelect) -> list[JoinOutput]:
    """The projected columns, ``*`` expanded as ksqlDB's JoinNode.resolveSelectStar does."""
    outputs: list[JoinOutput] = []
    aliases = join_aliases(plan)
    key_at = _at(plan.key_slot)
    for item in expand_struct_all(select.expressions, plan.scope):
        node = item.this if isinstance(item, exp.Alias) else item
        star = isinstance(node, exp.Star) or (
            isinstance(node, exp.Column) and isinstance(node.this, exp.Star)
        )
        if star:
            table = node.args.get("table") if isinstance(node, exp.Column) else None
            wanted = identifier_name(table) if table is not None else None
            for name, position in star_columns(plan, wanted):
                kind = (
                    plan.key_type if position == plan.key_slot else plan.scope.slots[position].type
                )
                is_key = position == plan.key_slot or _is_key_position(plan, position)
                keyed = is_key and not plan.foreign
                outputs.append(
                    JoinOutput(name, kind, key_at if keyed else _at(position), is_key, position)
                )
            continue
        try:
            fn, kind = compile_expr(node, plan.scope)
        except KsqlStatementError as exc:
            raise select_error(exc) from None
        if isinstance(item, exp.Alias):
            name = identifier_name(item.args["alias"])
        else:
            name = column_name(plan, node, aliases)
        if kind == NULL_TYPE:
            raise KsqlStatementError("Can't infer a type of null. Please explicitly cast it.")
        is_key = _is_key_node(plan, node)
        keyed = is_key and not plan.foreign
        match = re.fullmatch(r"#(\d+)", canonical(node, plan.scope))
        slot = int(match.group(1)) if match else None
        outputs.append(JoinOutput(name, kind, key_at if keyed else fn, is_key, slot))
    return outputs


def _is_key_position(plan: JoinPlan, position: int) -> bool:
    if plan.foreign:
        first = plan.inputs[0]
        return first.offset <= position < first.offset + len(first.source.keys)
    return plan.key_canonical is not None and plan.key_canonical == f"#{position}"


def _is_key_node(plan: JoinPlan, node: exp.Expression) -> bool:
    if plan.foreign:
        match = re.fullmatch(r"#(\d+)", canonical(node, plan.scope))
        return match is not None and _is_key_position(plan, int(match.group(1)))
    unqualified = isinstance(node, exp.Column) and node.args.get("table") is None
    if unqualified and identifier_name(node.this) == plan.key_name:
        return True
    return plan.key_canonical is not None and canonical(node, plan.scope) == plan.key_canonical


def validate_join_key(plan: JoinPlan, sink: str, outputs: list[JoinOutput]) -> None:
    """A persistent query must select the join's key (ksqlDB's JoinNode.validateKeyPresent),
    and only once (its FinalProjectNode)."""
    keys = [o for o in outputs if o.key]
    if plan.foreign:
        first = plan.inputs[0]
        selected = {o.position for o in keys}
        missing = [
            c.name for n, c in enumerate(first.source.keys) if first.offset + n not in selected
        ]
        for n, column in enumerate(first.source.keys):
            aliases = [o.name for o in keys if o.position == first.offset + n]
            if len(aliases) > 1:
                _twice(f"{first.alias}_{column.name}", aliases)
        if missing:
            noun = "column" if len(missing) == 1 else "columns"
            names = ", ".join(f"`{m}`" for m in missing)
            raise KsqlStatementError(
                f"Primary key {noun} missing in projection. For foreign-key table-table "
                "joins, the projection must include all primary key columns from the left "
                f"input table (`{first.alias}`). Missing {noun}: {names}."
            )
        return
    if not keys:
        if plan.synthetic:
            raise KsqlStatementError(
                f"Key missing from projection (ie, SELECT). See {SYNTHETIC_KEY_DOC}.\n"
                f"The query used to build `{sink}` must include the join expression "
                f"{plan.key_name} in its projection (eg, SELECT {plan.key_name}...).\n"
                f"{plan.key_name} was added as a synthetic key column because the join "
                "criteria did not match any source column. This expression must be included "
                "in the projection and may be aliased. "
            )
        texts = plan.viable_texts
        noun = "join expression" + ("" if len(texts) == 1 else "s")
        raise KsqlStatementError(
            "Key missing from projection (ie, SELECT). \n"
            f"The query used to build `{sink}` must include the {noun} "
            f"{grammatical(texts, 'or')} in its projection (eg, SELECT {texts[0]}...)."
        )
    if len(keys) > 1:
        _twice(plan.key_name, [o.name for o in keys])


def select_error(exc: KsqlStatementError) -> KsqlStatementError:
    """An unknown column of the projection, as ksqlDB words it there."""
    missing = unknown_column(exc)
    if missing is None:
        return exc
    return KsqlStatementError(f"{missing.at}SELECT column '{missing.shown}' cannot be resolved.")


def check_reserved(names: list[str]) -> None:
    """A persistent query's columns may not take a system column's name (ksqlDB's Analyzer)."""
    for name in names:
        if name in PSEUDO_NAMES or name in WINDOW_BOUNDS:
            raise KsqlStatementError(
                f"Reserved column name in select: `{name}`. Please remove or alias the column."
            )


def _twice(key: str, aliases: list[str]) -> None:
    raise KsqlStatementError(
        f"The projection contains a key column (`{key}`) more than once, aliased as: "
        f"{grammatical(sorted(aliases))}.\nEach key column must only be in the projection once. "
        "If you intended to copy the key into the value, then consider using the AS_VALUE "
        "function to indicate which key reference should be copied."
    )


def _at(index: int) -> Fn:
    return lambda row: row[index]
