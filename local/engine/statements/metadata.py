"""SHOW/LIST, DESCRIBE [EXTENDED], DESCRIBE FUNCTION and EXPLAIN: what the metastore holds."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlCreate, KsqlDescribe, KsqlExplain, KsqlInsert, KsqlSelect, KsqlShow

from .. import catalog
from ..convert import identifier_name
from ..errors import KsqlStatementError
from ..joinquery import JoinPersistentQuery
from ..metastore import Column, Source
from ..persistent import PersistentQuery, sink_columns
from ..planner import QueryPlan, plan_persistent, plan_select
from ..results import (
    FunctionDescribed,
    FunctionList,
    QueriesDescribed,
    QueryDescribed,
    QueryDetail,
    QueryInfo,
    QueryList,
    Result,
    SourceDescribed,
    SourceDetail,
    SourceList,
    SourcesDescribed,
    TopicList,
    TypeList,
    VariableList,
)
from ..runtime import (
    INTERNAL_PREFIX,
    PROPERTIES,
    Runtime,
    Session,
    normalize_property,
)
from ..server_properties import property_list
from ..transient import RunningQuery, transient_id


def show(runtime: Runtime, node: KsqlShow, text: str, session: Session) -> Result | None:
    """SHOW|LIST STREAMS|TABLES|TOPICS|QUERIES|PROPERTIES|FUNCTIONS|TYPES|VARIABLES."""
    what = node.this.name.upper()
    if what == "TOPICS":
        every = str(node.args.get("modifier") or "").upper() == "ALL"
        return show_topics(runtime, text, bool(node.args.get("extended")), session, every)
    handler = SHOW.get(what)
    if handler is None:
        raise KsqlStatementError(f"The ksqlpy local server cannot SHOW {what} yet.")
    return handler(runtime, text, bool(node.args.get("extended")), session)


def show_streams(runtime: Runtime, text: str, extended: bool, session: Session) -> Result:
    """SHOW STREAMS [EXTENDED]."""
    if extended:
        return descriptions(runtime, text, runtime.metastore.streams())
    return SourceList(text, "STREAM", tuple(runtime.metastore.streams()))


def show_tables(runtime: Runtime, text: str, extended: bool, session: Session) -> Result:
    """SHOW TABLES [EXTENDED]."""
    if extended:
        return descriptions(runtime, text, runtime.metastore.tables())
    return SourceList(text, "TABLE", tuple(runtime.metastore.tables()))


def descriptions(runtime: Runtime, text: str, sources: list[Source]) -> SourcesDescribed:
    return SourcesDescribed(text, tuple(source_detail(runtime, s, True) for s in sources))


def show_topics(
    runtime: Runtime, text: str, extended: bool, session: Session, every: bool = False
) -> TopicList:
    """SHOW [ALL] TOPICS [EXTENDED]: without ALL, internal and hidden topics are left out."""
    hidden = hidden_topics(runtime.config)
    topics = [t for t in runtime.log.topics() if every or not hidden.fullmatch(t.name)]
    return TopicList(text, tuple(topics), extended)


def hidden_topics(config: dict[str, str]) -> re.Pattern[str]:
    """ksqlDB's ReservedInternalTopics: its own internal topics and ``ksql.hidden.topics``."""
    listed = config.get("ksql.hidden.topics", HIDDEN_TOPICS)
    patterns = [f"{INTERNAL_PREFIX}.*", *(p.strip() for p in listed.split(",") if p.strip())]
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error:
        return re.compile(f"{INTERNAL_PREFIX}.*")


def show_queries(runtime: Runtime, text: str, extended: bool, session: Session) -> Result:
    """SHOW QUERIES [EXTENDED]."""
    if extended:
        details = [persistent_detail(runtime, q) for q in runtime.persistent.values()]
        details += [running_detail(q) for q in runtime.queries.values()]
        return QueriesDescribed(text, tuple(details))
    infos = [persistent_info(q) for q in runtime.persistent.values()]
    infos += [running_info(q) for q in runtime.queries.values()]
    return QueryList(text, tuple(infos))


def show_properties(runtime: Runtime, text: str, extended: bool, session: Session) -> Result:
    """SHOW PROPERTIES."""
    overrides = {normalize_property(k): v for k, v in session.properties.items()}
    return property_list(text, {**PROPERTIES, **runtime.config}, overrides)


def show_functions(runtime: Runtime, text: str, extended: bool, session: Session) -> Result:
    """SHOW FUNCTIONS."""
    return FunctionList(text, catalog.function_names())


def show_types(runtime: Runtime, text: str, extended: bool, session: Session) -> Result:
    """SHOW TYPES."""
    return TypeList(text, tuple(sorted(runtime.metastore.types.items())))


def show_variables(runtime: Runtime, text: str, extended: bool, session: Session) -> Result:
    """SHOW VARIABLES."""
    return VariableList(text, tuple(session.variables.items()))


# KsqlConfig's default for ksql.hidden.topics.
HIDDEN_TOPICS = (
    "_confluent.*,__confluent.*,_schemas,__consumer_offsets,__transaction_state,connect-configs,"
    "connect-offsets,connect-status,connect-statuses"
)
ShowHandler = Callable[[Runtime, str, bool, Session], Result]
SHOW: dict[str, ShowHandler] = {
    "STREAMS": show_streams,
    "TABLES": show_tables,
    "TOPICS": show_topics,
    "QUERIES": show_queries,
    "PROPERTIES": show_properties,
    "FUNCTIONS": show_functions,
    "TYPES": show_types,
    "VARIABLES": show_variables,
}


