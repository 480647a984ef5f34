"""The sans-IO core of the client: requests as values, responses and streams decoded from bytes.

Nothing here does I/O or imports httpx: the sync and async clients hand bytes in and get values,
rows and exceptions out, so they cannot drift apart. Wire facts cite ksqlDB's REST API reference
(``docs`` sections as §n of the project's ``spec/ksqldb-rest-api.md``).
"""

from __future__ import annotations

import base64
import codecs
import json
import json.scanner
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, cast

from ._errors import (
    AuthenticationError,
    AuthorizationError,
    InsertError,
    KsqlServerError,
    KsqlStatementError,
    KsqlTimeoutError,
    NotFoundError,
    ProtocolError,
    ServerUnavailableError,
)
from ._rows import Row, RowFactory, row_factory
from ._types import Column, parse_columns, parse_schema

KSQL = "/ksql"
QUERY_STREAM = "/query-stream"
INSERTS_STREAM = "/inserts-stream"
CLOSE_QUERY = "/close-query"
TERMINATE_CLUSTER = "/ksql/terminate"
INFO = "/info"
HEALTHCHECK = "/healthcheck"
CLUSTER_STATUS = "/clusterStatus"
STATUS = "/status"

JSON = "application/json"
V1_JSON = "application/vnd.ksql.v1+json"
DELIMITED = "application/vnd.ksqlapi.delimited.v1"


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request to ksqlDB, before any transport sees it."""

    method: str
    path: str
    body: bytes | None = None
    accept: str | None = None
    idempotent: bool = False
    """Safe to send again after a failure (GETs and read-only statements)."""
    streaming: bool = False
    """The response is a stream that must not get a read timeout (push queries)."""
    timeout: float | None = None
    """A read timeout shorter than the client's for this request (None: the client's)."""


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_dumps = _ENCODER.encode


def _body(obj: Mapping[str, Any]) -> bytes:
    return _dumps(obj).encode()


def encode_json(value: Any) -> bytes:
    """Any JSON request body, with the same value encodings as inserted rows."""
    return _ROW_ENCODER.encode(value).encode()


def ksql_request(
    sql: str,
    properties: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    command_sequence_number: int | None = None,
    *,
    idempotent: bool = False,
) -> Request:
    """``POST /ksql`` (§1): ``ksql``, ``streamsProperties``, ``sessionVariables``."""
    body: dict[str, Any] = {"ksql": sql, "streamsProperties": dict(properties or {})}
    if variables:
        body["sessionVariables"] = dict(variables)
    if command_sequence_number is not None:
        body["commandSequenceNumber"] = command_sequence_number
    return Request("POST", KSQL, _body(body), JSON, idempotent=idempotent)


def query_stream_request(
    sql: str,
    properties: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    *,
    accept: str = DELIMITED,
) -> Request:
    """``POST /query-stream`` (§4.1): note ``properties``, not ``streamsProperties``."""
    body: dict[str, Any] = {"sql": sql, "properties": dict(properties or {})}
    if variables:
        body["sessionVariables"] = dict(variables)
    return Request("POST", QUERY_STREAM, _body(body), accept, streaming=True)


def close_query_request(query_id: str, timeout: float | None = None) -> Request:
    """``POST /close-query`` (§6): answered 200 with an empty body."""
    return Request(
        "POST", CLOSE_QUERY, _body({"queryId": query_id}), idempotent=True, timeout=timeout
    )


def terminate_cluster_request(delete_topics: Iterable[str] = ()) -> Request:
    """``POST /ksql/terminate`` (§6), optionally deleting the named (or regex) topics."""
    topics = list(delete_topics)
    body: dict[str, Any] = {"deleteTopicList": topics} if topics else {}
    return Request("POST", TERMINATE_CLUSTER, _body(body), JSON)


def get_request(path: str) -> Request:
    """A GET of an informational endpoint; always idempotent."""
    return Request("GET", path, None, JSON, idempotent=True)


def inserts_head(target: str, properties: Mapping[str, Any] | None = None) -> bytes:
    """The first line of an ``/inserts-stream`` body (§5): ``{"target": ...}``."""
    head: dict[str, Any] = {"target": target}
    if properties:
        head["properties"] = dict(properties)
    return _dumps(head).encode() + b"\n"


# --- values sent to ksqlDB -----------------------------------------------------------------------


def timestamp_text(value: datetime) -> str:
    """A TIMESTAMP as ksqlDB reads it: ISO text in UTC with milliseconds, no zone (§4.7);
    naive means UTC. Inserts send it, and the DB-API binds it into literals."""
    # %-formatting is several times cheaper than astimezone/replace/isoformat(timespec=...).
    offset = value.utcoffset()
    if offset:
        value = value - offset
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03d" % (  # noqa: UP031
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond // 1000,
    )


def base64_text(value: bytes | bytearray | memoryview) -> str:
    """BYTES as ksqlDB reads them in JSON: base64 text."""
    return base64.b64encode(value).decode("ascii")


_ENCODE_DEFAULT: dict[type, Callable[[Any], Any]] = {
    Decimal: str,  # as the Java client does: exact, never a float
    bytes: base64_text,
    bytearray: base64_text,
    memoryview: base64_text,
    datetime: timestamp_text,
    date: date.isoformat,
    time: lambda v: v.isoformat(timespec="milliseconds"),
}


def _encode_default(value: Any) -> Any:
    encode = _ENCODE_DEFAULT.get(type(value))
    if encode is not None:
        return encode(value)
    if isinstance(value, Row):
        return value.as_dict()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    for kind, encode in _ENCODE_DEFAULT.items():  # subclasses (pandas.Timestamp is a datetime)
        if isinstance(value, kind):
            return encode(value)
    raise TypeError(
        f"cannot send a {type(value).__name__} to ksqlDB; use int, float, str, bool, None, "
        "Decimal, bytes, date, time, datetime, list or dict"
    )


_ROW_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_encode_default)
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_encode: Callable[[Any], str] = _ROW_ENCODER.encode
if _c_encoder is not None:
    # The C encoder made once: JSONEncoder.encode() builds a new one for every row.
    _make_chunks = _c_encoder(
        None, _encode_default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )

    def _encode(row: Any) -> str:
        return "".join(_make_chunks(row, 0))


def encode_row(row: Mapping[str, Any]) -> bytes:
    """One ``/inserts-stream`` row line: a JSON object keyed by column name, then ``\\n``.

    Decimal is sent as a string, bytes as base64, temporal values as ISO strings (UTC).
    """
    if not isinstance(row, Mapping):
        raise TypeError(
            f"an inserted row must be a mapping of column name to value, got {type(row).__name__}"
        )
    return (_encode(row) + "\n").encode()


def encode_rows(rows: Iterable[Mapping[str, Any]], per_chunk: int = 256) -> Iterator[bytes]:
    """Row lines joined into chunks of ``per_chunk`` rows (fewer, larger writes and frames)."""
    encode = _encode
    pending: list[str] = []
    for row in rows:
        if type(row) is not dict and not isinstance(row, Mapping):  # the ABC check costs 0.2 µs
            raise TypeError(
                f"an inserted row must be a mapping of column name to value, got "
                f"{type(row).__name__}"
            )
        pending.append(encode(row))
        if len(pending) >= per_chunk:
            pending.append("")
            yield "\n".join(pending).encode()
            pending = []
    if pending:
        pending.append("")
        yield "\n".join(pending).encode()


# --- errors --------------------------------------------------------------------------------------

_STATUS_ERRORS: dict[int, type[KsqlServerError]] = {
    401: AuthenticationError,
    403: AuthorizationError,
    404: NotFoundError,
    502: ServerUnavailableError,
    503: ServerUnavailableError,
    504: ServerUnavailableError,
}

_HINTS: dict[int, str] = {
    40004: "this endpoint needs HTTP/2 end to end; a proxy or load balancer may be downgrading "
    "the connection to HTTP/1.1",
    40100: "check the credentials: pass auth=(user, password), bearer_token= or api_key=",
    40300: "the principal is not allowed to do this; ask an administrator for access",
    42900: "the server is rate limiting; wait and try again, or raise its limits",
    50301: "an earlier command is still running on the server; try again shortly",
    50302: "the server is still starting; try again in a few seconds",
    50303: "the server is shutting down; connect to another server",
    50304: "the server is shut down; start it again or connect to another server",
}


def error_from_body(
    status: int | None, body: bytes | str | Mapping[str, Any], *, where: str
) -> KsqlServerError:
    """The exception for an error response or an in-stream error object (§8).

    ``where`` names the request (``POST http://host:8088/ksql``) for the message.
    """
    data: Any = body
    if isinstance(body, bytes | str):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            data = {"message": text.strip()}
    if not isinstance(data, Mapping):
        data = {"message": str(data)}
    raw_code = data.get("error_code")
    code = raw_code if isinstance(raw_code, int) else None
    message = str(data.get("message") or (f"HTTP {status}" if status else "unknown error"))
    statement = data.get("statementText")
    statement_text = statement if isinstance(statement, str) and statement else None
    entities: tuple[object, ...] = ()
    raw_entities = data.get("entities")
    if isinstance(raw_entities, list) and raw_entities:
        from ._entity_parsers import parse_entity

        entities = tuple(parse_entity(e) for e in raw_entities if isinstance(e, Mapping))
    cls: type[KsqlServerError] = KsqlServerError
    if status is not None and status in _STATUS_ERRORS:
        cls = _STATUS_ERRORS[status]
    elif code is not None and code // 100 in _STATUS_ERRORS:
        cls = _STATUS_ERRORS[code // 100]
    elif code == 40000 and message.startswith("No query with id"):
        cls = NotFoundError
    elif data.get("@type") == "statement_error" or statement_text is not None:
        cls = KsqlStatementError
    answered = f"ksqlDB answered {status}" if status is not None else "ksqlDB reported an error"
    detail = f"{answered} to {where}: {message}"
    if code is not None:
        detail += f" (error {code})"
    if statement_text:
        detail += f"\nstatement: {statement_text}"
    hint = _HINTS.get(code or 0) or _HINTS.get((status or 0) * 100)
    if hint:
        detail += f"\n{hint}"
    return cls(
        message,
        error_code=code,
        http_status=status,
        statement_text=statement_text,
        entities=entities,
        detail=detail,
    )


def parse_json(body: bytes, *, where: str) -> Any:
    """A JSON response body, or ProtocolError naming the request."""
    try:
        return json.loads(body)
    except ValueError as error:
        snippet = body[:200].decode("utf-8", "replace")
        raise ProtocolError(
            f"ksqlDB sent a response that is not JSON to {where}: {snippet!r}; is this URL a "
            "ksqlDB server?"
        ) from error


# --- query streams -------------------------------------------------------------------------------

# The C scanner behind json.loads, called directly: (value, end) without a Python frame per row.
_plain_scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    cast(Any, json.JSONDecoder())
)
_exact_scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    cast(Any, json.JSONDecoder(parse_float=Decimal))
)


def _short(line: str) -> str:
    return line if len(line) <= 200 else line[:200] + "..."


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


# --- insert acks ---------------------------------------------------------------------------------


class AckDecoder:
    """Incremental decoder of ``/inserts-stream`` acks (§5) for a request of ``expected`` rows.

    ``feed`` returns how many new rows were acknowledged; an error ack is stored in ``error``
    (an ``InsertError`` naming the row); ``feed_eof`` checks that every row was acknowledged
    exactly once, so no row is silently dropped. The lines are read by ``AckStream``; this
    adds the bookkeeping of a request whose row count is known.
    """

    def __init__(
        self,
        expected: int,
        rows: list[Mapping[str, Any]] | None = None,
        *,
        offset: int = 0,
        where: str = "the insert stream",
    ) -> None:
        self.expected = expected
        self.rows = rows
        self.offset = offset
        self.where = where
        self.acknowledged = 0
        self.error: InsertError | ProtocolError | None = None
        self._seen = bytearray(expected)
        self._acks = AckStream(where)

    def feed(self, chunk: bytes, *, final: bool = False) -> int:
        """Decode ``chunk``; return the number of rows it acknowledged."""
        if self.error is not None:
            return 0
        try:
            ok, refused = self._acks.feed(chunk, final=final)
        except ProtocolError as error:
            self.error = error
            return 0
        count = self._mark(ok)
        if refused is not None and self.error is None:
            seq = refused.get("seq")
            index = seq if isinstance(seq, int) else -1
            row = (
                self.rows[index] if self.rows is not None and 0 <= index < len(self.rows) else None
            )
            self.error = insert_refused(
                refused,
                row,
                acknowledged=self.offset + self.acknowledged,
                where=self.where,
                offset=self.offset,
                after="the rows after it in this request were not inserted",
            )
        return count

    def _mark(self, seqs: list[int]) -> int:
        """Count ``seqs`` as acknowledged, each once and only if it was pending."""
        if not seqs:
            return 0
        first, count = seqs[0], len(seqs)
        seen = self._seen
        # The usual chunk: a run of new rows, in order (one slice, not a loop).
        if (
            first >= 0
            and first + count <= self.expected
            and seqs == list(range(first, first + count))
            and seen.find(1, first, first + count) < 0
        ):
            seen[first : first + count] = b"\x01" * count
            self.acknowledged += count
            return count
        before = self.acknowledged
        for seq in seqs:
            if not 0 <= seq < self.expected or seen[seq]:
                self.error = ProtocolError(
                    f"{self.where} sent a malformed ack (an ack for row {seq}, which was not "
                    "pending)"
                )
                break
            seen[seq] = 1
            self.acknowledged += 1
        return self.acknowledged - before

    def feed_eof(self) -> None:
        """The response ended: every row must have an ack, or ``error`` says which did not."""
        self.feed(b"", final=True)
        if self.error is None and self.acknowledged != self.expected:
            missing = [self.offset + i for i, flag in enumerate(self._seen) if not flag]
            self.error = ProtocolError(
                f"{self.where} ended after acknowledging {self.acknowledged} of {self.expected} "
                f"rows; not acknowledged: {seq_list(missing)}. Those rows may not have been "
                "inserted"
            )


_NUMBER = r"(?:0|[1-9]\d*)"  # a JSON integer: no leading zeros
_OK_ACKS = re.compile(
    rf'(?:\{{"seq":{_NUMBER},"status":"ok"\}}\n)+|(?:\{{"status":"ok","seq":{_NUMBER}\}}\n)+'
)
_SEQ = re.compile(r'"seq":(\d+)')


def ok_seqs(block: str) -> list[int] | None:
    """The seqs of ``block`` (whole lines) if every line is an ok ack as ksqlDB writes it.

    Two regex passes in C instead of a JSON scan per ack; any other line (an error ack,
    blanks, other spacing or field order) gives None and the caller parses line by line.
    """
    if not block or _OK_ACKS.fullmatch(block) is None:
        return None
    return list(map(int, _SEQ.findall(block)))


class AckStream:
    """Incremental decoder of an open-ended ack stream (the duplex ``InsertStream``).

    ``feed`` returns the seqs acknowledged ``ok`` and the error ack, if one arrived (it ends the
    response, §5); a line that is not an ack raises ProtocolError. Unlike ``AckDecoder`` it does
    not know how many rows will come, so the caller checks which rows are still pending.
    """

    def __init__(self, where: str = "the insert stream") -> None:
        self.where = where
        self._text = codecs.getincrementaldecoder("utf-8")()
        self._split_char = False  # the incremental decoder holds the start of a character
        self._tail = ""

    def feed(self, chunk: bytes, *, final: bool = False) -> tuple[list[int], dict[str, Any] | None]:
        """Decode ``chunk`` (``final`` at the end of the response): ``(ok seqs, error ack)``."""
        try:
            text = self._tail + self._text.decode(chunk, final=final)
        except UnicodeDecodeError as error:
            raise ProtocolError(f"{self.where} sent acks that are not UTF-8: {error}") from error
        if not final:
            cut = text.rfind("\n") + 1
            text, self._tail = text[:cut], text[cut:]
            seqs = ok_seqs(text)
            if seqs is not None:
                return seqs, None
        else:
            self._tail = ""
        lines = text.split("\n")
        ok: list[int] = []
        for line in lines:
            if not line.strip():
                continue
            try:
                ack, end = _plain_scan(line, 0)
                if line[end:].strip() or not isinstance(ack, dict):
                    raise ValueError("not one JSON object")
                seq = ack["seq"]
                if not isinstance(seq, int):
                    raise ValueError(f"seq is not a number: {seq!r}")
            except (ValueError, KeyError, StopIteration) as error:
                raise ProtocolError(
                    f"{self.where} sent a malformed ack ({error}): {_short(line)!r}"
                ) from error
            if ack.get("status") == "ok":
                ok.append(seq)
            else:
                return ok, ack
        return ok, None


def seq_list(seqs: Iterable[int], limit: int = 10) -> str:
    """``0, 1, 2, ...``: the first ``limit`` seqs of a message, sorted."""
    ordered = sorted(seqs)
    return ", ".join(map(str, ordered[:limit])) + (", ..." if len(ordered) > limit else "")


def insert_refused(
    ack: Mapping[str, Any],
    row: object,
    *,
    acknowledged: int,
    where: str,
    offset: int = 0,
    after: str = "the rows sent after it were not inserted",
) -> InsertError:
    """The InsertError for an error ack: ``offset`` is added to its seq (a batch's place in the
    whole insert), ``after`` says what became of the rows behind it."""
    seq = ack.get("seq")
    index = offset + seq if isinstance(seq, int) else -1
    code = ack.get("error_code")
    message = str(ack.get("message") or "the server refused the row")
    return InsertError(
        message,
        seq=index,
        row=row,
        acknowledged=acknowledged,
        error_code=code if isinstance(code, int) else None,
        detail=(
            f"ksqlDB refused row {index} of {where}: {message}"
            + (f" (error {code})" if code is not None else "")
            + f"\nrow: {row!r}\n{acknowledged} rows were acknowledged before it; {after}"
        ),
    )


def ack_timeout_error(
    base: str, timeout: float | None, target: str, acked: int, sent: int
) -> KsqlTimeoutError:
    """The error for a server that sent no insert ack for ``timeout`` seconds."""
    return KsqlTimeoutError(
        f"ksqlDB at {base} sent no insert ack for {timeout} s: {acked} of the {sent} rows sent "
        f"to {target} were acknowledged (rows {acked} to {sent - 1} may not have been "
        "inserted); raise read_timeout= (None waits forever) or check the server's load"
    )
