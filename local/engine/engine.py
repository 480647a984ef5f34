"""The engine: runs statements against the metastore and the log, and starts queries.

Statements are dispatched by parsed node type to one handler each; a handler returns the ksqlDB
entity of its statement (or ``None`` for statements that produce none, such as SET or INSERT).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from ksqlpy._errors import KsqlSyntaxError
from ksqlpy.sql import parse_one, split, substitute
from ksqlpy.sql._nodes import (
    KsqlCreate,
    KsqlCreateType,
    KsqlDefine,
    KsqlDescribe,
    KsqlDrop,
    KsqlExplain,
    KsqlHeaderConstraint,
    KsqlHeadersConstraint,
    KsqlInsert,
    KsqlKeyConstraint,
    KsqlPrint,
    KsqlSelect,
    KsqlSetProperty,
    KsqlShow,
    KsqlTerminate,
    KsqlUndefine,
    KsqlUnsetProperty,
)

from ..storage import Log, TopicExistsError
from ..wire import KsqlHttpError, http_error, statement_error
from . import functions
from .aggregate import UNIT_MS
from .convert import (
    CoercionError,
    clause_integer,
    coerce,
    hashable,
    identifier_name,
    sql_type,
)
from .errors import KsqlStatementError
from .expr import Scope, compile_expr, is_null_type
from .join import JoinPipeline, join_sources
from .metastore import Column, Metastore, Source
from .persistent import JoinPersistentQuery, PersistentQuery, QueryPipeline, sink_columns
from .printing import TopicPrinter
from .queries import (
    HEADERS_TYPE,
    PSEUDO_NAMES,
    JoinRunningQuery,
    RowReader,
    RunningQuery,
    TablePullQuery,
    key_serde,
    plan_select,
    running_entry,
    transient_id,
    value_serde,
)
from .serde import Serde, check_format
from .syntax import syntax_message
from .types import BYTES, SqlType

VERSION = "8.4.0"
COMMANDS_FILE = "commands.jsonl"
POSITIONS_FILE = "query-positions.json"
SELECT_IN_KSQL = (
    "The following statement types should be issued to the websocket endpoint '/query':\n"
    "\t* PRINT\n\t* SELECT"
)

# Properties a request may set, with their defaults (reported by SHOW PROPERTIES).
PROPERTIES: dict[str, str] = {
    "ksql.streams.auto.offset.reset": "latest",
    "ksql.streams.cache.max.bytes.buffering": "10000000",
    "ksql.streams.commit.interval.ms": "2000",
    "ksql.query.pull.table.scan.enabled": "true",
    "ksql.query.pull.limit.clause.enabled": "true",
    "ksql.variable.substitution.enable": "true",
    "ksql.insert.into.values.enabled": "true",
    "ksql.service.id": "default_",
    "ksql.persistence.default.format.key": "KAFKA",
    "ksql.endpoint.migrate.query": "true",
}
DENYLIST = frozenset({"ksql.service.id"})
QUERY_LEVEL = frozenset({"auto.offset.reset", "ksql.streams.auto.offset.reset"})
_KNOWN_PREFIXES = ("ksql.", "ksql.streams.", "consumer.", "producer.")
_KAFKA_NAMES = frozenset(
    {
        "auto.offset.reset",
        "cache.max.bytes.buffering",
        "commit.interval.ms",
        "max.poll.records",
        "fetch.min.bytes",
        "buffered.records.per.partition",
        "processing.guarantee",
        "num.stream.threads",
    }
)


def normalize_property(name: str) -> str:
    """``auto.offset.reset`` and ``ksql.streams.auto.offset.reset`` are one property."""
    return f"ksql.streams.{name}" if name in _KAFKA_NAMES else name


@dataclass(slots=True)
class Session:
    """Per-request state: properties and variables set by earlier statements of the request."""

    properties: dict[str, Any]
    variables: dict[str, str]
    defaults: dict[str, str] = field(default_factory=dict)

    def offset_reset(self) -> str:
        """``earliest`` or ``latest``: the request's setting, else the server's (``latest``)."""
        for source in (self.properties, self.defaults):
            for key in ("auto.offset.reset", "ksql.streams.auto.offset.reset"):
                if key in source:
                    return str(source[key]).lower()
        return "latest"


@dataclass(slots=True)
class Command:
    """A DDL command's id and status, for ``/status``."""

    status: str
    message: str
    query_id: str | None = None


@dataclass(slots=True)
class _TableState:
    positions: list[int]
    rows: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)


Handler = Callable[[Any, str, Session], dict[str, Any] | None]


