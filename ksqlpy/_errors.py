"""The exception tree of ksqlpy: every failure a user can hit is one of these.

::

    KsqlError
     └── KafkaLauncherError        a test broker could not be fetched or started
          └── MissingToolError     java or mvn is not installed
     └── KafkaError                a Kafka operation of ksqlpy.kafka failed
          ├── BrokerUnavailableError   no broker answered at the bootstrap servers in time
          ├── TopicError               a topic could not be created, described, altered or deleted
          │    ├── InvalidTopicNameError    the name breaks Kafka's naming rules
          │    ├── TopicExistsError         create_topic on an existing topic
          │    ├── TopicNotFoundError       describe/alter/delete of a missing topic
          │    └── ReplicationFactorError   more replicas asked than there are brokers
          ├── DeliveryError            the producer could not deliver (or commit) records
          └── GroupError               a consumer-group operation failed (join, commit, fencing)
     └── DatagenError              ksqlpy-datagen was given input it cannot use
          └── DatagenSchemaError   a schema file or quickstart definition is invalid
     └── KsqlSyntaxError           a statement is not valid ksqlDB SQL (line, column, caret snippet)

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


class KafkaError(KsqlError):
    """A Kafka operation of :mod:`ksqlpy.kafka` failed (kafka-python's error is the cause)."""


class BrokerUnavailableError(KafkaError):
    """No Kafka broker answered at the bootstrap servers within the configured timeout."""

    def __init__(self, bootstrap_servers: str, timeout: float) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout
        super().__init__(
            f"cannot reach Kafka at {bootstrap_servers} within {timeout:g} s; start a broker "
            "(e.g. 'python -m ksqlpy.testing.kafka') or pass the right --bootstrap-servers"
        )


class TopicError(KafkaError):
    """A topic could not be created, described, altered or deleted."""

    def __init__(self, topic: str, message: str) -> None:
        self.topic = topic
        super().__init__(message)


class InvalidTopicNameError(TopicError):
    """A topic name breaks Kafka's rules (1-249 chars of ``[a-zA-Z0-9._-]``, not ``.``/``..``)."""


class TopicExistsError(TopicError):
    """``create_topic`` was asked for a topic that already exists."""


class TopicNotFoundError(TopicError):
    """The topic does not exist."""


class ReplicationFactorError(TopicError):
    """More replicas were asked for than the cluster has brokers."""

    def __init__(self, topic: str, replication_factor: int, brokers: int) -> None:
        self.replication_factor = replication_factor
        self.brokers = brokers
        super().__init__(
            topic,
            f"cannot create topic '{topic}' with replication factor {replication_factor}: "
            f"the cluster has only {brokers} broker(s); "
            f"use a replication factor of at most {brokers}",
        )


class DeliveryError(KafkaError):
    """The producer could not deliver records, or a transaction could not be committed."""


class GroupError(KafkaError):
    """A consumer-group operation failed: join, offset commit, or a fenced transactional member."""


class DatagenError(KsqlError):
    """``ksqlpy-datagen`` was given input it cannot use (options, quickstart name, formats)."""


class DatagenSchemaError(DatagenError):
    """A datagen schema file or definition is invalid; the message names the file and the field."""


class KsqlSyntaxError(KsqlError):
    """A statement is not valid ksqlDB SQL: ``line 1:8: syntax error at or near 'X' (...)``.

    ``line`` and ``column`` are 1-based and count from the start of the text that was parsed;
    ``snippet`` is that source line with a caret under the column.
    """

    def __init__(self, description: str, line: int, column: int, snippet: str = "") -> None:
        self.description = description
        self.line = line
        self.column = column
        self.snippet = snippet
        message = f"line {line}:{column}: {description}"
        super().__init__(f"{message}\n{snippet}" if snippet else message)
