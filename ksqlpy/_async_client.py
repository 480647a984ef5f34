"""``AsyncClient``: the asyncio twin of ``Client``, over the same ``Core`` calls and flows."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

from . import _inserts as inserts
from . import _protocol as proto
from ._async_results import AsyncQueryStart, AsyncStreamedQuery
from ._config import DEFAULT_URL, ClientConfig, ClientOptions, options_doc
from ._core import Call, Core, QueryFormat
from ._entities import (
    AssertSchemaResult,
    AssertTopicResult,
    ClusterStatus,
    ConnectorDescription,
    ConnectorInfo,
    ConnectorSummary,
    DroppedConnector,
    Entity,
    FunctionDescription,
    FunctionName,
    HealthStatus,
    PropertiesList,
    QueryDescription,
    RunningQuery,
    ServerInfo,
    SourceDescription,
    SourceInfo,
    TopicInfo,
)
from ._errors import ClientClosedError
from ._flows import adrive, aread_header
from ._printing import AsyncPrintedTopic
from ._results import InsertsResult, QueryResult
from ._transport import AsyncTransport
from ._types import SqlType

if TYPE_CHECKING:
    import httpx

    from ._duplex import AsyncInsertStart, AsyncInsertStream

__all__ = ["AsyncClient"]

T = TypeVar("T")


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
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        config = ClientConfig.from_options(url, **options)
        self._core = Core(config)
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

    async def _run(self, call: Call[T]) -> T:
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
        return await adrive(self._core.script_flow(text, properties), self._run)

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
        try:
            pending = await aread_header(decoder, chunks)
        except BaseException:
            await response.aclose()
            raise
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
            flow = inserts.batch_flow(target, head, batch, sent, self._transport)
            await adrive(flow, self._insert_step)
            requests += 1
            sent += len(batch)
        return InsertsResult(sent, requests)

    async def _insert_step(self, step: inserts.Step) -> Any:
        """Perform one step of a batch's flow (see ``_inserts``)."""
        if isinstance(step, inserts.OpenBatch):
            return await self._transport.open_stream(inserts.REQUEST, step.body, inserts=True)
        if isinstance(step, inserts.Probe):
            probe = await self._transport.open_stream(inserts.REQUEST, [step.head], inserts=True)
            await probe.aclose()
            return None
        try:
            async for chunk in self._transport.chunks(step.response, step.decoder.where):
                if step.take(chunk):
                    break
            else:
                step.take(None)
        finally:
            await step.response.aclose()
        return None

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


if AsyncClient.__doc__:  # None under python -OO
    AsyncClient.__doc__ += options_doc()
