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
     └── KsqlServerError           ksqlDB answered with an error (http_status, error_code, message,
          │                        statement_text, entities)
          ├── KsqlStatementError       a statement was rejected or failed (statement_error bodies;
          │                            execute_script adds the statement's line and column)
          ├── AuthenticationError      401: missing or wrong credentials
          ├── AuthorizationError       403: the principal may not do this
          ├── NotFoundError            404, or a query id the server does not know
          ├── ServerUnavailableError   no ksqlDB answered, the connection broke, or 503 (not ready)
          └── InsertError              /inserts-stream refused a row (seq, row, rows acknowledged)
     └── KsqlTimeoutError          connecting or waiting for a response took longer than allowed
     └── ProtocolError             a response did not follow the ksqlDB wire format
     └── ClientClosedError         a closed Client, AsyncClient or query result was used
     └── ResultTooLargeError       execute_query got more rows than its max_rows
     └── ConfigurationError        Client options that cannot work together (also a ValueError)
     └── MigrationError            ksqlpy-migrations cannot go on (names the version or file)
          ├── MigrationConfigError     ksql-migrations.properties (or a --headers file) is unusable
          ├── MigrationFileError       a migration file is badly named, unreadable or not splittable
          ├── MigrationStateError      the metadata forbids the step (validation, ERROR/RUNNING)
          └── MigrationLockedError     another runner holds the migrations lock (holder, since)
     └── ksqlpy.dbapi.Error        PEP 249's tree (InterfaceError, DatabaseError, ProgrammingError,
                                   ...): the errors above as DB-API code expects them, the
                                   original as ``__cause__``

httpx, json and kafka-python exceptions never escape: they are caught at one boundary and re-raised
``from`` the original, so callers catch ``KsqlError`` and still see the cause with ``--debug``.
"""

from __future__ import annotations

START_HINT = (
    "start one with 'ksqlpy --local' (the shell on an embedded server) or 'ksqlpy-local' "
    "(a server at http://localhost:8088)"
)
"""What every "cannot reach ksqlDB" message suggests; it names only tools that exist."""


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

    def __init__(self, bootstrap_servers: str, timeout: float, detail: str | None = None) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout
        super().__init__(
            detail
            or f"cannot reach Kafka at {bootstrap_servers} within {timeout:g} s; start a broker "
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
    ``snippet`` is that source line with a caret under the column. ``near`` is the text of the
    token the error is at, and ``ksqldb`` the detail line ksqlDB's own parser gives there when
    ksqlpy knows it (such as ``Expecting {',', ')'}``), else empty.
    """

    def __init__(
        self,
        description: str,
        line: int,
        column: int,
        snippet: str = "",
        *,
        near: str = "",
        ksqldb: str = "",
    ) -> None:
        self.description = description
        self.line = line
        self.column = column
        self.snippet = snippet
        self.near = near
        self.ksqldb = ksqldb
        message = f"line {line}:{column}: {description}"
        super().__init__(f"{message}\n{snippet}" if snippet else message)


class KsqlServerError(KsqlError):
    """ksqlDB answered with an error; the server's fields are attributes, not only message text.

    ``http_status`` and ``error_code`` are None when no response arrived (a connection failure);
    ``statement_text`` is the statement the server blamed (or None) and ``entities`` the entities
    of the statements that ran before it. ``line``/``column`` locate the statement when it came
    from ``execute_script``.
    """

    line: int | None = None
    column: int | None = None

    def __init__(
        self,
        message: str,
        *,
        error_code: int | None = None,
        http_status: int | None = None,
        statement_text: str | None = None,
        entities: tuple[object, ...] = (),
        detail: str | None = None,
    ) -> None:
        self.message = message
        self.error_code = error_code
        self.http_status = http_status
        self.statement_text = statement_text
        self.entities = entities
        super().__init__(detail if detail is not None else message)


class KsqlStatementError(KsqlServerError):
    """A statement was rejected or failed (``statement_error``); the text is ``statement_text``."""


class AuthenticationError(KsqlServerError):
    """ksqlDB refused the credentials (HTTP 401); check ``auth=``/``bearer_token=``/``api_key=``."""


class AuthorizationError(KsqlServerError):
    """The credentials are valid but may not do this (HTTP 403, or a Kafka ACL denial)."""


class NotFoundError(KsqlServerError):
    """The endpoint, command or query id does not exist on this server (HTTP 404, or 40000)."""


class ServerUnavailableError(KsqlServerError):
    """No ksqlDB answered, the connection broke mid-response, or the server is not ready (503)."""


class InsertError(KsqlServerError):
    """``/inserts-stream`` refused a row: ``seq`` (0-based), the ``row`` and how many were acked.

    Rows after ``seq`` in the same request were not processed by the server; ``acknowledged``
    counts the rows the server confirmed before the failure.
    """

    def __init__(
        self,
        message: str,
        *,
        seq: int,
        row: object,
        acknowledged: int,
        error_code: int | None = None,
        http_status: int | None = None,
        detail: str | None = None,
    ) -> None:
        self.seq = seq
        self.row = row
        self.acknowledged = acknowledged
        super().__init__(message, error_code=error_code, http_status=http_status, detail=detail)


class KsqlTimeoutError(KsqlError):
    """Connecting to ksqlDB or waiting for its response took longer than the configured timeout."""


class ProtocolError(KsqlError):
    """A ksqlDB response did not follow the wire format (truncated frame, bad JSON, wrong shape)."""


class ClientClosedError(KsqlError):
    """A closed ``Client``, ``AsyncClient`` or streamed query was used after ``close()``."""


class ResultTooLargeError(KsqlError):
    """``execute_query`` received more rows than its ``max_rows``; the query was closed."""


class ConfigurationError(KsqlError, ValueError):
    """Client options are invalid or contradict each other; the message names the option."""


class MigrationError(KsqlError):
    """The migrations runner cannot go on; the message names the version, file or key."""


class MigrationConfigError(MigrationError, ConfigurationError):
    """``ksql-migrations.properties`` or a ``--headers`` file is missing, unreadable or invalid."""


class MigrationFileError(MigrationError):
    """A migration file is badly named, unreadable, duplicated or not splittable into statements."""


class MigrationStateError(MigrationError):
    """The migrations metadata forbids the step (failed validation, a version in ERROR/RUNNING)."""


class MigrationLockedError(MigrationError):
    """Another runner holds the migrations lock; ``holder`` and ``since`` (epoch ms) say who."""

    def __init__(self, message: str, holder: str, since: int) -> None:
        self.holder = holder
        self.since = since
        super().__init__(message)
