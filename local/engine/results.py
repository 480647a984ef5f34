"""What statements produce: typed results, encoded as ksqlDB's REST entities outside the engine.

The engine never builds wire shapes; ``ksqlpy.local.entities`` turns each result below into the
entity ksqlDB answers for it (``currentStatus``, ``streams``, ``sourceDescription``, ...).
Every result carries the statement text it answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..storage import TopicInfo
from .metastore import Column, Source
from .types import SqlType


@dataclass(frozen=True, slots=True)
class Result:
    """The result of one statement."""

    text: str


@dataclass(frozen=True, slots=True)
class CommandDone(Result):
    """A statement that changed the metastore (recorded in the command log): its command."""

    command_id: str
    message: str
    sequence: int
    query_id: str | None = None


@dataclass(frozen=True, slots=True)
class Notice(Result):
    """A statement that did nothing, and says why (``CREATE ... IF NOT EXISTS`` over one)."""

    message: str


@dataclass(frozen=True, slots=True)
class QueryTerminated(Result):
    """A transient query stopped by ``TERMINATE``."""

    query_id: str


@dataclass(frozen=True, slots=True)
class SourceList(Result):
    """``SHOW STREAMS`` or ``SHOW TABLES`` (``kind`` is STREAM or TABLE)."""

    kind: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class QueryInfo:
    """A query as ``SHOW QUERIES`` lists it."""

    query_id: str
    sql: str
    sinks: tuple[str, ...]
    sink_topics: tuple[str, ...]
    query_type: str  # PERSISTENT or PUSH
    state: str


@dataclass(frozen=True, slots=True)
class SourceDetail:
    """A source as ``DESCRIBE`` shows it (partitions and replicas are 0 unless extended)."""

    source: Source
    extended: bool
    reads: tuple[QueryInfo, ...]
    writes: tuple[QueryInfo, ...]
    partitions: int = 0
    replicas: int = 0


@dataclass(frozen=True, slots=True)
class SourceDescribed(Result):
    """``DESCRIBE name [EXTENDED]``."""

    detail: SourceDetail


@dataclass(frozen=True, slots=True)
class SourcesDescribed(Result):
    """``DESCRIBE STREAMS|TABLES`` and ``SHOW STREAMS|TABLES EXTENDED``."""

    details: tuple[SourceDetail, ...]


@dataclass(frozen=True, slots=True)
class TopicList(Result):
    """``SHOW [ALL] TOPICS [EXTENDED]``."""

    topics: tuple[TopicInfo, ...]
    extended: bool


@dataclass(frozen=True, slots=True)
class QueryList(Result):
    """``SHOW QUERIES``."""

    queries: tuple[QueryInfo, ...]


@dataclass(frozen=True, slots=True)
class QueryError:
    """An error that stopped a query (ksqlDB's QueryError: USER, SYSTEM or UNKNOWN)."""

    timestamp: int
    message: str
    kind: str = "USER"


@dataclass(frozen=True, slots=True)
class QueryDetail:
    """A query as ``EXPLAIN`` and ``SHOW QUERIES EXTENDED`` describe it."""

    query_id: str
    sql: str
    fields: tuple[Column, ...]
    sources: tuple[str, ...]
    sinks: tuple[str, ...]
    query_type: str  # PERSISTENT, PUSH or PULL
    window_type: str | None = None
    state: str = "RUNNING"
    errors: tuple[QueryError, ...] = ()


@dataclass(frozen=True, slots=True)
class QueryDescribed(Result):
    """``EXPLAIN``."""

    detail: QueryDetail


@dataclass(frozen=True, slots=True)
class QueriesDescribed(Result):
    """``SHOW QUERIES EXTENDED``."""

    details: tuple[QueryDetail, ...]


@dataclass(frozen=True, slots=True)
class Property:
    """One property as ``SHOW PROPERTIES`` lists it."""

    name: str
    value: str | None
    editable: bool
    level: str  # QUERY or SERVER


@dataclass(frozen=True, slots=True)
class PropertyList(Result):
    """``SHOW PROPERTIES``: every property, the overridden ones and those at their defaults."""

    properties: tuple[Property, ...]
    overwritten: tuple[str, ...]
    defaults: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FunctionName:
    """A function as ``SHOW FUNCTIONS`` lists it (``kind``: SCALAR, TABLE or AGGREGATE)."""

    name: str
    kind: str
    category: str


@dataclass(frozen=True, slots=True)
class FunctionList(Result):
    """``SHOW FUNCTIONS``."""

    functions: tuple[FunctionName, ...]


@dataclass(frozen=True, slots=True)
class Argument:
    """A parameter of one function overload."""

    name: str
    type: str
    variadic: bool = False


@dataclass(frozen=True, slots=True)
class Overload:
    """One signature of a function."""

    arguments: tuple[Argument, ...]
    returns: str
    description: str


@dataclass(frozen=True, slots=True)
class FunctionDescription:
    """What ``DESCRIBE FUNCTION`` tells of a function."""

    name: str
    description: str
    kind: str
    overloads: tuple[Overload, ...]
    author: str
    version: str = ""
    path: str = "internal"


@dataclass(frozen=True, slots=True)
class FunctionDescribed(Result):
    """``DESCRIBE FUNCTION name``."""

    function: FunctionDescription


@dataclass(frozen=True, slots=True)
class TypeList(Result):
    """``SHOW TYPES``: custom types by name."""

    types: tuple[tuple[str, SqlType], ...]


@dataclass(frozen=True, slots=True)
class VariableList(Result):
    """``SHOW VARIABLES``: the request's variables by name."""

    variables: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Command:
    """A recorded command's status, as ``/status`` reports it."""

    status: str
    message: str
    query_id: str | None = None


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What ``/info`` and ``/v1/metadata`` tell of the server."""

    version: str
    cluster_id: str
    service_id: str


__all__ = [
    "Argument",
    "Command",
    "CommandDone",
    "FunctionDescribed",
    "FunctionDescription",
    "FunctionList",
    "FunctionName",
    "Notice",
    "Overload",
    "Property",
    "PropertyList",
    "QueriesDescribed",
    "QueryDescribed",
    "QueryDetail",
    "QueryInfo",
    "QueryList",
    "QueryTerminated",
    "Result",
    "ServerInfo",
    "SourceDescribed",
    "SourceDetail",
    "SourceList",
    "SourcesDescribed",
    "TopicList",
    "TypeList",
    "VariableList",
]
