"""Datagen and pipeline throughput against a real Kafka broker, next to kafka-python's ceiling.

    python bench/bench_datagen.py [--records 100000] [--repeat 5]

Uses the broker named by KAFKA_BOOTSTRAP_SERVERS, or starts a throwaway single-node broker with
ksqlpy.testing.kafka. Rows, all with datagen's producer settings (kafka-python's defaults --
acks=all, idempotence -- plus linger_ms=5, Kafka 4.0's default):

* raw: kafka-python ``KafkaProducer.send`` of pre-built payloads -- the very bytes datagen makes,
  generated before the clock starts -- then ``flush()``: the ceiling of a kafka-python producer;
* datagen: ``ksqlpy.datagen.run`` of the ``people`` quickstart through ``KafkaSink`` (what the
  ``ksqlpy-datagen`` command does after start-up), generating and encoding every record;

each without key and with the quickstart's key (a 36-byte UUID: kafka-python then hashes it in
pure-Python murmur2 to pick the partition). Runs alternate raw/datagen; medians are printed.
Then the consume-transform-produce pipeline, at-least-once vs exactly-once (group join included).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from kafka import KafkaProducer

import ksqlpy.kafka  # noqa: F401  (imports kafka-python with its import-time warning filtered)
from ksqlpy.datagen import (
    Context,
    KafkaSink,
    RunOptions,
    key_encoder,
    quickstart,
    run,
    value_encoder,
)
from ksqlpy.datagen._quickstarts import padding_field
from ksqlpy.datagen._schema import Schema
from ksqlpy.datagen._sinks import PRODUCER_LINGER_MS
from ksqlpy.datagen.cli import _typical_size
from ksqlpy.kafka import Output, Producer, Record, TopicAdmin, pipeline

PARTITIONS = 3


@contextmanager
def broker() -> Iterator[str]:
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    from ksqlpy.testing.kafka import KafkaBroker

    with KafkaBroker() as started:
        yield started.bootstrap


def new_topic(bootstrap: str, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    with TopicAdmin(bootstrap) as admin:
        admin.create_topic(name, partitions=PARTITIONS)
    return name


def schema_for(size: int, keyed: bool) -> Schema:
    schema = quickstart("people")
    if size > 200:
        schema = schema.with_fields([padding_field(size - _typical_size(schema))])
    return schema if keyed else schema.with_key(None)


def raw_run(bootstrap: str, schema: Schema, records: int) -> float:
    make = schema.generator(random.Random(1))
    enc_v, enc_k = value_encoder(schema, "json"), key_encoder(schema)
    now = int(time.time() * 1000)
    built = [make(Context(i, now)) for i in range(1000)]
    payloads = [(enc_k(r), enc_v(r)) for r in built]
    topic = new_topic(bootstrap, "bench-raw")
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=PRODUCER_LINGER_MS)
    producer.partitions_for(topic)
    send = producer.send
    started = time.perf_counter()
    for i in range(records):
        key, value = payloads[i % 1000]
        send(topic, value, key)
    producer.flush()
    elapsed = time.perf_counter() - started
    producer.close()
    return records / elapsed


def datagen_run(bootstrap: str, schema: Schema, records: int) -> float:
    topic = new_topic(bootstrap, "bench-datagen")
    sink = KafkaSink(
        bootstrap,
        topic,
        key_encoder=key_encoder(schema),
        value_encoder=value_encoder(schema, "json"),
    )
    started = time.perf_counter()
    summary = run(schema, sink, RunOptions(iterations=records, seed=1, progress=False))
    elapsed = time.perf_counter() - started  # run() ends with a flush: every record acked
    sink.close()
    assert summary.acked == records, summary
    return records / elapsed


def fill_source(bootstrap: str, records: int) -> str:
    topic = new_topic(bootstrap, "bench-source")
    schema = quickstart("people")
    sink = KafkaSink(
        bootstrap,
        topic,
        key_encoder=key_encoder(schema),
        value_encoder=value_encoder(schema, "json"),
    )
    run(schema, sink, RunOptions(iterations=records, seed=2, progress=False))
    sink.close()
    return topic


def pipeline_run(bootstrap: str, source: str, records: int, guarantee: str) -> float:
    sink = new_topic(bootstrap, "bench-sink")

    def enrich(record: Record) -> Output:
        return Output((record.value or b"")[:-1] + b',"seen":true}', record.key)

    stats = pipeline(
        source,
        sink,
        enrich,
        bootstrap_servers=bootstrap,
        guarantee=guarantee,
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        max_records=records,
    )
    assert stats.consumed == records, stats
    return stats.records_per_second


def median_of(repeat: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records per producer run")
    parser.add_argument("--pipeline-records", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; {args.records:,} records per "
        f"run, median of {args.repeat}; topics of {PARTITIONS} partitions; acks=all, "
        f"linger_ms={PRODUCER_LINGER_MS}"
    )
    with broker() as bootstrap:
        Producer(bootstrap).close()  # fail fast, clearly, if the broker is unreachable
        rows = []
        for size, label in ((100, "~100 B"), (1024, "~1 KB")):
            for keyed in (False, True):
                schema = schema_for(size, keyed)
                raw_runs: list[float] = []
                dg_runs: list[float] = []
                for _ in range(args.repeat):  # alternate, so that noise hits both alike
                    raw_runs.append(raw_run(bootstrap, schema, args.records))
                    dg_runs.append(datagen_run(bootstrap, schema, args.records))
                raw, dg = statistics.median(raw_runs), statistics.median(dg_runs)
                rows.append((label, "uuid key" if keyed else "no key", raw, dg, dg / raw))
        print()
        print(f"| {'JSON value':<10} | {'key':<8} | {'raw send msg/s':>14} | "
              f"{'datagen msg/s':>13} | {'ratio':>5} |")  # fmt: skip
        print(f"|{'-' * 12}|{'-' * 10}|{'-' * 15}:|{'-' * 14}:|{'-' * 6}:|")
        for label, key, raw, dg, ratio in rows:
            print(f"| {label:<10} | {key:<8} | {raw:>14,.0f} | {dg:>13,.0f} | {ratio:>5.2f} |")

        source = fill_source(bootstrap, args.pipeline_records)
        results = {}
        for guarantee in ("at-least-once", "exactly-once"):
            results[guarantee] = median_of(
                args.repeat,
                lambda g=guarantee: pipeline_run(bootstrap, source, args.pipeline_records, g),
            )
        print()
        print(f"pipeline (consume -> enrich JSON -> produce), {args.pipeline_records:,} records "
              "of ~100 B, group join included:")  # fmt: skip
        print(f"| {'guarantee':<13} | {'records/s':>9} |")
        print(f"|{'-' * 15}|{'-' * 10}:|")
        for guarantee, rate in results.items():
            print(f"| {guarantee:<13} | {rate:>9,.0f} |")
        ratio = results["exactly-once"] / results["at-least-once"]
        print(f"exactly-once / at-least-once: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
