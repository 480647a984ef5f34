"""``Client``: the blocking twin; it performs the I/O of the calls and flows ``Core`` builds."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

from . import _inserts as inserts
from . import _protocol as proto
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
from ._flows import drive, read_header
from ._printing import PrintedTopic
from ._results import InsertsResult, QueryResult, StreamedQuery
from ._transport import SyncTransport
from ._types import SqlType

if TYPE_CHECKING:
    import httpx

    from ._duplex import InsertStream

__all__ = ["Client"]

T = TypeVar("T")


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
        transport: httpx.BaseTransport | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        config = ClientConfig.from_options(url, **options)
        self._core = Core(config)
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

    def _run(self, call: Call[T]) -> T:
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
        return drive(self._core.script_flow(text, properties), self._run)

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
        try:
            pending = read_header(decoder, chunks)
        except BaseException:
            response.close()
            raise
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
            drive(inserts.batch_flow(target, head, batch, sent, self._transport), self._insert_step)
            requests += 1
            sent += len(batch)
        return InsertsResult(sent, requests)

    def _insert_step(self, step: inserts.Step) -> Any:
        """Perform one step of a batch's flow (see ``_inserts``)."""
        if isinstance(step, inserts.OpenBatch):
            return self._transport.open_stream(inserts.REQUEST, step.body, inserts=True)
        if isinstance(step, inserts.Probe):
            self._transport.open_stream(inserts.REQUEST, [step.head], inserts=True).close()
            return None
        try:
            for chunk in self._transport.chunks(step.response, step.decoder.where):
                if step.take(chunk):
                    break
            else:
                step.take(None)
        finally:
            step.response.close()
        return None

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


if Client.__doc__:  # None under python -OO
    Client.__doc__ += options_doc()
