"""Two-way joins: stream-stream (WITHIN), stream-table and table-table on the primary key.

A :class:`JoinPipeline` is fed records of either input, in timestamp order, and returns the
result records. The joined row is the left row, the right row (NULLs when missing) and ``ROWKEY``
(the join key), so expressions over ``alias.column`` compile against one scope.

Not modelled: the grace period that delays LEFT/OUTER stream-stream results until the window
closes (results with NULLs are emitted at once), foreign-key table-table joins, N-way joins.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlJoin, KsqlSelect, KsqlStructAll

from ..storage import Log, Record
from .aggregate import duration_ms
from .convert import hashable, identifier_name
from .errors import KsqlStatementError
from .expr import NULL_TYPE, Fn, Scope, Slot, canonical, compile_expr
from .metastore import Source
from .rows import WINDOW_BOUNDS, RowReader, compile_where, source_scope
from .types import BIGINT, SqlType


@dataclass(slots=True)
class Side:
    """One input of a join."""

    source: Source
    alias: str
    reader: RowReader
    width: int
    key: Fn | None = None


@dataclass(slots=True)
class Joined:
    """One result record of a join, before projection."""

    row: list[Any] | None  # None: a tombstone (table-table)
    rowtime: int
    key: Any
    headers: tuple[tuple[str, bytes | None], ...] = ()  # of the input record that joined


@dataclass(slots=True)
class JoinOutput:
    """A projected column of a join result."""

    name: str
    type: SqlType
    fn: Fn
    key: bool


def _side(source: Source, alias: str | None, custom: dict[str, SqlType]) -> tuple[Side, Scope]:
    scope = source_scope(source, alias, custom)
    return Side(source, alias or source.name, RowReader(source), len(scope.slots)), scope


def _qualifier(node: exp.Expression) -> str | None:
    table = node.args.get("table") if isinstance(node, exp.Column) else None
    return identifier_name(table) if table is not None else None


class JoinPipeline:
    """A compiled two-way join with its WHERE and projection."""

    def __init__(
        self,
        select: KsqlSelect,
        sources: list[tuple[Source, str | None]],
        custom: dict[str, SqlType],
    ) -> None:
        joins = select.args.get("joins") or []
        if len(joins) != 1 or len(sources) != 2:
            raise KsqlStatementError("The ksqlpy local server joins two sources at a time for now.")
        if select.args.get("partition_by") is not None:
            raise KsqlStatementError(
                "The ksqlpy local server cannot PARTITION BY the result of a join yet."
            )
        join: KsqlJoin = joins[0]
        (left_source, left_alias), (right_source, right_alias) = sources
        self.left, left_scope = _side(left_source, left_alias, custom)
        self.right, right_scope = _side(right_source, right_alias, custom)
        kinds = (left_source.kind, right_source.kind)
        self.mode = {
            ("STREAM", "STREAM"): "SS",
            ("STREAM", "TABLE"): "ST",
            ("TABLE", "TABLE"): "TT",
        }.get(kinds)
        side = str(join.args.get("side") or "").upper()
        self.kind = side if side in ("LEFT", "RIGHT", "FULL") else "INNER"
        if self.mode is None:
            written = {
                "INNER": "[INNER] JOIN",
                "LEFT": "LEFT [OUTER] JOIN",
                "RIGHT": "RIGHT [OUTER] JOIN",
                "FULL": "[FULL] OUTER JOIN",
            }[self.kind]
            raise KsqlStatementError(
                "Invalid join order: table-stream joins are not supported; only stream-table "
                f"joins. Got {left_source.name} {written} {right_source.name}."
            )
        within = join.args.get("within")
        if self.mode == "SS" and within is None:
            raise KsqlStatementError(
                "Stream-Stream joins must have a WITHIN clause specified. None was provided."
            )
        if self.mode != "SS" and within is not None:
            raise KsqlStatementError(
                "A window definition was provided for a Stream-Table join. These joins are not "
                "windowed. Please drop the window definition (ie. the WITHIN clause) and try to "
                "execute your Stream-Table join again."
            )
        self.before = self.after = 0
        if within is not None:
            self.before = duration_ms(within.this) or 0
            self.after = duration_ms(within.args.get("after")) or self.before
        if self.mode == "ST" and self.kind not in ("INNER", "LEFT"):
            raise KsqlStatementError(
                f"Stream-table joins support INNER and LEFT joins, not {self.kind}."
            )
        condition = join.args.get("on")
        if not isinstance(condition, exp.EQ):
            raise KsqlStatementError(
                "Invalid join condition: joins must be equality conditions (a = b)."
            )
        names_left = {self.left.alias, left_source.name}
        operands = [condition.this, condition.expression]
        if _qualifier(operands[0]) not in names_left and _qualifier(operands[1]) in names_left:
            operands.reverse()
        self.left.key, key_type = compile_expr(operands[0], left_scope)
        self.right.key, _ = compile_expr(operands[1], right_scope)
        if self.mode == "TT":
            self._check_primary_key(operands[0], left_source, "left")
            self._check_primary_key(operands[1], right_source, "right")
        self.key_nodes = operands
        slots = [*left_scope.slots, *right_scope.slots, Slot("ROWKEY", key_type)]
        self.scope = Scope(slots, custom)
        self.where = None
        if select.args.get("where") is not None:
            self.where = compile_where(select.args["where"].this, self.scope, pull=False)
        self.outputs = self._outputs(select)
        self.is_table = self.mode == "TT"
        self.window = None
        self.aggregator = None
        self.repartition = None  # PARTITION BY of a join is refused above
        self.buffers: tuple[
            dict[Any, list[tuple[int, list[Any]]]], dict[Any, list[tuple[int, list[Any]]]]
        ] = ({}, {})
        self.tables: tuple[dict[Any, tuple[int, list[Any]]], dict[Any, tuple[int, list[Any]]]] = (
            {},
            {},
        )
        self.shown: set[Any] = set()

    @staticmethod
    def _check_primary_key(node: exp.Expression, source: Source, side: str) -> None:
        if not (
            isinstance(node, exp.Column)
            and any(c.name == identifier_name(node.this) for c in source.keys)
        ):
            if source.windowed:
                raise KsqlStatementError(
                    "Foreign-key table-table joins are not supported on windowed tables."
                )
            raise KsqlStatementError(
                "Foreign-key table-table joins are not supported by the ksqlpy local server yet; "
                f"join on the {side} table's PRIMARY KEY."
            )

    def _outputs(self, select: KsqlSelect) -> list[JoinOutput]:
        in_both = {s.name for s in self.left_slots()} & {s.name for s in self.right_slots()}
        outputs: list[JoinOutput] = []
        synthetic = 0
        for item in select.expressions:
            if isinstance(item, (exp.Star, KsqlStructAll)) or (
                isinstance(item, exp.Column) and isinstance(item.this, exp.Star)
            ):
                for offset, side in ((0, self.left), (self.left.width, self.right)):
                    columns = side.source.keys + side.source.values
                    layout = [s.name for s in source_scope(side.source, None, {}).slots]
                    for column in columns:
                        index = offset + layout.index(column.name)
                        outputs.append(
                            JoinOutput(
                                f"{side.alias}_{column.name}", column.type, _at(index), False
                            )
                        )
                continue
            node = item.this if isinstance(item, exp.Alias) else item
            fn, kind = compile_expr(node, self.scope)
            if isinstance(item, exp.Alias):
                name = identifier_name(item.args["alias"])
            elif isinstance(node, exp.Column):
                column_name = identifier_name(node.this)
                qualifier = _qualifier(node)
                qualified = qualifier and column_name in in_both
                name = f"{qualifier}_{column_name}" if qualified else column_name
            else:
                name = f"KSQL_COL_{synthetic}"
                synthetic += 1
            if kind == NULL_TYPE:
                raise KsqlStatementError("Can't infer a type of null. Please explicitly cast it.")
            outputs.append(JoinOutput(name, kind, fn, False))
        # The result's key is the join key: the first column that projects it, or ROWKEY.
        key_texts = {canonical(key, self.scope) for key in self.key_nodes}
        for output, item in zip(outputs, self._items(select), strict=False):
            node = item.this if isinstance(item, exp.Alias) else item
            if canonical(node, self.scope) in key_texts or (
                isinstance(node, exp.Column) and identifier_name(node.this) == "ROWKEY"
            ):
                output.key = True
                break
        else:
            star_key = (
                f"{self.left.alias}_{identifier_name(self.key_nodes[0].this)}"
                if isinstance(self.key_nodes[0], exp.Column)
                else None
            )
            for output in outputs:
                if output.name == star_key:
                    output.key = True
                    break
        return outputs

    @staticmethod
    def _items(select: KsqlSelect) -> list[exp.Expression]:
        return [i for i in select.expressions if not isinstance(i, (exp.Star, KsqlStructAll))]

    def left_slots(self) -> list[Slot]:
        """The joined scope's slots of the left input."""
        return self.scope.slots[: self.left.width]

    def right_slots(self) -> list[Slot]:
        """The joined scope's slots of the right input."""
        return self.scope.slots[self.left.width : self.left.width + self.right.width]

    def key_outputs(self) -> list[JoinOutput]:
        """The key column of the result."""
        return [o for o in self.outputs if o.key and o.name not in WINDOW_BOUNDS]

    # -- processing -------------------------------------------------------------------------------

    def _joined(self, left: list[Any] | None, right: list[Any] | None, key: Any) -> list[Any]:
        return [
            *(left if left is not None else [None] * self.left.width),
            *(right if right is not None else [None] * self.right.width),
            key,
        ]

    def run(self, records: Sequence[tuple[int, Record]]) -> Iterator[Joined]:
        """Results of input records taken in order (streams skip records without a value)."""
        readers = (self.left.reader, self.right.reader)
        inputs = (self.left.source, self.right.source)
        for side, record in records:
            if record.value is None and inputs[side].kind != "TABLE":
                continue
            decoded = readers[side].row(record)
            if decoded is None:
                continue
            row = None if record.value is None else decoded
            for joined in self.feed(side, row, record.timestamp, decoded):
                joined.headers = record.headers
                yield joined

    def feed(
        self, side: int, row: list[Any] | None, rowtime: int, key_row: list[Any] | None
    ) -> list[Joined]:
        """Results of one record of input ``side`` (0 left, 1 right); ``row`` None = tombstone."""
        this = self.left if side == 0 else self.right
        source_row = row if row is not None else key_row
        if source_row is None or this.key is None:
            return []
        key = this.key(source_row)
        if key is None:
            return []
        lookup = hashable(key)
        handler = {"SS": self._stream_stream, "ST": self._stream_table, "TT": self._table_table}[
            self.mode or "SS"
        ]
        results = handler(side, row, rowtime, key, lookup)
        if self.where is not None:
            results = [r for r in results if r.row is None or self.where(r.row) is True]
        return results

    def _stream_stream(
        self, side: int, row: list[Any] | None, rowtime: int, key: Any, lookup: Any
    ) -> list[Joined]:
        if row is None:
            return []
        other = self.buffers[1 - side].get(lookup, [])
        results = []
        for other_time, other_row in other:
            # WITHIN (before, after): the right record may be `before` earlier or `after` later.
            delta = other_time - rowtime if side == 0 else rowtime - other_time
            if -self.before <= delta <= self.after:
                left, right = (row, other_row) if side == 0 else (other_row, row)
                results.append(
                    Joined(self._joined(left, right, key), max(rowtime, other_time), key)
                )
        if not results and (
            self.kind == "FULL"
            or (self.kind == "LEFT" and side == 0)
            or (self.kind == "RIGHT" and side == 1)
        ):
            padded = self._joined(row, None, key) if side == 0 else self._joined(None, row, key)
            results.append(Joined(padded, rowtime, key))
        self.buffers[side].setdefault(lookup, []).append((rowtime, row))
        return results

    def _stream_table(
        self, side: int, row: list[Any] | None, rowtime: int, key: Any, lookup: Any
    ) -> list[Joined]:
        if side == 1:
            if row is None:
                self.tables[1].pop(lookup, None)
            else:
                self.tables[1][lookup] = (rowtime, row)
            return []
        if row is None:
            return []
        found = self.tables[1].get(lookup)
        if found is None and self.kind == "INNER":
            return []
        return [Joined(self._joined(row, found[1] if found else None, key), rowtime, key)]

    def _table_table(
        self, side: int, row: list[Any] | None, rowtime: int, key: Any, lookup: Any
    ) -> list[Joined]:
        state = self.tables[side]
        if row is None:
            state.pop(lookup, None)
        else:
            state[lookup] = (rowtime, row)
        left, right = self.tables[0].get(lookup), self.tables[1].get(lookup)
        present = {
            "INNER": left is not None and right is not None,
            "LEFT": left is not None,
            "RIGHT": right is not None,
            "FULL": left is not None or right is not None,
        }[self.kind]
        if not present:
            if lookup in self.shown:
                self.shown.discard(lookup)
                return [Joined(None, rowtime, key)]
            return []
        self.shown.add(lookup)
        stamp = max(t for t, _ in (x for x in (left, right) if x is not None))
        return [
            Joined(
                self._joined(left[1] if left else None, right[1] if right else None, key),
                stamp,
                key,
            )
        ]


