"""Storage for the local server: a partitioned, offset-addressed log of records per topic.

Everything above this package talks to :class:`Log` only, so a log backed by a real Kafka cluster
can replace the in-memory one without changes elsewhere.
"""

from __future__ import annotations

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

__all__ = [
    "FileLog",
    "Log",
    "MemoryLog",
    "Pending",
    "Positions",
    "Record",
    "TopicExistsError",
    "TopicInfo",
    "UnknownTopicError",
    "partition_for",
]
