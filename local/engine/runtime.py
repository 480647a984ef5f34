"""What statement executors depend on: the :class:`Runtime` protocol, sessions and property rules.

Executors (``statements/``) are functions of a runtime, never of the engine class, so they can be
run and tested against any object with these members.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..storage import Log, Record
from .errors import EngineError
from .joinquery import JoinPersistentQuery
from .metastore import Metastore, Source
from .persistent import PersistentQuery
from .results import CommandDone, QueryError
from .serde_base import Serde
from .transient import RunningQuery

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
# ksqlDB's KsqlConfig: internal topics and consumer groups are named with these.
INTERNAL_PREFIX = "_confluent-ksql-"
PERSISTENT_PREFIX = ("ksql.persistent.prefix", "query_")
EXACTLY_ONCE = frozenset({"exactly_once", "exactly_once_beta", "exactly_once_v2"})
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


def check_property(name: str) -> None:
    """Raise an :class:`EngineError` (40000) unless the property can be set per request."""
    if name in DENYLIST:
        raise EngineError(
            "One or more properties overrides set locally are prohibited by the KSQL server "
            f"denylist (use UNSET to reset their default value): [{name}]",
            40000,
        )
    known = normalize_property(name) in PROPERTIES or name in _KAFKA_NAMES
    if not known and not name.startswith(_KNOWN_PREFIXES):
        raise EngineError(
            f"Not recognizable as ksql, streams, consumer, or producer property: '{name}'", 40000
        )


@dataclass(slots=True)
class Session:
    """Per-request state: properties and variables set by earlier statements of the request."""

    properties: dict[str, Any]
    variables: dict[str, str]
    defaults: dict[str, str] = field(default_factory=dict)

    def exactly_once(self) -> bool:
        """Whether ``processing.guarantee`` (the request's, else the server's) is exactly-once."""
        for source in (self.properties, self.defaults):
            for key in ("processing.guarantee", "ksql.streams.processing.guarantee"):
                if key in source:
                    return str(source[key]).lower() in EXACTLY_ONCE
        return False

    def setting(self, name: str) -> str | None:
        """A property as text: the request's setting, else the server's, else ``None``."""
        for source in (self.properties, self.defaults):
            if name in source and source[name] is not None:
                return str(source[name])
        return None

    def offset_reset(self) -> str:
        """``earliest`` or ``latest``: the request's setting, else the server's (``latest``)."""
        for source in (self.properties, self.defaults):
            for key in ("auto.offset.reset", "ksql.streams.auto.offset.reset"):
                if key in source:
                    return str(source[key]).lower()
        return "latest"

    def new_query_planner(self) -> bool:
        """Whether ``ksql.new.query.planner.enabled`` (the request's, else the server's) is on."""
        for source in (self.properties, self.defaults):
            if "ksql.new.query.planner.enabled" in source:
                return str(source["ksql.new.query.planner.enabled"]).lower() == "true"
        return False


class Runtime(Protocol):
    """The engine's state and services as executors see them."""

    log: Log
    metastore: Metastore
    config: dict[str, str]
    sequence: int
    queries: dict[str, RunningQuery]
    persistent: dict[str, PersistentQuery | JoinPersistentQuery]
    query_errors: dict[str, list[QueryError]]  # what stopped a query in ERROR, per query id
    service_id: str
    # True while the command log is replayed at start: nothing is written to topics then.
    replaying: bool
    # The session of the statement being executed (its properties pick a query's guarantee).
    session: Session

    def command(self, command_id: str, message: str, query_id: str | None = None) -> int:
        """Record a successful command (for ``/status``); return its sequence number."""

    def forget_table(self, name: str) -> None:
        """Drop the materialized state kept for a table (it was dropped or replaced)."""

    def write_row(
        self,
        source: Source,
        given: dict[str, Any],
        keys: Serde | None = None,
        values: Serde | None = None,
    ) -> None:
        """Serialize one row (column -> value, ROWTIME optional) and append it to the topic."""

    def send_row(
        self, source: Source, given: dict[str, Any], keys: Serde, values: Serde
    ) -> Future[Record]:
        """Serialize one row and start appending it: the future says when it is stored."""

    def pump(self) -> None:
        """Let persistent queries process what is new in their inputs."""

    def delete_topic(self, name: str) -> None:
        """Delete a topic a statement drops (replayed: only one the replay itself created)."""


def query_group(runtime: Runtime, query_id: str) -> str:
    """A persistent query's consumer group, as ksqlDB's QueryApplicationId builds it."""
    prefix = runtime.config.get(*PERSISTENT_PREFIX)
    return f"{INTERNAL_PREFIX}{runtime.service_id}{prefix}{query_id}"


def done(
    runtime: Runtime, text: str, command_id: str, message: str, query_id: str | None = None
) -> CommandDone:
    """The result of a statement that changed the metastore, its command recorded."""
    sequence = runtime.command(command_id, message, query_id)
    return CommandDone(text, command_id, message, sequence, query_id)
