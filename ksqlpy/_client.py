"""``Client`` and ``AsyncClient``: thin twins over one core that builds requests and reads replies.

Each public method asks ``_Core`` for a ``_Call`` (the request plus the function that turns the
reply body into a value) and only performs the I/O, so the sync and async clients cannot drift:
``test_client_api`` checks they expose the same methods.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import (
    AsyncIterable,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from . import _inserts as inserts
from . import _protocol as proto
from . import _statements as sqltext
from ._config import DEFAULT_URL, Cert, ClientConfig, Verify
from ._entities import (
    AssertSchemaResult,
    AssertTopicResult,
    ClusterStatus,
    CommandResult,
    ConnectorDescription,
    ConnectorInfo,
    ConnectorList,
    ConnectorSummary,
    DroppedConnector,
    Entity,
    FunctionDescription,
    FunctionList,
    FunctionName,
    HealthStatus,
    PropertiesList,
    QueriesList,
    QueryDescription,
    QueryDescriptionResult,
    RunningQuery,
    ServerInfo,
    SourceDescription,
    SourceDescriptionResult,
    SourceInfo,
    SourceList,
    TopicInfo,
    TopicList,
    TypeList,
    VariableList,
    parse_entities,
)
from ._errors import (
    ClientClosedError,
    KsqlError,
    KsqlServerError,
    KsqlTimeoutError,
    ProtocolError,
)
from ._printing import AsyncPrintedTopic, PrintedTopic
from ._protocol import QueryDecoder, Request
from ._results import (
    AsyncQueryStart,
    AsyncStreamedQuery,
    InsertsResult,
    QueryResult,
    StreamedQuery,
    silent_query_error,
)
from ._statements import VERBATIM
from ._transport import AsyncTransport, Reply, SyncTransport
from ._types import SqlType

if TYPE_CHECKING:
    import httpx

    from ._duplex import AsyncInsertStart, AsyncInsertStream, InsertStream

__all__ = ["AsyncClient", "Client"]

_INSERTS = Request("POST", proto.INSERTS_STREAM, streaming=True)

T = TypeVar("T")
QueryFormat = Literal["delimited", "json"]


@dataclass(frozen=True, slots=True)
class _Call(Generic[T]):
    """A request and how to read its reply."""

    request: Request
    parse: Callable[[Reply], T]


def _entities(reply: Reply) -> list[Entity]:
    return parse_entities(proto.parse_json(reply.body, where=reply.where), where=reply.where)


def _one(kind: type[T], what: str) -> Callable[[Reply], T]:
    def parse(reply: Reply) -> T:
        found = [e for e in _entities(reply) if isinstance(e, kind)]
        if len(found) != 1:
            raise ProtocolError(
                f"ksqlDB answered {what} without the expected {kind.__name__} ({reply.where})"
            )
        return found[0]

    return parse


def _timeout(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise KsqlError(f"timeout must be a number of seconds or None, got {seconds!r}")
    return f" TIMEOUT {max(int(seconds), 0)} SECONDS"


_DIRECTIVES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?is)^\s*SET\s+'((?:[^']|'')*)'\s*=\s*'((?:[^']|'')*)'\s*;?\s*$"), "set"),
    (re.compile(r"(?is)^\s*UNSET\s+'((?:[^']|'')*)'\s*;?\s*$"), "unset"),
    (re.compile(r"(?is)^\s*DEFINE\s+(\w+)\s*=\s*'((?:[^']|'')*)'\s*;?\s*$"), "define"),
    (re.compile(r"(?is)^\s*UNDEFINE\s+(\w+)\s*;?\s*$"), "undefine"),
]
"""Statements the server applies only within one request, so a script run applies them here."""


def _directive(sql: str, properties: dict[str, Any], variables: dict[str, Any]) -> bool:
    for pattern, kind in _DIRECTIVES:
        match = pattern.match(sql)
        if match is None:
            continue
        name = match.group(1).replace("''", "'")
        value = match.group(2).replace("''", "'") if match.lastindex == 2 else None
        target = properties if kind in ("set", "unset") else variables
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
        return True
    return False


class _Core:
    """The sans-IO half of a client: session state and one ``_Call`` per operation."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.variables: dict[str, Any] = {}
        self.properties: dict[str, Any] = dict(config.properties)
        self.command_sequence_number: int | None = None

    def props(self, properties: Mapping[str, Any] | None) -> dict[str, Any]:
        merged = dict(self.properties)
        if properties:
            merged.update(properties)
        return merged

    def _track(self, entities: list[Entity]) -> None:
        # Later /ksql requests wait for this command: read-your-writes, as the ksqlDB CLI does.
        for entity in entities:
            if isinstance(entity, CommandResult) and entity.command_sequence_number >= 0:
                current = self.command_sequence_number or -1
                self.command_sequence_number = max(current, entity.command_sequence_number)

    def statement_request(
        self,
        sql: str,
        properties: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
        *,
        idempotent: bool = False,
    ) -> Request:
        return proto.ksql_request(
            sql,
            self.props(properties),
            self.variables if variables is None else variables,
            self.command_sequence_number,
            idempotent=idempotent,
        )

    def session_directive(self, sql: str) -> bool:
        """Apply SET/UNSET/DEFINE/UNDEFINE to the client's session, as the ksqlDB CLI does.

        The server applies them only within one request, so sent alone they would do nothing.
        """
        return _directive(sql, self.properties, self.variables)

    def execute(
        self,
        sql: str,
        properties: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> _Call[Entity | None]:
        def parse(reply: Reply) -> Entity | None:
            entities = _entities(reply)
            self._track(entities)
            return entities[-1] if entities else None

        return _Call(self.statement_request(sql, properties, variables), parse)

    def _show(self, sql: str, parse: Callable[[Reply], T]) -> _Call[T]:
        return _Call(self.statement_request(sql, idempotent=True), parse)

    def _built(self, sql: str, parse: Callable[[Reply], T], *, idempotent: bool) -> _Call[T]:
        # Every name and value in sql came from API arguments (quoted by _statements): keep a
        # ${x} in them as written, whatever variables the session holds.
        request = self.statement_request(sql, VERBATIM, {}, idempotent=idempotent)
        return _Call(request, parse)

    def _run_built(self, sql: str) -> _Call[Entity | None]:
        call = self.execute(sql)
        return self._built(sql, call.parse, idempotent=False)

    def list_sources(self, kind: str) -> _Call[tuple[SourceInfo, ...]]:
        return self._show(f"LIST {kind};", lambda r: _one(SourceList, f"LIST {kind}")(r).sources)

    def list_topics(self) -> _Call[tuple[TopicInfo, ...]]:
        return self._show("LIST TOPICS;", lambda r: _one(TopicList, "LIST TOPICS")(r).topics)

    def list_queries(self) -> _Call[tuple[RunningQuery, ...]]:
        return self._show("LIST QUERIES;", lambda r: _one(QueriesList, "LIST QUERIES")(r).queries)

    def list_types(self) -> _Call[Mapping[str, SqlType]]:
        return self._show("LIST TYPES;", lambda r: _one(TypeList, "LIST TYPES")(r).types)

    def list_variables(self) -> _Call[Mapping[str, str]]:
        return self._show(
            "LIST VARIABLES;", lambda r: _one(VariableList, "LIST VARIABLES")(r).variables
        )

    def list_functions(self) -> _Call[tuple[FunctionName, ...]]:
        return self._show(
            "LIST FUNCTIONS;", lambda r: _one(FunctionList, "LIST FUNCTIONS")(r).functions
        )

    def list_properties(self) -> _Call[PropertiesList]:
        return self._show("LIST PROPERTIES;", _one(PropertiesList, "LIST PROPERTIES"))

    def describe_source(self, name: str, extended: bool) -> _Call[SourceDescription]:
        source = sqltext.name(name, "a source name")
        sql = f"DESCRIBE {source}{' EXTENDED' if extended else ''};"
        return self._built(
            sql, lambda r: _one(SourceDescriptionResult, sql)(r).source, idempotent=True
        )

    def describe_function(self, name: str) -> _Call[FunctionDescription]:
        sql = f"DESCRIBE FUNCTION {sqltext.name(name, 'a function name', quotable=False)};"
        return self._built(sql, _one(FunctionDescription, sql), idempotent=True)

    def describe_query(self, query_id: str) -> _Call[QueryDescription]:
        sql = f"EXPLAIN {sqltext.name(query_id, 'a query id')};"
        return self._built(
            sql, lambda r: _one(QueryDescriptionResult, sql)(r).query, idempotent=True
        )

    def list_connectors(self) -> _Call[tuple[ConnectorSummary, ...]]:
        return self._show(
            "LIST CONNECTORS;", lambda r: _one(ConnectorList, "LIST CONNECTORS")(r).connectors
        )

    def describe_connector(self, name: str) -> _Call[ConnectorDescription]:
        sql = f"DESCRIBE CONNECTOR {sqltext.name(name, 'a connector name')};"
        return self._built(sql, _one(ConnectorDescription, sql), idempotent=True)

    def create_connector(
        self, name: str, config: Mapping[str, Any], source: bool, if_not_exists: bool
    ) -> _Call[Entity | None]:
        connector = sqltext.name(name, "a connector name")
        settings = ", ".join(
            f"{sqltext.literal(str(key))}={sqltext.literal(str(value))}"
            for key, value in config.items()
        )
        kind = "SOURCE" if source else "SINK"
        guard = " IF NOT EXISTS" if if_not_exists else ""
        return self._run_built(f"CREATE {kind} CONNECTOR{guard} {connector} WITH ({settings});")

    def drop_connector(self, name: str, if_exists: bool) -> _Call[Entity | None]:
        connector = sqltext.name(name, "a connector name")
        return self._run_built(f"DROP CONNECTOR{' IF EXISTS' if if_exists else ''} {connector};")

    def assert_topic(
        self, name: str, exists: bool, timeout: float | None
    ) -> _Call[AssertTopicResult]:
        topic = sqltext.name(name, "a topic name")
        sql = f"ASSERT {'' if exists else 'NOT EXISTS '}TOPIC {topic}{_timeout(timeout)};"
        return self._built(sql, _one(AssertTopicResult, sql), idempotent=False)

    def assert_schema(
        self, subject: str | None, schema_id: int | None, exists: bool, timeout: float | None
    ) -> _Call[AssertSchemaResult]:
        if subject is None and schema_id is None:
            raise KsqlError("assert_schema needs subject= or id= (or both)")
        parts = [f"ASSERT {'' if exists else 'NOT EXISTS '}SCHEMA"]
        if subject is not None:
            if not isinstance(subject, str):
                raise KsqlError(f"a schema subject must be a str, got {subject!r}")
            parts.append(f"SUBJECT {sqltext.literal(subject)}")
        if schema_id is not None:
            if isinstance(schema_id, bool) or not isinstance(schema_id, int):
                raise KsqlError(f"a schema id must be an int, got {schema_id!r}")
            parts.append(f"ID {schema_id}")
        sql = " ".join(parts) + f"{_timeout(timeout)};"
        return self._built(sql, _one(AssertSchemaResult, sql), idempotent=False)

    def terminate(self, query_id: str) -> _Call[Entity | None]:
        if isinstance(query_id, str) and query_id.strip().upper() == "ALL":
            raise KsqlError(
                "terminate('ALL') would stop every persistent query; if that is what you want, "
                "run execute_statement('TERMINATE ALL;')"
            )
        return self._run_built(f"TERMINATE {sqltext.name(query_id, 'a query id')};")

    def close_query(self, query_id: str) -> _Call[None]:
        return _Call(proto.close_query_request(query_id), lambda r: None)

    def raw(self, method: str, path: str, body: Any) -> _Call[Any]:
        method = method.upper()
        if method not in ("GET", "POST") or not path.startswith("/"):
            raise KsqlError(
                f"request() takes GET or POST and a path starting with '/', got {method} {path!r}"
            )
        data = None if body is None else proto.encode_json(body)
        request = Request(method, path, data, proto.JSON, idempotent=method == "GET")

        def parse(reply: Reply) -> Any:
            return proto.parse_json(reply.body, where=reply.where) if reply.body.strip() else None

        return _Call(request, parse)

    def server_info(self) -> _Call[ServerInfo]:
        return _Call(
            proto.get_request(proto.INFO),
            lambda r: ServerInfo.parse(proto.parse_json(r.body, where=r.where)),
        )

    def health(self) -> _Call[HealthStatus]:
        return _Call(
            proto.get_request(proto.HEALTHCHECK),
            lambda r: HealthStatus.parse(proto.parse_json(r.body, where=r.where)),
        )

    def cluster_status(self) -> _Call[ClusterStatus]:
        return _Call(
            proto.get_request(proto.CLUSTER_STATUS),
            lambda r: ClusterStatus.parse(proto.parse_json(r.body, where=r.where)),
        )

    def query(
        self,
        sql: str,
        properties: Mapping[str, Any] | None,
        raw: bool,
        format: QueryFormat,
        idle_timeout: float | None,
    ) -> tuple[Request, QueryDecoder, Callable[[], KsqlError] | None]:
        decoder_type = proto.DECODERS.get(format)
        if decoder_type is None:
            raise KsqlError(f"unknown query format {format!r}; use 'delimited' or 'json'")
        _check_idle_timeout(idle_timeout)
        request = proto.query_stream_request(
            sql, self.props(properties), self.variables, accept=decoder_type.media_type
        )
        decoder = decoder_type(raw=raw, where=f"the query {sql!r}")
        if idle_timeout is None:
            return request, decoder, None
        seconds = idle_timeout
        return request, decoder, lambda: silent_query_error(decoder, sql, seconds)

    def printing(
        self, statement: str, properties: Mapping[str, Any] | None, idle_timeout: float | None
    ) -> tuple[Request, str, Callable[[], KsqlError] | None]:
        _check_idle_timeout(idle_timeout)
        request = proto.query_stream_request(statement, self.props(properties), self.variables)
        where = f"PRINT {statement!r}"
        if idle_timeout is None:
            return request, where, None
        seconds = idle_timeout
        return (
            request,
            where,
            lambda: KsqlTimeoutError(
                f"{statement.strip().rstrip(';')} received nothing from ksqlDB for {seconds:g} s "
                f"(idle_timeout={seconds:g}): the server may have stopped or frozen"
            ),
        )

    def script(self, text: str) -> list[Any]:
        from ksqlpy.sql import split  # lazily: sqlglot costs ~65 ms to import

        return list(split(text))

    def script_flow(
        self, text: str, properties: Mapping[str, Any] | None
    ) -> Generator[_Call[Entity | None], Entity | None, list[Entity]]:
        """``execute_script`` without I/O: yields each statement's call, gets its entity back."""
        props = self.props(properties)
        variables = dict(self.variables)
        done: list[Entity] = []
        for index, statement in enumerate(self.script(text)):
            if _directive(statement.sql, props, variables):
                continue
            try:
                entity = yield self.execute(statement.sql, props, variables)
            except KsqlServerError as error:
                raise self.script_failure(error, statement, index, done) from None
            if entity is not None:
                done.append(entity)
        return done

    def script_failure(
        self, error: KsqlServerError, statement: Any, index: int, done: list[Entity]
    ) -> KsqlServerError:
        error.line = statement.line
        error.column = statement.column
        if error.statement_text is None:
            error.statement_text = statement.sql
        error.entities = tuple(done)
        error.args = (
            f"statement {index + 1} of the script (line {statement.line}, column "
            f"{statement.column}) failed; the statements before it ran, the rest did not:\n"
            f"{error.args[0] if error.args else error.message}",
        )
        return error

    def define(self, name: str, value: Any) -> None:
        if not isinstance(name, str) or not re.fullmatch(r"\w+", name):
            raise KsqlError(f"a variable name must be letters, digits and '_', got {name!r}")
        self.variables[name] = value


def _drive(flow: Generator[_Call[Any], Any, T], run: Callable[[_Call[Any]], Any]) -> T:
    """Run a flow of ``_Core`` with the sync client: each call it yields is run, and its result
    (or its KsqlError) sent back in."""
    try:
        call = next(flow)
        while True:
            try:
                result = run(call)
            except KsqlError as error:
                call = flow.throw(error)
            else:
                call = flow.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def _adrive(
    flow: Generator[_Call[Any], Any, T], run: Callable[[_Call[Any]], Awaitable[Any]]
) -> T:
    """``_drive`` for the async client."""
    try:
        call = next(flow)
        while True:
            try:
                result = await run(call)
            except KsqlError as error:
                call = flow.throw(error)
            else:
                call = flow.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _check_idle_timeout(idle_timeout: float | None) -> None:
    if idle_timeout is None:
        return
    if isinstance(idle_timeout, bool) or not isinstance(idle_timeout, int | float):
        raise KsqlError(f"idle_timeout must be a number of seconds or None, got {idle_timeout!r}")
    if not idle_timeout > 0:
        raise KsqlError(f"idle_timeout must be more than 0 seconds, got {idle_timeout!r}")


class Client:
    """A blocking client for ksqlDB's REST API; one pooled HTTP connection, closed on exit.

    >>> from ksqlpy import Client
    >>> with Client("http://localhost:8088") as client:
    ...     client.execute_statement("CREATE STREAM s (id INT KEY, v STRING) "
    ...                              "WITH (kafka_topic='s', value_format='json', partitions=1);")
    ...     client.insert_into("s", {"ID": 1, "V": "hello"})
    ...     print(client.execute_query("SELECT * FROM s;").rows)
    """

    def __init__(
        self,
        url: str | Sequence[str] = DEFAULT_URL,
        *,
        auth: tuple[str, str] | None = None,
        bearer_token: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        verify: Verify = True,
        cert: Cert | None = None,
        connect_timeout: float | None = 10.0,
        read_timeout: float | None = 60.0,
        headers: Mapping[str, str] | None = None,
        http2: bool = True,
        retries: int = 2,
        backoff: float = 0.25,
        properties: Mapping[str, Any] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        config = ClientConfig.from_options(
            url,
            auth=auth,
            bearer_token=bearer_token,
            api_key=api_key,
            api_secret=api_secret,
            verify=verify,
            cert=cert,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            headers=headers,
            http2=http2,
            retries=retries,
            backoff=backoff,
            properties=properties,
        )
        self._core = _Core(config)
        self._transport = SyncTransport(config, transport)
        self._queries: weakref.WeakSet[StreamedQuery] = weakref.WeakSet()
        self._insert_streams: weakref.WeakSet[InsertStream] = weakref.WeakSet()

    @property
    def url(self) -> str:
        """The ksqlDB URL requests go to now."""
        return self._transport.base

    @property
    def closed(self) -> bool:
        """True once ``close()`` ran."""
        return self._transport.closed

    def _run(self, call: _Call[T]) -> T:
        return call.parse(self._transport.send(call.request))

    # statements ----------------------------------------------------------------------------------

    def execute_statement(
        self, sql: str, properties: Mapping[str, Any] | None = None
    ) -> Entity | None:
        """Run one statement through ``/ksql``; its entity (None for SET/DEFINE/INSERT VALUES).

        For CSAS/CTAS/INSERT SELECT the result is a ``CommandResult`` with ``query_id``.
        ``SET``/``UNSET``/``DEFINE``/``UNDEFINE`` change this client's session (the properties
        and variables sent with later requests) and return None.
        """
        if self._core.session_directive(sql):
            return None
        return self._run(self._core.execute(sql, properties))

    def execute_script(
        self, text: str, properties: Mapping[str, Any] | None = None
    ) -> list[Entity]:
        """Run a script statement by statement; stop at the first error with its position.

        ``SET``/``UNSET``/``DEFINE``/``UNDEFINE`` apply to the rest of the script (not to the
        client). The error's ``line``/``column`` locate the failed statement and its
        ``entities`` are the results of the statements that ran.
        """
        return _drive(self._core.script_flow(text, properties), self._run)

    # queries -------------------------------------------------------------------------------------

    def stream_query(
        self,
        sql: str,
        properties: Mapping[str, Any] | None = None,
        *,
        raw: bool = False,
        format: QueryFormat = "delimited",
        idle_timeout: float | None = None,
    ) -> StreamedQuery:
        """Start a push or pull query; its id and columns are known when this returns.

        Iterate the result for ``Row`` objects; leave the ``with`` block (or call ``close()``)
        to stop the query on the server. ``properties={"auto.offset.reset": "earliest"}`` reads
        from the start. ``raw=True`` yields the JSON arrays unconverted; ``format="json"``
        asks for ksqlDB's StreamedRow format (adds KEY flags and table tombstones).
        ``idle_timeout=N`` raises KsqlTimeoutError (naming the query) when the server sends
        nothing for N seconds; by default a push query may stay quiet forever, as in ksqlDB.
        Over HTTP/2 the idle timeout also drops the connection it shared with other requests.

        >>> with client.stream_query("SELECT * FROM s EMIT CHANGES;",
        ...                          {"auto.offset.reset": "earliest"}) as query:
        ...     for row in query:
        ...         print(query.query_id, row.as_dict())
        """
        request, decoder, silent = self._core.query(sql, properties, raw, format, idle_timeout)
        response = self._transport.open_stream(request, idle_timeout=idle_timeout)
        chunks = self._transport.chunks(response, decoder.where, silent)
        pending: list[Any] = []
        try:
            for chunk in chunks:
                pending.extend(decoder.feed(chunk))
                if decoder.has_header or decoder.error is not None:
                    break
            else:
                pending.extend(decoder.feed_eof())
        except BaseException:
            response.close()
            raise
        if decoder.error is not None and not decoder.has_header:
            response.close()
            raise decoder.error
        query = StreamedQuery(
            self._transport,
            response,
            chunks,
            decoder,
            pending,
            sql,
            self._queries.discard,
            idle_timeout,
        )
        self._queries.add(query)
        return query

    def print_topic(
        self,
        statement: str,
        properties: Mapping[str, Any] | None = None,
        *,
        idle_timeout: float | None = None,
    ) -> PrintedTopic:
        """Start a ``PRINT 'topic' ...`` statement; iterate it for the lines ksqlDB renders.

        ``idle_timeout=N``: KsqlTimeoutError when the server sends nothing for N seconds.

        >>> with client.print_topic("PRINT 'pageviews' FROM BEGINNING LIMIT 3;") as printed:
        ...     for line in printed:
        ...         print(line)
        """
        request, where, silent = self._core.printing(statement, properties, idle_timeout)
        response = self._transport.open_stream(request, idle_timeout=idle_timeout)
        return PrintedTopic(response, self._transport.chunks(response, where, silent))

    def execute_query(
        self,
        sql: str,
        properties: Mapping[str, Any] | None = None,
        *,
        max_rows: int | None = None,
        raw: bool = False,
        idle_timeout: float | None = None,
    ) -> QueryResult:
        """Run a pull query (or a push query with LIMIT) and collect all rows.

        Past ``max_rows`` rows the query is closed and ResultTooLargeError raised, instead of
        waiting forever on a push query without LIMIT.
        """
        with self.stream_query(sql, properties, raw=raw, idle_timeout=idle_timeout) as query:
            rows = query.fetchall(max_rows)
            return QueryResult(query.query_id, query.column_types, rows)

    def terminate_push_query(self, query_id: str) -> None:
        """Stop a push query by id (``/close-query``); its stream then ends."""
        self._run(self._core.close_query(query_id))

    def terminate(self, query_id: str) -> Entity | None:
        """Terminate a persistent query (``TERMINATE <id>;``)."""
        return self._run(self._core.terminate(query_id))

    # inserts -------------------------------------------------------------------------------------

    def insert_into(self, target: str, row: Mapping[str, Any]) -> None:
        """Insert one row into a stream or table and wait for the server's ack."""
        self.stream_inserts(target, [row])

    def stream_inserts(
        self,
        target: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        properties: Mapping[str, Any] | None = None,
        batch_size: int = 20_000,
    ) -> InsertsResult:
        """Insert rows from any iterable (read lazily) over ``/inserts-stream``, with acks.

        Rows go in requests of ``batch_size``; every row must be acknowledged, else
        InsertError (the server refused a row: ``seq``, ``row``) or ProtocolError (a row was
        never acknowledged) is raised; rows after a refused one are not inserted.
        """
        inserts.check_batch_size(batch_size)
        head = proto.inserts_head(target, properties)
        sent = requests = 0
        for batch in inserts.batches(rows, batch_size):
            self._insert_batch(inserts.batch_flow(target, head, batch, sent, self._transport))
            requests += 1
            sent += len(batch)
        return InsertsResult(sent, requests)

    def _insert_batch(self, flow: Generator[inserts.Step, Any, None]) -> None:
        """Perform the steps of one batch's flow (see ``_inserts``)."""
        step = next(flow)
        while True:
            result: Any = None
            try:
                if isinstance(step, inserts.OpenBatch):
                    result = self._transport.open_stream(_INSERTS, step.body, inserts=True)
                elif isinstance(step, inserts.ReadAcks):
                    try:
                        decoder = step.decoder
                        for chunk in self._transport.chunks(step.response, decoder.where):
                            decoder.feed(chunk)
                            if decoder.error is not None:
                                break
                        else:
                            decoder.feed_eof()
                    finally:
                        step.response.close()
                else:
                    self._transport.open_stream(_INSERTS, [step.head], inserts=True).close()
            except KsqlError as error:
                try:
                    step = flow.throw(error)
                except StopIteration:
                    return
                continue
            try:
                step = flow.send(result)
            except StopIteration:
                return

    def insert_stream(
        self, target: str, *, properties: Mapping[str, Any] | None = None
    ) -> InsertStream:
        """Open a full-duplex insert stream: send rows whenever you have them, acks as they come.

        One HTTP/2 request on its own connection (as the Java client's ``streamInserts``):
        ``send(row)`` returns the row's seq and sends it at once (rows sent back to back share
        frames), ``poll()``/``acks()`` give the acks as the server sends them, and ``close()``
        ends the request and waits for every ack (at most ``read_timeout`` between two).

        >>> with client.insert_stream("pageviews") as stream:
        ...     seq = stream.send({"USER_ID": "alice", "PAGE": "home"})
        ...     ack = stream.poll(timeout=5)        # InsertAck(seq=0), while the stream is open
        ...     stream.send({"USER_ID": "bob", "PAGE": "cart"})
        ... # leaving the block closes it: every row acknowledged, or InsertError/ProtocolError
        """
        self._transport._check_open()
        from ._duplex import InsertStream

        stream = InsertStream(
            self._core.config,
            self._transport.base,
            target,
            properties,
            on_close=self._insert_streams.discard,
        )
        self._insert_streams.add(stream)
        return stream

    # metadata ------------------------------------------------------------------------------------

    def list_streams(self) -> tuple[SourceInfo, ...]:
        """The streams (``LIST STREAMS``)."""
        return self._run(self._core.list_sources("STREAMS"))

    def list_tables(self) -> tuple[SourceInfo, ...]:
        """The tables (``LIST TABLES``)."""
        return self._run(self._core.list_sources("TABLES"))

    def list_topics(self) -> tuple[TopicInfo, ...]:
        """The Kafka topics (``LIST TOPICS``)."""
        return self._run(self._core.list_topics())

    def list_queries(self) -> tuple[RunningQuery, ...]:
        """The running queries (``LIST QUERIES``)."""
        return self._run(self._core.list_queries())

    def list_types(self) -> Mapping[str, SqlType]:
        """The custom types (``LIST TYPES``), by name."""
        return self._run(self._core.list_types())

    def list_variables(self) -> Mapping[str, str]:
        """The variables the server sees for this client (``LIST VARIABLES``)."""
        return self._run(self._core.list_variables())

    def list_functions(self) -> tuple[FunctionName, ...]:
        """The functions (``LIST FUNCTIONS``)."""
        return self._run(self._core.list_functions())

    def list_properties(self) -> PropertiesList:
        """The server's properties (``LIST PROPERTIES``)."""
        return self._run(self._core.list_properties())

    def describe_source(self, name: str, *, extended: bool = False) -> SourceDescription:
        """A stream's or table's columns, formats and queries (``DESCRIBE [EXTENDED]``)."""
        return self._run(self._core.describe_source(name, extended))

    def describe_function(self, name: str) -> FunctionDescription:
        """A function's signatures and description (``DESCRIBE FUNCTION``)."""
        return self._run(self._core.describe_function(name))

    def describe_query(self, query_id: str) -> QueryDescription:
        """A query's sources, sinks, schema and topology (``EXPLAIN``)."""
        return self._run(self._core.describe_query(query_id))

    def assert_topic(
        self, name: str, *, exists: bool = True, timeout: float | None = None
    ) -> AssertTopicResult:
        """Check that a Kafka topic exists (or not), waiting up to ``timeout`` seconds.

        A failed assertion raises KsqlServerError with ``error_code`` 41700.
        """
        return self._run(self._core.assert_topic(name, exists, timeout))

    def assert_schema(
        self,
        *,
        subject: str | None = None,
        id: int | None = None,
        exists: bool = True,
        timeout: float | None = None,
    ) -> AssertSchemaResult:
        """Check that a Schema Registry subject and/or schema id exists (or not)."""
        return self._run(self._core.assert_schema(subject, id, exists, timeout))

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send any other REST request (``GET /status``, ...); its JSON, or None if empty.

        The escape hatch for endpoints without a method; errors are mapped as for the others.
        """
        return self._run(self._core.raw(method, path, body))

    def server_info(self) -> ServerInfo:
        """The server's version and cluster ids (``GET /info``)."""
        return self._run(self._core.server_info())

    def health(self) -> HealthStatus:
        """The server's health check (``GET /healthcheck``)."""
        return self._run(self._core.health())

    def cluster_status(self) -> ClusterStatus:
        """The status of each server of the cluster (``GET /clusterStatus``)."""
        return self._run(self._core.cluster_status())

    # connectors ----------------------------------------------------------------------------------

    def list_connectors(self) -> tuple[ConnectorSummary, ...]:
        """The Kafka Connect connectors (``LIST CONNECTORS``)."""
        return self._run(self._core.list_connectors())

    def describe_connector(self, name: str) -> ConnectorDescription:
        """A connector's class, status, sources and topics (``DESCRIBE CONNECTOR``)."""
        return self._run(self._core.describe_connector(name))

    def create_connector(
        self,
        name: str,
        config: Mapping[str, Any],
        *,
        source: bool = True,
        if_not_exists: bool = False,
    ) -> ConnectorInfo | Entity | None:
        """Create a source (or, with ``source=False``, sink) connector."""
        return self._run(self._core.create_connector(name, config, source, if_not_exists))

    def drop_connector(
        self, name: str, *, if_exists: bool = False
    ) -> DroppedConnector | Entity | None:
        """Drop a connector (``DROP CONNECTOR``)."""
        return self._run(self._core.drop_connector(name, if_exists))

    # session variables ---------------------------------------------------------------------------

    def define(self, name: str, value: Any) -> None:
        """Set a session variable, sent with every later request for ``${name}`` substitution."""
        self._core.define(name, value)

    def undefine(self, name: str) -> None:
        """Remove a session variable (no error if it is not set)."""
        self._core.variables.pop(name, None)

    def variables(self) -> dict[str, Any]:
        """A copy of the session variables this client sends."""
        return dict(self._core.variables)

    # lifecycle -----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every open query (stopping it on the server) and the connections; idempotent."""
        if self._transport.closed:
            return
        try:
            for query in list(self._queries):
                query.close()
            for stream in list(self._insert_streams):
                stream.abort()
        finally:
            self._transport.close()

    def __enter__(self) -> Client:
        if self._transport.closed:
            raise ClientClosedError("this client is closed; create a new Client")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Client {self.url}{' closed' if self.closed else ''}>"


class AsyncClient:
    """The ``asyncio`` client for ksqlDB's REST API; the same methods as ``Client``, awaited.

    >>> from ksqlpy import AsyncClient
    >>> async with AsyncClient("http://localhost:8088") as client:
    ...     await client.insert_into("s", {"ID": 1, "V": "hello"})
    ...     async with client.stream_query("SELECT * FROM s EMIT CHANGES;") as query:
    ...         async for row in query:
    ...             print(row.as_dict())
    """

    def __init__(
        self,
        url: str | Sequence[str] = DEFAULT_URL,
        *,
        auth: tuple[str, str] | None = None,
        bearer_token: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        verify: Verify = True,
        cert: Cert | None = None,
        connect_timeout: float | None = 10.0,
        read_timeout: float | None = 60.0,
        headers: Mapping[str, str] | None = None,
        http2: bool = True,
        retries: int = 2,
        backoff: float = 0.25,
        properties: Mapping[str, Any] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        config = ClientConfig.from_options(
            url,
            auth=auth,
            bearer_token=bearer_token,
            api_key=api_key,
            api_secret=api_secret,
            verify=verify,
            cert=cert,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            headers=headers,
            http2=http2,
            retries=retries,
            backoff=backoff,
            properties=properties,
        )
        self._core = _Core(config)
        self._transport = AsyncTransport(config, transport)
        self._queries: weakref.WeakSet[AsyncStreamedQuery] = weakref.WeakSet()
        self._insert_streams: weakref.WeakSet[AsyncInsertStream] = weakref.WeakSet()

    @property
    def url(self) -> str:
        """The ksqlDB URL requests go to now."""
        return self._transport.base

    @property
    def closed(self) -> bool:
        """True once ``close()`` ran."""
        return self._transport.closed

    async def _run(self, call: _Call[T]) -> T:
        return call.parse(await self._transport.send(call.request))

    # statements ----------------------------------------------------------------------------------

    async def execute_statement(
        self, sql: str, properties: Mapping[str, Any] | None = None
    ) -> Entity | None:
        """Run one statement through ``/ksql``; its entity (None for SET/DEFINE/INSERT VALUES)."""
        if self._core.session_directive(sql):
            return None
        return await self._run(self._core.execute(sql, properties))

    async def execute_script(
        self, text: str, properties: Mapping[str, Any] | None = None
    ) -> list[Entity]:
        """Run a script statement by statement; stop at the first error with its position."""
        return await _adrive(self._core.script_flow(text, properties), self._run)

    # queries -------------------------------------------------------------------------------------

    def stream_query(
        self,
        sql: str,
        properties: Mapping[str, Any] | None = None,
        *,
        raw: bool = False,
        format: QueryFormat = "delimited",
        idle_timeout: float | None = None,
    ) -> AsyncQueryStart:
        """Start a push or pull query: ``async with`` it, or ``await`` it for the query.

        Its id and columns are known once started; leaving the block stops it on the server.
        ``idle_timeout=N``: KsqlTimeoutError when the server sends nothing for N seconds.

        >>> async with client.stream_query("SELECT * FROM s EMIT CHANGES;") as query:
        ...     async for row in query:
        ...         print(query.query_id, row.as_dict())
        >>> query = await client.stream_query("SELECT * FROM t;")   # close() it yourself
        """
        return AsyncQueryStart(self._start_query(sql, properties, raw, format, idle_timeout))

    async def _start_query(
        self,
        sql: str,
        properties: Mapping[str, Any] | None,
        raw: bool,
        format: QueryFormat,
        idle_timeout: float | None,
    ) -> AsyncStreamedQuery:
        request, decoder, silent = self._core.query(sql, properties, raw, format, idle_timeout)
        response = await self._transport.open_stream(request, idle_timeout=idle_timeout)
        chunks = self._transport.chunks(response, decoder.where, silent)
        pending: list[Any] = []
        try:
            eof = True
            async for chunk in chunks:
                pending.extend(decoder.feed(chunk))
                if decoder.has_header or decoder.error is not None:
                    eof = False
                    break
            if eof:
                pending.extend(decoder.feed_eof())
        except BaseException:
            await response.aclose()
            raise
        if decoder.error is not None and not decoder.has_header:
            await response.aclose()
            raise decoder.error
        query = AsyncStreamedQuery(
            self._transport,
            response,
            chunks,
            decoder,
            pending,
            sql,
            self._queries.discard,
            idle_timeout,
        )
        self._queries.add(query)
        return query

    async def print_topic(
        self,
        statement: str,
        properties: Mapping[str, Any] | None = None,
        *,
        idle_timeout: float | None = None,
    ) -> AsyncPrintedTopic:
        """Start a ``PRINT 'topic' ...`` statement; ``async for`` its lines.

        >>> async with await client.print_topic("PRINT 'pageviews' LIMIT 3;") as printed:
        ...     async for line in printed:
        ...         print(line)
        """
        request, where, silent = self._core.printing(statement, properties, idle_timeout)
        response = await self._transport.open_stream(request, idle_timeout=idle_timeout)
        return AsyncPrintedTopic(response, self._transport.chunks(response, where, silent))

    async def execute_query(
        self,
        sql: str,
        properties: Mapping[str, Any] | None = None,
        *,
        max_rows: int | None = None,
        raw: bool = False,
        idle_timeout: float | None = None,
    ) -> QueryResult:
        """Run a pull query (or a push query with LIMIT) and collect all rows."""
        async with self.stream_query(sql, properties, raw=raw, idle_timeout=idle_timeout) as query:
            rows = await query.fetchall(max_rows)
            return QueryResult(query.query_id, query.column_types, rows)

    async def terminate_push_query(self, query_id: str) -> None:
        """Stop a push query by id (``/close-query``); its stream then ends."""
        await self._run(self._core.close_query(query_id))

    async def terminate(self, query_id: str) -> Entity | None:
        """Terminate a persistent query (``TERMINATE <id>;``)."""
        return await self._run(self._core.terminate(query_id))

    # inserts -------------------------------------------------------------------------------------

    async def insert_into(self, target: str, row: Mapping[str, Any]) -> None:
        """Insert one row into a stream or table and wait for the server's ack."""
        await self.stream_inserts(target, [row])

    async def stream_inserts(
        self,
        target: str,
        rows: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        properties: Mapping[str, Any] | None = None,
        batch_size: int = 20_000,
    ) -> InsertsResult:
        """Insert rows from an iterable or async iterable over ``/inserts-stream``, with acks."""
        inserts.check_batch_size(batch_size)
        head = proto.inserts_head(target, properties)
        sent = requests = 0
        async for batch in inserts.async_batches(rows, batch_size):
            await self._insert_batch(inserts.batch_flow(target, head, batch, sent, self._transport))
            requests += 1
            sent += len(batch)
        return InsertsResult(sent, requests)

    async def _insert_batch(self, flow: Generator[inserts.Step, Any, None]) -> None:
        """Perform the steps of one batch's flow (see ``_inserts``)."""
        step = next(flow)
        while True:
            result: Any = None
            try:
                if isinstance(step, inserts.OpenBatch):
                    result = await self._transport.open_stream(_INSERTS, step.body, inserts=True)
                elif isinstance(step, inserts.ReadAcks):
                    try:
                        decoder = step.decoder
                        async for chunk in self._transport.chunks(step.response, decoder.where):
                            decoder.feed(chunk)
                            if decoder.error is not None:
                                break
                        else:
                            decoder.feed_eof()
                    finally:
                        await step.response.aclose()
                else:
                    probe = await self._transport.open_stream(_INSERTS, [step.head], inserts=True)
                    await probe.aclose()
            except KsqlError as error:
                try:
                    step = flow.throw(error)
                except StopIteration:
                    return
                continue
            try:
                step = flow.send(result)
            except StopIteration:
                return

    def insert_stream(
        self, target: str, *, properties: Mapping[str, Any] | None = None
    ) -> AsyncInsertStart:
        """Open a full-duplex insert stream (see ``Client.insert_stream``): ``async with`` it.

        >>> async with client.insert_stream("pageviews") as stream:
        ...     seq = await stream.send({"USER_ID": "alice", "PAGE": "home"})
        ...     ack = await stream.poll(timeout=5)  # InsertAck(seq=0), while the stream is open
        """
        self._transport._check_open()
        from ._duplex import AsyncInsertStart, AsyncInsertStream

        async def start() -> AsyncInsertStream:
            stream = await AsyncInsertStream.open(
                self._core.config,
                self._transport.base,
                target,
                properties,
                on_close=self._insert_streams.discard,
            )
            self._insert_streams.add(stream)
            return stream

        return AsyncInsertStart(start())

    # metadata ------------------------------------------------------------------------------------

    async def list_streams(self) -> tuple[SourceInfo, ...]:
        """The streams (``LIST STREAMS``)."""
        return await self._run(self._core.list_sources("STREAMS"))

    async def list_tables(self) -> tuple[SourceInfo, ...]:
        """The tables (``LIST TABLES``)."""
        return await self._run(self._core.list_sources("TABLES"))

    async def list_topics(self) -> tuple[TopicInfo, ...]:
        """The Kafka topics (``LIST TOPICS``)."""
        return await self._run(self._core.list_topics())

    async def list_queries(self) -> tuple[RunningQuery, ...]:
        """The running queries (``LIST QUERIES``)."""
        return await self._run(self._core.list_queries())

    async def list_types(self) -> Mapping[str, SqlType]:
        """The custom types (``LIST TYPES``), by name."""
        return await self._run(self._core.list_types())

    async def list_variables(self) -> Mapping[str, str]:
        """The variables the server sees for this client (``LIST VARIABLES``)."""
        return await self._run(self._core.list_variables())

    async def list_functions(self) -> tuple[FunctionName, ...]:
        """The functions (``LIST FUNCTIONS``)."""
        return await self._run(self._core.list_functions())

    async def list_properties(self) -> PropertiesList:
        """The server's properties (``LIST PROPERTIES``)."""
        return await self._run(self._core.list_properties())

    async def describe_source(self, name: str, *, extended: bool = False) -> SourceDescription:
        """A stream's or table's columns, formats and queries (``DESCRIBE [EXTENDED]``)."""
        return await self._run(self._core.describe_source(name, extended))

    async def describe_function(self, name: str) -> FunctionDescription:
        """A function's signatures and description (``DESCRIBE FUNCTION``)."""
        return await self._run(self._core.describe_function(name))

    async def describe_query(self, query_id: str) -> QueryDescription:
        """A query's sources, sinks, schema and topology (``EXPLAIN``)."""
        return await self._run(self._core.describe_query(query_id))

    async def assert_topic(
        self, name: str, *, exists: bool = True, timeout: float | None = None
    ) -> AssertTopicResult:
        """Check that a Kafka topic exists (or not), waiting up to ``timeout`` seconds."""
        return await self._run(self._core.assert_topic(name, exists, timeout))

    async def assert_schema(
        self,
        *,
        subject: str | None = None,
        id: int | None = None,
        exists: bool = True,
        timeout: float | None = None,
    ) -> AssertSchemaResult:
        """Check that a Schema Registry subject and/or schema id exists (or not)."""
        return await self._run(self._core.assert_schema(subject, id, exists, timeout))

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send any other REST request (``GET /status``, ...); its JSON, or None if empty."""
        return await self._run(self._core.raw(method, path, body))

    async def server_info(self) -> ServerInfo:
        """The server's version and cluster ids (``GET /info``)."""
        return await self._run(self._core.server_info())

    async def health(self) -> HealthStatus:
        """The server's health check (``GET /healthcheck``)."""
        return await self._run(self._core.health())

    async def cluster_status(self) -> ClusterStatus:
        """The status of each server of the cluster (``GET /clusterStatus``)."""
        return await self._run(self._core.cluster_status())

    # connectors ----------------------------------------------------------------------------------

    async def list_connectors(self) -> tuple[ConnectorSummary, ...]:
        """The Kafka Connect connectors (``LIST CONNECTORS``)."""
        return await self._run(self._core.list_connectors())

    async def describe_connector(self, name: str) -> ConnectorDescription:
        """A connector's class, status, sources and topics (``DESCRIBE CONNECTOR``)."""
        return await self._run(self._core.describe_connector(name))

    async def create_connector(
        self,
        name: str,
        config: Mapping[str, Any],
        *,
        source: bool = True,
        if_not_exists: bool = False,
    ) -> ConnectorInfo | Entity | None:
        """Create a source (or, with ``source=False``, sink) connector."""
        return await self._run(self._core.create_connector(name, config, source, if_not_exists))

    async def drop_connector(
        self, name: str, *, if_exists: bool = False
    ) -> DroppedConnector | Entity | None:
        """Drop a connector (``DROP CONNECTOR``)."""
        return await self._run(self._core.drop_connector(name, if_exists))

    # session variables ---------------------------------------------------------------------------

    def define(self, name: str, value: Any) -> None:
        """Set a session variable, sent with every later request for ``${name}`` substitution."""
        self._core.define(name, value)

    def undefine(self, name: str) -> None:
        """Remove a session variable (no error if it is not set)."""
        self._core.variables.pop(name, None)

    def variables(self) -> dict[str, Any]:
        """A copy of the session variables this client sends."""
        return dict(self._core.variables)

    # lifecycle -----------------------------------------------------------------------------------

    async def close(self) -> None:
        """Close every open query (stopping it on the server) and the connections; idempotent."""
        if self._transport.closed:
            return
        try:
            for query in list(self._queries):
                await query.close()
            for stream in list(self._insert_streams):
                await stream.abort()
        finally:
            await self._transport.close()

    async def __aenter__(self) -> AsyncClient:
        if self._transport.closed:
            raise ClientClosedError("this client is closed; create a new AsyncClient")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<AsyncClient {self.url}{' closed' if self.closed else ''}>"
