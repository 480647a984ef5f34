"""Kafka toolkit: topic admin, delivery guarantees, consumer groups, consume-transform-produce.

The typed boundary over kafka-python: its exceptions never escape, they are re-raised as
:class:`ksqlpy.KafkaError` subclasses ``from`` the original. Importing this package imports
kafka-python; ``import ksqlpy`` does not.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    # kafka-python 3.0.12 loads its protocol schemas at import time through
    # importlib.resources.read_text/open_text, which Python 3.11/3.12 flag as deprecated; that
    # is its own business, so exactly this warning is ignored while kafka-python is imported.
    warnings.filterwarnings("ignore", "(read|open)_text is deprecated", DeprecationWarning)
    import kafka  # noqa: F401

from ._admin import PartitionInfo, TopicAdmin, TopicInfo, check_topic_name
from ._consumer import Consumer, ConsumeStats, Record, TopicPartition, consume
from ._group import ConsumerGroup
from ._guarantees import Guarantee, consumer_settings, producer_settings
from ._pipeline import Output, PipelineStats, pipeline
from ._producer import Delivered, Producer
from ._reader import PartitionReader

__all__ = [
    "ConsumeStats",
    "Consumer",
    "ConsumerGroup",
    "Delivered",
    "Guarantee",
    "Output",
    "PartitionInfo",
    "PartitionReader",
    "PipelineStats",
    "Producer",
    "Record",
    "TopicAdmin",
    "TopicInfo",
    "TopicPartition",
    "check_topic_name",
    "consume",
    "consumer_settings",
    "pipeline",
    "producer_settings",
]
