"""Aligned text tables in the ksql CLI's two styles, and how a value looks in a cell."""

from __future__ import annotations

import base64
import datetime
import decimal
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

ELLIPSIS = "…"
NULL = "null"
TOMBSTONE = "<TOMBSTONE>"


def _json_default(value: Any) -> Any:
    converter = _JSON_DEFAULTS.get(type(value))
    return converter(value) if converter is not None else str(value)


_JSON_DEFAULTS: dict[type, Callable[[Any], Any]] = {
    decimal.Decimal: str,
    bytes: lambda v: base64.b64encode(v).decode(),
    datetime.datetime: lambda v: v.isoformat(),
    datetime.date: lambda v: v.isoformat(),
    datetime.time: lambda v: v.isoformat(),
}


def to_json(value: Any, *, indent: int | None = None) -> str:
    """JSON for a value of a row or entity (decimals, bytes, dates included)."""
    return json.dumps(value, default=_json_default, indent=indent, ensure_ascii=False)


def _text_of_container(value: Any) -> str:
    return to_json(value)


# Value type -> cell text; everything else goes through str().
_CELL: dict[type, Callable[[Any], str]] = {
    type(None): lambda _v: NULL,
    bool: lambda v: "true" if v else "false",
    list: _text_of_container,
    dict: _text_of_container,
    tuple: _text_of_container,
    bytes: lambda v: base64.b64encode(v).decode(),
    datetime.datetime: lambda v: v.isoformat(sep=" "),
}


def cell(value: Any) -> str:
    """How one value shows in a table: ``null``, ``true``, JSON for structures, one line."""
    render = _CELL.get(type(value))
    text = render(value) if render is not None else str(value)
    if "\n" in text or "\r" in text or "\t" in text:
        text = " ".join(text.split())
    return text


def fit_widths(
    widths: list[int], limit: int | None, overhead: int, column: int | None = None
) -> list[int]:
    """Shrink the widest columns until the table fits ``limit`` characters (never below 4);
    ``column`` caps every column (``SET CLI COLUMN-WIDTH``)."""
    if column:
        widths = [min(w, max(column, 1)) for w in widths]
    if limit is None:
        return widths
    widths = list(widths)
    while sum(widths) + overhead > limit:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= 4:
            break
        widths[widest] -= 1
    return widths


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, marking the cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + ELLIPSIS


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
) -> str:
    """The ksql CLI's listing table (SHOW/LIST): `` A | B `` rows between dashed rules."""
    widths = [len(h) for h in headers]
    for row in rows:
        for index, text in enumerate(row):
            widths[index] = max(widths[index], len(text))
    widths = fit_widths(widths, width, 3 * len(headers))

    def line(values: Sequence[str]) -> str:
        return " " + " | ".join(clip(v, w).ljust(w) for v, w in zip(values, widths, strict=True))

    rule = "-" * (sum(widths) + 3 * len(widths) - 1)
    out = [line(headers), rule, *(line(row) for row in rows), rule]
    return "\n".join(text.rstrip() for text in out)


def fields(pairs: Sequence[tuple[str, str]]) -> str:
    """``Name : value`` lines with the colons aligned, as DESCRIBE prints them."""
    width = max((len(name) for name, _ in pairs), default=0)
    return "\n".join(f"{name.ljust(width)} : {value}".rstrip() for name, value in pairs)


def grid_border(widths: Sequence[int]) -> str:
    """``+----+---+`` for the query result grid."""
    return "+" + "+".join("-" * (w + 2) for w in widths) + "+"


def grid_row(values: Sequence[str], widths: Sequence[int]) -> str:
    """``|a   |b  |`` for the query result grid (values clipped to their column)."""
    return (
        "|"
        + "|".join(" " + clip(v, w).ljust(w) + " " for v, w in zip(values, widths, strict=True))
        + "|"
    )


def grid(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    width: int | None = None,
    column: int | None = None,
) -> str:
    """A finite query result: header, rows and borders in the ksql CLI's ``+---+`` style."""
    texts = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in texts:
        for index, text in enumerate(row):
            widths[index] = max(widths[index], len(text))
    widths = fit_widths(widths, width, 3 * len(headers) + 1, column)
    border = grid_border(widths)
    out = [border, grid_row(headers, widths), border]
    out.extend(grid_row(row, widths) for row in texts)
    out.append(border)
    return "\n".join(out)


def mapping_rows(mapping: Mapping[str, Any]) -> list[list[str]]:
    """A mapping as sorted [key, value] rows."""
    return [[str(key), cell(value)] for key, value in sorted(mapping.items())]


def natural_width(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """How wide ``grid`` would be without clipping."""
    widths = [len(h) for h in headers]
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(cell(value)))
    return sum(widths) + 3 * len(widths) + 1


def vertical(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """One ``COLUMN | value`` block per row, for rows wider than the terminal (like ``\\G``)."""
    width = max((len(h) for h in headers), default=0)
    blocks = []
    for number, row in enumerate(rows, 1):
        lines = [f"{'*' * 20} {number}. row {'*' * 20}"]
        lines += [f"{h.rjust(width)} | {cell(v)}" for h, v in zip(headers, row, strict=True)]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)
