"""The live view of a push query: rows in an aligned grid as they arrive, a count and a rate."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from .output import Output
from .table import (
    TOMBSTONE,
    cell,
    fit_widths,
    grid,
    grid_border,
    grid_row,
    natural_width,
    to_json,
    vertical,
)

# Starting column widths by type, so the first rows rarely widen a column (which repeats the
# header); a column is never narrower than its name.
TYPE_WIDTHS = {
    "BOOLEAN": 5,
    "INTEGER": 6,
    "BIGINT": 13,
    "DOUBLE": 10,
    "DECIMAL": 10,
    "STRING": 10,
    "DATE": 10,
    "TIME": 12,
    "TIMESTAMP": 23,
}
STATUS_EVERY = 0.1
"""Seconds between redraws of the status line (rows are written as they come)."""
QUIET_AFTER = 5.0
"""Seconds without a row after which the status line says how long the query has been quiet
(a server that froze or a source nobody writes to looks like that)."""
HEADER_WAIT = 0.5
"""Seconds without rows after which the header is shown anyway (so a quiet query names its
columns); before that it waits for the first rows, which may widen the columns."""


def _start_widths(columns: Sequence[str], types: Sequence[str], width: int | None) -> list[int]:
    """Starting column widths: by type, and on a terminal the spare width shared between the
    columns of variable width (strings, structures), so that later rows do not widen a column
    and repeat the header."""
    starts = [TYPE_WIDTHS.get(t, 0) for t in types][: len(columns)]
    starts += [0] * (len(columns) - len(starts))
    widths = [max(len(c), w) for c, w in zip(columns, starts, strict=True)]
    flexible = [i for i, t in enumerate(starts) if t in (0, TYPE_WIDTHS["STRING"])]
    if width is None or not flexible:
        return widths
    spare = max(width - (3 * len(columns) + 1) - sum(widths), 0)
    for rank, index in enumerate(flexible):
        widths[index] += spare // len(flexible) + (rank < spare % len(flexible))
    return widths


def _texts(row: Sequence[Any]) -> list[str]:
    texts = [cell(v) for v in row]
    if getattr(row, "tombstone", False):
        texts = [TOMBSTONE if v is None else t for v, t in zip(row, texts, strict=True)]
    return texts


class LiveTable:
    """Writes rows to ``out`` as they arrive; widens a column (and repeats the header) when a
    value does not fit, within ``width`` characters."""

    def __init__(
        self,
        columns: Sequence[str],
        out: Output,
        *,
        width: int | None = None,
        types: Sequence[str] = (),
        column: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.columns = list(columns)
        self.out = out
        self.width = width
        self.column = column
        self.clock = clock
        self.widths = fit_widths(
            _start_widths(self.columns, types, width), width, 3 * len(self.columns) + 1, column
        )
        self.count = 0
        self.started = clock()
        self._header = False
        self._status_at = 0.0
        self._last_row_at: float | None = None

    @property
    def rate(self) -> float:
        """Rows per second since the query started."""
        elapsed = self.clock() - self.started
        return self.count / elapsed if elapsed > 0 else 0.0

    def _widen(self, rows: list[list[str]]) -> bool:
        wanted = list(self.widths)
        for row in rows:
            for index, text in enumerate(row):
                wanted[index] = max(wanted[index], len(text))
        overhead = 3 * len(wanted) + 1
        wanted = fit_widths(wanted, self.width, overhead, self.column)
        grown = [max(old, new) for old, new in zip(self.widths, wanted, strict=True)]
        if grown == self.widths or (self.width is not None and sum(grown) + overhead > self.width):
            return False  # nothing wider, or no room left: the values are clipped instead
        self.widths = grown
        return True

    def header(self) -> str:
        """The border, the column names and the border."""
        border = grid_border(self.widths)
        return f"{border}\n{grid_row(self.columns, self.widths)}\n{border}\n"

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        """Write a batch of rows (one write call, the header before the first), then refresh
        the status line."""
        if not rows:
            return
        texts = [_texts(row) for row in rows]
        widened = self._widen(texts)
        parts = []
        if not self._header or widened:
            parts.append(self.header())
            self._header = True
        parts.extend(grid_row(row, self.widths) + "\n" for row in texts)
        self.out.write("".join(parts))
        self.count += len(rows)
        now = self.clock()
        self._last_row_at = now
        if now - self._status_at >= STATUS_EVERY:
            self._status_at = now
            self.tick()

    def tick(self) -> None:
        """Redraw the status line (also while no rows arrive); the header once the query has
        been quiet for ``HEADER_WAIT`` seconds."""
        if not self._header and self.clock() - self.started >= HEADER_WAIT:
            self.out.write(self.header())
            self._header = True
        noun = "row" if self.count == 1 else "rows"
        quiet = self.clock() - (self._last_row_at or self.started)
        note = f", no new row for {quiet:.0f} s" if quiet >= QUIET_AFTER else ""
        self.out.status(
            f"{self.count} {noun}, {self.rate:,.0f} rows/s{note}. Press Ctrl-C to stop."
        )

    def finish(self) -> str:
        """The header if not shown yet, the closing border and the summary line to print."""
        if not self._header:
            self.out.write(self.header())
            self._header = True
        self.out.write(grid_border(self.widths) + "\n")
        elapsed = self.clock() - self.started
        noun = "row" if self.count == 1 else "rows"
        return f"{self.count} {noun} in {elapsed:.3f} s"


class FiniteTable:
    """Rows of a pull query: collected, then printed as one grid with the count and time."""

    def __init__(
        self,
        columns: Sequence[str],
        out: Output,
        *,
        width: int | None = None,
        column: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.columns = list(columns)
        self.out = out
        self.width = width
        self.column = column
        self.clock = clock
        self.rows: list[Sequence[Any]] = []
        self.started = clock()

    @property
    def count(self) -> int:
        """Rows received so far."""
        return len(self.rows)

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        """Keep the rows for the grid."""
        self.rows.extend(rows)

    def tick(self) -> None:
        """Nothing is shown before the query ends."""

    def finish(self) -> str:
        """Write the grid; return the summary line."""
        elapsed = self.clock() - self.started
        too_wide = self.width is not None and self.rows and not self.column
        if too_wide and natural_width(self.columns, self.rows) > (self.width or 0):
            self.out.block(vertical(self.columns, self.rows))
        elif self.rows or self.columns:
            self.out.block(grid(self.columns, self.rows, width=self.width, column=self.column))
        noun = "row" if len(self.rows) == 1 else "rows"
        return f"{len(self.rows)} {noun} in {elapsed:.3f} s"


class JsonLines:
    """Rows of a query as one JSON object per line (``--output JSON``)."""

    def __init__(self, columns: Sequence[str], out: Output, **_options: Any) -> None:
        self.columns = list(columns)
        self.out = out
        self.count = 0
        self.started = time.monotonic()

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        """Write each row as ``{"COLUMN": value, ...}``."""
        self.out.write(
            "".join(to_json(dict(zip(self.columns, row, strict=True))) + "\n" for row in rows)
        )
        self.count += len(rows)

    def tick(self) -> None:
        """No status line in JSON mode."""

    def finish(self) -> str:
        """No summary in JSON mode (the output stays machine-readable)."""
        return ""
