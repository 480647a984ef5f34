"""The sans-IO half of both clients: session state and, per operation, a request and its reader.

Each public method of ``Client`` and ``AsyncClient`` asks ``Core`` for a ``Call`` (the request
plus the function that turns the reply into a value) and only performs the I/O, so the twins
cannot drift: ``test_client_api`` checks they expose the same methods.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from . import _protocol as proto
from . import _statements as sqltext
from ._config import ClientConfig
from ._entities import (
    AssertSchemaResult,
    AssertTopicResult,
    ClusterStatus,
    CommandResult,
    ConnectorDescription,
    ConnectorList,
    ConnectorSummary,
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
)
from ._entity_parsers import parse_entities
from ._errors import KsqlError, KsqlServerError, KsqlTimeoutError, ProtocolError
from ._protocol import Request
from ._query_decoders import DECODERS, QueryDecoder
from ._results import silent_query_error
from ._statements import VERBATIM
from ._transport import Reply
from ._types import SqlType

__all__ = ["Call", "Core", "QueryFormat", "check_idle_timeout"]

T = TypeVar("T")
QueryFormat = Literal["delimited", "json"]


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
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


# Text worth reading for a session change (ksqlpy.sql.session_change owns the grammar): the
# other statements never pay for importing sqlglot (~65 ms).
_MAYBE_SESSION = re.compile(r"\s*(?:--|/\*|(?:UN)?(?:SET|DEFINE)\b)", re.I)


def _session_change(statement: Any, properties: dict[str, Any], variables: dict[str, Any]) -> bool:
    """Apply a SET/UNSET/DEFINE/UNDEFINE statement (text or a ``split`` result) here: ksqlDB
    applies them only within the request that carries them. False for any other statement."""
    text = statement if isinstance(statement, str) else statement.text
    if not _MAYBE_SESSION.match(text):
        return False
    from ksqlpy.sql import session_change

    change = session_change(statement)
    if change is None:
        return False
    change.apply(properties, variables)
    return True


class Core:
    """The sans-IO half of a client: session state and one ``Call`` per operation."""

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
        return _session_change(sql, self.properties, self.variables)

    def execute(
        self,
        sql: str,
        properties: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Call[Entity | None]:
        def parse(reply: Reply) -> Entity | None:
            entities = _entities(reply)
            self._track(entities)
            return entities[-1] if entities else None

        return Call(self.statement_request(sql, properties, variables), parse)

    def _show(self, sql: str, parse: Callable[[Reply], T]) -> Call[T]:
        return Call(self.statement_request(sql, idempotent=True), parse)

    def _built(self, sql: str, parse: Callable[[Reply], T], *, idempotent: bool) -> Call[T]:
        # Every name and value in sql came from API arguments (quoted by _statements): keep a
        # ${x} in them as written, whatever variables the session holds.
        request = self.statement_request(sql, VERBATIM, {}, idempotent=idempotent)
        return Call(request, parse)

    def _run_built(self, sql: str) -> Call[Entity | None]:
        call = self.execute(sql)
        return self._built(sql, call.parse, idempotent=False)

    def list_sources(self, kind: str) -> Call[tuple[SourceInfo, ...]]:
        return self._show(f"LIST {kind};", lambda r: _one(SourceList, f"LIST {kind}")(r).sources)

    def list_topics(self) -> Call[tuple[TopicInfo, ...]]:
        return self._show("LIST TOPICS;", lambda r: _one(TopicList, "LIST TOPICS")(r).topics)

    def list_queries(self) -> Call[tuple[RunningQuery, ...]]:
        return self._show("LIST QUERIES;", lambda r: _one(QueriesList, "LIST QUERIES")(r).queries)

    def list_types(self) -> Call[Mapping[str, SqlType]]:
        return self._show("LIST TYPES;", lambda r: _one(TypeList, "LIST TYPES")(r).types)

    def list_variables(self) -> Call[Mapping[str, str]]:
        return self._show(
            "LIST VARIABLES;", lambda r: _one(VariableList, "LIST VARIABLES")(r).variables
        )

    def list_functions(self) -> Call[tuple[FunctionName, ...]]:
        return self._show(
            "LIST FUNCTIONS;", lambda r: _one(FunctionList, "LIST FUNCTIONS")(r).functions
        )

    def list_properties(self) -> Call[PropertiesList]:
        return self._show("LIST PROPERTIES;", _one(PropertiesList, "LIST PROPERTIES"))

    def describe_source(self, name: str, extended: bool) -> Call[SourceDescription]:
        source = sqltext.name(name, "a source name")
        sql = f"DESCRIBE {source}{' EXTENDED' if extended else ''};"
        return self._built(
            sql, lambda r: _one(SourceDescriptionResult, sql)(r).source, idempotent=True
        )

    def describe_function(self, name: str) -> Call[FunctionDescription]:
        sql = f"DESCRIBE FUNCTION {sqltext.name(name, 'a function name', quotable=False)};"
        return self._built(sql, _one(FunctionDescription, sql), idempotent=True)

    def describe_query(self, query_id: str) -> Call[QueryDescription]:
        sql = f"EXPLAIN {sqltext.name(query_id, 'a query id')};"
        return self._built(
            sql, lambda r: _one(QueryDescriptionResult, sql)(r).query, idempotent=True
        )

    def list_connectors(self) -> Call[tuple[ConnectorSummary, ...]]:
        return self._show(
            "LIST CONNECTORS;", lambda r: _one(ConnectorList, "LIST CONNECTORS")(r).connectors
        )

    def describe_connector(self, name: str) -> Call[ConnectorDescription]:
        sql = f"DESCRIBE CONNECTOR {sqltext.name(name, 'a connector name')};"
        return self._built(sql, _one(ConnectorDescription, sql), idempotent=True)

    def create_connector(
        self, name: str, config: Mapping[str, Any], source: bool, if_not_exists: bool
    ) -> Call[Entity | None]:
        connector = sqltext.name(name, "a connector name")
        settings = ", ".join(
            f"{sqltext.literal(str(key))}={sqltext.literal(str(value))}"
            for key, value in config.items()
        )
        kind = "SOURCE" if source else "SINK"
        guard = " IF NOT EXISTS" if if_not_exists else ""
        return self._run_built(f"CREATE {kind} CONNECTOR{guard} {connector} WITH ({settings});")

    def drop_connector(self, name: str, if_exists: bool) -> Call[Entity | None]:
        connector = sqltext.name(name, "a connector name")
        return self._run_built(f"DROP CONNECTOR{' IF EXISTS' if if_exists else ''} {connector};")

    def assert_topic(
        self, name: str, exists: bool, timeout: float | None
    ) -> Call[AssertTopicResult]:
        topic = sqltext.name(name, "a topic name")
        sql = f"ASSERT {'' if exists else 'NOT EXISTS '}TOPIC {topic}{_timeout(timeout)};"
        return self._built(sql, _one(AssertTopicResult, sql), idempotent=False)

    def assert_schema(
        self, subject: str | None, schema_id: int | None, exists: bool, timeout: float | None
    ) -> Call[AssertSchemaResult]:
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

    def terminate(self, query_id: str) -> Call[Entity | None]:
        if isinstance(query_id, str) and query_id.strip().upper() == "ALL":
            raise KsqlError(
                "terminate('ALL') would stop every persistent query; if that is what you want, "
                "run execute_statement('TERMINATE ALL;')"
            )
        return self._run_built(f"TERMINATE {sqltext.name(query_id, 'a query id')};")

    def close_query(self, query_id: str) -> Call[None]:
        return Call(proto.close_query_request(query_id), lambda r: None)

    def raw(self, method: str, path: str, body: Any) -> Call[Any]:
        method = method.upper()
        if method not in ("GET", "POST") or not path.startswith("/"):
            raise KsqlError(
                f"request() takes GET or POST and a path starting with '/', got {method} {path!r}"
            )
        data = None if body is None else proto.encode_json(body)
        request = Request(method, path, data, proto.JSON, idempotent=method == "GET")

        def parse(reply: Reply) -> Any:
            return proto.parse_json(reply.body, where=reply.where) if reply.body.strip() else None

        return Call(request, parse)

    def server_info(self) -> Call[ServerInfo]:
        return Call(
            proto.get_request(proto.INFO),
            lambda r: ServerInfo.parse(proto.parse_json(r.body, where=r.where)),
        )

    def health(self) -> Call[HealthStatus]:
        return Call(
            proto.get_request(proto.HEALTHCHECK),
            lambda r: HealthStatus.parse(proto.parse_json(r.body, where=r.where)),
        )

    def cluster_status(self) -> Call[ClusterStatus]:
        return Call(
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
        decoder_type = DECODERS.get(format)
        if decoder_type is None:
            raise KsqlError(f"unknown query format {format!r}; use 'delimited' or 'json'")
        check_idle_timeout(idle_timeout)
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
        check_idle_timeout(idle_timeout)
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
    ) -> Generator[Call[Entity | None], Entity | None, list[Entity]]:
        """``execute_script`` without I/O: yields each statement's call, gets its entity back."""
        props = self.props(properties)
        variables = dict(self.variables)
        done: list[Entity] = []
        for index, statement in enumerate(self.script(text)):
            if _session_change(statement, props, variables):
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


def check_idle_timeout(idle_timeout: float | None) -> None:
    if idle_timeout is None:
        return
    if isinstance(idle_timeout, bool) or not isinstance(idle_timeout, int | float):
        raise KsqlError(f"idle_timeout must be a number of seconds or None, got {idle_timeout!r}")
    if not idle_timeout > 0:
        raise KsqlError(f"idle_timeout must be more than 0 seconds, got {idle_timeout!r}")
