"""Planning joins as ksqlDB plans them: the Analyzer's checks, a left-deep join tree, each step's
kind and key, the result's key column and the projection.

``FROM a JOIN b ON .. JOIN c ON ..`` is ``((a ⋈ b) ⋈ c)``: every JOIN adds its source on the right
of what is joined so far (a criterion written the other way round is flipped). The joined row
holds every input's row side by side (keys, window bounds, values, headers, pseudocolumns), then
one slot for the record key of the last step that produced it.

The result's key follows ksqlDB's ``JoinNode.JoinKey``: the join criteria of the steps that are
not FULL OUTER form an equivalence set; its column references are the *viable* key columns and
the first of them the projection selects names the key (``ALIAS_COLUMN``). When no column is
viable the key is synthetic (``ROWKEY``, or ``ROWKEY_n`` when a source already has that name).
A foreign-key table-table join keys its result by the left table's primary key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlJoin, KsqlSelect, KsqlStructAll

from .aggregate import duration_ms
from .convert import identifier_name
from .errors import PREPARING, KsqlStatementError, at
from .expr import Fn, Scope, Slot, compile_expr
from .joininputs import Input, check_windowing, synthetic_name
from .metastore import Source
from .repartition import joined as grammatical
from .rows import compile_where, source_scope
from .scope import canonical
from .sources import check_key_type
from .types import SqlType

JOIN_TYPES = {
    "INNER": "[INNER] JOIN",
    "LEFT": "LEFT [OUTER] JOIN",
    "RIGHT": "RIGHT [OUTER] JOIN",
    "OUTER": "[FULL] OUTER JOIN",
}
SYNTHETIC_KEY_DOC = "https://cnfl.io/2LV7ouS"
# Kafka Streams' grace of a join window given without GRACE PERIOD (JoinWindows.of).
DEFAULT_GRACE_MS = 24 * 60 * 60 * 1000


@dataclass(slots=True)
class Step:
    """One join of the left-deep tree: what is joined so far, joined with input ``index``."""

    index: int
    mode: str  # SS, ST or TT
    type: str  # INNER, LEFT, RIGHT or OUTER
    left_key: Fn | None  # on the joined row; None: the left record's key is the join key
    right_key: Fn | None  # likewise for the right input
    foreign: bool = False
    before: int = 0
    after: int = 0
    grace: int | None = None  # None: no GRACE PERIOD (results with NULLs are emitted at once)


@dataclass(slots=True)
class _Criterion:
    """One JOIN ... ON after analysis: ``left`` and ``right`` are input positions."""

    left: int
    left_node: exp.Expression
    right: int
    right_node: exp.Expression
    type: str
    within: Any
    written: tuple[exp.Expression, exp.Expression]  # as the user wrote them, for messages


@dataclass(slots=True)
class _Tree:
    """What the steps so far give: kind, equivalence set and viable key columns."""

    kind: str
    equivalent: set[str] = field(default_factory=set)
    viable: list[exp.Column] = field(default_factory=list)
    viable_texts: list[str] = field(default_factory=list)
    key_text: str | None = None  # the key column a foreign-key join's result keeps


def join_type(join: KsqlJoin) -> str:
    """INNER, LEFT, RIGHT or OUTER."""
    side = str(join.args.get("side") or "").upper()
    return {"LEFT": "LEFT", "RIGHT": "RIGHT", "FULL": "OUTER"}.get(side, "INNER")


class JoinPlan:
    """The analysed and planned join of a SELECT: its inputs, steps, scope and key."""

    def __init__(self, select: KsqlSelect, inputs: list[Input], custom: dict[str, SqlType]) -> None:
        self.inputs = inputs
        self.custom = custom
        slots: list[Slot] = []
        for item in inputs:
            slots += source_scope(item.source, item.alias, custom).slots
        self.key_slot = len(slots)
        self.width = self.key_slot + 1
        self.scope: Scope = Scope(slots, custom)
        joins: list[KsqlJoin] = select.args.get("joins") or []
        self._check_qualifiers(select)
        criteria = [self._analyse(i + 1, join) for i, join in enumerate(joins)]
        self.steps: list[Step] = []
        tree = _Tree(inputs[0].source.kind)
        for criterion in criteria:
            tree = self._plan_step(criterion, tree)
        self.foreign = self.steps[-1].foreign
        self.is_table = tree.kind == "TABLE"
        self.synthetic = not self.foreign and not tree.viable
        self.key_name = ""
        self.key_canonical: str | None = None
        self.key_type: SqlType
        if self.foreign:
            self.key_type = inputs[0].source.keys[0].type
        elif self.synthetic:
            self.key_name = synthetic_name([i.source for i in inputs])
            self.key_type = compile_expr(criteria[-1].left_node, self.scope)[1]
        else:
            chosen = self._chosen_key(select, tree)
            table = chosen.args.get("table")
            qualifier = identifier_name(table) if table is not None else ""
            self.key_name = f"{qualifier}_{identifier_name(chosen.this)}"
            self.key_canonical = canonical(chosen, self.scope)
            self.key_type = compile_expr(chosen, self.scope)[1]
        self.viable_texts = tree.viable_texts
        self.scope = _JoinScope(self)

    # -- the Analyzer ---------------------------------------------------------------------------

    def _check_qualifiers(self, select: KsqlSelect) -> None:
        """Every qualifier must name a source (ksqlDB's AstSanitizer, before any analysis)."""
        known = {name for i in self.inputs for name in (i.alias, i.source.name)}
        for column in select.find_all(exp.Column):
            table = column.args.get("table")
            if table is not None and identifier_name(table) not in known:
                raise KsqlStatementError(
                    f"Failed to prepare statement: '{identifier_name(table)}' is not a valid "
                    "stream/table name or alias."
                )

    def _analyse(self, index: int, join: KsqlJoin) -> _Criterion:
        condition = join.args.get("on")
        if isinstance(condition, exp.And) and all(
            isinstance(side, exp.EQ) for side in (condition.this, condition.expression)
        ):
            raise KsqlStatementError(
                "Invalid join condition: joins on multiple conditions are not yet supported. "
                f"Got {self.text(condition)}."
            )
        if not isinstance(condition, exp.EQ):
            if isinstance(condition, (exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
                raise KsqlStatementError("Only equality join criteria is supported.")
            shown = self.text(condition) if condition is not None else "none"
            raise KsqlStatementError(f"Unsupported join expression: {shown}")
        visible = self.inputs[: index + 1]
        sides = []
        for node in (condition.this, condition.expression):
            used = self._sources_of(node, visible)
            if len(used) != 1:
                raise KsqlStatementError(
                    f"Invalid comparison expression '{self.text(node)}' in join "
                    f"'{self.text(condition)}'. Each side of the join comparision must contain "
                    "references from exactly one source."
                )
            sides.append(used.pop())
        left, right = sides
        if left == right:
            raise KsqlStatementError(
                "Each side of the join must reference exactly one source and not the same "
                f"source. Left side references `{self.inputs[left].alias}` and right references "
                f"`{self.inputs[right].alias}`"
            )
        check_windowing(self.inputs[left], self.inputs[right])
        if index not in (left, right):
            raise KsqlStatementError(
                "A join criteria is expected to reference the source "
                f"(`{self.inputs[index].alias}`) in the FROM clause, instead the right source "
                f"references `{self.inputs[right].alias}` and the left source references "
                f"`{self.inputs[left].alias}`"
            )
        written = (condition.this, condition.expression)
        kind = join_type(join)
        within = join.args.get("within")
        if left == index:  # the new source goes on the right of what is joined so far
            return _Criterion(right, written[1], left, written[0], kind, within, written)
        return _Criterion(left, written[0], right, written[1], kind, within, written)

    def _sources_of(self, node: exp.Expression, visible: Sequence[Input]) -> set[int]:
        scope = Scope(
            [s for i in visible for s in source_scope(i.source, i.alias, self.custom).slots],
            self.custom,
        )
        used: set[int] = set()
        for column in node.find_all(exp.Column):
            table = column.args.get("table")
            qualifier = identifier_name(table) if table is not None else None
            name = identifier_name(column.this)
            try:
                position, _ = scope.find(name, qualifier)
            except KsqlStatementError as exc:
                if "ambiguous" in exc.message:
                    raise _ambiguous(name, column, visible) from None
                if "not a valid stream/table name" in exc.message:
                    raise
                shown = f"{qualifier}.{name}" if qualifier else name
                raise KsqlStatementError(
                    f"{at(column)}JOIN ON column '{shown}' cannot be resolved."
                ) from None
            used.add(next(n for n, i in enumerate(visible) if position < i.offset + i.width))
        return used

    # -- the LogicalPlanner ---------------------------------------------------------------------

    def _plan_step(self, criterion: _Criterion, tree: _Tree) -> _Tree:
        index = criterion.right
        right = self.inputs[index]
        leaf = not self.steps  # the left side is the FROM source itself
        left_kind, right_kind = tree.kind, right.source.kind
        left_name = self.inputs[criterion.left].source.name
        got = f"{left_name} {JOIN_TYPES[criterion.type]} {right.source.name}"
        flipped = "{} = {}".format(*(self.text(n) for n in criterion.written))
        foreign = False
        if left_kind == "STREAM" and right_kind == "TABLE":
            if criterion.type == "OUTER":
                raise KsqlStatementError(
                    "Invalid join type: full-outer join not supported for stream-table join. "
                    f"Got {got}."
                )
            if not self._is_key(criterion.right_node, right):
                raise KsqlStatementError(
                    "Invalid join condition: stream-table joins require to join on the table's "
                    f"primary key. Got {flipped}."
                )
        elif left_kind == "TABLE":
            if right_kind == "STREAM":
                raise KsqlStatementError(
                    "Invalid join order: table-stream joins are not supported; only stream-table "
                    f"joins. Got {got}."
                )
            if not self._is_key(criterion.right_node, right):
                raise KsqlStatementError(
                    "Invalid join condition: table-table joins require to join on the primary key "
                    f"of the right input table. Got {flipped}."
                )
            # A join on something else than the left source's key column is on a foreign key.
            foreign = not self._is_key(criterion.left_node, self.inputs[criterion.left])
            if foreign and not leaf:
                raise KsqlStatementError(
                    "Invalid join condition: foreign-key table-table joins are not supported as "
                    f"part of n-way joins. Got {flipped}."
                )
            left_text = canonical(criterion.left_node, self.scope)
            if not leaf and left_text not in tree.equivalent and left_text != tree.key_text:
                raise KsqlStatementError(
                    "Cannot repartition a TABLE source. If this is a join, make sure that the "
                    "criteria uses the TABLE's key column instead of "
                    f"{self.text(criterion.left_node)}"
                )
            if foreign:
                self._check_foreign(criterion, got)
            else:
                self._check_types(criterion)
        mode = left_kind[0] + right_kind[0]
        within = criterion.within
        if mode == "SS" and within is None:
            raise KsqlStatementError(
                "Stream-Stream joins must have a WITHIN clause specified. None was provided. To "
                "learn about how to specify a WITHIN clause with a stream-stream join, please "
                "visit: https://docs.confluent.io/current/ksql/docs/syntax-reference.html"
                "#create-stream-as-select"
            )
        if mode == "ST" and within is not None:
            raise KsqlStatementError(
                "A window definition was provided for a Stream-Table join. These joins are not "
                "windowed. Please drop the window definition (ie. the WITHIN clause) and try to "
                "execute your join again."
            )
        if mode == "TT" and within is not None:
            raise KsqlStatementError(
                "A window definition was provided for a Table-Table join. These joins are not "
                "windowed. Please drop the window definition (i.e. the WITHIN clause) and try to "
                "execute your Table-Table join again."
            )
        if mode == "ST" and criterion.type == "RIGHT":
            raise KsqlStatementError(f"Invalid join type encountered: {JOIN_TYPES['RIGHT']}")
        if foreign and criterion.type == "RIGHT":
            raise KsqlStatementError("RIGHT OUTER JOIN on a foreign key is not supported")
        step = Step(index, mode, criterion.type, None, None, foreign)
        left_text = canonical(criterion.left_node, self.scope)
        repartition_left = not (
            (leaf and self._is_key(criterion.left_node, self.inputs[criterion.left]))
            or left_text in tree.equivalent
            or left_text == tree.key_text
        )
        if foreign or repartition_left:
            step.left_key = compile_expr(criterion.left_node, self.scope)[0]
        if not self._is_key(criterion.right_node, right):
            step.right_key = compile_expr(criterion.right_node, self.scope)[0]
        for node, repartitioned in (
            (criterion.left_node, repartition_left and not foreign),
            (criterion.right_node, step.right_key is not None),
        ):
            if repartitioned:
                check_key_type(self._key_column_name(node), compile_expr(node, self.scope)[1])
        first = self.inputs[0].source
        # Windowed keys of another window type or size are another key format: a repartition.
        formats_differ = bool(first.windowed) and (first.windowed, first.window_size_ms) != (
            right.source.windowed,
            right.source.window_size_ms,
        )
        windowed = (
            (repartition_left and leaf and not foreign and first.windowed)
            or (step.right_key is not None and right.source.windowed)
            or formats_differ
        )
        if windowed:
            raise KsqlStatementError(
                "Implicit repartitioning of windowed sources is not supported. See "
                "https://github.com/confluentinc/ksql/issues/4385."
            )
        if within is not None:
            step.before = duration_ms(within.this) or 0
            after = within.args.get("after")
            step.after = (duration_ms(after) or 0) if after is not None else step.before
            grace = within.args.get("grace")
            step.grace = (duration_ms(grace) or 0) if grace is not None else None
        self.steps.append(step)
        return self._next_tree(criterion, tree, mode)

    def _next_tree(self, criterion: _Criterion, tree: _Tree, mode: str) -> _Tree:
        kind = "TABLE" if mode == "TT" else "STREAM"
        key_text = f"#{self.inputs[0].offset}" if self.steps[-1].foreign else None
        if criterion.type == "OUTER":
            return _Tree(kind, key_text=key_text)
        keys = {
            canonical(criterion.left_node, self.scope),
            canonical(criterion.right_node, self.scope),
        }
        equivalent = keys | tree.equivalent if keys & tree.equivalent else keys
        viable: list[exp.Column] = []
        texts: list[str] = []
        seen: set[str] = set()
        for node in [*tree.viable, criterion.left_node, criterion.right_node]:
            if not isinstance(node, exp.Column):
                continue
            text = canonical(node, self.scope)
            if text in equivalent and text not in seen:
                seen.add(text)
                viable.append(self._qualified(node))
                texts.append(self.text(node))
        return _Tree(kind, equivalent, viable, texts, key_text)

    def _key_column_name(self, node: exp.Expression) -> str:
        """The key column a repartition by a join expression gives (as PartitionBy names it
        after the pre-join projection's ALIAS_COLUMN names)."""
        if isinstance(node, exp.Column):
            alias = identifier_name(self._qualified(node).args["table"])
            return f"{alias}_{identifier_name(node.this)}"
        return "KSQL_COL_0"

    def _is_key(self, node: exp.Expression, item: Input) -> bool:
        """Whether a join expression is the (single) key column of an input."""
        if not isinstance(node, exp.Column) or len(item.source.keys) != 1:
            return False
        table = node.args.get("table")
        qualifier = identifier_name(table) if table is not None else None
        position, _ = self.scope.find(identifier_name(node.this), qualifier)
        return position == item.offset

    def _check_types(self, criterion: _Criterion) -> None:
        left_type = compile_expr(criterion.left_node, self.scope)[1]
        right_type = compile_expr(criterion.right_node, self.scope)[1]
        if left_type != right_type:
            pairs = [(criterion.left_node, left_type), (criterion.right_node, right_type)]
            if criterion.written[0] is not criterion.left_node:
                pairs.reverse()
            shown = " = ".join(f"{self.text(n)}{{{t}}}" for n, t in pairs)
            raise KsqlStatementError(f"Invalid join condition: types don't match. Got {shown}.")

    def _check_foreign(self, criterion: _Criterion, got: str) -> None:
        if criterion.type == "OUTER":
            raise KsqlStatementError(
                "Invalid join type: full-outer join not supported for foreign-key table-table "
                f"join. Got {got}."
            )
        self._check_types(criterion)
        if self.inputs[criterion.right].source.windowed:
            raise KsqlStatementError(
                "Foreign-key table-table joins are not supported on windowed tables."
            )

    def _chosen_key(self, select: KsqlSelect, tree: _Tree) -> exp.Column:
        """The first viable key column the projection selects (else the first of them)."""
        selected = set()
        stars: set[str | None] = set()
        for item in select.expressions:
            node = item.this if isinstance(item, exp.Alias) else item
            if isinstance(node, exp.Star):
                stars.add(None)
            elif isinstance(node, exp.Column) and isinstance(node.this, exp.Star):
                table = node.args.get("table")
                stars.add(identifier_name(table) if table is not None else None)
            elif not isinstance(node, KsqlStructAll):
                selected.add(canonical(node, self.scope))
        for column in tree.viable:
            qualifier = identifier_name(column.args["table"])
            if canonical(column, self.scope) in selected or None in stars or qualifier in stars:
                return column
        return tree.viable[0]

    # -- naming ---------------------------------------------------------------------------------

    def owner(self, position: int) -> Input:
        """The input a slot of the joined row belongs to."""
        return next(i for i in self.inputs if position < i.offset + i.width)

    def _qualified(self, column: exp.Column) -> exp.Column:
        """A column reference qualified by the alias of its source."""
        table = column.args.get("table")
        qualifier = identifier_name(table) if table is not None else None
        position, _ = self.scope.find(identifier_name(column.this), qualifier)
        alias = self.owner(position).alias
        return exp.Column(
            this=exp.to_identifier(identifier_name(column.this)), table=exp.to_identifier(alias)
        )

    def text(self, node: exp.Expression) -> str:
        """An expression as ksqlDB prints join criteria: columns qualified by their source's
        alias, function names upper-cased, every binary operation in parentheses."""
        holder = exp.Paren(this=node.copy())
        for column in list(holder.find_all(exp.Column)):
            table = column.args.get("table")
            qualifier = identifier_name(table) if table is not None else None
            name = identifier_name(column.this)
            try:
                position, _ = self.scope.find(name, qualifier)
                shown = f"{self.owner(position).alias}.{name}"
            except KsqlStatementError:
                shown = f"{qualifier}.{name}" if qualifier else name
            column.replace(exp.Var(this=shown))
        for call in holder.find_all(exp.Anonymous):
            call.set("this", str(call.this).upper())
        for null in list(holder.find_all(exp.Null)):
            null.replace(exp.Var(this="null"))  # ksqlDB's formatter writes NULL so
        for part in list(holder.this.find_all(exp.Binary)):
            if not isinstance(part.parent, exp.Paren):
                part.replace(exp.Paren(this=part.copy()))
        printed = holder if isinstance(holder.this, exp.Binary) else holder.this
        return str(printed.sql(dialect="ksql"))

    def check_partitions(self, partitions: Callable[[Source], int]) -> None:
        """Co-partitioning, as ksqlDB checks it when it builds each join that is not on a
        foreign key: a step's left side has the partitions of the input joined last."""
        for step in self.steps:
            if step.foreign:
                continue
            left = partitions(self.inputs[step.index - 1].source)
            right = partitions(self.inputs[step.index].source)
            if left != right:
                first, other = self.inputs[0].alias, self.inputs[step.index].alias
                raise KsqlStatementError(
                    f"Can't join `{first}` with `{other}` since the number of partitions don't "
                    f"match. `{first}` partitions = {left}; `{other}` partitions = {right}. "
                    "Please repartition either one so that the number of partitions match."
                )

    def where(self, select: KsqlSelect) -> Fn | None:
        """The compiled WHERE of the join, applied to its results."""
        if select.args.get("where") is None:
            return None
        return compile_where(self._joined_names(select.args["where"].this), self.scope, pull=False)

    def _joined_names(self, node: exp.Expression) -> exp.Expression:
        """``node`` naming columns as the joined row does (``ALIAS_COLUMN``): ksqlDB filters a
        join's result, so its WHERE errors speak of ``I1_BAR``, not ``I1.BAR``."""
        out = node.copy()
        for column in list(out.find_all(exp.Column)):
            try:
                qualified = self._qualified(column)
            except KsqlStatementError:
                continue  # not a column of the join (a lambda variable): compiled as written
            joined = f"{identifier_name(qualified.args['table'])}_{identifier_name(column.this)}"
            if isinstance(self.scope, _JoinScope) and joined in self.scope.extra:
                column.replace(exp.column(exp.to_identifier(joined, quoted=True)))
        return out


def _ambiguous(name: str, node: exp.Expr, inputs: Sequence[Input]) -> KsqlStatementError:
    """ksqlDB's AmbiguousColumnException: the sources that have the column, by alias."""
    owners = sorted(f"{i.alias}.{name}" for i in inputs if name in i.names)
    return KsqlStatementError(
        f"{PREPARING}{at(node)}Column '{name}' is ambiguous. Could be {grammatical(owners, 'or')}."
    )


class _JoinScope(Scope):
    """The joined row's names: every input's columns by ``alias.column``, the names ksqlDB gives
    them after a join (``ALIAS_COLUMN``) and the synthetic key column."""

    def __init__(self, plan: JoinPlan) -> None:
        super().__init__(plan.scope.slots, plan.custom)
        self.inputs = plan.inputs
        self.extra: dict[str, tuple[int, SqlType]] = {}
        for item in plan.inputs:
            for offset, name in enumerate(item.names):
                position = item.offset + offset
                self.extra[f"{item.alias}_{name}"] = (position, self.slots[position].type)
        if plan.synthetic:
            self.extra[plan.key_name] = (plan.key_slot, plan.key_type)

    def find(
        self, name: str, qualifier: str | None, node: exp.Expr | None = None
    ) -> tuple[int, SqlType]:
        """As Scope.find, falling back to the generated names of the joined columns."""
        try:
            return super().find(name, qualifier, node)
        except KsqlStatementError as exc:
            if qualifier is None and name in self.extra:
                return self.extra[name]
            if node is not None and "ambiguous" in exc.message:
                raise _ambiguous(name, node, self.inputs) from None
            raise
