"""Produce realistic fake data to Kafka topics or ksqlDB streams.

The library behind ``ksqlpy-datagen``: quickstart and file schemas, seeded generators, steady
pacing, sinks (Kafka, and ksqlDB's ``/inserts-stream`` through :class:`KsqlDbSink`). Importing it
does not import kafka-python; :class:`KafkaSink` does, when built.
Example::

    from ksqlpy.datagen import PrintSink, RunOptions, key_encoder, quickstart, run, value_encoder

    schema = quickstart("people")
    sink = PrintSink(key_encoder(schema), value_encoder(schema, "json"))
    run(schema, sink, RunOptions(iterations=3, seed=42, progress=False))
"""

from __future__ import annotations

from ._formats import FORMATS, key_encoder, value_encoder  # noqa: F401  (constants: not in __all__)
from ._generators import Context
from ._ksqldb import KsqlDbSink, create_stream_ddl
from ._quickstarts import QUICKSTARTS, quickstart  # noqa: F401
from ._rate import RateLimiter
from ._runner import RunOptions, RunSummary, run
from ._schema import FieldSpec, Schema, load_schema, parse_schema
from ._sinks import KafkaSink, PrintSink, Sink

__all__ = [
    "Context",
    "FieldSpec",
    "KafkaSink",
    "KsqlDbSink",
    "PrintSink",
    "RateLimiter",
    "RunOptions",
    "RunSummary",
    "Schema",
    "Sink",
    "create_stream_ddl",
    "key_encoder",
    "load_schema",
    "parse_schema",
    "quickstart",
    "run",
    "value_encoder",
]
