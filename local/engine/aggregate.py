"""GROUP BY aggregation, optionally windowed: aggregate functions, window assignment, changelog.

An :class:`Aggregator` is built from a SELECT with GROUP BY against a source scope. Fed one source
row at a time, it returns the changes to its result table: for each (group key, window) touched,
either the new output row or a tombstone (a HAVING that no longer holds, a merged session).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlDuration, KsqlSelect, KsqlStructAll, KsqlWindow

from . import functions
from .convert import hashable, identifier_name, java_wrap
from .errors import KsqlStatementError
from .expr import NULL_TYPE, Fn, Scope, Slot, compile_expr
from .functions.registry import cast_argument
from .operators import expression_text
from .repartition import qualified_text
from .scope import canonical, unknown_column
from .types import BIGINT, SqlType
from .udafs import (
    AGGREGATES,
    COMPLEX_STATE,
    TABLE_AGGREGATES,
    Accumulator,
    AggregateFunction,
    check_literal_arguments,
    choose_aggregate,
    is_aggregate,
)

# -- windows --------------------------------------------------------------------------------------

UNIT_MS = {
    "MILLISECOND": 1,
    "SECOND": 1000,
    "MINUTE": 60_000,
    "HOUR": 3_600_000,
    "DAY": 86_400_000,
}


def duration_ms(node: exp.Expression | None) -> int | None:
    """A ``KsqlDuration`` (``5 SECONDS``) in milliseconds."""
    if node is None:
        return None
    if not isinstance(node, KsqlDuration):
        raise KsqlStatementError(f"Expected a duration, got {node.sql(dialect='ksql')}")
    unit = str(node.args["unit"]).upper().rstrip("S")
    if unit not in UNIT_MS:
        raise KsqlStatementError(f"Unknown time unit: {node.args['unit']}")
    return int(node.this.name) * UNIT_MS[unit]


# Kafka Streams' grace when a window states none: 24 hours minus the window's size.
DEFAULT_GRACE_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """TUMBLING (size), HOPPING (size, advance) or SESSION (gap), with grace and retention."""

    kind: str
    size: int
    advance: int
    grace: int | None = None  # as written; None: the default
    retention: int | None = None

    def grace_ms(self, final: bool) -> int:
        """The grace period: as written, else 0 for EMIT FINAL (ksqlDB rewrites it so), else
        Kafka Streams' default."""
        if self.grace is not None:
            return self.grace
        return 0 if final else max(DEFAULT_GRACE_MS - self.size, 0)

    def assign(self, timestamp: int) -> list[tuple[int, int]]:
        """The time windows a record at ``timestamp`` falls in (not for SESSION)."""
        if self.kind == "TUMBLING":
            start = timestamp - timestamp % self.size
            return [(start, start + self.size)]
        first = timestamp - timestamp % self.advance
        windows = []
        start = first
        while start > timestamp - self.size and start >= 0:
            windows.append((start, start + self.size))
            start -= self.advance
        return sorted(windows)


def window_spec(node: KsqlWindow | None) -> WindowSpec | None:
    """The window of a query's WINDOW clause."""
    if node is None:
        return None
    kind = str(node.args["kind"]).upper()
    size = duration_ms(node.args.get("size"))
    if size is None or size <= 0:
        raise KsqlStatementError("A window needs a positive SIZE")
    advance = duration_ms(node.args.get("advance")) or size
    if kind == "HOPPING" and advance > size:
        raise KsqlStatementError("Window advance must be less than or equal to window size")
    grace = duration_ms(node.args.get("grace"))
    retention = duration_ms(node.args.get("retention"))
    return WindowSpec(kind, size, advance, grace, retention)


# -- the aggregator -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Group:
    accumulators: list[Accumulator]
    rowtime: int = 0
    start: int = 0
    end: int = 0
    rows: list[tuple[int, list[list[Any]]]] = field(default_factory=list)  # sessions: (ts, args)
    shown: bool = False  # whether the result table holds a row for this group
    key: tuple[Any, ...] = ()  # the GROUP BY values
    emitted: bool = False  # EMIT FINAL: a closed session already sent


@dataclass(frozen=True, slots=True)
class Change:
    """One change to the result table: its key, window, output row (None = tombstone), time."""

    key: tuple[Any, ...]
    window: tuple[int, int] | None
    row: list[Any] | None
    rowtime: int


