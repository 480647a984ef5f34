"""Incremental decoders of query responses, fed bytes in any chunking: ``/query-stream`` in its
delimited and JSON framings (``QueryDecoder``) and ``/query``'s StreamedRow array
(``StreamedRowDecoder``). Sans-IO, as the rest of ``_protocol``."""

from __future__ import annotations

import codecs
import json
import json.scanner
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from ._errors import (
    KsqlServerError,
    ProtocolError,
)
from ._protocol import DELIMITED, V1_JSON, _plain_scan, _short, error_from_body
from ._rows import Row, RowFactory, row_factory
from ._types import Column, parse_columns, parse_schema

# The same scanner, with fractions read as exact decimals.
_exact_scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    cast(Any, json.JSONDecoder(parse_float=Decimal))
)


class QueryDecoder:
    """Incremental decoder of a ``/query-stream`` response, fed bytes in any chunking.

    ``feed(chunk)`` returns the rows completed by that chunk (``Row``s, or plain lists in raw
    mode). The header (``query_id``, ``columns``) is available once ``has_header``; a server error
    inside the stream or a malformed frame is stored in ``error`` after the rows that preceded
    it, and everything after it is ignored. ``feed_eof()`` checks that the stream ended cleanly.
    """

    media_type = DELIMITED

    def __init__(self, *, raw: bool = False, where: str = "the query") -> None:
        self.raw = raw
        self.where = where
        self.query_id: str | None = None
        self.columns: tuple[Column, ...] = ()
        self.has_header = False
        self.error: KsqlServerError | ProtocolError | None = None
        self.final_message: str | None = None
        self.continuation_token: str | None = None
        self.consistency_token: str | None = None
        self._text = codecs.getincrementaldecoder("utf-8")()
        self._split_char = False  # the incremental decoder holds the start of a character
        self._tail = ""
        self._build: RowFactory | Callable[[list[Any]], Any] = _raw_row
        self._scan: Callable[[str, int], tuple[Any, int]] = _plain_scan

    @property
    def complete(self) -> bool:
        """True when the stream announced its own end (a final message, or an error)."""
        return self.final_message is not None or self.error is not None

    def feed(self, chunk: bytes) -> list[Any]:
        """Decode ``chunk``; return the rows it completed (possibly none)."""
        if self.error is not None:
            return []
        try:
            if chunk[-1:] == b"\n" and not self._split_char:
                # Nothing held back and a chunk ending at a newline: no character is cut, so
                # the plain decode is exact (and cheaper than the incremental decoder).
                text = chunk.decode("utf-8")
            else:
                text = self._text.decode(chunk)
                self._split_char = bool(self._text.getstate()[0])
        except UnicodeDecodeError as error:
            self.error = ProtocolError(f"{self.where} sent bytes that are not UTF-8: {error}")
            return []
        if self._tail:
            text = self._tail + text
        if self._joined and self.has_header:
            cut = text.rfind("\n")
            if cut < 0:
                self._tail = text
                return []
            self._tail = text[cut + 1 :]
            block = text[:cut]
            if "\n" not in block:  # one line: how a server that writes rows one by one sends
                single: list[Any] = []
                self._lines([block], single)
                return single
            rows = self._block(block)  # several lines: one scan for them all
            if rows is not None:
                return rows
            lines = block.split("\n")
        else:
            lines = text.split("\n")
            self._tail = lines.pop()
        out: list[Any] = []
        self._lines(lines, out)
        return out

    _joined = True
    """Whether a chunk's whole lines may be scanned as one JSON array (see ``_block``)."""

    def _block(self, block: str) -> list[Any] | None:
        """The rows of ``block`` (whole lines) if every line is a row, else None.

        The usual chunk holds only rows, one JSON array per line: joined into one array they
        take one C scan, not one per line. Anything else (a blank line, a final or error
        message, a malformed line) returns None, and ``_lines`` reads the block line by line,
        with the same results and errors as for any other chunk.
        """
        try:
            values, end = self._scan("[" + block.replace("\n", ",") + "]", 0)
        except (ValueError, StopIteration):  # the C scanner's two ways of saying "not JSON"
            return None
        # One value per line, each one array: a line holding two values, or one that is not an
        # array, changes the count or the types.
        if (
            end != len(block) + 2
            or len(values) != block.count("\n") + 1
            or set(map(type, values)) != {list}
        ):
            return None
        try:
            return list(map(self._build, values))
        except (ValueError, TypeError, IndexError, KeyError):
            return None

    def feed_eof(self) -> list[Any]:
        """The response ended: decode what is left; set ``error`` if it ended mid-frame."""
        if self.error is not None:
            return []
        out: list[Any] = []
        try:
            rest = self._tail + self._text.decode(b"", final=True)
        except UnicodeDecodeError as error:
            self.error = ProtocolError(f"{self.where} ended inside a UTF-8 character: {error}")
            return out
        self._tail = ""
        if rest.strip():
            self._lines([rest], out)
        if self.error is None and not self.has_header:
            self.error = ProtocolError(
                f"{self.where} ended before its header; the server closed the response early"
            )
        return out

    def _lines(self, lines: list[str], out: list[Any]) -> None:
        # The hot loop: one C scan and one row build per line, nothing else.
        append = out.append
        scan = self._scan
        build = self._build
        header = self.has_header
        line = ""
        try:
            for line in lines:
                if header and line[:1] == "[":
                    values, end = scan(line, 0)
                    if end != len(line) and line[end:].strip():
                        raise ValueError("text after the row")
                    append(build(values))
                elif line.strip():
                    self._other(line, out)
                    if self.error is not None:
                        break  # an error ends the stream: nothing after it counts
                    scan, build, header = self._scan, self._build, self.has_header
        except (ValueError, TypeError, StopIteration, IndexError, KeyError) as error:
            self.error = ProtocolError(
                f"{self.where} sent a malformed line ({error}): {_short(line)!r}"
            )

    def _other(self, line: str, out: list[Any]) -> None:
        obj, end = _plain_scan(line, len(line) - len(line.lstrip()))
        if line[end:].strip():
            raise ValueError("text after the object")
        if isinstance(obj, list) and self.has_header:
            out.append(self._build(obj))  # a row after leading blanks, as _block reads it
            return
        if not isinstance(obj, dict):
            raise ValueError("a row before the header")
        if "queryId" in obj or "columnNames" in obj:
            if self.has_header:
                raise ValueError("a second header")
            self._header(obj.get("queryId"), parse_columns(obj["columnNames"], obj["columnTypes"]))
        elif "error_code" in obj or "@type" in obj:
            self.error = error_from_body(None, obj, where=self.where)
        elif "continuationToken" in obj:
            self.continuation_token = str(obj["continuationToken"])
        elif "consistencyToken" in obj:
            self.consistency_token = str(obj["consistencyToken"])
        # Other objects are ignored: newer servers may add kinds of messages.

    def _header(self, query_id: Any, columns: tuple[Column, ...]) -> None:
        self.query_id = str(query_id) if query_id is not None else None
        self.columns = columns
        self.has_header = True
        if not self.raw:
            build, exact = row_factory(columns)
            self._build = build
            self._scan = _exact_scan if exact else _plain_scan