class Engine:
    """Streams, tables, types and transient queries over one :class:`Log`."""

    def __init__(
        self,
        log: Log,
        *,
        service_id: str = "default_",
        config: dict[str, str] | None = None,
        store: Path | None = None,
    ) -> None:
        self.log = log
        # With a store, statements that change the metastore are written to a command log and
        # replayed at start (as ksqlDB replays its command topic); query positions are saved too.
        self.store = store
        self.replaying = False
        self._saved_positions: dict[str, list[int]] = {}
        # Server configuration (like ksqlDB's server properties file): defaults for requests.
        self.config = {normalize_property(k): str(v) for k, v in (config or {}).items()}
        self.metastore = Metastore()
        self.service_id = service_id
        self.cluster_id = uuid.uuid4().hex[:22]
        self.sequence = 0
        self.commands: dict[str, Command] = {}
        self.queries: dict[str, RunningQuery] = {}
        self.persistent: dict[str, PersistentQuery | JoinPersistentQuery] = {}
        self._tables: dict[str, _TableState] = {}
        self.handlers: dict[type[exp.Expr], Handler] = {
            KsqlCreate: self.create_source,
            KsqlDrop: self.drop,
            KsqlShow: self.show,
            KsqlDescribe: self.describe,
            KsqlInsert: self.insert_values,
            KsqlCreateType: self.create_type,
            KsqlTerminate: self.terminate,
            KsqlSetProperty: self.set_property,
            KsqlUnsetProperty: self.unset_property,
            KsqlDefine: self.define,
            KsqlUndefine: self.undefine,
            KsqlExplain: self.explain,
        }
        self.show_handlers: dict[str, Callable[[str, bool, Session], dict[str, Any]]] = {
            "STREAMS": self.show_streams,
            "TABLES": self.show_tables,
            "TOPICS": self.show_topics,
            "QUERIES": self.show_queries,
            "PROPERTIES": self.show_properties,
            "FUNCTIONS": self.show_functions,
            "TYPES": self.show_types,
            "VARIABLES": self.show_variables,
        }

    # -- requests -------------------------------------------------------------------------------

    def execute(
        self, ksql: str, properties: dict[str, Any], variables: dict[str, Any]
    ) -> list[Any]:
        """Run every statement of a ``/ksql`` request, in order; return their entities."""
        session = Session(
            dict(properties), {k: _variable_text(v) for k, v in variables.items()}, self.config
        )
        entities: list[Any] = []
        for text, node in self._statements(ksql, session):
            handler = self.handlers.get(type(node))
            if isinstance(node, (KsqlSelect, KsqlPrint)):
                raise KsqlHttpError(400, statement_error(40002, SELECT_IN_KSQL, text))
            if handler is None:
                raise KsqlHttpError(
                    400,
                    statement_error(
                        40001,
                        f"The ksqlpy local server does not support this statement yet: {text}",
                        text,
                    ),
                )
            try:
                entity = handler(node, text, session)
            except KsqlStatementError as exc:
                raise KsqlHttpError(
                    exc.code // 100, statement_error(exc.code, exc.message, text)
                ) from exc
            if entity is not None:
                entities.append(entity)
                self._record(node, text, session, entity)
        self.pump()
        return entities

    def _record(self, node: exp.Expr, text: str, session: Session, entity: dict[str, Any]) -> None:
        """Append a statement that changed the metastore to the command log."""
        if self.store is None or self.replaying or entity.get("@type") != "currentStatus":
            return
        if not isinstance(node, (KsqlCreate, KsqlDrop, KsqlCreateType, KsqlTerminate, KsqlInsert)):
            return
        line = json.dumps({"sql": text, "properties": session.properties}, default=str)
        with (self.store / COMMANDS_FILE).open("a") as handle:
            handle.write(line + "\n")

    def restore(self) -> int:
        """Replay the command log of the store (at start); return how many commands ran."""
        if self.store is None:
            return 0
        self.store.mkdir(parents=True, exist_ok=True)
        positions = self.store / POSITIONS_FILE
        if positions.exists():
            self._saved_positions = json.loads(positions.read_text())
        commands = self.store / COMMANDS_FILE
        if not commands.exists():
            return 0
        count = 0
        self.replaying = True
        try:
            for line in commands.read_text().splitlines():
                if not line.strip():
                    continue
                command = json.loads(line)
                self.execute(command["sql"], command.get("properties") or {}, {})
                count += 1
        finally:
            self.replaying = False
            self._saved_positions = {}
        self.pump()
        return count

    def _save_positions(self) -> None:
        if self.store is None or self.replaying:
            return
        state = {q.query_id: q.positions for q in self.persistent.values()}
        path = self.store / POSITIONS_FILE
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(path)

    def _statements(self, ksql: str, session: Session) -> list[tuple[str, exp.Expr]]:
        out: list[tuple[str, exp.Expr]] = []
        try:
            statements = split(ksql)
        except KsqlSyntaxError as exc:
            raise KsqlHttpError(400, statement_error(40001, str(exc), ksql)) from exc
        for statement in statements:
            text = statement.text.strip()
            if not text.endswith(";"):
                text += ";"
            try:
                if _substitution_on(session):
                    text = substitute(text, session.variables)
                node = parse_one(text)
            except KsqlSyntaxError as exc:
                raise KsqlHttpError(
                    400, statement_error(40001, syntax_message(exc, text), text)
                ) from exc
            except (ValueError, KeyError) as exc:
                raise KsqlHttpError(400, statement_error(40001, str(exc), text)) from exc
            out.append((text, node))
            # DEFINE must take effect for the substitution of the statements after it.
            if isinstance(node, KsqlDefine):
                session.variables[node.this.name] = _literal_text(node.expression)
        return out

    def open_query(
        self, sql: str, properties: dict[str, Any], variables: dict[str, Any]
    ) -> RunningQuery | TablePullQuery | TopicPrinter:
        """Start the single query of a ``/query`` or ``/query-stream`` request."""
        session = Session(
            dict(properties), {k: _variable_text(v) for k, v in variables.items()}, self.config
        )
        statements = self._statements(sql, session)
        if len(statements) != 1:
            raise http_error(
                40001, f"Expected exactly one KSQL statement; found {len(statements)} instead", sql
            )
        text, node = statements[0]
        self.pump()
        if isinstance(node, KsqlPrint):
            return self._print(node, text)
        if not isinstance(node, KsqlSelect):
            raise http_error(40001, "Neither a query nor a print statement", text)
        try:
            plan = plan_select(self, node, text)
        except KsqlStatementError as exc:
            raise http_error(exc.code, exc.message, text) from exc
        if not plan.push and plan.source.kind == "TABLE":
            return TablePullQuery(self, plan)
        earliest = not plan.push or session.offset_reset() == "earliest"
        query_id = transient_id(plan.source)
        if plan.push and not earliest and self._scalable(plan):
            query_id = f"SCALABLE_PUSH_QUERY_{uuid.uuid4()}"
        if isinstance(plan.pipeline, JoinPipeline):
            query: RunningQuery = JoinRunningQuery(self, plan, query_id, earliest)
        else:
            query = RunningQuery(self, plan, query_id, earliest, until_end=not plan.push)
        self.queries[query.query_id] = query
        return query

    def _print(self, node: KsqlPrint, text: str) -> TopicPrinter:
        topic = node.this.name
        if self.log.topic(topic) is None:
            raise http_error(
                40000,
                f"Could not find topic '{topic}', or the KSQL user does not have permissions to "
                "list the topic. Topic names are case-sensitive.",
            )
        interval = node.args.get("interval")
        limit = node.args.get("limit")
        return TopicPrinter(
            self,
            topic,
            bool(node.args.get("from_beginning")),
            clause_integer(interval.name, "INTERVAL") if interval is not None else 1,
            clause_integer(limit.name, "LIMIT") if limit is not None else None,
        )

    def _scalable(self, plan: Any) -> bool:
        # ksqlDB serves push queries from a persistent query's output as "scalable" push
        # queries when ksql.query.push.v2.enabled is set; only their id tells them apart.
        enabled = self.config.get("ksql.query.push.v2.enabled", "false").lower() == "true"
        return enabled and plan.pipeline is None and bool(plan.source.write_queries)

    def close_query(self, query_id: str) -> None:
        """Close a running push query, or answer ``No query with id``."""
        query = self.queries.get(query_id)
        if query is None:
            raise http_error(40000, f"No query with id {query_id}")
        query.close()

    def forget_query(self, query_id: str) -> None:
        """Drop a finished query from the registry."""
        self.queries.pop(query_id, None)

    def table_state(self, source: Source) -> dict[tuple[Any, ...], list[Any]]:
        """The latest row per key of a table, brought up to date with its topic."""
        self.pump()
        state = self._tables.get(source.name)
        ends = self.log.end_offsets(source.topic)
        if state is None or len(state.positions) != len(ends):
            state = self._tables[source.name] = _TableState([0] * len(ends))
        reader = RowReader(source)
        key_count = source.key_count
        for partition, end in enumerate(ends):
            position = state.positions[partition]
            while position < end:
                for record in self.log.read(source.topic, partition, position, 1000):
                    position = record.offset + 1
                    row = reader.row(record)
                    if row is None:
                        continue
                    key = tuple(hashable(v) for v in row[:key_count])
                    if record.value is None:
                        state.rows.pop(key, None)
                    else:
                        state.rows[key] = row
            state.positions[partition] = position
        return state.rows

    # -- DDL ------------------------------------------------------------------------------------

    def _command(
        self, command_id: str, message: str, query_id: str | None = None
    ) -> dict[str, Any]:
        self.sequence += 1
        self.commands[command_id] = Command("SUCCESS", message, query_id)
        return {
            "commandId": command_id,
            "commandStatus": {"status": "SUCCESS", "message": message, "queryId": query_id},
            "commandSequenceNumber": self.sequence,
        }

    def _status_entity(self, text: str, command_id: str, message: str) -> dict[str, Any]:
        return {
            "@type": "currentStatus",
            "statementText": text,
            **self._command(command_id, message),
            "warnings": [],
        }

    def create_source(self, node: KsqlCreate, text: str, session: Session) -> dict[str, Any] | None:
        """CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] name (columns) WITH (...)."""
        kind = str(node.args.get("kind", "")).upper()
        if kind not in ("STREAM", "TABLE"):
            raise KsqlStatementError(f"The ksqlpy local server cannot CREATE {kind} yet.")
        target = node.this
        table = target.this if isinstance(target, exp.Schema) else target
        name = identifier_name(table.this if isinstance(table, exp.Table) else table)
        existing = self.metastore.source(name)
        if existing is not None and not node.args.get("replace"):
            label = existing.kind.lower()
            if node.args.get("exists"):
                return {
                    "@type": "warning_entity",
                    "statementText": text,
                    "message": f"Cannot add {kind.lower()} `{name}`: A {label} with the same name "
                    "already exists.",
                    "warnings": [],
                }
            raise KsqlStatementError(
                f"Cannot add {kind.lower()} '{name}': A {label} with the same name already exists"
            )
        props = _with_properties(node.args.get("properties"))
        if isinstance(node.args.get("expression"), KsqlSelect):
            return self._create_as_select(node.args["expression"], name, kind, props, text)
        columns = self._columns(target, kind)
        source = self._make_source(name, kind, columns, props, text, bool(node.args.get("source")))
        self.metastore.sources[name] = source
        self._tables.pop(name, None)
        label = "Stream" if kind == "STREAM" else "Table"
        return self._status_entity(text, f"{kind.lower()}/`{name}`/create", f"{label} created")

    def _plan_persistent(self, select: KsqlSelect) -> tuple[Source, Any]:
        if select.args.get("joins"):
            sources = join_sources(self.metastore.sources, select)
            return sources[0][0], JoinPipeline(select, sources, self.metastore.types)
        from_ = select.args.get("from_")
        if from_ is None or not isinstance(from_.this, exp.Table):
            raise KsqlStatementError("A query needs FROM <stream or table>.")
        table = from_.this
        source_name = identifier_name(table.this)
        source = self.metastore.source(source_name)
        if source is None:
            raise KsqlStatementError(f"{source_name} does not exist.")
        alias = identifier_name(table.args["alias"].this) if table.args.get("alias") else None
        return source, QueryPipeline(select, source, alias, self.metastore.types)

    def _create_as_select(
        self, select: KsqlSelect, name: str, kind: str, props: dict[str, Any], text: str
    ) -> dict[str, Any]:
        source, pipeline = self._plan_persistent(select)
        if kind == "TABLE" and source.kind == "STREAM" and pipeline.aggregator is None:
            raise KsqlStatementError(
                "Invalid result type. Your SELECT query produces a STREAM. Please use CREATE "
                "STREAM AS SELECT statement instead."
            )
        if kind == "STREAM" and (source.kind == "TABLE" or pipeline.aggregator is not None):
            raise KsqlStatementError(
                "Invalid result type. Your SELECT query produces a TABLE. Please use CREATE "
                "TABLE AS SELECT statement instead."
            )
        columns = sink_columns(pipeline, kind)
        info = self.log.topic(source.topic)
        props.setdefault("KAFKA_TOPIC", name)
        if "FORMAT" not in props:
            props.setdefault("KEY_FORMAT", source.key_format)
            props.setdefault("VALUE_FORMAT", source.value_format)
        props.setdefault("PARTITIONS", info.partitions if info else 1)
        sink = self._make_source(name, kind, columns, props, text, False)
        if pipeline.window is not None:
            sink.windowed = pipeline.window.kind
            sink.window_size_ms = (
                None if pipeline.window.kind == "SESSION" else pipeline.window.size
            )
        elif source.windowed:
            sink.windowed, sink.window_size_ms = source.windowed, source.window_size_ms
        sink.materialized = kind == "TABLE"
        self.metastore.sources[name] = sink
        self._tables.pop(name, None)
        prefix = "CSAS" if kind == "STREAM" else "CTAS"
        query = self._start_persistent(
            f"{prefix}_{name}_{self.sequence + 1}", text, source, sink, pipeline
        )
        return {
            "@type": "currentStatus",
            "statementText": text,
            **self._command(
                f"{kind.lower()}/`{name}`/create",
                f"Created query with ID {query.query_id}",
                query.query_id,
            ),
            "warnings": [],
        }

    def _start_persistent(
        self, query_id: str, text: str, source: Source, sink: Source, pipeline: Any
    ) -> Any:
        # Persistent queries start at the beginning of their source, as ksqlDB's tests expect
        # with auto.offset.reset=earliest; a query over live data sees it all too.
        query: Any
        if isinstance(pipeline, JoinPipeline):
            inputs = [pipeline.left.source, pipeline.right.source]
            starts = [[0] * len(self.log.end_offsets(s.topic)) for s in inputs]
            query = JoinPersistentQuery(query_id, text, inputs, sink, pipeline, starts)
            pipeline.right.source.read_queries.append(query_id)
        else:
            positions = [0] * len(self.log.end_offsets(source.topic))
            query = PersistentQuery(query_id, text, source, sink, pipeline, positions)
        # After a restart the query rebuilds its state from the whole source, but writes
        # nothing for records it had already processed before.
        query.quiet_until = list(self._saved_positions.get(query_id, []))
        self.persistent[query_id] = query
        source.read_queries.append(query_id)
        sink.write_queries.append(query_id)
        self.pump()
        return query

    def pump(self) -> None:
        """Run persistent queries until none has new input (bounded, so cycles cannot spin)."""
        moved = False
        for _ in range(100):
            progressed = [q.pump(self) for q in list(self.persistent.values())]
            if not any(progressed):
                break
            moved = True
        if moved:
            self._save_positions()

    def _columns(self, target: exp.Expression, kind: str) -> list[Column]:
        if not isinstance(target, exp.Schema) or not target.expressions:
            raise KsqlStatementError(
                "The statement does not define any columns. (The ksqlpy local server cannot infer "
                "columns from a schema registry.)"
            )
        columns: list[Column] = []
        seen: set[str] = set()
        for definition in target.expressions:
            name = identifier_name(definition.this)
            if name in PSEUDO_NAMES or name in ("WINDOWSTART", "WINDOWEND"):
                raise KsqlStatementError(
                    f"'{name}' is a reserved column name. You cannot use it as a name for a column."
                )
            if name in seen:
                raise KsqlStatementError(f"Duplicate column names: `{name}`")
            seen.add(name)
            column_type = sql_type(definition.args["kind"], self.metastore.types)
            role, header_key = "VALUE", None
            for constraint in definition.args.get("constraints") or []:
                spec = constraint.args.get("kind")
                if isinstance(spec, (KsqlKeyConstraint, exp.PrimaryKeyColumnConstraint)):
                    _check_key_kind(name, kind, isinstance(spec, exp.PrimaryKeyColumnConstraint))
                    role = "KEY"
                elif isinstance(spec, KsqlHeadersConstraint):
                    if column_type != HEADERS_TYPE:
                        raise KsqlStatementError(
                            f"Invalid type for HEADERS column: expected {HEADERS_TYPE}, "
                            f"got {column_type}"
                        )
                    role = "HEADERS"
                elif isinstance(spec, KsqlHeaderConstraint):
                    if column_type != BYTES:
                        raise KsqlStatementError(
                            f"Invalid type for HEADER('{spec.this.name}') column: expected BYTES, "
                            f"got {column_type}"
                        )
                    role, header_key = "HEADER", spec.this.name
            columns.append(Column(name, column_type, role, header_key))
        if kind == "TABLE" and not any(c.role == "KEY" for c in columns):
            raise KsqlStatementError("Tables require a PRIMARY KEY. Please define the PRIMARY KEY.")
        return columns

    def _make_source(
        self,
        name: str,
        kind: str,
        columns: list[Column],
        props: dict[str, Any],
        text: str,
        is_source: bool,
    ) -> Source:
        topic = props.pop("KAFKA_TOPIC", None)
        if topic is None:
            raise KsqlStatementError(
                'Missing required property "KAFKA_TOPIC" which has no default value.'
            )
        both = props.pop("FORMAT", None)
        key_format = props.pop("KEY_FORMAT", None)
        value_format = props.pop("VALUE_FORMAT", None)
        if both is not None and (key_format is not None or value_format is not None):
            raise KsqlStatementError(
                "Cannot supply both 'FORMAT' and 'KEY_FORMAT' or 'VALUE_FORMAT' properties."
            )
        key_format = check_format(str(both or key_format or "KAFKA"), "key")
        if both is None and value_format is None:
            raise KsqlStatementError(
                'Missing required property "VALUE_FORMAT" which has no default value.'
            )
        value_format = check_format(str(both or value_format), "value")
        for registry_prop in (
            "KEY_SCHEMA_ID",
            "VALUE_SCHEMA_ID",
            "KEY_SCHEMA_FULL_NAME",
            "VALUE_SCHEMA_FULL_NAME",
        ):
            if registry_prop in props:
                raise KsqlStatementError(
                    f"{registry_prop} needs a Schema Registry, which the ksqlpy local server "
                    "does not have.",
                    code=42801,
                )
        partitions = int(props.pop("PARTITIONS", 0) or 0)
        replicas = int(props.pop("REPLICAS", 1) or 1)
        timestamp = props.pop("TIMESTAMP", None)
        delimiter = str(props.pop("VALUE_DELIMITER", ",") or ",")
        delimiter = {"TAB": "\t", "SPACE": " "}.get(delimiter.upper(), delimiter)
        wrap = props.pop("WRAP_SINGLE_VALUE", None)
        window_type = props.pop("WINDOW_TYPE", None)
        window_size = props.pop("WINDOW_SIZE", None)
        source = Source(
            name=name,
            kind=kind,
            columns=tuple(columns),
            topic=str(topic),
            key_format=key_format,
            value_format=value_format,
            statement=text,
            timestamp_column=_column_name(str(timestamp)) if timestamp else None,
            is_source=is_source,
            value_delimiter=delimiter,
            wrap_single_value=None if wrap is None else bool(wrap),
        )
        if window_type is not None:
            source.windowed, source.window_size_ms = _window_props(str(window_type), window_size)
        if source.timestamp_column and source.column(source.timestamp_column) is None:
            raise KsqlStatementError(
                f"The TIMESTAMP column set in the WITH clause does not exist in the schema: "
                f"'{source.timestamp_column}'"
            )
        # Build the serdes once now so an unusable format/column mix fails the CREATE.
        key_serde(source)
        value_serde(source)
        existing = self.log.topic(source.topic)
        if existing is None:
            self.log.create_topic(source.topic, partitions or 1, replicas)
        elif partitions and existing.partitions != partitions:
            raise KsqlStatementError(
                f"A Kafka topic with the name '{source.topic}' already exists, with different "
                f"partition/replica configuration than required. KSQL expects {partitions} "
                f"partitions (topic has {existing.partitions}), {replicas} replication factor "
                f"(topic has {existing.replicas})."
            )
        return source

    def drop(self, node: KsqlDrop, text: str, session: Session) -> dict[str, Any] | None:
        """DROP STREAM|TABLE|TYPE [IF EXISTS] name [DELETE TOPIC]."""
        kind = str(node.args.get("kind", "")).upper()
        name = identifier_name(node.this)
        if kind == "TYPE":
            if name not in self.metastore.types:
                if node.args.get("exists"):
                    return self._status_entity(
                        text, f"type/{name}/drop", f"Type '{name}' does not exist."
                    )
                raise KsqlStatementError(f"Type {name} does not exist.")
            del self.metastore.types[name]
            return self._status_entity(text, f"type/{name}/drop", f"Dropped type '{name}'")
        if kind not in ("STREAM", "TABLE"):
            raise KsqlStatementError(f"The ksqlpy local server cannot DROP {kind} yet.")
        command_id = f"{kind.lower()}/{name}/drop"
        source = self.metastore.source(name)
        if source is None or source.kind != kind:
            if node.args.get("exists"):
                return self._status_entity(text, command_id, f"Source `{name}` does not exist.")
            label = "Stream" if kind == "STREAM" else "Table"
            raise KsqlStatementError(f"{label} {name} does not exist.")
        for label, ids in (
            ("write into", source.write_queries),
            ("read from", source.read_queries),
        ):
            if ids:
                raise KsqlStatementError(
                    f"Cannot drop {name}.\nThe following queries {label} this source: "
                    f"[{', '.join(ids)}].\nYou need to terminate them before dropping {name}."
                )
        for query in list(self.queries.values()):
            if query.plan.source.name == name:
                query.close()
        del self.metastore.sources[name]
        self._tables.pop(name, None)
        shared = any(s.topic == source.topic for s in self.metastore.sources.values())
        if node.args.get("delete_topic") and not shared:
            self.log.delete_topic(source.topic)
        return self._status_entity(
            text, command_id, f"Source `{name}` (topic: {source.topic}) was dropped."
        )

    def create_type(
        self, node: KsqlCreateType, text: str, session: Session
    ) -> dict[str, Any] | None:
        """CREATE TYPE name AS type."""
        name = identifier_name(node.this)
        kind = sql_type(node.args["kind"], self.metastore.types)
        if name in self.metastore.types:
            if node.args.get("exists"):
                return self._status_entity(
                    text, f"type/{name}/create", f"Type '{name}' already exists"
                )
            raise KsqlStatementError(
                f"Cannot register custom type '{name}' since it is already registered with type: "
                f"{self.metastore.types[name]}"
            )
        self.metastore.types[name] = kind
        return self._status_entity(
            text,
            f"type/{name}/create",
            f"Registered custom type with name '{name}' and SQL type {kind}",
        )

    # -- INSERT VALUES --------------------------------------------------------------------------

    def insert_values(self, node: KsqlInsert, text: str, session: Session) -> dict[str, Any] | None:
        """INSERT INTO name [(columns)] VALUES (...): one record, no entity."""
        if isinstance(node.expression, KsqlSelect):
            return self._insert_select(node, text)
        target = node.this
        table = target.this if isinstance(target, exp.Schema) else target
        name = identifier_name(table.this if isinstance(table, exp.Table) else table)
        source = self.metastore.source(name)
        if source is None:
            raise KsqlStatementError(f"Cannot insert values into an unknown stream/table: `{name}`")
        if isinstance(target, exp.Schema) and target.expressions:
            names = [identifier_name(c) for c in target.expressions]
        else:
            names = [c.name for c in source.keys + source.values]
        (row,) = node.expression.expressions
        values = row.expressions if isinstance(row, exp.Tuple) else [row]
        if len(values) != len(names):
            raise KsqlStatementError(
                f"Failed to prepare statement: Expected number columns and values to match: "
                f"{names}, {[v.sql(dialect='ksql') for v in values]}"
            )
        scope = Scope([], self.metastore.types)
        given: dict[str, Any] = {}
        for column_name, value_node in zip(names, values, strict=True):
            if column_name in ("ROWPARTITION", "ROWOFFSET"):
                raise KsqlStatementError(f"Inserting into column `{column_name}` is not allowed.")
            try:
                fn, kind = compile_expr(value_node, scope)
            except KsqlStatementError as exc:
                raise KsqlStatementError(f"Failed to prepare statement: {exc.message}") from exc
            value = fn([])
            if column_name == "ROWTIME":
                given["ROWTIME"] = value
                continue
            column = source.column(column_name)
            if column is None:
                raise KsqlStatementError(f"Column name {column_name} does not exist.")
            if column.role in ("HEADER", "HEADERS"):
                raise KsqlStatementError(f"Cannot insert into HEADER columns: {column_name}")
            try:
                given[column_name] = (
                    None if is_null_type(kind) else coerce(value, column.type, lenient=True)
                )
            except CoercionError as exc:
                raise KsqlStatementError(f"Failed to insert values into '{name}'. {exc}") from exc
        self.write_row(source, given)
        return None

    def _insert_select(self, node: KsqlInsert, text: str) -> dict[str, Any]:
        target = node.this.this if isinstance(node.this, exp.Schema) else node.this
        name = identifier_name(target.this if isinstance(target, exp.Table) else target)
        sink = self.metastore.source(name)
        if sink is None:
            raise KsqlStatementError(f"{name} does not exist.")
        if sink.kind != "STREAM":
            raise KsqlStatementError(
                f"INSERT INTO can only be used to insert into a stream. {name} is a table."
            )
        source, pipeline = self._plan_persistent(node.expression)
        produced = [o.type for o in pipeline.outputs if not o.key]
        wanted = [c.type for c in sink.values]
        if produced != wanted:
            raise KsqlStatementError(
                f"Incompatible schema between results and sink. Result schema is "
                f"{[str(t) for t in produced]}, but the sink schema is {[str(t) for t in wanted]}."
            )
        query = self._start_persistent(
            f"INSERTQUERY_{self.sequence + 1}", text, source, sink, pipeline
        )
        return {
            "@type": "currentStatus",
            "statementText": text,
            **self._command(
                f"stream/`{name}`/create", f"Created query with ID {query.query_id}", query.query_id
            ),
            "warnings": [],
        }

    def write_row(
        self,
        source: Source,
        given: dict[str, Any],
        keys: Serde | None = None,
        values: Serde | None = None,
    ) -> None:
        """Serialize one row (column -> value, ROWTIME optional) and append it to the topic."""
        key_values = [given.get(c.name) for c in source.keys]
        value_values = [given.get(c.name) for c in source.values]
        key = (keys or key_serde(source)).serialize(key_values)
        value = (values or value_serde(source)).serialize(value_values)
        timestamp = given.get("ROWTIME")
        if timestamp is None and source.timestamp_column:
            stamp = given.get(source.timestamp_column)
            if isinstance(stamp, int):
                timestamp = stamp
        self.log.append(source.topic, key, value, timestamp=timestamp)

    def inserter(self, target: str, properties: dict[str, Any]) -> Any:
        """The inserter of an ``/inserts-stream`` target."""
        from .inserts import StreamInserter

        name = target[1:-1] if target.startswith("`") and target.endswith("`") else target.upper()
        source = self.metastore.source(name)
        if source is None:
            raise http_error(
                40001, f"Cannot insert values into an unknown stream/table: `{name}`", ""
            )
        return StreamInserter(self, source)

    # -- SHOW / DESCRIBE ------------------------------------------------------------------------

    def show(self, node: KsqlShow, text: str, session: Session) -> dict[str, Any] | None:
        """SHOW|LIST STREAMS|TABLES|TOPICS|QUERIES|PROPERTIES|FUNCTIONS|TYPES|VARIABLES."""
        what = node.this.name.upper()
        handler = self.show_handlers.get(what)
        if handler is None:
            raise KsqlStatementError(f"The ksqlpy local server cannot SHOW {what} yet.")
        return handler(text, bool(node.args.get("extended")), session)

    def show_streams(self, text: str, extended: bool, session: Session) -> dict[str, Any]:
        """SHOW STREAMS [EXTENDED]."""
        if extended:
            return self._descriptions(text, self.metastore.streams())
        entries = [s.list_entry() for s in self.metastore.streams()]
        return {"@type": "streams", "statementText": text, "streams": entries, "warnings": []}

    def show_tables(self, text: str, extended: bool, session: Session) -> dict[str, Any]:
        """SHOW TABLES [EXTENDED]."""
        if extended:
            return self._descriptions(text, self.metastore.tables())
        entries = [s.list_entry() for s in self.metastore.tables()]
        return {"@type": "tables", "statementText": text, "tables": entries, "warnings": []}

    def _descriptions(self, text: str, sources: list[Source]) -> dict[str, Any]:
        return {
            "@type": "source_descriptions",
            "statementText": text,
            "sourceDescriptions": [self._description(s, True) for s in sources],
            "warnings": [],
        }

    def show_topics(self, text: str, extended: bool, session: Session) -> dict[str, Any]:
        """SHOW TOPICS [EXTENDED]."""
        topics = []
        for info in self.log.topics():
            if info.name.startswith("_"):
                continue
            entry: dict[str, Any] = {
                "name": info.name,
                "replicaInfo": [info.replicas] * info.partitions,
            }
            if extended:
                entry.update(consumerCount=0, consumerGroupCount=0)
            topics.append(entry)
        kind = "kafka_topics_extended" if extended else "kafka_topics"
        return {"@type": kind, "statementText": text, "topics": topics, "warnings": []}

    def show_queries(self, text: str, extended: bool, session: Session) -> dict[str, Any]:
        """SHOW QUERIES [EXTENDED]."""
        if extended:
            return {
                "@type": "query_descriptions",
                "statementText": text,
                "queryDescriptions": [self._query_description(q) for q in self.queries.values()],
                "warnings": [],
            }
        entries = [q.entry() for q in self.persistent.values()]
        entries += [running_entry(q) for q in self.queries.values()]
        return {"@type": "queries", "statementText": text, "queries": entries, "warnings": []}

    def show_properties(self, text: str, extended: bool, session: Session) -> dict[str, Any]:
        """SHOW PROPERTIES."""
        overrides = {normalize_property(k): str(v) for k, v in session.properties.items()}
        merged = {**PROPERTIES, **self.config, **overrides}
        entries = [
            {
                "name": name,
                "scope": "KSQL" if not name.startswith("ksql.streams.") else "STREAMS",
                "value": value,
                "editable": name not in DENYLIST,
                "level": "QUERY" if name.endswith("auto.offset.reset") else "SERVER",
            }
            for name, value in sorted(merged.items())
        ]
        return {
            "@type": "properties",
            "statementText": text,
            "properties": entries,
            "overwrittenProperties": sorted(overrides),
            "defaultProperties": sorted(k for k in PROPERTIES if k not in overrides),
            "warnings": [],
        }

    def show_functions(self, text: str, extended: bool, session: Session) -> dict[str, Any]:
        """SHOW FUNCTIONS."""
        entries = [
            {"name": f.name, "type": "SCALAR", "category": f.category}
            for f in sorted(functions.REGISTRY.values(), key=lambda f: f.name)
        ]
        return {
            "@type": "function_names",
            "statementText": text,
            "functions": entries,
            "warnings": [],
        }

    def show_types(self, text: str, extended: bool, session: Session) -> dict[str, Any]:
        """SHOW TYPES."""
        types = {name: kind.schema_info() for name, kind in sorted(self.metastore.types.items())}
        return {"@type": "type_list", "statementText": text, "types": types, "warnings": []}

    def show_variables(self, text: str, extended: bool, session: Session) -> dict[str, Any]:
        """SHOW VARIABLES."""
        entries = [{"name": k, "value": v} for k, v in session.variables.items()]
        return {"@type": "variables", "statementText": text, "variables": entries, "warnings": []}

    def describe(self, node: KsqlDescribe, text: str, session: Session) -> dict[str, Any] | None:
        """DESCRIBE name [EXTENDED], DESCRIBE STREAMS|TABLES [EXTENDED], DESCRIBE FUNCTION f."""
        kind = node.args.get("kind")
        extended = bool(node.args.get("extended"))
        if kind is not None and kind.name.upper() == "FUNCTION":
            return self.describe_function(identifier_name(node.this), text)
        if kind is not None and kind.name.upper() in ("STREAMS", "TABLES"):
            sources = (
                self.metastore.streams()
                if kind.name.upper() == "STREAMS"
                else self.metastore.tables()
            )
            return self._descriptions(text, sources)
        name = identifier_name(node.this)
        source = self.metastore.source(name)
        if source is None:
            raise KsqlStatementError(f"Could not find STREAM/TABLE '{name}' in the Metastore")
        return {
            "@type": "sourceDescription",
            "statementText": text,
            "sourceDescription": self._description(source, extended),
            "warnings": [],
        }

    def _description(self, source: Source, extended: bool) -> dict[str, Any]:
        info = self.log.topic(source.topic)
        partitions = info.partitions if (extended and info) else 0
        replication = info.replicas if (extended and info) else 0
        reads = [self.persistent[q].entry() for q in source.read_queries if q in self.persistent]
        writes = [self.persistent[q].entry() for q in source.write_queries if q in self.persistent]
        return {
            "name": source.name,
            "windowType": source.windowed,
            "readQueries": reads,
            "writeQueries": writes,
            "fields": [c.field_info() for c in source.columns],
            "type": source.kind,
            "timestamp": source.timestamp_column or "",
            "statistics": "",
            "errorStats": "",
            "extended": extended,
            "keyFormat": source.key_format,
            "valueFormat": source.value_format,
            "topic": source.topic,
            "partitions": partitions,
            "replication": replication,
            "statement": source.statement,
            "queryOffsetSummaries": [],
            "sourceConstraints": [],
            "clusterStatistics": [],
            "clusterErrorStats": [],
        }

    def describe_function(self, name: str, text: str) -> dict[str, Any]:
        """DESCRIBE FUNCTION name."""
        function = functions.REGISTRY.get(name)
        if function is None:
            raise KsqlStatementError(f"Can't find any functions with the name '{name}'")
        return {
            "@type": "describe_function",
            "statementText": text,
            "name": function.name,
            "description": function.description,
            "author": "ksqlpy",
            "version": "",
            "path": "internal",
            "functions": [
                {
                    "arguments": [],
                    "returnType": "",
                    "description": function.description,
                    "argumentTypes": [],
                }
            ],
            "type": "SCALAR",
            "warnings": [],
        }

    def _query_description(self, query: RunningQuery) -> dict[str, Any]:
        return {
            "id": query.query_id,
            "statementText": query.plan.sql,
            "windowType": None,
            "fields": [
                {"name": n, "schema": t.schema_info()}
                for n, t in zip(
                    query.plan.projection.names, query.plan.projection.types, strict=True
                )
            ],
            "sources": [query.plan.source.name],
            "sinks": [],
            "topology": "",
            "executionPlan": "",
            "overriddenProperties": {},
            "ksqlHostQueryStatus": {},
            "queryType": "PUSH",
            "queryErrors": [],
            "tasksMetadata": [],
            "state": "RUNNING",
        }

    def explain(self, node: KsqlExplain, text: str, session: Session) -> dict[str, Any] | None:
        """EXPLAIN query-id."""
        target = node.this
        query_id = target.name if isinstance(target, exp.Identifier) else None
        query = self.queries.get(query_id or "")
        if query is None:
            raise KsqlStatementError(
                f"Query with id:{query_id} does not exist, use SHOW QUERIES to view the full set "
                "of queries."
            )
        return {
            "@type": "queryDescription",
            "statementText": text,
            "queryDescription": self._query_description(query),
            "warnings": [],
        }

    # -- queries, properties, variables ---------------------------------------------------------

    def terminate(self, node: KsqlTerminate, text: str, session: Session) -> dict[str, Any] | None:
        """TERMINATE id | ALL."""
        if node.args.get("all"):
            for query in list(self.queries.values()):
                query.close()
            for query_id in list(self.persistent):
                self._stop_persistent(query_id)
            return self._status_entity(text, "terminate/ALL/execute", "Query terminated.")
        query_id = node.this.name
        persistent_id = next((q for q in self.persistent if q.upper() == query_id.upper()), None)
        if persistent_id is not None:
            self._stop_persistent(persistent_id)
            return self._status_entity(
                text, f"terminate/{persistent_id}/execute", "Query terminated."
            )
        found = self.queries.get(query_id)
        if found is None:
            raise KsqlStatementError(
                f"Failed to terminate query with query ID: '{query_id}'", code=40000
            )
        found.close()
        return {
            "@type": "terminate_query",
            "statementText": text,
            "queryId": query_id,
            "wasTerminated": True,
            "warnings": [],
        }

    def _stop_persistent(self, query_id: str) -> None:
        query = self.persistent.pop(query_id)
        for source in getattr(query, "sources", [query.source]):
            if query_id in source.read_queries:
                source.read_queries.remove(query_id)
        if query_id in query.sink.write_queries:
            query.sink.write_queries.remove(query_id)

    def set_property(
        self, node: KsqlSetProperty, text: str, session: Session
    ) -> dict[str, Any] | None:
        """SET 'name'='value' for the rest of the request."""
        name = node.this.name
        self.is_valid_property(name)
        session.properties[name] = node.expression.name
        return None

    def unset_property(
        self, node: KsqlUnsetProperty, text: str, session: Session
    ) -> dict[str, Any] | None:
        """UNSET 'name' for the rest of the request."""
        session.properties.pop(node.this.name, None)
        return None

    def define(self, node: KsqlDefine, text: str, session: Session) -> dict[str, Any] | None:
        """DEFINE name = 'value' (already applied while substituting)."""
        session.variables[node.this.name] = _literal_text(node.expression)
        return None

    def undefine(self, node: KsqlUndefine, text: str, session: Session) -> dict[str, Any] | None:
        """UNDEFINE name."""
        name = node.this.name
        if session.variables.pop(name, None) is None:
            return {
                "@type": "warning_entity",
                "statementText": text,
                "message": f"Cannot undefine variable '{name}' which was never defined",
                "warnings": [],
            }
        return None

    def is_valid_property(self, name: str) -> None:
        """Raise a 400 unless the property can be set per request."""
        if name in DENYLIST:
            raise http_error(
                40000,
                "One or more properties overrides set locally are prohibited by the KSQL server "
                f"denylist (use UNSET to reset their default value): [{name}]",
            )
        known = normalize_property(name) in PROPERTIES or name in _KAFKA_NAMES
        if not known and not name.startswith(_KNOWN_PREFIXES):
            raise http_error(
                40000,
                f"Not recognizable as ksql, streams, consumer, or producer property: '{name}'",
            )

    # -- server ---------------------------------------------------------------------------------

    def terminate_cluster(self, delete_topics: list[str]) -> list[Any]:
        """``/ksql/terminate``: stop queries, drop sources, delete matching topics."""
        patterns = [re.compile(p) for p in delete_topics]
        for query in list(self.queries.values()):
            query.close()
        for source in list(self.metastore.sources.values()):
            if any(p.fullmatch(source.topic) for p in patterns) and self.log.topic(source.topic):
                self.log.delete_topic(source.topic)
        self.metastore.sources.clear()
        self.metastore.types.clear()
        self._tables.clear()
        return [
            {
                "@type": "currentStatus",
                "statementText": "TERMINATE CLUSTER;",
                **self._command("cluster/TerminateCluster/terminate", "Cluster terminated"),
                "warnings": [],
            }
        ]

    def server_info(self) -> dict[str, Any]:
        """``/info``."""
        return {
            "version": VERSION,
            "kafkaClusterId": self.cluster_id,
            "ksqlServiceId": self.service_id,
            "serverStatus": "RUNNING",
        }

    def cluster_status(self) -> dict[str, Any]:
        """``/clusterStatus``: this one host, alive."""
        return {
            "localhost:8088": {
                "hostAlive": True,
                "lastStatusUpdateMs": int(time.time() * 1000),
                "activeStandbyPerQuery": {},
                "hostStoreLags": {"stateStoreLags": {}, "updateTimeMs": int(time.time() * 1000)},
            }
        }

    def command_statuses(self) -> dict[str, str]:
        """``/status``."""
        return {command_id: c.status for command_id, c in self.commands.items()}

    def command_status(self, command_id: str) -> dict[str, Any] | None:
        """``/status/...``."""
        command = self.commands.get(command_id)
        if command is None:
            return None
        return {"status": command.status, "message": command.message, "queryId": command.query_id}


