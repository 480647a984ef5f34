"""The migrations metadata in ksqlDB: the MIGRATION_EVENTS stream and its CTAS table.

The objects, their statements, the queries that read them and the rows written into them are
ksql-migrations' own (``InitializeMigrationCommand``, ``MetadataUtil``), so either tool can
read what the other wrote. ksqlpy's extra rows (the lock, the statement journal) go into the
same stream under keys the Java tool never reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ksqlpy._entities import SourceDescription, SourceDescriptionResult
from ksqlpy._errors import (
    KsqlError,
    KsqlServerError,
    MigrationError,
    MigrationStateError,
    NotFoundError,
)
from ksqlpy.sql import quote_literal

from .plan import (
    CURRENT,
    LOCK_KEY,
    NONE_VERSION,
    JournalEntry,
    LockEvent,
    VersionInfo,
    journal_key,
)

if TYPE_CHECKING:
    from ksqlpy import Client

# The columns ksql-migrations selects for one version, in its order (it reads them by position).
_INFO_COLUMNS = "version, checksum, previous, state, name, started_on, completed_on, error_reason"


@dataclass(frozen=True, slots=True)
class Names:
    """The metadata objects' names and topics (topics already derived from the service id)."""

    stream: str
    table: str
    stream_topic: str
    table_topic: str
    replicas: int = 1

    def create_stream(self) -> str:
        """ksql-migrations' statement for the stream (the same text, so the same object)."""
        return (
            f"CREATE STREAM {self.stream} (\n"
            "  version_key  STRING KEY,\n"
            "  version      STRING,\n"
            "  name         STRING,\n"
            "  state        STRING,  \n"
            "  checksum     STRING,\n"
            "  started_on   STRING,\n"
            "  completed_on STRING,\n"
            "  previous     STRING,\n"
            "  error_reason STRING\n"
            ") WITH (  \n"
            f"  KAFKA_TOPIC='{self.stream_topic}',\n"
            "  VALUE_FORMAT='JSON',\n"
            "  PARTITIONS=1,\n"
            f"  REPLICAS= {self.replicas} \n"
            ");\n"
        )

    def create_table(self) -> str:
        """ksql-migrations' CTAS for the table: the latest row of every key."""
        columns = (
            "version",
            "name",
            "state",
            "checksum",
            "started_on",
            "completed_on",
            "previous",
            "error_reason",
        )
        select = ", \n".join(f"    latest_by_offset({c}) AS {c}" for c in columns)
        return (
            f"CREATE TABLE {self.table}\n"
            "  WITH (\n"
            f"    KAFKA_TOPIC='{self.table_topic}'\n"
            "  )\n"
            "  AS SELECT \n"
            "    version_key, \n"
            f"{select} \n"
            f"  FROM {self.stream} \n"
            "  GROUP BY version_key;\n"
        )


