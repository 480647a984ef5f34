"""The processing log: records a query could not process, as ksqlDB logs them.

ksqlDB skips such a record and writes a message (ProcessingLogMessageSchema) to its processing
log: always to the logger (here ``ksqlpy.local.processing``) and, when the server is configured
for it, to the topic ``<service id>ksql_processing_log`` under the stream
``KSQL_PROCESSING_LOG`` (``ksql.logging.processing.topic.auto.create`` and
``ksql.logging.processing.stream.auto.create``; names and partitions follow ProcessingLogConfig).

The query that meets the error is not passed down to serdes and expressions: the engine marks
the query being pumped with :func:`processing`, and the reporting functions below read it.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ..storage import Log, Record

LOGGER = logging.getLogger("ksqlpy.local.processing")
PREFIX = "ksql.logging.processing."

# ProcessingLogMessageSchema.MessageType ids.
DESERIALIZATION_ERROR = 0
RECORD_PROCESSING_ERROR = 1

_CAUSE = "CAUSE ARRAY<STRING>"
# The stream's columns: LogRecordStructBuilder's fields around PROCESSING_LOG_SCHEMA.
STREAM_COLUMNS = (
    "LOGGER STRING, LEVEL STRING, `TIME` BIGINT, MESSAGE STRUCT<`TYPE` INTEGER, "
    f"DESERIALIZATIONERROR STRUCT<TARGET STRING, ERRORMESSAGE STRING, RECORDB64 STRING, {_CAUSE}, "
    f"`TOPIC` STRING>, RECORDPROCESSINGERROR STRUCT<ERRORMESSAGE STRING, RECORD STRING, {_CAUSE}>, "
    "PRODUCTIONERROR STRUCT<ERRORMESSAGE STRING>, SERIALIZATIONERROR STRUCT<TARGET STRING, "
    f"ERRORMESSAGE STRING, RECORD STRING, {_CAUSE}, `TOPIC` STRING>, KAFKASTREAMSTHREADERROR "
    f"STRUCT<ERRORMESSAGE STRING, THREADNAME STRING, {_CAUSE}>>"
)


@dataclass(frozen=True, slots=True)
class ProcessingLogConfig:
    """The ``ksql.logging.processing.*`` server settings."""

    stream_auto_create: bool = False
    topic_auto_create: bool = False
    stream_name: str = "KSQL_PROCESSING_LOG"
    topic_name: str = "default_ksql_processing_log"
    partitions: int = 1
    include_rows: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, str], service_id: str) -> ProcessingLogConfig:
        """The settings of a server configuration (ksqlDB's defaults for what it omits)."""

        def flag(name: str) -> bool:
            return str(config.get(PREFIX + name, "false")).strip().lower() == "true"

        service = config.get("ksql.service.id", service_id)
        return cls(
            stream_auto_create=flag("stream.auto.create"),
            topic_auto_create=flag("topic.auto.create"),
            stream_name=config.get(PREFIX + "stream.name") or "KSQL_PROCESSING_LOG",
            topic_name=config.get(PREFIX + "topic.name") or f"{service}ksql_processing_log",
            partitions=int(config.get(PREFIX + "topic.partitions") or 1),
            include_rows=flag("rows.include"),
        )

    def create_statement(self) -> str:
        """ProcessingLogServerUtils.processingLogStreamCreateStatement."""
        return (
            f"CREATE STREAM {self.stream_name} ({STREAM_COLUMNS}) WITH(KAFKA_TOPIC="
            f"'{self.topic_name}', VALUE_FORMAT='JSON', KEY_FORMAT='KAFKA');"
        )


class ProcessingLog:
    """Where one server's processing-log messages go: the logger, and its topic if it exists."""

    def __init__(self, log: Log, config: ProcessingLogConfig) -> None:
        self.log = log
        self.config = config

    def ensure_topic(self) -> None:
        """Create the topic if the configuration asks for it (the stream needs it too)."""
        wanted = self.config.topic_auto_create or self.config.stream_auto_create
        if wanted and self.log.topic(self.config.topic_name) is None:
            self.log.create_topic(self.config.topic_name, self.config.partitions)

    def write(self, logger: str, message: dict[str, Any], text: str) -> None:
        """Log one message; append it to the topic when there is one."""
        LOGGER.warning("%s: %s", logger, text)
        if self.log.topic(self.config.topic_name) is None:
            return
        record = {
            "level": "ERROR",
            "logger": logger,
            "time": int(time.time() * 1000),
            "message": message,
        }
        self.log.append(self.config.topic_name, None, json.dumps(record).encode())


@dataclass(frozen=True, slots=True)
class _Context:
    log: ProcessingLog | None
    query_id: str


_current: ContextVar[_Context | None] = ContextVar("ksqlpy_processing", default=None)


@contextmanager
def processing(log: ProcessingLog | None, query_id: str) -> Iterator[None]:
    """Mark the records processed inside as the query's (for the messages they cause)."""
    token = _current.set(_Context(log, query_id))
    try:
        yield
    finally:
        _current.reset(token)


def _causes(error: BaseException) -> list[str]:
    """ErrorMessageUtil.getErrorMessages: the message of each cause after the error itself."""
    out: list[str] = []
    cause = error.__cause__ or error.__context__
    while cause is not None and len(out) < 10:
        out.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    return out


def _emit(logger_suffix: str, message: dict[str, Any], text: str) -> None:
    context = _current.get()
    query_id = context.query_id if context is not None else "transient"
    logger = f"processing.{query_id}.{logger_suffix}"
    if context is not None and context.log is not None:
        context.log.write(logger, message, text)
    else:
        LOGGER.warning("%s: %s", logger, text)


def deserialization_error(record: Record, error: BaseException, is_key: bool) -> None:
    """A record whose key or value cannot be read (ksqlDB's DeserializationError)."""
    context = _current.get()
    data = record.key if is_key else record.value
    include = context is not None and context.log is not None and context.log.config.include_rows
    message = {
        "type": DESERIALIZATION_ERROR,
        "deserializationError": {
            "target": "key" if is_key else "value",
            "errorMessage": f"Failed to deserialize {'key' if is_key else 'value'} from topic: "
            f"{record.topic}. {error}",
            "recordB64": base64.b64encode(data).decode() if include and data is not None else None,
            "cause": [str(error), *_causes(error)],
            "topic": record.topic,
        },
    }
    text = f"skipping record {record.topic}/{record.partition}@{record.offset}: {error}"
    _emit("KsqlTopic.Source.deserializer", message, text)


def record_processing_error(text: str, error: BaseException | None, row: Any = None) -> None:
    """A record that fails while a query evaluates it (ksqlDB's RecordProcessingError)."""
    context = _current.get()
    include = context is not None and context.log is not None and context.log.config.include_rows
    message = {
        "type": RECORD_PROCESSING_ERROR,
        "recordProcessingError": {
            "errorMessage": text,
            "record": json.dumps(row, default=str) if include and row is not None else None,
            "cause": [] if error is None else [str(error), *_causes(error)],
        },
    }
    _emit("Project", message, text if error is None else f"{text}: {error}")