class Aggregator:
    """Compiled GROUP BY [WINDOW] [HAVING] with its projection over the aggregate results."""

    def __init__(self, select: KsqlSelect, scope: Scope, qualifier: str) -> None:
        emit = select.args.get("emit")
        self.final = emit is not None and emit.name.upper() == "FINAL"
        group = select.args.get("group")
        self.group_nodes: list[exp.Expression] = list(group.expressions) if group else []
        self.scope = scope
        # Expressions are matched by what they resolve to: GROUP BY id groups SELECT ID.
        self.group_texts = [canonical(n, scope) for n in self.group_nodes]
        for index, text in enumerate(self.group_texts):
            if text in self.group_texts[:index]:
                # ksqlDB's GroupBy, once its sanitizer has qualified every column.
                shown = qualified_text(self.group_nodes[index], qualifier)
                raise KsqlStatementError(f"Duplicate GROUP BY expression: {shown}")
        self.group_fns: list[Fn] = []
        self.group_types: list[SqlType] = []
        if select.args.get("window") is not None:
            _check_window_bounds(select)
        for node in self.group_nodes:
            for call in node.find_all(exp.Anonymous):
                if is_aggregate(call):
                    name = str(call.this).upper()
                    raise KsqlStatementError(
                        f"GROUP BY does not support aggregate functions: {name} is an aggregate "
                        "function."
                    )
        for node in self.group_nodes:
            fn, kind = compile_expr(node, scope)
            self.group_fns.append(fn)
            self.group_types.append(kind)
        self.window = window_spec(select.args.get("window"))
        self.grace = self.window.grace_ms(self.final) if self.window else 0
        # Stream time: the largest record time seen. Windows end + grace before it are closed.
        self.stream_time: int | None = None
        self.last_emit_close: int | None = None  # EMIT FINAL: the close time last emitted at
        self.calls: list[exp.Anonymous] = []
        self.call_texts: list[str] = []
        self.call_args: list[list[Fn]] = []
        self.call_kinds: list[AggregateFunction] = []
        self.call_star: list[bool] = []
        self.call_types: list[SqlType] = []
        items = [i.this if isinstance(i, exp.Alias) else i for i in select.expressions]
        having = select.args.get("having")
        for node in [*items, *([having.this] if having else [])]:
            for call in node.find_all(exp.Anonymous):
                if is_aggregate(call):
                    if canonical(call, scope) not in self.call_texts:
                        self._add_call(call, scope)
                else:
                    functions.lookup(str(call.this), len(call.expressions))  # unknown: refused
        if self.group_nodes and not self.calls:
            raise KsqlStatementError(
                "GROUP BY requires aggregate functions in either the SELECT or HAVING clause."
            )
        # The scope of expressions over results: group keys, window bounds, aggregate values.
        slots = [Slot(f"__KEY_{i}", t) for i, t in enumerate(self.group_types)]
        if self.window:
            slots += [Slot(n, BIGINT, scope.aliases) for n in ("WINDOWSTART", "WINDOWEND")]
        slots += [Slot(f"__AGG_{i}", t) for i, t in enumerate(self.call_types)]
        self.result_scope = Scope(slots, scope.custom_types)
        self._check_projection(items)
        self.having: Fn | None = None
        if having is not None:
            try:
                self.having, _ = compile_expr(self._rewrite(having.this), self.result_scope)
            except KsqlStatementError as exc:
                raise self._having_error(exc) from exc
        self.groups: dict[tuple[Any, ...], _Group] = {}
        # A table source's rows as aggregated: source key -> (group, group values, arguments).
        self.table_rows: dict[tuple[Any, ...], tuple[Any, tuple[Any, ...], list[list[Any]]]] = {}
        self.sessions: dict[tuple[Any, ...], list[_Group]] = {}

    def _add_call(self, call: exp.Anonymous, scope: Scope) -> None:
        name = str(call.this).upper()
        spec = AGGREGATES[name]
        args = list(call.expressions)
        nested = next((c for a in args for c in a.find_all(exp.Anonymous) if is_aggregate(c)), None)
        if nested is not None:
            raise KsqlStatementError(
                f"Aggregate functions can not be nested: {name}({str(nested.this).upper()}())"
            )
        check_literal_arguments(name, args)
        star = (
            not args
            or isinstance(args[0], exp.Star)
            or (isinstance(args[0], exp.Literal) and name == "COUNT")
        )
        fns: list[Fn] = []
        types: list[SqlType] = []
        for arg in args:
            if isinstance(arg, exp.Star):
                continue
            fn, kind = compile_expr(arg, scope)
            fns.append(fn)
            types.append(kind)
        spec, passed = choose_aggregate(name, spec, types)
        fns = [cast_argument(f, t, p) for f, t, p in zip(fns, types, passed, strict=True)]
        types = passed
        self.calls.append(call)
        self.call_texts.append(canonical(call, scope))
        self.call_args.append(fns)
        self.call_kinds.append(spec)
        self.call_star.append(star)
        result = spec.returns([t for t in types if t != NULL_TYPE] or [BIGINT])
        self.call_types.append(result)

    def _check_projection(self, items: list[exp.Expression]) -> None:
        """ksqlDB's AggregateAnalyzer: every SELECT expression that is neither grouped nor an
        aggregate of the source's columns is named, all of them at once."""
        bad = []
        for node in items:
            if node.find(exp.Star) is not None or isinstance(node, KsqlStructAll):
                continue
            try:
                compile_expr(self._rewrite(node), self.result_scope)
            except KsqlStatementError as exc:
                if "cannot be resolved" in exc.message and self._resolves(node):
                    bad.append(expression_text(node))
        if bad:
            raise KsqlStatementError(_NOT_GROUPED + ", ".join(bad) + _NOT_GROUPED_HINT)

    def _resolves(self, node: exp.Expression) -> bool:
        """Whether an expression's columns exist in the source (else that error is its own)."""
        try:
            compile_expr(node, self.scope)
        except KsqlStatementError:
            return False
        return True

    def _having_error(self, error: KsqlStatementError) -> KsqlStatementError:
        """An error of the HAVING clause, worded as ksqlDB words it: the clause named, the
        aggregate calls written as the user wrote them (not their result slots)."""
        missing = unknown_column(error)
        if missing is not None:
            return KsqlStatementError(
                f"Non-aggregate HAVING expression not part of GROUP BY: {missing.name}"
            )
        message = error.message.split("\nStatement:")[0]
        for index, call in enumerate(self.calls):
            message = message.replace(f"__AGG_{index}", expression_text(call))
        for index, group in enumerate(self.group_nodes):
            message = message.replace(f"__KEY_{index}", expression_text(group))
        return KsqlStatementError(
            message.replace("Error in WHERE expression", "Error in HAVING expression")
        )

    def _rewrite(self, node: exp.Expression) -> exp.Expression:
        """A copy of an output expression reading group keys and aggregate slots."""

        def swap(child: exp.Expression) -> exp.Expression:
            text = canonical(child, self.scope)
            if text in self.call_texts:
                index = self.call_texts.index(text)
                return exp.column(exp.to_identifier(f"__AGG_{index}", quoted=True))
            if text in self.group_texts:
                index = self.group_texts.index(text)
                return exp.column(exp.to_identifier(f"__KEY_{index}", quoted=True))
            return child

        return copy.deepcopy(node).transform(swap)

    def group_index(self, node: exp.Expression) -> int | None:
        """Which GROUP BY expression a select expression is, if any."""
        text = canonical(node, self.scope)
        return self.group_texts.index(text) if text in self.group_texts else None

    def compile_output(self, node: exp.Expression) -> tuple[Fn, SqlType]:
        """Compile a SELECT item against the aggregate results."""
        try:
            return compile_expr(self._rewrite(node), self.result_scope)
        except KsqlStatementError as exc:
            if "cannot be resolved" in exc.message:
                raise KsqlStatementError(
                    _NOT_GROUPED + expression_text(node) + _NOT_GROUPED_HINT
                ) from exc
            raise

    def _fresh(self) -> list[Accumulator]:
        return [k.make(s) for k, s in zip(self.call_kinds, self.call_star, strict=True)]

    def _args(self, row: Sequence[Any]) -> list[list[Any]]:
        return [[f(row) for f in fns] for fns in self.call_args]

    def _result(
        self, key: tuple[Any, ...], window: tuple[int, int] | None, group: _Group
    ) -> list[Any]:
        values = list(key)
        if window is not None:
            values += window
        values += [
            _java_int(a.value(), kind)
            for a, kind in zip(group.accumulators, self.call_types, strict=True)
        ]
        return values

    def _change(
        self, key: tuple[Any, ...], window: tuple[int, int] | None, group: _Group
    ) -> Change | None:
        result = self._result(key, window, group)
        if self.having is not None and self.having(result) is not True:
            # A HAVING that fails removes the group's row, if the result table had one.
            was_shown, group.shown = group.shown, False
            return Change(key, window, None, group.rowtime) if was_shown else None
        group.shown = True
        return Change(key, window, result, group.rowtime)

    def process(self, row: Sequence[Any], rowtime: int) -> list[Change]:
        """The changes one source row makes (rows with a NULL group key are dropped)."""
        key = tuple(f(row) for f in self.group_fns)
        if any(k is None for k in key):
            return []
        lookup = tuple(hashable(k) for k in key)
        args = self._args(row)
        if self.window is None:
            return self._update(key, lookup, args, rowtime, [None])
        if self.stream_time is None or rowtime > self.stream_time:
            self.stream_time = rowtime
        close = self.stream_time - self.grace
        if self.window.kind == "SESSION":
            # A session closes a gap after its end, plus grace (Kafka Streams' windowCloseTime).
            close -= self.window.size
            changes = self._session(key, lookup, args, rowtime, close)
        else:
            # A record for a window that has closed is dropped, as Kafka Streams does.
            windows = [w for w in self.window.assign(rowtime) if w[1] > close]
            changes = self._update(key, lookup, args, rowtime, windows)
        if self.final:
            return self._closed(close)
        return changes

    def _update(
        self,
        key: tuple[Any, ...],
        lookup: tuple[Any, ...],
        args: list[list[Any]],
        rowtime: int,
        windows: Sequence[tuple[int, int] | None],
    ) -> list[Change]:
        changes = []
        for window in windows:
            group_key = lookup if window is None else (*lookup, window)
            group = self.groups.get(group_key)
            if group is None:
                group = self.groups[group_key] = _Group(self._fresh(), key=key)
            for accumulator, values in zip(group.accumulators, args, strict=True):
                accumulator.add(values)
            group.rowtime = max(group.rowtime, rowtime)
            change = self._change(key, window, group)
            if change is not None:
                changes.append(change)
        return changes

    def _session(
        self,
        key: tuple[Any, ...],
        lookup: tuple[Any, ...],
        args: list[list[Any]],
        rowtime: int,
        close: int,
    ) -> list[Change]:
        assert self.window is not None
        gap = self.window.size
        sessions = self.sessions.setdefault(lookup, [])
        # A closed session has left Kafka Streams' store: nothing merges into it.
        touching = [
            s for s in sessions if s.start - gap <= rowtime <= s.end + gap and s.end >= close
        ]
        if max([rowtime, *(s.end for s in touching)]) < close:
            return []  # the session it would join or open has closed: a late record
        changes = [Change(key, (s.start, s.end), None, s.rowtime) for s in touching if s.shown]
        merged = _Group(self._fresh(), start=rowtime, end=rowtime, rowtime=rowtime, key=key)
        # As Kafka Streams merges sessions: the existing ones in time order, then the new
        # record (so LATEST_BY_OFFSET's latest is the record that arrived last).
        ordered = sorted(touching, key=lambda s: s.start)
        contributions = [r for s in ordered for r in s.rows] + [(rowtime, args)]
        for stamp, values in contributions:
            for accumulator, value in zip(merged.accumulators, values, strict=True):
                accumulator.add(value)
            merged.start = min(merged.start, stamp)
            merged.end = max(merged.end, stamp)
        merged.rows = contributions
        merged.rowtime = merged.end
        sessions[:] = [s for s in sessions if s not in touching] + [merged]
        changes = [c for c in changes if c.window != (merged.start, merged.end)]
        change = self._change(key, (merged.start, merged.end), merged)
        if change is not None:
            changes.append(change)
        return changes

    def _closed(self, close: int) -> list[Change]:
        """EMIT FINAL: the results of the windows that closed since the last emission, as
        Kafka Streams' on-window-close strategy fetches them from its window store."""
        assert self.window is not None
        assert self.stream_time is not None
        if self.last_emit_close is not None and self.last_emit_close >= close:
            return []
        if self.window.kind == "SESSION":
            return self._closed_sessions(close)
        size = self.window.size
        upper = close - size  # the last window start that has closed
        if upper < 0:
            return []
        lower = -1 if self.last_emit_close is None else self.last_emit_close - size
        if self.last_emit_close is not None and self._starts(upper) == self._starts(lower):
            return []
        # The store keeps windows for their retention only (size + grace unless stated).
        retention = self.window.retention or size + self.grace
        oldest = max(lower + 1, self.stream_time - retention)
        due = sorted(
            ((g[-1], g[:-1]) for g in self.groups if oldest <= g[-1][0] <= upper),
            key=lambda item: (item[0][0], repr(item[1])),
        )
        changes = []
        for window, lookup in due:
            group = self.groups[(*lookup, window)]
            change = self._change(group.key, window, group)
            if change is not None:
                changes.append(change)
        self.last_emit_close = close
        return changes

    def _starts(self, timestamp: int) -> list[tuple[int, int]]:
        assert self.window is not None
        return self.window.assign(timestamp) if timestamp >= 0 else []

    def _closed_sessions(self, close: int) -> list[Change]:
        changes = []
        for sessions in self.sessions.values():
            for session in sessions:
                if session.end < close and not session.emitted:
                    session.emitted = True
                    change = self._change(session.key, (session.start, session.end), session)
                    if change is not None:
                        changes.append(change)
        self.last_emit_close = close
        return sorted(changes, key=lambda c: (c.window or (0, 0), c.rowtime))

    def check_state_format(self, value_format: str) -> None:
        """ksqlDB's refusal of aggregates whose state the source's value format cannot hold."""
        if value_format.upper() == "DELIMITED" and any(
            str(c.this).upper() in COMPLEX_STATE for c in self.calls
        ):
            raise KsqlStatementError(
                "One of the functions used in the statement has an intermediate type that the "
                "value format can not handle. Please remove the function or change the format."
            )

    def check_table_source(self) -> None:
        """ksqlDB's refusals of aggregations over a table."""
        if self.window is not None:
            raise KsqlStatementError("Windowing not supported for table aggregations.")
        names = list(dict.fromkeys(str(c.this).upper() for c in self.calls))
        refused = [n for n in names if n not in TABLE_AGGREGATES]
        if refused:
            plural = "s" if len(refused) > 1 else ""
            raise KsqlStatementError(
                f"The aggregation function{plural} {_and(refused)} cannot be applied to a table "
                "source, only to a stream source."
            )

    def process_table(
        self, source_key: tuple[Any, ...], row: Sequence[Any] | None, rowtime: int
    ) -> list[Change]:
        """The changes an update (``row``) or delete (None) of one table row makes: its old
        row is taken back from its group and the new one added, one change per group touched,
        as Kafka Streams' table aggregation with a subtractor does."""
        old = self.table_rows.pop(source_key, None)
        new = None
        if row is not None:
            key = tuple(f(row) for f in self.group_fns)
            if not any(k is None for k in key):
                new = (tuple(hashable(k) for k in key), key, self._args(row))
                self.table_rows[source_key] = new
        changes = []
        if old is not None:
            group = self.groups[old[0]]
            for accumulator, values in zip(group.accumulators, old[2], strict=True):
                accumulator.undo(values)
            group.rowtime = rowtime
            if new is None or new[0] != old[0]:
                change = self._change(old[1], None, group)
                if change is not None:
                    changes.append(change)
        if new is not None:
            changes += self._update(new[1], new[0], new[2], rowtime, [None])
        return changes


