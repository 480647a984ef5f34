"""Storage for the local server: a partitioned, offset-addressed log of records per topic.

Everything above this package talks to :class:`Log` only, so a log backed by a real Kafka cluster
(:class:`KafkaLog`) replaces the in-memory one without changes elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ksqlpy._lazy import lazy_exports

from ._base import (
    Log,
    Pending,
    Positions,
    Record,
    TopicExistsError,
    TopicInfo,
    UnknownTopicError,
    partition_for,
)
from ._file import FileLog
from ._memory import MemoryLog

if TYPE_CHECKING:
    from ._kafka import KafkaLog, TopicCreationError
    from ._mirror import KafkaStorageError

# The Kafka log pulls in kafka-python (~80 ms): only a server on Kafka pays for it (PEP 562).
_LAZY = {
    "KafkaLog": "._kafka",
    "KafkaStorageError": "._mirror",
    "TopicCreationError": "._kafka",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())

__all__ = [
    "FileLog",
    "KafkaLog",
    "KafkaStorageError",
    "Log",
    "MemoryLog",
    "Pending",
    "Positions",
    "Record",
    "TopicCreationError",
    "TopicExistsError",
    "TopicInfo",
    "UnknownTopicError",
    "partition_for",
]
