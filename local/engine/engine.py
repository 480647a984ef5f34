"""The engine: the facade the HTTP layer talks to.

It holds the state (metastore, command log, running queries), runs each statement of a ``/ksql``
request through its executor (``statements.EXECUTORS``), opens ``/query`` queries, replays the
command log at start and pumps persistent queries.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from ksqlpy.sql import KsqlSyntaxError, parse_one, split, substitute
from ksqlpy.sql.nodes import KsqlDefine, KsqlPrint, KsqlRunScript, KsqlSelect

from ..storage import Log, Record, TopicExistsError
from .commandlog import CommandLog, legacy_positions, retire_legacy_positions
from .convert import clause_integer, hashable
from .errors import EngineError, KsqlStatementError, QueryFailure
from .inserts import StreamInserter
from .join import JoinPipeline
from .joinquery import JoinPersistentQuery
from .metastore import Metastore, Source
from .persistent import PersistentQuery
from .planner import QueryPlan, plan_select
from .planning_settings import planning_settings
from .printing import TopicPrinter
from .processing_log import ProcessingLog, ProcessingLogConfig, processing
from .pull_filter import PullOptions
from .results import Command, CommandDone, QueryError, Result, ServerInfo
from .rows import RowReader, key_serde, value_serde
from .runtime import Session, check_property, done, normalize_property
from .serde_base import Serde
from .statements import EXECUTORS, LOGGED
from .statements.control import literal_text
from .statements.create_as import stop_persistent
from .syntax import syntax_message
from .transient import JoinRunningQuery, RunningQuery, TablePullQuery, transient_id
from .types import SqlType

log = logging.getLogger("ksqlpy.local")

VERSION = "8.4.0"
# ksqlDB's TerminateCluster command (its text and CommandId).
TERMINATE_CLUSTER = "TERMINATE CLUSTER;"
TERMINATE_CLUSTER_ID = "cluster/TerminateCluster/terminate"
SELECT_IN_KSQL = (
    "The following statement types should be issued to the websocket endpoint '/query':\n"
    "\t* PRINT\n\t* SELECT"
)


@dataclass(slots=True)
class _TableState:
    positions: list[int]
    rows: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)
    # Where each key lives in the state store: its partition and serialized key bytes.
    places: dict[tuple[Any, ...], tuple[int, bytes]] = field(default_factory=dict)


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
        # Statements that change the metastore go to the command topic of the log and are
        # replayed at start (as ksqlDB replays its command topic); ``store`` is only read for
        # the files of an older data directory.
        self.store = store
        self.replaying = False
        self.replayed = 0  # the offset of the command being replayed
        self._before_replay: set[str] = set()  # the topics there were when the replay began
        # Server configuration (like ksqlDB's server properties file): defaults for requests.
        self.config = {normalize_property(k): str(v) for k, v in (config or {}).items()}
        self.metastore = Metastore()
        self.service_id = self.config.get("ksql.service.id", service_id)
        self.command_log = CommandLog(log, self.service_id)
        self.session = Session({}, {}, self.config)
        self.cluster_id = uuid.uuid4().hex[:22]
        self.sequence = 0
        self.commands: dict[str, Command] = {}
        self.queries: dict[str, RunningQuery] = {}
        self.persistent: dict[str, PersistentQuery | JoinPersistentQuery] = {}
        self.query_errors: dict[str, list[QueryError]] = {}
        self._tables: dict[str, _TableState] = {}
        self.processing_log = ProcessingLog(
            log, ProcessingLogConfig.from_config(self.config, service_id)
        )

    # -- requests -------------------------------------------------------------------------------

    def execute(
        self, ksql: str, properties: dict[str, Any], variables: dict[str, Any]
    ) -> list[Result]:
        """Run every statement of a ``/ksql`` request, in order; return their results."""
        session = Session(
            dict(properties), {k: _variable_text(v) for k, v in variables.items()}, self.config
        )
        results: list[Result] = []
        for text, node in self._statements(ksql, session):
            self.session = session
            # Query ids are numbered by the command's offset in the command topic, so a replay
            # gives every query the id (and consumer group) it had.
            self.sequence = self.replayed if self.replaying else self.command_log.next_offset()
            executor = EXECUTORS.get(type(node))
            if isinstance(node, (KsqlSelect, KsqlPrint)):
                raise EngineError(SELECT_IN_KSQL, 40002, text)
            if executor is None:
                raise EngineError(
                    f"The ksqlpy local server does not support this statement yet: {text}",
                    40001,
                    text,
                )
            try:
                with planning_settings(session.setting):
                    result = executor(self, node, text, session)
            except KsqlStatementError as exc:
                exc.statement_text = text
                raise
            if result is not None:
                results.append(result)
                self._record(node, text, session, result)
        self.pump()
        return results

    def _record(self, node: exp.Expr, text: str, session: Session, result: Result) -> None:
        """Append a statement that changed the metastore to the command log (before the
        request is answered: an error here fails the request)."""
        if self.replaying:
            return
        if isinstance(result, CommandDone) and isinstance(node, LOGGED):
            self.command_log.append(result.command_id, text, session.properties)

    def restore(self) -> int:
        """Replay the command topic (at start); return how many commands ran."""
        legacy = self.command_log.convert_legacy(self.store) if self.store is not None else {}
        count = 0
        self.replaying = True
        self._before_replay = {t.name for t in self.log.topics()}
        try:
            for command in self.command_log.commands():
                self.replayed = command.offset
                if command.statement.strip().upper() == TERMINATE_CLUSTER:
                    patterns = command.properties.get("deleteTopicList")
                    self._terminate(patterns if isinstance(patterns, list) else [])
                    count += 1
                    continue
                try:
                    self.execute(command.statement, command.properties, {})
                except (EngineError, TopicExistsError, LookupError, ValueError, TypeError) as error:
                    # A saved statement that no longer runs (its topic changed, a function is
                    # gone, the record was written by another tool) must not keep the server
                    # down; recovery says what it dropped.
                    message = error.message if isinstance(error, EngineError) else repr(error)
                    log.warning(
                        "restore: dropped saved statement %r: %s", command.statement, message
                    )
                    continue
                count += 1
        finally:
            self.replaying = False
        self._resume_legacy(legacy)
        if self.store is not None:
            retire_legacy_positions(self.store)
        self._start_processing_log()
        self.pump()
        return count

    def _start_processing_log(self) -> None:
        """Create the processing log's topic and stream when the configuration asks for them
        (ksqlDB does at start, once: a replayed stream is kept)."""
        self.processing_log.ensure_topic()
        settings = self.processing_log.config
        if settings.stream_auto_create and self.metastore.source(settings.stream_name) is None:
            self.execute(settings.create_statement(), {}, {})

    def _resume_legacy(self, saved: dict[str, list[Any]]) -> None:
        """Positions saved by an older version: committed once to the queries' groups."""
        for query_id, positions in saved.items():
            query = self.persistent.get(query_id)
            if query is None or self.log.committed(query.group) or not isinstance(positions, list):
                continue
            topics = [s.topic for s in getattr(query, "sources", [query.source])]
            committed = legacy_positions(positions, topics)
            self.log.commit(query.group, [], committed, exactly_once=query.exactly_once)
            query.resume(committed)

    def _statements(self, ksql: str, session: Session) -> list[tuple[str, exp.Expr]]:
        out: list[tuple[str, exp.Expr]] = []
        try:
            statements = split(ksql)
        except KsqlSyntaxError as exc:
            raise EngineError(str(exc), 40001, ksql) from exc
        for statement in statements:
            text = statement.text.strip()
            if not text.endswith(";"):
                text += ";"
            # ksqlDB locates errors in the whole request, unless variables are substituted:
            # it then parses the substituted statement alone (EngineContext.substituteVariables).
            substituting = _substitution_on(session) and bool(session.variables)
            where = (1, 1) if substituting else (statement.line, statement.column)
            try:
                if _substitution_on(session):
                    text = substitute(text, session.variables)
                node = parse_one(text, line=where[0], column=where[1])
                if isinstance(node, KsqlRunScript):
                    # RUN SCRIPT is the CLI's: the server's grammar has no such statement.
                    raise KsqlSyntaxError("unknown statement 'RUN'", where[0], where[1])
            except KsqlSyntaxError as exc:
                raise EngineError(
                    syntax_message(exc, text if substituting else ksql), 40001, text
                ) from exc
            except (ValueError, KeyError) as exc:
                raise EngineError(str(exc), 40001, text) from exc
            out.append((text, node))
            # DEFINE must take effect for the substitution of the statements after it.
            if isinstance(node, KsqlDefine):
                session.variables[node.this.name] = literal_text(node.expression)
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
            raise EngineError(
                f"Expected exactly one KSQL statement; found {len(statements)} instead", 40001, sql
            )
        text, node = statements[0]
        self.pump()
        if isinstance(node, KsqlPrint):
            return self._print(node, text)
        if not isinstance(node, KsqlSelect):
            raise EngineError("Neither a query nor a print statement", 40001, text)
        try:
            options = PullOptions.of(session.properties, session.defaults)
            with planning_settings(session.setting):
                plan = plan_select(self.metastore, node, text, options)
        except KsqlStatementError as exc:
            exc.statement_text = text
            raise
        if not plan.push and plan.source.kind == "TABLE":
            state = self.table_state(plan.source)
            return TablePullQuery(plan, state.rows, state.places.__getitem__)
        earliest = not plan.push or session.offset_reset() == "earliest"
        query_id = transient_id(plan.source)
        scalable = plan.push and not earliest and self._scalable(plan)
        if scalable:
            query_id = f"SCALABLE_PUSH_QUERY_{uuid.uuid4()}"
        if isinstance(plan.pipeline, JoinPipeline):
            query: RunningQuery = JoinRunningQuery(
                self.log, plan, query_id, earliest, self.forget_query
            )
        else:
            query = RunningQuery(
                self.log, plan, query_id, earliest, not plan.push, self.forget_query, scalable
            )
        self.queries[query.query_id] = query
        return query

    def _print(self, node: KsqlPrint, text: str) -> TopicPrinter:
        topic = node.this.name
        if self.log.topic(topic) is None:
            raise EngineError(
                f"Could not find topic '{topic}', or the KSQL user does not have permissions to "
                "list the topic. Topic names are case-sensitive.",
                40000,
            )
        interval = node.args.get("interval")
        limit = node.args.get("limit")
        return TopicPrinter(
            self.log,
            topic,
            bool(node.args.get("from_beginning")),
            clause_integer(interval.name, "INTERVAL") if interval is not None else 1,
            clause_integer(limit.name, "LIMIT") if limit is not None else None,
        )

    def _scalable(self, plan: QueryPlan) -> bool:
        # ksqlDB serves push queries from a persistent query's output as "scalable" push
        # queries when ksql.query.push.v2.enabled is set; only their id tells them apart.
        enabled = self.config.get("ksql.query.push.v2.enabled", "false").lower() == "true"
        return enabled and plan.pipeline is None and bool(plan.source.write_queries)

    def close_query(self, query_id: str) -> None:
        """Close a running push query, or answer ``No query with id``."""
        query = self.queries.get(query_id)
        if query is None:
            raise EngineError(f"No query with id {query_id}", 40000)
        query.close()

    def forget_query(self, query_id: str) -> None:
        """Drop a finished query from the registry."""
        self.queries.pop(query_id, None)

    def table_state(self, source: Source) -> _TableState:
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
                        state.places.pop(key, None)
                    else:
                        state.rows[key] = row
                        state.places[key] = (partition, record.key or b"")
            state.positions[partition] = position
        return state

    def forget_table(self, name: str) -> None:
        """Drop the materialized state kept for a table (it was dropped or replaced)."""
        self._tables.pop(name, None)

    def command(self, command_id: str, message: str, query_id: str | None = None) -> int:
        """Record a successful command (for ``/status``); return its sequence number."""
        self.sequence += 1
        self.commands[command_id] = Command("SUCCESS", message, query_id)
        return self.sequence

    def _failed(
        self, query: PersistentQuery | JoinPersistentQuery, message: str, kind: str = "USER"
    ) -> None:
        query.state = "ERROR"
        error = QueryError(int(time.time() * 1000), message, kind)
        self.query_errors.setdefault(query.query_id, []).append(error)
        log.error("query %s failed: %s", query.query_id, message)

    def pump(self) -> None:
        """Run persistent queries until none has new input (bounded, so cycles cannot spin)."""
        if self.replaying:
            # Queries start once the whole command log is replayed: a query terminated later
            # in the log must not run (and write) in between.
            return
        for _ in range(100):
            progressed = []
            for query in list(self.persistent.values()):
                with processing(self.processing_log, query.query_id):
                    try:
                        progressed.append(query.pump(self.log))
                    except QueryFailure as failure:
                        # Its stream thread dies: the query stops in ERROR, its uncommitted
                        # batch dropped (QueryMetadataImpl.uncaughtHandler).
                        self._failed(query, failure.message)
                    except Exception as exc:  # a fault of ours: that query stops, not the server
                        log.exception("query %s stopped on an unexpected error", query.query_id)
                        self._failed(query, f"Unexpected error: {exc!r}", "UNKNOWN")
            if not any(progressed):
                break

    def delete_topic(self, name: str) -> None:
        """Delete a topic a statement drops. Replayed, only a topic the replay itself created:
        one that was there before is a later topic of that name (the statement deleted its
        own when it first ran)."""
        if self.replaying and name in self._before_replay:
            return
        if self.log.topic(name) is not None:
            self.log.delete_topic(name)

    def write_row(
        self,
        source: Source,
        given: dict[str, Any],
        keys: Serde | None = None,
        values: Serde | None = None,
    ) -> None:
        """Serialize one row (column -> value, ROWTIME optional) and append it to the topic."""
        key, value, timestamp = self._row_record(source, given, keys, values)
        self.log.append(source.topic, key, value, timestamp=timestamp)

    def send_row(
        self, source: Source, given: dict[str, Any], keys: Serde, values: Serde
    ) -> Future[Record]:
        """Serialize one row and start appending it (see :meth:`Log.send`)."""
        key, value, timestamp = self._row_record(source, given, keys, values)
        return self.log.send(source.topic, key, value, timestamp=timestamp)

    def _row_record(
        self, source: Source, given: dict[str, Any], keys: Serde | None, values: Serde | None
    ) -> tuple[bytes | None, bytes | None, int | None]:
        """A row's key, value and timestamp (ROWTIME, else the timestamp column)."""
        key_values = [given.get(c.name) for c in source.keys]
        value_values = [given.get(c.name) for c in source.values]
        key = (keys or key_serde(source)).serialize(key_values)
        value = (values or value_serde(source)).serialize(value_values)
        timestamp = given.get("ROWTIME")
        if timestamp is None and source.timestamp_column:
            stamp = given.get(source.timestamp_column)
            if isinstance(stamp, int):
                timestamp = stamp
        return key, value, timestamp

    def inserter(self, target: str, properties: dict[str, Any]) -> StreamInserter:
        """The inserter of an ``/inserts-stream`` target."""
        name = target[1:-1] if target.startswith("`") and target.endswith("`") else target.upper()
        source = self.metastore.source(name)
        if source is None:
            raise EngineError(
                f"Cannot insert values into an unknown stream/table: `{name}`"
                + self.metastore.alternatives(name),
                40001,
                "",
            )
        if source.windowed:
            raise EngineError("Cannot insert values into windowed stream/table", 40001, "")
        return StreamInserter(self, source)

    def is_valid_property(self, name: str) -> None:
        """Raise an :class:`EngineError` unless the property can be set per request."""
        check_property(name)

    # -- server ---------------------------------------------------------------------------------

    def terminate_cluster(self, delete_topics: list[str]) -> list[Result]:
        """``/ksql/terminate``: stop queries, drop sources, delete matching topics (recorded
        first, as ksqlDB writes its TerminateCluster command before it runs it)."""
        self.sequence = self.command_log.next_offset()
        self.command_log.append(
            TERMINATE_CLUSTER_ID, "TERMINATE CLUSTER;", {"deleteTopicList": delete_topics}
        )
        self._terminate(delete_topics)
        return [done(self, TERMINATE_CLUSTER, TERMINATE_CLUSTER_ID, "Cluster terminated")]

    def _terminate(self, delete_topics: list[str]) -> None:
        patterns = []
        for pattern in delete_topics:
            try:
                patterns.append(re.compile(str(pattern)))
            except re.error:  # checked when it was requested; a replayed one may be damaged
                log.warning("terminate: ignored the topic pattern %r", pattern)
        for query in list(self.queries.values()):
            query.close()
        for query_id in list(self.persistent):
            stop_persistent(self, query_id)
        for source in list(self.metastore.sources.values()):
            if any(p.fullmatch(source.topic) for p in patterns):
                self.delete_topic(source.topic)
        self.metastore.sources.clear()
        self.metastore.types.clear()
        self._tables.clear()

    def server_info(self) -> ServerInfo:
        """``/info``: the version, the Kafka cluster and the service id."""
        return ServerInfo(VERSION, self.cluster_id, self.service_id)

    def command_statuses(self) -> dict[str, Command]:
        """``/status``: every recorded command by id."""
        return dict(self.commands)

    def command_status(self, command_id: str) -> Command | None:
        """A recorded command (``/status/...``)."""
        return self.commands.get(command_id)


def _variable_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _substitution_on(session: Session) -> bool:
    value = session.properties.get("ksql.variable.substitution.enable", True)
    return str(value).lower() != "false"


__all__ = ["Engine", "SqlType", "TopicExistsError"]