class Metadata:
    """Reads and writes the metadata through a ksqlDB client (no Kafka access needed)."""

    def __init__(self, client: Client, names: Names, *, settle_timeout: float = 10.0) -> None:
        self.client = client
        self.names = names
        # Pull queries on the CTAS table may lag the stream: how long to wait for a write.
        self.settle_timeout = settle_timeout

    # objects ------------------------------------------------------------------------------------

    def describe(self, name: str) -> SourceDescription | None:
        """DESCRIBE ``name``, or None when it does not exist."""
        try:
            entity = self.client.execute_statement(f"DESCRIBE {name};")
        except NotFoundError:
            return None
        except KsqlServerError as error:
            if "could not find" in error.message.lower() or error.error_code == 40001:
                return None
            raise
        return entity.source if isinstance(entity, SourceDescriptionResult) else None

    def missing(self) -> list[str]:
        """Which metadata objects do not exist (empty when both do)."""
        gone = []
        if self.describe(self.names.stream) is None:
            gone.append(f"stream {self.names.stream}")
        if self.describe(self.names.table) is None:
            gone.append(f"table {self.names.table}")
        return gone

    def require(self) -> None:
        """MigrationStateError unless both metadata objects exist."""
        gone = self.missing()
        if gone:
            raise MigrationStateError(
                f"the migrations metadata is not initialized (no {' and no '.join(gone)} on "
                f"{self.client.url}); run 'ksqlpy-migrations initialize-metadata' first"
            )

    # reads --------------------------------------------------------------------------------------

    def _query(self, sql: str) -> list[dict[str, Any]]:
        try:
            result = self.client.execute_query(sql)
        except KsqlError as error:
            raise MigrationError(f"could not query the migrations metadata: {error}") from error
        return [row.as_dict() for row in result.rows]

    def current(self) -> str:
        """The version under key CURRENT, or ``<none>``."""
        rows = self._query(
            f"SELECT VERSION FROM {self.names.table} WHERE version_key = '{CURRENT}';"
        )
        if not rows:
            return NONE_VERSION
        value = rows[0].get("VERSION")
        if not isinstance(value, str):
            raise MigrationStateError(f"the CURRENT row of {self.names.table} has no VERSION")
        return value

    def rows(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The table's rows under ``keys`` (one multi-key pull query), keyed by version_key."""
        if not keys:
            return {}
        listed = ", ".join(quote_literal(k) for k in keys)
        rows = self._query(f"SELECT * FROM {self.names.table} WHERE version_key IN ({listed});")
        return {str(row.get("VERSION_KEY")): row for row in rows}

    def info(self, version: str) -> VersionInfo | None:
        """The row of one version, parsed as ksql-migrations parses it, or None."""
        rows = self._query(
            f"SELECT {_INFO_COLUMNS} FROM {self.names.table} "
            f"WHERE version_key = {quote_literal(version)};"
        )
        return VersionInfo.from_row(rows[0], f"version {version}") if rows else None

    def infos(self, versions: Iterable[int]) -> dict[int, VersionInfo]:
        """Rows of many versions at once; versions without a row are left out."""
        found = self.rows([str(v) for v in versions])
        return {int(k): VersionInfo.from_row(row, f"version {k}") for k, row in found.items()}

    def wait_for(self, version: int, check: Mapping[str, str]) -> None:
        """Wait until the table shows ``version`` with the given column values (bounded)."""
        deadline = time.monotonic() + self.settle_timeout
        delay = 0.02
        while True:
            row = self.rows([str(version)]).get(str(version))
            if row is not None and all(row.get(k) == v for k, v in check.items()):
                return
            if time.monotonic() > deadline:
                raise MigrationError(
                    f"the metadata table {self.names.table} did not show version {version} as "
                    f"{dict(check)} within {self.settle_timeout:g} s; is its query "
                    f"running? (SHOW QUERIES)"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def journal(self, version: int, statements: int) -> list[JournalEntry]:
        """ksqlpy's journal rows of one version (statements 0..n)."""
        keys = [journal_key(version, i) for i in range(statements + 1)]
        entries = (JournalEntry.from_row(row) for row in self.rows(keys).values())
        return [e for e in entries if e is not None]

    def lock_events(self) -> list[LockEvent]:
        """Every lock row of the stream in offset order (a pull query that scans the stream)."""
        rows = self._query(f"SELECT * FROM {self.names.stream} WHERE version_key = '{LOCK_KEY}';")
        events = (LockEvent.from_row(row) for row in rows)
        return [e for e in events if e is not None]

    # writes -------------------------------------------------------------------------------------

    def write(self, rows: Sequence[Mapping[str, str]]) -> None:
        """Append rows to the stream in one request, in order (the stream has one partition)."""
        try:
            self.client.stream_inserts(self.names.stream, list(rows))
        except KsqlError as error:
            keys = ", ".join(str(r.get("VERSION_KEY")) for r in rows)
            raise MigrationError(
                f"could not write the migrations metadata ({keys}) into {self.names.stream}: "
                f"{error}"
            ) from error
