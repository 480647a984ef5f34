"""ksqlDB's wire format: error bodies, value encodings, and the framings of query streams.

Every byte layout here follows the REST API reference (``/query`` StreamedRow arrays,
``/query-stream`` delimited and JSON arrays, insert acks); the server's handlers only pick one.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from .engine.convert import format_double, format_time, format_timestamp
from .engine.errors import EngineError
from .engine.types import ArrayType, MapType, SqlType, StructType, has_decimal

V1_JSON = "application/vnd.ksql.v1+json"
JSON = "application/json"
DELIMITED = "application/vnd.ksqlapi.delimited.v1"

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dumps(value: Any) -> str:
    """Compact JSON, as ksqlDB writes it (no spaces, non-ASCII kept)."""
    return _dumps(value)


class KsqlHttpError(Exception):
    """An error answered as an HTTP response with a ksqlDB error body."""

    def __init__(self, status: int, body: dict[str, Any], headers: Sequence[tuple[str, str]] = ()):
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = tuple(headers)


def generic_error(code: int, message: str) -> dict[str, Any]:
    """The ``generic_error`` body."""
    return {"@type": "generic_error", "error_code": code, "message": message}


def statement_error(code: int, message: str, statement_text: str) -> dict[str, Any]:
    """The ``statement_error`` body (``entities`` is always present and empty)."""
    return {
        "@type": "statement_error",
        "error_code": code,
        "message": message,
        "statementText": statement_text,
        "entities": [],
    }


def http_error(code: int, message: str, statement_text: str | None = None) -> KsqlHttpError:
    """A ksqlDB error answered with HTTP status ``code // 100``."""
    body = (
        generic_error(code, message)
        if statement_text is None
        else statement_error(code, message, statement_text)
    )
    return KsqlHttpError(code // 100, body)


def http_error_of(error: KsqlHttpError | EngineError) -> KsqlHttpError:
    """The HTTP answer to an error: an engine error gets status ``code // 100`` and its body."""
    if isinstance(error, KsqlHttpError):
        return error
    return http_error(error.code, error.message, error.statement_text)


# -- values -------------------------------------------------------------------------------------

_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_DATE = dt.date(1970, 1, 1)


def _identity(value: Any) -> Any:
    return value


def _nullable(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        return None if value is None else convert(value)

    return run


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


_TOP_LEVEL: dict[str, Callable[[Any], Any]] = {
    "BYTES": _b64,
    "DATE": dt.date.isoformat,
    "TIME": format_time,
    "TIMESTAMP": format_timestamp,
    "DOUBLE": format_double,
}

# Inside a STRUCT, values go through Kafka Connect's JsonConverter: temporals become numbers.
_IN_STRUCT: dict[str, Callable[[Any], Any]] = {
    "BYTES": _b64,
    "DATE": lambda v: (v - _EPOCH_DATE).days,
    "TIME": lambda v: ((v.hour * 60 + v.minute) * 60 + v.second) * 1000 + v.microsecond // 1000,
    "TIMESTAMP": lambda v: (v - _EPOCH) // dt.timedelta(milliseconds=1),
    "DOUBLE": format_double,
}


def _converter(kind: SqlType, in_struct: bool = False) -> Callable[[Any], Any]:
    """A function from an engine value of ``kind`` to a JSON-native value (Decimal kept)."""
    if isinstance(kind, ArrayType):
        element = _converter(kind.element, in_struct)
        if element is _identity:
            return _identity
        return _nullable(lambda v: [None if x is None else element(x) for x in v])
    if isinstance(kind, MapType):
        item = _converter(kind.value, in_struct)
        if item is _identity:
            return _identity
        return _nullable(lambda v: {k: None if x is None else item(x) for k, x in v.items()})
    if isinstance(kind, StructType):
        fields = [(name, _converter(t, True)) for name, t in kind.fields]
        return _nullable(
            lambda v: {n: None if v.get(n) is None else c(v.get(n)) for n, c in fields}
        )
    table = _IN_STRUCT if in_struct else _TOP_LEVEL
    convert = table.get(kind.base)
    return _identity if convert is None else _nullable(convert)


_encode_string = json.encoder.encode_basestring  # the C version when available


def _json_text(value: Any) -> str:
    """Compact JSON of JSON-native values plus Decimals, written as plain numbers with their
    scale (``1.50``, never ``1.5E+1``): what ksqlDB sends for DECIMAL."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is str:
        return _encode_string(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return float.__repr__(value)
    if kind is Decimal:
        return format(value, "f")
    if kind is list:
        return "[" + ",".join(map(_json_text, value)) + "]"
    if kind is dict:
        items = (_encode_string(str(k)) + ":" + _json_text(v) for k, v in value.items())
        return "{" + ",".join(items) + "}"
    return _dumps(value)


_decimal_dumps = _json_text


class RowEncoder:
    """Turns engine rows into the JSON text of a row array, with per-column converters."""

    def __init__(self, types: Sequence[SqlType]) -> None:
        self.converters = [_converter(t) for t in types]
        self.plain = all(c is _identity for c in self.converters)
        self.dumps = _decimal_dumps if any(has_decimal(t) for t in types) else _dumps

    def json_values(self, row: Sequence[Any]) -> list[Any]:
        """The row as JSON-native values (Decimals kept)."""
        if self.plain:
            return list(row)
        return [c(v) for c, v in zip(self.converters, row, strict=True)]

    def encode(self, row: Sequence[Any]) -> str:
        """The row as a compact JSON array."""
        return self.dumps(self.json_values(row))


# -- stream framings ----------------------------------------------------------------------------


# A response whose app sends this header (connection.py removes it) ends each element with
# ELEMENT_END, a NUL byte that JSON text never holds raw: the connection makes every element its
# own HTTP/1.1 chunk or HTTP/2 DATA frame and drops the NULs. So elements without a newline (the
# plain JSON array) are written one by one, as ksqlDB writes them, while the app hands over a
# whole batch in one send.
ELEMENTS_HEADER = (b"x-ksqlpy-elements", b"nul")
ELEMENT_END = "\x00"


class StreamFormat:
    """How one query stream is framed: content type and the bytes of each part."""

    content_type: str = DELIMITED
    headers: tuple[tuple[bytes, bytes], ...] = ()  # more response headers

    def __init__(self, encoder: RowEncoder) -> None:
        self.encoder = encoder

    def header(self, header: dict[str, Any]) -> str:
        """The opening bytes, including the header element."""
        raise NotImplementedError

    def rows(self, rows: Sequence[Sequence[Any]], tombstones: Sequence[bool] | None) -> list[str]:
        """The writes of a batch of rows (the connection cuts them into one chunk or frame per
        line, or per element with ``ELEMENTS_HEADER``)."""
        raise NotImplementedError

    def end(self, final_message: str | None) -> list[str]:
        """The closing writes (with a final message where the framing has one)."""
        raise NotImplementedError

    def error(self, body: dict[str, Any]) -> list[str]:
        """The writes of an in-stream error, which also ends the stream."""
        raise NotImplementedError


class DelimitedFormat(StreamFormat):
    """``/query-stream`` default: a header line, then one JSON array per line, no end marker."""

    content_type = DELIMITED

    def header(self, header: dict[str, Any]) -> str:
        return dumps(header) + "\n"

    def rows(self, rows: Sequence[Sequence[Any]], tombstones: Sequence[bool] | None) -> list[str]:
        encode = self.encoder.encode
        if tombstones:  # delimited and plain JSON drop table tombstones
            rows = [r for r, t in zip(rows, tombstones, strict=True) if not t]
        return ["".join(encode(r) + "\n" for r in rows)]

    def end(self, final_message: str | None) -> list[str]:
        return []

    def error(self, body: dict[str, Any]) -> list[str]:
        return [dumps(body) + "\n"]


class JsonArrayFormat(StreamFormat):
    """``/query-stream`` with ``Accept: application/json``: one JSON array, no newlines."""

    content_type = JSON
    headers = (ELEMENTS_HEADER,)

    def header(self, header: dict[str, Any]) -> str:
        return "[" + dumps(header) + ELEMENT_END

    def rows(self, rows: Sequence[Sequence[Any]], tombstones: Sequence[bool] | None) -> list[str]:
        encode = self.encoder.encode
        if tombstones:
            rows = [r for r, t in zip(rows, tombstones, strict=True) if not t]
        return ["".join("," + encode(r) + ELEMENT_END for r in rows)]

    def end(self, final_message: str | None) -> list[str]:
        return ["]"]

    def error(self, body: dict[str, Any]) -> list[str]:
        return ["," + dumps(body) + ELEMENT_END + "]"]


class StreamedRowFormat(StreamFormat):
    """``/query`` (and ``/query-stream`` with v1 JSON): the StreamedRow array, element per line.

    Push framing writes ``,⏎`` after every element; a final message closes without a comma.
    """

    content_type = V1_JSON

    def header(self, header: dict[str, Any]) -> str:
        return "[" + dumps({"header": header}) + ",\n"

    def rows(self, rows: Sequence[Sequence[Any]], tombstones: Sequence[bool] | None) -> list[str]:
        values = self.encoder.json_values
        out = []
        for index, row in enumerate(rows):
            element: dict[str, Any] = {"columns": values(row)}
            if tombstones and tombstones[index]:
                element["tombstone"] = True
            out.append(self.encoder.dumps({"row": element}) + ",\n")
        return ["".join(out)]

    def end(self, final_message: str | None) -> list[str]:
        if final_message is None:
            return ["]"]
        return [dumps({"finalMessage": final_message}) + "]"]

    def error(self, body: dict[str, Any]) -> list[str]:
        return [dumps({"errorMessage": body}) + ",\n]"]


class BufferedStreamedRowFormat(StreamedRowFormat):
    """Pull queries on tables over ``/query``: valid JSON, no final message, no dangling comma."""

    def header(self, header: dict[str, Any]) -> str:
        return "[" + dumps({"header": header})

    def rows(self, rows: Sequence[Sequence[Any]], tombstones: Sequence[bool] | None) -> list[str]:
        values = self.encoder.json_values
        return ["".join(",\n" + self.encoder.dumps({"row": {"columns": values(r)}}) for r in rows)]

    def end(self, final_message: str | None) -> list[str]:
        return ["]"]

    def error(self, body: dict[str, Any]) -> list[str]:
        return [",\n" + dumps({"errorMessage": body}) + "]"]


def insert_ack(seq: int) -> str:
    """The delimited ack of one inserted row."""
    return dumps({"seq": seq, "status": "ok"}) + "\n"


def insert_error(seq: int, code: int, message: str) -> str:
    """The delimited error ack that ends an inserts stream."""
    body = {"@type": "InsertError", "error_code": code, "message": message}
    return dumps({**body, "status": "error", "seq": seq}) + "\n"