def _at(index: int) -> Fn:
    return lambda row: row[index]


def join_sources(
    engine_sources: dict[str, Source], select: KsqlSelect
) -> list[tuple[Source, str | None]]:
    """The sources of a joined SELECT (FROM, then each JOIN), with their aliases."""
    tables = [select.args["from_"].this] + [j.this for j in select.args.get("joins") or []]
    out = []
    for table in tables:
        if not isinstance(table, exp.Table):
            raise KsqlStatementError("A join needs streams or tables on both sides.")
        name = identifier_name(table.this)
        source = engine_sources.get(name)
        if source is None:
            raise KsqlStatementError(f"{name} does not exist.")
        alias = identifier_name(table.args["alias"].this) if table.args.get("alias") else None
        out.append((source, alias))
    return out


def drain(
    log: Log,
    sources: Sequence[Source],
    positions: list[list[int]],
    until: list[list[int]] | None = None,
) -> list[tuple[int, list[Record]]]:
    """The records appended to each input since ``positions`` (up to ``until`` when given),
    which move past them."""
    batches = []
    for side, source in enumerate(sources):
        ends = log.end_offsets(source.topic)
        if until is not None:
            stops = until[side] if side < len(until) else []
            ends = [min(e, stops[p] if p < len(stops) else 0) for p, e in enumerate(ends)]
        mine = positions[side]
        mine += [0] * (len(ends) - len(mine))
        records: list[Record] = []
        for partition, end in enumerate(ends):
            if mine[partition] < end:
                records += log.read(source.topic, partition, mine[partition], end - mine[partition])
                mine[partition] = end
        batches.append((side, records))
    return batches


def ordered(batches: Sequence[tuple[int, Sequence[Any]]]) -> list[tuple[int, Any]]:
    """Records of several inputs in the order a stream processor takes them: by timestamp."""
    merged = [(side, record) for side, records in batches for record in records]
    merged.sort(key=lambda item: (item[1].timestamp, item[0], item[1].partition, item[1].offset))
    return merged


__all__ = ["BIGINT", "JoinPipeline", "Joined", "join_sources", "ordered"]