_KEY_HINT = (
    "Tables have PRIMARY KEYs, which are unique and NON NULL.\n"
    "Streams have KEYs, which have no uniqueness or NON NULL constraints."
)


def _check_key_kind(name: str, kind: str, primary: bool) -> None:
    if kind == "STREAM" and primary:
        raise KsqlStatementError(
            f"Column `{name}` is a 'PRIMARY KEY' column: please use 'KEY' for streams.\n{_KEY_HINT}"
        )
    if kind == "TABLE" and not primary:
        raise KsqlStatementError(
            f"Column `{name}` is a 'KEY' column: please use 'PRIMARY KEY' for tables.\n{_KEY_HINT}"
        )


def _column_name(text: str) -> str:
    """A column named in a property value: backticks keep its case, otherwise upper case."""
    if len(text) > 1 and text.startswith("`") and text.endswith("`"):
        return text[1:-1]
    return text.upper()


def _window_props(kind: str, size: Any) -> tuple[str, int | None]:
    """WINDOW_TYPE and WINDOW_SIZE of a source over windowed data."""
    upper = kind.upper()
    if upper not in ("TUMBLING", "HOPPING", "SESSION"):
        raise KsqlStatementError(f"Invalid WINDOW_TYPE '{kind}': use TUMBLING, HOPPING or SESSION")
    if upper == "SESSION":
        if size is not None:
            raise KsqlStatementError("'WINDOW_SIZE' should not be set for SESSION windows.")
        return upper, None
    if size is None:
        raise KsqlStatementError(
            f"{upper} windows require 'WINDOW_SIZE' to be provided in the WITH clause."
        )
    parts = str(size).upper().split()
    if len(parts) != 2 or not parts[0].isdigit() or parts[1].rstrip("S") not in UNIT_MS:
        raise KsqlStatementError(f"Invalid WINDOW_SIZE '{size}': use e.g. '10 SECONDS'")
    return upper, int(parts[0]) * UNIT_MS[parts[1].rstrip("S")]


def _literal_text(node: exp.Expression) -> str:
    return node.name if isinstance(node, exp.Literal) else node.sql(dialect="ksql")


def _variable_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _substitution_on(session: Session) -> bool:
    value = session.properties.get("ksql.variable.substitution.enable", True)
    return str(value).lower() != "false"


def _with_properties(node: exp.Expression | None) -> dict[str, Any]:
    """The WITH (...) clause as upper-case names to Python values."""
    out: dict[str, Any] = {}
    if node is None:
        return out
    for prop in node.expressions:
        key = prop.this.name if isinstance(prop.this, exp.Expression) else str(prop.this)
        value = prop.args.get("value")
        if isinstance(value, exp.Literal):
            parsed: Any = (
                value.this
                if value.is_string
                else int(value.this)
                if value.this.lstrip("-").isdigit()
                else float(value.this)
            )
        elif isinstance(value, exp.Boolean):
            parsed = bool(value.this)
        elif value is None:
            parsed = None
        else:
            parsed = value.name or value.sql(dialect="ksql")
        out[key.upper()] = parsed
    return out


__all__ = ["Engine", "SqlType", "TopicExistsError"]
