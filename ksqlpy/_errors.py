"""The exception tree of ksqlpy: every failure a user can hit is one of these.

::

    KsqlError
     └── KafkaLauncherError        a test broker could not be fetched or started
          └── MissingToolError     java or mvn is not installed

httpx, json and kafka-python exceptions never escape: they are caught at one boundary and re-raised
``from`` the original, so callers catch ``KsqlError`` and still see the cause with ``--debug``.
"""

from __future__ import annotations


class KsqlError(Exception):
    """Base class of every error raised by ksqlpy."""


class KafkaLauncherError(KsqlError):
    """A local Kafka broker for tests could not be fetched, started or stopped."""


class MissingToolError(KafkaLauncherError):
    """A program the Kafka launcher needs (java, mvn) is not on PATH."""

    def __init__(self, tool: str, hint: str) -> None:
        self.tool = tool
        self.hint = hint
        super().__init__(f"'{tool}' was not found on PATH; {hint}")
