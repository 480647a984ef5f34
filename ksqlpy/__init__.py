"""ksqlpy: a Python toolkit for ksqlDB and Kafka.

The package root exports the client API only; the shell (``ksqlpy.repl``), the migrations
runner (``ksqlpy.migrations``), the embedded server (``ksqlpy.local``), the Kafka toolkit
(``ksqlpy.kafka``) and the fake-data producer (``ksqlpy.datagen``) are imported on their own, so
that importing ``ksqlpy`` stays cheap.
"""

from __future__ import annotations

from ._errors import KafkaLauncherError, KsqlError, MissingToolError
from ._version import __version__

__all__ = ["KafkaLauncherError", "KsqlError", "MissingToolError", "__version__"]
