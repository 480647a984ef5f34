"""The inputs of a join: its sources in FROM/JOIN order, where each one's columns sit in the
joined row, and the checks ksqlDB's Analyzer makes of them before any criterion is planned."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlSelect

from .convert import identifier_name
from .errors import KsqlStatementError
from .expr import Fn
from .metastore import Source, alternatives
from .rows import WINDOW_BOUNDS, RowReader, source_scope
from .types import SqlType


@dataclass(slots=True)
class Input:
    """One source of a join and where its columns sit in the joined row."""

    source: Source
    alias: str
    reader: RowReader
    offset: int
    width: int
    names: list[str]  # the source's slot names, in row order

    @property
    def key_value(self) -> Fn:
        """The record key of a row of this input: its key column (a tuple of several)."""
        count = len(self.source.keys)
        offset = self.offset
        if count == 1:
            return lambda row: row[offset]
        return lambda row: tuple(row[offset : offset + count])

    @property
    def window(self) -> Fn:
        """The window of a row of a windowed input (joins match keys within one window)."""
        if not self.source.windowed:
            return lambda row: None
        start = self.offset + self.names.index(WINDOW_BOUNDS[0])
        return lambda row: (row[start], row[start + 1])


def resolve_inputs(
    sources: dict[str, Source], select: KsqlSelect, custom: dict[str, SqlType]
) -> list[Input]:
    """The sources of a joined SELECT (FROM, then each JOIN), refusing repeated sources."""
    tables = [select.args["from_"].this] + [j.this for j in select.args.get("joins") or []]
    inputs: list[Input] = []
    offset = 0
    for table in tables:
        if not isinstance(table, exp.Table):
            raise KsqlStatementError("A join needs streams or tables on both sides.")
        name = identifier_name(table.this)
        source = sources.get(name)
        if source is None:
            raise KsqlStatementError(f"{name} does not exist.{alternatives(sources, name)}")
        for seen in inputs:
            if seen.source.name == source.name:
                if len(inputs) > 1:
                    raise KsqlStatementError(
                        "N-way joins do not support multiple occurrences of the same source. "
                        f"Source: '{name}'."
                    )
                raise KsqlStatementError(
                    f"Can not join '{name}' to '{seen.source.name}': self joins are not yet "
                    "supported."
                )
        alias = identifier_name(table.args["alias"].this) if table.args.get("alias") else name
        slots = source_scope(source, alias, custom).slots
        inputs.append(
            Input(source, alias, RowReader(source), offset, len(slots), [s.name for s in slots])
        )
        offset += len(slots)
    kafka = [i.alias for i in inputs if i.source.value_format == "KAFKA"]
    if kafka:
        raise KsqlStatementError(
            f"Source(s) {', '.join(kafka)} are using the 'KAFKA' value format. This format does "
            "not yet support JOIN."
        )
    return inputs


def check_windowing(left: Input, right: Input) -> None:
    kinds = (left.source.windowed, right.source.windowed)
    if (kinds[0] is None) != (kinds[1] is None):
        raise KsqlStatementError(
            "Can not join windowed source to non-windowed source.\n"
            f"`{left.alias}` is {kinds[0] or 'not'} windowed\n"
            f"`{right.alias}` is {kinds[1] or 'not'} windowed"
        )
    if kinds[0] is None:
        return
    if (kinds[0] == "SESSION") != (kinds[1] == "SESSION"):
        raise KsqlStatementError(
            "Incompatible windowed sources.\n"
            f"Left source: {kinds[0]}\nRight source: {kinds[1]}\n"
            "Session windowed sources can only be joined to other session windowed sources, "
            "and may still not result in expected behaviour as session bounds must be an "
            "exact match for the join to work\n"
            "Hopping and tumbling windowed sources can only be joined to other hopping and "
            "tumbling windowed sources"
        )


def synthetic_name(sources: Sequence[Source]) -> str:
    """ROWKEY, or ROWKEY_n past the highest such column of the sources (ColumnNames)."""
    taken = -1
    for source in sources:
        for column in source.columns:
            if column.name == "ROWKEY":
                taken = max(taken, 0)
            elif m := re.fullmatch(r"ROWKEY_(\d+)", column.name):
                taken = max(taken, int(m.group(1)))
    return "ROWKEY" if taken < 0 else f"ROWKEY_{taken + 1}"
