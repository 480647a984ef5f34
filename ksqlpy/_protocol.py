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
from ._rows import Row

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


# --- shared by the stream decoders ------------------------------------------------------------

# The C scanner behind json.loads, called directly: (value, end) without a Python frame per row.
_plain_scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    cast(Any, json.JSONDecoder())
)


def _short(line: str) -> str:
    return line if len(line) <= 200 else line[:200] + "..."


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