def describe(runtime: Runtime, node: KsqlDescribe, text: str, session: Session) -> Result | None:
    """DESCRIBE name [EXTENDED], DESCRIBE STREAMS|TABLES [EXTENDED], DESCRIBE FUNCTION f."""
    kind = node.args.get("kind")
    extended = bool(node.args.get("extended"))
    if kind is not None and kind.name.upper() == "FUNCTION":
        return FunctionDescribed(text, catalog.describe(identifier_name(node.this)))
    if kind is not None and kind.name.upper() in ("STREAMS", "TABLES"):
        sources = (
            runtime.metastore.streams()
            if kind.name.upper() == "STREAMS"
            else runtime.metastore.tables()
        )
        return descriptions(runtime, text, sources)
    name = identifier_name(node.this)
    source = runtime.metastore.source(name)
    if source is None:
        raise KsqlStatementError(
            f"Could not find STREAM/TABLE '{name}' in the Metastore"
            + runtime.metastore.alternatives(name)
        )
    return SourceDescribed(text, source_detail(runtime, source, extended))


def source_detail(runtime: Runtime, source: Source, extended: bool) -> SourceDetail:
    """What DESCRIBE shows of a source: the queries reading and writing it, and (extended)
    its topic's partitions and replicas."""
    queries = runtime.persistent
    reads = tuple(persistent_info(queries[q]) for q in source.read_queries if q in queries)
    writes = tuple(persistent_info(queries[q]) for q in source.write_queries if q in queries)
    info = runtime.log.topic(source.topic) if extended else None
    if info is None:
        return SourceDetail(source, extended, reads, writes)
    return SourceDetail(source, extended, reads, writes, info.partitions, info.replicas)


def persistent_info(query: PersistentQuery | JoinPersistentQuery) -> QueryInfo:
    """A persistent query as SHOW QUERIES lists it."""
    sink = query.sink
    return QueryInfo(
        query.query_id, query.sql, (sink.name,), (sink.topic,), "PERSISTENT", query.state
    )


def running_info(query: RunningQuery) -> QueryInfo:
    """A transient push query as SHOW QUERIES lists it."""
    return QueryInfo(query.query_id, query.plan.sql, (), (), "PUSH", "RUNNING")


def running_detail(query: RunningQuery) -> QueryDetail:
    """The description of a running transient query."""
    return QueryDetail(
        query.query_id,
        query.plan.sql,
        _projected(query.plan),
        (query.plan.source.name,),
        (),
        "PUSH",
    )


def persistent_detail(
    runtime: Runtime, query: PersistentQuery | JoinPersistentQuery
) -> QueryDetail:
    """The description of a persistent query: its sink's columns, sources, sink and errors."""
    sources = query.sources if isinstance(query, JoinPersistentQuery) else [query.source]
    return QueryDetail(
        query.query_id,
        query.sql,
        tuple(query.sink.columns),
        tuple(s.name for s in sources),
        (query.sink.name,),
        "PERSISTENT",
        query.sink.windowed,
        query.state,
        tuple(runtime.query_errors.get(query.query_id, ())),
    )


def explain(runtime: Runtime, node: KsqlExplain, text: str, session: Session) -> Result | None:
    """EXPLAIN query-id (a persistent query) or EXPLAIN statement (planned, not run)."""
    target = node.this
    if isinstance(target, exp.Identifier):
        wanted = target.name
        query = next(
            (q for q in runtime.persistent.values() if q.query_id.upper() == wanted.upper()), None
        )
        if query is None:
            raise KsqlStatementError(
                f"Query with id:{wanted} does not exist, use SHOW QUERIES to view the full set "
                "of queries."
            )
        return QueryDescribed(text, persistent_detail(runtime, query))
    inner = re.sub(r"(?is)^\s*EXPLAIN\s+", "", text)
    return QueryDescribed(text, _explain_statement(runtime, target, inner))


def _explain_statement(runtime: Runtime, node: exp.Expression, text: str) -> QueryDetail:
    """The description of the query a statement would run, without running it."""
    if isinstance(node, KsqlSelect):
        plan = plan_select(runtime.metastore, node, text)
        kind = "PUSH" if plan.push else "PULL"
        query_id = transient_id(plan.source)
        return QueryDetail(query_id, text, _projected(plan), (plan.source.name,), (), kind)
    select = node.args.get("expression")
    if isinstance(node, (KsqlCreate, KsqlInsert)) and isinstance(select, KsqlSelect):
        target = node.this.this if isinstance(node.this, exp.Schema) else node.this
        name = identifier_name(target.this if isinstance(target, exp.Table) else target)
        source, pipeline = plan_persistent(runtime.metastore, select)
        if isinstance(node, KsqlInsert):
            kind, query_id = "STREAM", f"INSERTQUERY_{runtime.sequence + 1}"
        else:
            kind = str(node.args.get("kind", "")).upper()
            prefix = "CSAS" if kind == "STREAM" else "CTAS"
            query_id = f"{prefix}_{name}_{runtime.sequence + 1}"
        fields = tuple(sink_columns(pipeline, kind))
        return QueryDetail(query_id, text, fields, (source.name,), (name,), "PERSISTENT")
    raise KsqlStatementError("The provided statement does not run a ksql query")


def _projected(plan: QueryPlan) -> tuple[Column, ...]:
    """A query's projection as value columns."""
    names, types = plan.projection.names, plan.projection.types
    return tuple(Column(n, t) for n, t in zip(names, types, strict=True))
