"""A real single-node Apache Kafka (KRaft) for tests, demos and local development.

``KafkaBroker`` starts one combined broker+controller on 127.0.0.1 from jars fetched once from Maven
Central (``ensure_jars``); ``python -m ksqlpy.testing.kafka`` runs one until interrupted.
"""

from __future__ import annotations

from ._broker import KafkaBroker
from ._jars import DEFAULT_KAFKA_VERSION, cache_root, ensure_jars, find_java, kafka_version

__all__ = [
    "DEFAULT_KAFKA_VERSION",
    "KafkaBroker",
    "cache_root",
    "ensure_jars",
    "find_java",
    "kafka_version",
]