def _check_window_bounds(select: KsqlSelect) -> None:
    """In a windowed aggregation, WINDOWSTART and WINDOWEND may appear in the SELECT only, and
    not inside an aggregate (ksqlDB's AggregateAnalyzer: select, WHERE, GROUP BY, HAVING)."""
    items = [i.this if isinstance(i, exp.Alias) else i for i in select.expressions]
    places: list[exp.Expression] = [
        arg
        for item in items
        for call in item.find_all(exp.Anonymous)
        if is_aggregate(call)
        for arg in call.expressions
    ]
    for clause in ("where", "having"):
        if select.args.get(clause) is not None:
            places.append(select.args[clause].this)
    group = select.args.get("group")
    places += list(group.expressions) if group else []
    for place in places:
        for column in place.find_all(exp.Column):
            name = identifier_name(column.this)
            if name in ("WINDOWSTART", "WINDOWEND"):
                raise KsqlStatementError(
                    f"Window bounds column {name} can only be used in the SELECT clause of "
                    "windowed aggregations and can not be passed to aggregate functions.\n"
                    "See https://github.com/confluentinc/ksql/issues/4397"
                )


def default_argument_text(call: exp.Anonymous) -> str:
    """An aggregate call as ksqlDB lists it: one without arguments reads ROWTIME."""
    args = list(call.expressions)
    if not args or isinstance(args[0], exp.Star):
        return f"{str(call.this).upper()}(ROWTIME)"
    return expression_text(call)


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _java_int(value: Any, kind: SqlType) -> Any:
    """An INT or BIGINT aggregate as Java keeps it: a running sum wraps on overflow, and
    wrapping the exact total gives the same bits."""
    if isinstance(value, int) and not isinstance(value, bool) and kind.base in _INT_BITS:
        return java_wrap(value, _INT_BITS[kind.base])
    return value


_INT_BITS = {"INTEGER": 32, "BIGINT": 64}


_NOT_GROUPED = "Non-aggregate SELECT expression(s) not part of GROUP BY: "
_NOT_GROUPED_HINT = "\nEither add the column(s) to the GROUP BY or remove them from the SELECT."
