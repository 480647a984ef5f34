"""What completion offers: the suggestion types, the catalog snapshot it reads, and ksqlDB's
statement words, types and formats."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class SuggestionKind(enum.Enum):
    """What a suggestion names; the completer shows it as the menu's meta column."""

    KEYWORD = "keyword"
    COMMAND = "command"
    STREAM = "stream"
    TABLE = "table"
    COLUMN = "column"
    FUNCTION = "function"
    TOPIC = "topic"
    PROPERTY = "property"
    VARIABLE = "variable"
    QUERY = "query"
    TYPE = "type"
    CONNECTOR = "connector"
    VALUE = "value"


@dataclass(frozen=True, slots=True)
class SourceMeta:
    """A stream or table as completion needs it: its kind, topic and (name, type) columns."""

    name: str
    kind: str
    topic: str = ""
    columns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """Everything completion knows about the server and the session, frozen at one moment."""

    sources: Mapping[str, SourceMeta] = field(default_factory=dict)
    """By upper-cased name."""
    topics: tuple[str, ...] = ()
    functions: Mapping[str, str] = field(default_factory=dict)
    """Function name -> meta text (type and category)."""
    properties: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    connectors: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    """Shell-only commands (HELP, SPOOL, ...), from the command registry."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One completion: the text to insert, what it is, and a short meta text."""

    text: str
    kind: SuggestionKind
    meta: str = ""


@dataclass(frozen=True, slots=True)
class Suggestions:
    """The suggestions and how many characters before the cursor they replace."""

    replace: int
    items: tuple[Suggestion, ...]

    @property
    def texts(self) -> set[str]:
        """The suggested texts, as a set (what tests compare)."""
        return {item.text for item in self.items}


# --- vocabulary ---------------------------------------------------------------------------------

STATEMENT_STARTS = (
    "SELECT",
    "CREATE",
    "DROP",
    "INSERT INTO",
    "DESCRIBE",
    "SHOW",
    "LIST",
    "EXPLAIN",
    "TERMINATE",
    "PAUSE",
    "RESUME",
    "PRINT",
    "SET",
    "UNSET",
    "DEFINE",
    "UNDEFINE",
    "RUN SCRIPT",
    "ALTER",
    "ASSERT",
)
SHOW_TARGETS = (
    "STREAMS",
    "TABLES",
    "TOPICS",
    "QUERIES",
    "PROPERTIES",
    "FUNCTIONS",
    "TYPES",
    "VARIABLES",
    "CONNECTORS",
    "ALL TOPICS",
    "EXTENDED",
)
WITH_KEYS = (
    "KAFKA_TOPIC",
    "VALUE_FORMAT",
    "KEY_FORMAT",
    "FORMAT",
    "PARTITIONS",
    "REPLICAS",
    "TIMESTAMP",
    "TIMESTAMP_FORMAT",
    "VALUE_DELIMITER",
    "WRAP_SINGLE_VALUE",
    "KEY_SCHEMA_ID",
    "VALUE_SCHEMA_ID",
    "VALUE_AVRO_SCHEMA_FULL_NAME",
    "RETENTION_MS",
    "WINDOW_TYPE",
    "WINDOW_SIZE",
)
SQL_TYPES = (
    "ARRAY<",
    "BIGINT",
    "BOOLEAN",
    "BYTES",
    "DATE",
    "DECIMAL(",
    "DOUBLE",
    "INT",
    "MAP<",
    "STRING",
    "STRUCT<",
    "TIME",
    "TIMESTAMP",
    "VARCHAR",
)
FORMATS = ("JSON", "JSON_SR", "AVRO", "PROTOBUF", "PROTOBUF_NOSR", "DELIMITED", "KAFKA", "NONE")
