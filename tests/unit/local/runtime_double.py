"""A small :class:`Runtime` for running statement executors without the engine or HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from ksqlpy.local.engine.joinquery import JoinPersistentQuery
from ksqlpy.local.engine.metastore import Metastore, Source
from ksqlpy.local.engine.persistent import PersistentQuery
from ksqlpy.local.engine.results import QueryError, Result
from ksqlpy.local.engine.rows import RowReader, key_serde, value_serde
from ksqlpy.local.engine.runtime import Session
from ksqlpy.local.engine.serde_base import Serde
from ksqlpy.local.engine.statements import EXECUTORS
from ksqlpy.local.engine.transient import RunningQuery
from ksqlpy.local.entities import entity
from ksqlpy.local.storage import MemoryLog
from ksqlpy.sql import parse_one

R = TypeVar("R", bound=Result)


@dataclass
class SmallRuntime:
    """Just the members of the Runtime protocol, over an in-memory log."""

    log: MemoryLog = field(default_factory=MemoryLog)
    metastore: Metastore = field(default_factory=Metastore)
    config: dict[str, str] = field(default_factory=dict)
    sequence: int = 0
    queries: dict[str, RunningQuery] = field(default_factory=dict)
    persistent: dict[str, PersistentQuery | JoinPersistentQuery] = field(default_factory=dict)
    query_errors: dict[str, list[QueryError]] = field(default_factory=dict)
    service_id: str = "default_"
    replaying: bool = False
    session: Session = field(default_factory=lambda: Session({}, {}))
    forgotten: list[str] = field(default_factory=list)

    def command(self, command_id: str, message: str, query_id: str | None = None) -> int:
        self.sequence += 1
        return self.sequence

    def forget_table(self, name: str) -> None:
        self.forgotten.append(name)

    def write_row(
        self,
        source: Source,
        given: dict[str, Any],
        keys: Serde | None = None,
        values: Serde | None = None,
    ) -> None:
        key = key_serde(source).serialize([given.get(c.name) for c in source.keys])
        value = value_serde(source).serialize([given.get(c.name) for c in source.values])
        self.log.append(source.topic, key, value, timestamp=given.get("ROWTIME"))

    def delete_topic(self, name: str) -> None:
        self.log.delete_topic(name)

    def pump(self) -> None:
        for query in list(self.persistent.values()):
            query.pump(self.log)

    # -- test helpers ---------------------------------------------------------------------------

    def run(self, sql: str, session: Session | None = None) -> Result | None:
        """Run one statement through its executor, then pump, as the engine's loop does."""
        node = parse_one(sql)
        self.session = session or Session({}, {})
        result = EXECUTORS[type(node)](self, node, sql, self.session)
        self.pump()
        return result

    def run_entity(self, sql: str, session: Session | None = None) -> dict[str, Any]:
        """Run one statement and answer the ksqlDB entity a client would get for it."""
        result = self.run(sql, session)
        assert result is not None
        return entity(result)

    def run_as(self, kind: type[R], sql: str, session: Session | None = None) -> R:
        """Run one statement that must give a result of type ``kind``."""
        result = self.run(sql, session)
        assert isinstance(result, kind), result
        return result

    def rows(self, name: str) -> list[list[Any]]:
        """The rows stored in a source's topic (keys, values, then pseudocolumns dropped)."""
        source = self.metastore.source(name)
        assert source is not None
        reader = RowReader(source)
        width = source.key_count + len(source.values)
        out = []
        for partition in range(len(self.log.end_offsets(source.topic))):
            for record in self.log.read(source.topic, partition, 0, 1000):
                row = reader.row(record)
                if row is not None and record.value is not None:
                    out.append(row[:width])
        return out

    def records(self, name: str) -> list[tuple[list[Any], list[Any] | None]]:
        """Every record of a source's topic as (key columns, value columns or None)."""
        source = self.metastore.source(name)
        assert source is not None
        keys, values = key_serde(source), value_serde(source)
        out = []
        for partition in range(len(self.log.end_offsets(source.topic))):
            for record in self.log.read(source.topic, partition, 0, 1000):
                value = None if record.value is None else values.deserialize(record.value)
                out.append((keys.deserialize(record.key), value))
        return out

    def schema(self, name: str) -> str:
        """A source's columns as ksqlDB's DESCRIBE lists them: `name TYPE [KEY]`."""
        source = self.metastore.source(name)
        assert source is not None
        return ", ".join(
            f"{c.name} {c.type}" + (" KEY" if c.role == "KEY" else "") for c in source.columns
        )
