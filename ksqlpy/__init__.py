"""ksqlpy: a Python toolkit for ksqlDB and Kafka.

The package root exports the client API only; the shell (``ksqlpy.repl``), the migrations
runner (``ksqlpy.migrations``), the embedded server (``ksqlpy.local``), the Kafka toolkit
(``ksqlpy.kafka``) and the fake-data producer (``ksqlpy.datagen``) are imported on their own, so
that importing ``ksqlpy`` stays cheap.

>>> from ksqlpy import Client
>>> with Client("http://localhost:8088") as client:
...     for row in client.execute_query("SELECT * FROM users WHERE id = 1;"):
...         print(row.as_dict())
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._async_results import AsyncQueryStart, AsyncStreamedQuery
from ._entities import (
    AssertSchemaResult,
    AssertTopicResult,
    ClusterStatus,
    CommandResult,
    ConnectorDescription,
    ConnectorInfo,
    ConnectorList,
    ConnectorSummary,
    DroppedConnector,
    Entity,
    FieldInfo,
    FunctionArgument,
    FunctionDescription,
    FunctionList,
    FunctionName,
    FunctionVariant,
    HealthStatus,
    HostStatus,
    PropertiesList,
    Property,
    QueriesList,
    QueryDescription,
    QueryDescriptionList,
    QueryDescriptionResult,
    RunningQuery,
    ServerInfo,
    SourceDescription,
    SourceDescriptionList,
    SourceDescriptionResult,
    SourceInfo,
    SourceList,
    TerminateQueryResult,
    TopicInfo,
    TopicList,
    TypeList,
    UnknownEntity,
    VariableList,
    WarningResult,
)
from ._errors import (
    AuthenticationError,
    AuthorizationError,
    BrokerUnavailableError,
    ClientClosedError,
    ConfigurationError,
    DatagenError,
    DatagenSchemaError,
    DeliveryError,
    GroupError,
    InsertError,
    InvalidTopicNameError,
    KafkaError,
    KafkaLauncherError,
    KsqlError,
    KsqlServerError,
    KsqlStatementError,
    KsqlSyntaxError,
    KsqlTimeoutError,
    MigrationConfigError,
    MigrationError,
    MigrationFileError,
    MigrationLockedError,
    MigrationStateError,
    MissingToolError,
    NotFoundError,
    ProtocolError,
    ReplicationFactorError,
    ResultTooLargeError,
    ServerUnavailableError,
    TopicError,
    TopicExistsError,
    TopicNotFoundError,
)
from ._lazy import lazy_exports
from ._printing import AsyncPrintedTopic, PrintedTopic
from ._results import InsertsResult, QueryResult, StreamedQuery
from ._rows import Row
from ._types import Column, SqlType, parse_type
from ._version import __version__

if TYPE_CHECKING:
    from ._async_client import AsyncClient
    from ._client import Client
    from ._duplex import AsyncInsertStart, AsyncInsertStream, InsertAck, InsertStream

# The clients pull in httpx (~45 ms): they load on first use, so ``import ksqlpy.sql`` or the
# Kafka tools never pay for them (PEP 562).
_LAZY = {
    "AsyncClient": "._async_client",
    "AsyncInsertStart": "._duplex",
    "AsyncInsertStream": "._duplex",
    "Client": "._client",
    "InsertAck": "._duplex",
    "InsertStream": "._duplex",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "AssertSchemaResult",
    "AssertTopicResult",
    "AsyncClient",
    "AsyncInsertStart",
    "AsyncInsertStream",
    "AsyncPrintedTopic",
    "AsyncQueryStart",
    "AsyncStreamedQuery",
    "AuthenticationError",
    "AuthorizationError",
    "BrokerUnavailableError",
    "Client",
    "ClientClosedError",
    "ClusterStatus",
    "Column",
    "CommandResult",
    "ConfigurationError",
    "ConnectorDescription",
    "ConnectorInfo",
    "ConnectorList",
    "ConnectorSummary",
    "DatagenError",
    "DatagenSchemaError",
    "DeliveryError",
    "DroppedConnector",
    "Entity",
    "FieldInfo",
    "FunctionArgument",
    "FunctionDescription",
    "FunctionList",
    "FunctionName",
    "FunctionVariant",
    "GroupError",
    "HealthStatus",
    "HostStatus",
    "InsertAck",
    "InsertError",
    "InsertStream",
    "InsertsResult",
    "InvalidTopicNameError",
    "KafkaError",
    "KafkaLauncherError",
    "KsqlError",
    "KsqlServerError",
    "KsqlStatementError",
    "KsqlSyntaxError",
    "KsqlTimeoutError",
    "MigrationConfigError",
    "MigrationError",
    "MigrationFileError",
    "MigrationLockedError",
    "MigrationStateError",
    "MissingToolError",
    "NotFoundError",
    "PrintedTopic",
    "PropertiesList",
    "Property",
    "ProtocolError",
    "QueriesList",
    "QueryDescription",
    "QueryDescriptionList",
    "QueryDescriptionResult",
    "QueryResult",
    "ReplicationFactorError",
    "ResultTooLargeError",
    "Row",
    "RunningQuery",
    "ServerInfo",
    "ServerUnavailableError",
    "SourceDescription",
    "SourceDescriptionList",
    "SourceDescriptionResult",
    "SourceInfo",
    "SourceList",
    "SqlType",
    "StreamedQuery",
    "TerminateQueryResult",
    "TopicError",
    "TopicExistsError",
    "TopicInfo",
    "TopicList",
    "TopicNotFoundError",
    "TypeList",
    "UnknownEntity",
    "VariableList",
    "WarningResult",
    "__version__",
    "parse_type",
]