def _raw_row(values: list[Any]) -> list[Any]:
    if not isinstance(values, list):
        raise TypeError("a row that is not a JSON array")
    return values


class StreamedRowDecoder(QueryDecoder):
    """Decoder of the StreamedRow array (``Accept: application/vnd.ksql.v1+json``, §3).

    Lines look like ``[{"header":...},`` ``{"row":{"columns":[...]}},`` and end with
    ``{"finalMessage":...}]``; a mid-stream error leaves a dangling comma, so lines are parsed
    one by one, never as a whole document (§3.2). Table tombstones become rows whose
    ``tombstone`` is True.
    """

    media_type = V1_JSON
    _joined = False  # its lines are objects with trailing commas, not bare arrays

    def __init__(self, *, raw: bool = False, where: str = "the query") -> None:
        super().__init__(raw=raw, where=where)
        self._tombstone: RowFactory | Callable[[list[Any]], Any] = _raw_row
        self.closed_array = False

    def _lines(self, lines: list[str], out: list[Any]) -> None:
        append = out.append
        scan = self._scan
        build = self._build
        tombstone = self._tombstone
        line = ""
        try:
            for line in lines:
                start = 1 if line[:1] == "[" else 0
                if self.has_header and line.startswith('{"row":', start):
                    obj, end = scan(line, start)
                    row = obj["row"]
                    append(
                        tombstone(row["columns"]) if row.get("tombstone") else build(row["columns"])
                    )
                else:
                    stripped = line.strip()
                    if stripped in _BRACKETS:
                        self.closed_array = self.closed_array or stripped.endswith("]")
                        continue
                    obj, end = scan(line, line.index("{"))
                    if not isinstance(obj, dict):
                        raise ValueError("an element that is not an object")
                    if "row" in obj:
                        if not self.has_header:
                            raise ValueError("a row before the header")
                        row = obj["row"]
                        append(
                            tombstone(row["columns"])
                            if row.get("tombstone")
                            else build(row["columns"])
                        )
                    else:
                        self._object(obj)
                        if self.error is not None:
                            break
                        scan, build, tombstone = self._scan, self._build, self._tombstone
                rest = line[end:]
                if rest != ",":
                    rest = rest.strip()
                    if rest not in _TRAILERS:
                        raise ValueError("text after the element")
                    if rest.endswith("]"):
                        self.closed_array = True
        except (
            ValueError,
            TypeError,
            StopIteration,
            IndexError,
            KeyError,
            AttributeError,
        ) as error:
            self.error = ProtocolError(
                f"{self.where} sent a malformed line ({error}): {_short(line)!r}"
            )

    def _object(self, obj: dict[str, Any]) -> None:
        if "header" in obj:
            if self.has_header:
                raise ValueError("a second header")
            header = obj["header"]
            self._header(header.get("queryId"), parse_schema(header["schema"]))
            if not self.raw:
                tomb = _tombstone_factory(self.columns)
                self._tombstone = tomb
        elif "finalMessage" in obj:
            self.final_message = str(obj["finalMessage"])
        elif "errorMessage" in obj:
            self.error = error_from_body(None, obj["errorMessage"], where=self.where)
        elif "continuationToken" in obj:
            token = obj["continuationToken"]
            self.continuation_token = str(
                token.get("continuationToken") if isinstance(token, dict) else token
            )
        elif "consistencyToken" in obj:
            token = obj["consistencyToken"]
            self.consistency_token = str(
                token.get("consistencyToken") if isinstance(token, dict) else token
            )
        elif "error_code" in obj:
            self.error = error_from_body(None, obj, where=self.where)

    @property
    def complete(self) -> bool:
        """True when the array was closed, or a final message or an error arrived."""
        return self.closed_array or self.final_message is not None or self.error is not None


_BRACKETS = frozenset({"", "[", "]", "[]"})
_TRAILERS = frozenset({"", ",", "]", ",]"})


def _tombstone_factory(columns: tuple[Column, ...]) -> RowFactory:
    build, _ = row_factory(columns)
    tomb_cls: type[Row] | None = None

    def tombstone(values: list[Any]) -> Row:
        nonlocal tomb_cls
        row = build(values)
        if tomb_cls is None:
            tomb_cls = type("Row", (type(row),), {"__slots__": (), "tombstone": True})
        return tomb_cls(row)

    return tombstone


DECODERS: dict[str, type[QueryDecoder]] = {
    "delimited": QueryDecoder,
    "json": StreamedRowDecoder,
}
"""Query stream formats by name: the Accept header they send and the decoder they use."""
