"""Benchmark of ``ksqlpy-local`` on a real Kafka broker, next to plain kafka-python on the same one.

    python bench/bench_kafka_local.py [--records 100000] [--runs 3] [--bootstrap-servers HOST:PORT]
                                      [--insert-rows 20000] [--inserts-only]

Without ``--bootstrap-servers`` it starts the project's single-node broker (needs Java). Prints
medians of: records/s through a filter+project CSAS and a GROUP BY COUNT CTAS (from CREATE until
the query's consumer group has committed the whole input, at-least-once and exactly_once_v2),
next to a plain kafka-python consume-transform-produce loop doing the same filter+project (JSON
decode, filter, project, JSON encode, produce; offsets committed after each flushed batch) and
Quix Streams (``pip install quixstreams``, in the ``bench`` extra) doing the same filter+project
and the same GROUP BY COUNT (``group_by`` then a stateful count), measured the same way (start
until its consumer group has committed the whole input; Quix commits every 0.5 s here, not its
5 s default, so the wait for its last commit is not what is measured);
``/inserts-stream`` rows/s into a stream on the broker (request to last ack), next to the raw
limit: a plain kafka-python producer (acks=all) sending the same records; and the latency from
a producer's send to the row on a push query, p50/p99, at 1,000 records/s.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import OffsetAndMetadata, TopicPartition

from ksqlpy.kafka import TopicAdmin

PARTITIONS = 3
ROW = "ID INT KEY, NAME STRING, PRICE DOUBLE, QTY BIGINT, OK BOOLEAN"
TARGETS = {"ratio": 0.7, "quix": 1.0, "p99 ms": 100.0}


@contextlib.contextmanager
def broker(given: str | None) -> Iterator[str]:
    if given:
        yield given
        return
    from ksqlpy.testing.kafka import KafkaBroker

    with KafkaBroker() as started:
        yield started.bootstrap


@contextlib.contextmanager
def server(bootstrap: str, service_id: str) -> Iterator[str]:
    """``ksqlpy-local`` on the broker, in its own process; yields its URL."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ksqlpy.local.cli",
            "--port",
            "0",
            *("--bootstrap-servers", bootstrap),
            *("--service-id", service_id),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    match = re.search(r"(http://\S+)", proc.stdout.readline())
    try:
        if match is None:
            raise SystemExit("ksqlpy-local did not start on the broker")
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(20)
        proc.stdout.close()


def fill(bootstrap: str, topic: str, records: int) -> None:
    """``records`` JSON rows keyed by ID, on ``PARTITIONS`` partitions."""
    with TopicAdmin(bootstrap) as admin:
        admin.create_topic(topic, PARTITIONS)
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, batch_size=262144)
    for i in range(records):
        value = {"NAME": f"n{i}", "PRICE": i * 0.5, "QTY": i % 20, "OK": i % 2 == 0}
        producer.send(topic, key=i.to_bytes(4, "big"), value=json.dumps(value).encode())
    producer.flush(60)
    producer.close(10)


def ksql(client: httpx.Client, text: str, **props: str) -> list[Any]:
    response = client.post("/ksql", json={"ksql": text, "streamsProperties": props})
    if response.status_code != 200:
        raise SystemExit(f"{text} failed: {response.text}")
    answer: list[Any] = response.json()
    return answer


def committed_total(admin: TopicAdmin, group: str) -> int:
    return sum(admin.group_offsets(group).values())


def query_rate(bootstrap: str, records: int, statement: str, guarantee: str) -> float:
    """Records/s of a persistent query over ``records`` stored records, CREATE to committed."""
    source = f"bench_src_{uuid.uuid4().hex[:8]}"
    fill(bootstrap, source, records)
    service = f"bench_{uuid.uuid4().hex[:6]}_"
    with (
        server(bootstrap, service) as url,
        httpx.Client(base_url=url, timeout=120) as client,
        TopicAdmin(bootstrap) as admin,
    ):
        ksql(
            client,
            f"CREATE STREAM S ({ROW}) WITH (KAFKA_TOPIC='{source}', KEY_FORMAT='KAFKA', "
            "VALUE_FORMAT='JSON');",
        )
        started = time.perf_counter()
        (answer,) = ksql(
            client,
            statement.format(sink=f"SINK_{uuid.uuid4().hex[:8]}"),
            **{"auto.offset.reset": "earliest", "processing.guarantee": guarantee},
        )
        group = f"_confluent-ksql-{service}query_{answer['commandStatus']['queryId']}"
        deadline = time.monotonic() + 600
        while committed_total(admin, group) < records:
            if time.monotonic() > deadline:
                raise SystemExit(f"{statement} did not finish within 600 s")
            time.sleep(0.05)
        return records / (time.perf_counter() - started)


def loop_rate(bootstrap: str, records: int) -> float:
    """Records/s of a plain kafka-python consume-transform-produce loop, same filter+project."""
    source, sink = f"bench_src_{uuid.uuid4().hex[:8]}", f"bench_sink_{uuid.uuid4().hex[:8]}"
    fill(bootstrap, source, records)
    with TopicAdmin(bootstrap) as admin:
        admin.create_topic(sink, PARTITIONS)
    consumer = KafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"bench-loop-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, batch_size=262144)
    started = time.perf_counter()
    done = 0
    try:
        while done < records:
            batches = consumer.poll(timeout_ms=500, max_records=1000)
            offsets = {}
            for tp, batch in batches.items():
                for record in batch:
                    row = json.loads(record.value)
                    if row["QTY"] > 10:
                        out = {"NAME": row["NAME"]}
                        producer.send(sink, key=record.key, value=json.dumps(out).encode())
                offsets[tp] = OffsetAndMetadata(batch[-1].offset + 1, "", -1)
                done += len(batch)
            if offsets:
                producer.flush(60)
                consumer.commit(offsets)
        return records / (time.perf_counter() - started)
    finally:
        consumer.close()
        producer.close(10)


def quix_missing() -> str | None:
    """Why Quix Streams cannot be measured here, or None when it can."""
    try:
        import quixstreams  # noqa: F401
    except ImportError as exc:
        return f"Quix Streams rows skipped: quixstreams does not import ({exc})"
    return None


def quix_rate(bootstrap: str, records: int, count: bool) -> float:
    """Records/s of a Quix Streams app over ``records`` stored records: the CSAS's filter+project,
    or (``count``) the CTAS's GROUP BY QTY COUNT, start to the whole input committed."""
    from quixstreams import Application, State

    source, sink = f"bench_src_{uuid.uuid4().hex[:8]}", f"bench_sink_{uuid.uuid4().hex[:8]}"
    fill(bootstrap, source, records)
    with TopicAdmin(bootstrap) as admin:
        admin.create_topic(sink, PARTITIONS)
    group = f"bench-quix-{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as state_dir:
        app = Application(
            broker_address=bootstrap,
            consumer_group=group,
            auto_offset_reset="earliest",
            commit_interval=0.5,
            state_dir=state_dir,
            loglevel="WARNING",
        )
        sdf = app.dataframe(app.topic(source, value_deserializer="json"))
        # group_by keys by the JSON-serialised QTY, which the sink then carries.
        output = app.topic(sink, key_serializer="json" if count else "bytes")
        if count:

            def counted(row: dict[str, Any], state: State[str, int]) -> dict[str, Any]:
                n = state.get("n", 0) + 1
                state.set("n", n)
                return {"N": n}

            sdf = sdf.group_by("QTY").apply(counted, stateful=True)
        else:
            sdf = sdf.filter(lambda row: row["QTY"] > 10).apply(lambda row: {"NAME": row["NAME"]})
        sdf.to_topic(output)
        # group_by goes through a repartition topic the same group reads: every record once more.
        expected = records * 2 if count else records
        finished: list[float] = []
        ended = threading.Event()

        def watch() -> None:
            deadline = time.monotonic() + 600
            with TopicAdmin(bootstrap) as admin:
                while time.monotonic() < deadline and not ended.is_set():
                    if committed_total(admin, group) >= expected:
                        finished.append(time.perf_counter())
                        break
                    time.sleep(0.05)
            app.stop()

        watcher = threading.Thread(target=watch, daemon=True)
        started = time.perf_counter()
        watcher.start()
        try:
            app.run()  # in this thread: Quix sets its signal handlers here
        finally:
            ended.set()
            watcher.join(30)
    if not finished:
        raise RuntimeError(f"the Quix Streams app did not finish within 600 s ({count=})")
    # It did the same job: one update per record (Quix has no cache), or the filtered rows.
    written = sink_total(bootstrap, sink)
    wanted = records if count else sum(1 for i in range(records) if i % 20 > 10)
    if written != wanted:
        raise RuntimeError(f"the Quix Streams app wrote {written} records, not {wanted}")
    return records / (finished[0] - started)


def sink_total(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


def push_latency(bootstrap: str, seconds: float, rate: float) -> tuple[float, float]:
    """p50/p99 ms from a producer's send to the row read from a push query."""
    topic = f"bench_lat_{uuid.uuid4().hex[:8]}"
    with TopicAdmin(bootstrap) as admin:
        admin.create_topic(topic, PARTITIONS)
    total = int(seconds * rate)
    latencies: list[float] = []
    with server(bootstrap, f"bench_{uuid.uuid4().hex[:6]}_") as url:
        with httpx.Client(base_url=url, timeout=60) as client:
            ksql(
                client,
                f"CREATE STREAM L (ID INT KEY, SENT DOUBLE) WITH (KAFKA_TOPIC='{topic}', "
                "KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');",
            )
        ready = threading.Event()

        def read() -> None:
            body = {"sql": f"SELECT SENT FROM L EMIT CHANGES LIMIT {total};", "properties": {}}
            with (
                httpx.Client(base_url=url, timeout=60) as reader,
                reader.stream("POST", "/query-stream", json=body) as response,
            ):
                lines = response.iter_lines()
                next(lines)  # the header: the query runs
                ready.set()
                for line in lines:
                    if line:
                        latencies.append((time.time() - json.loads(line)[0]) * 1000)

        thread = threading.Thread(target=read)
        thread.start()
        ready.wait(30)
        producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
        started = time.perf_counter()
        for i in range(total):
            pause = started + i / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            value = json.dumps({"SENT": time.time()}).encode()
            producer.send(topic, key=i.to_bytes(4, "big"), value=value)
        producer.flush(30)
        producer.close(10)
        thread.join(60)
    ordered = sorted(latencies)
    if len(ordered) < total:
        raise SystemExit(f"the push query delivered {len(ordered)} of {total} rows")
    return ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99) - 1]


def insert_rows(rows: int) -> list[dict[str, Any]]:
    return [{"ID": i, "NAME": f"n{i}", "PRICE": 0.5, "QTY": i, "OK": True} for i in range(rows)]


def inserts_rate(bootstrap: str, rows: int) -> float:
    """Rows/s through ``/inserts-stream`` (HTTP/2) into a stream on the broker, from the request
    until the last row is acknowledged (each ack comes once the broker stored it, acks=all)."""
    topic = f"bench_ins_{uuid.uuid4().hex[:8]}"
    with (
        server(bootstrap, f"bench_{uuid.uuid4().hex[:6]}_") as url,
        httpx.Client(base_url=url, http1=False, http2=True, timeout=600) as client,
    ):
        ksql(
            client,
            f"CREATE STREAM I ({ROW}) WITH (KAFKA_TOPIC='{topic}', PARTITIONS={PARTITIONS}, "
            "KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON');",
        )
        lines = [json.dumps({"target": "I"})] + [json.dumps(r) for r in insert_rows(rows)]
        started = time.perf_counter()
        acks = client.post("/inserts-stream", content="\n".join(lines).encode()).text
        elapsed = time.perf_counter() - started
    if acks.count('"ok"') != rows:
        raise SystemExit(f"inserts failed: {acks[-300:]}")
    return rows / elapsed


def raw_produce_rate(bootstrap: str, rows: int) -> float:
    """Rows/s of a plain kafka-python producer (acks=all) sending the records the inserts
    stream writes (a 4-byte INT key, the JSON value), from the first send until all are acked."""
    topic = f"bench_raw_{uuid.uuid4().hex[:8]}"
    with TopicAdmin(bootstrap) as admin:
        admin.create_topic(topic, PARTITIONS)
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, batch_size=262144
    )
    try:
        producer.partitions_for(topic)  # metadata first, as the server has it
        started = time.perf_counter()
        for row in insert_rows(rows):
            key = row.pop("ID").to_bytes(4, "big", signed=True)
            producer.send(topic, key=key, value=json.dumps(row).encode())
        producer.flush(600)
        return rows / (time.perf_counter() - started)
    finally:
        producer.close(10)


def median_of(runs: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(runs))


Results = list[tuple[str, float, str]]


def query_results(bootstrap: str, args: argparse.Namespace, results: Results) -> None:
    """The persistent queries next to the kafka-python loop and Quix Streams."""
    csas = "CREATE STREAM {sink} AS SELECT ID, NAME FROM S WHERE QTY > 10;"
    ctas = "CREATE TABLE {sink} AS SELECT QTY, COUNT(*) AS N FROM S GROUP BY QTY;"
    loop = median_of(args.runs, lambda: loop_rate(bootstrap, args.records))
    results.append(("kafka-python consume-transform-produce loop records/s", loop, ""))
    quix_rates: dict[str, float] = {}
    missing = quix_missing()
    if missing is not None:
        print(missing)
    else:
        for statement, count, label in (
            (csas, False, "filter+project"),
            (ctas, True, "GROUP BY COUNT"),
        ):
            try:
                run = functools.partial(quix_rate, bootstrap, args.records, count)
                quix_rates[statement] = median_of(args.runs, run)
            except Exception as exc:  # a peer's failure must not cost the other rows
                print(f"Quix Streams {label} row skipped: {type(exc).__name__}: {exc}")
                continue
            results.append((f"Quix Streams {label} records/s", quix_rates[statement], ""))
    for label, statement, guarantee in (
        ("CSAS filter+project records/s (at_least_once)", csas, "at_least_once"),
        ("CSAS filter+project records/s (exactly_once_v2)", csas, "exactly_once_v2"),
        ("CTAS GROUP BY COUNT records/s (at_least_once)", ctas, "at_least_once"),
    ):
        rate = median_of(
            args.runs,
            lambda s=statement, g=guarantee: query_rate(bootstrap, args.records, s, g),
        )
        results.append((label, rate, ""))
        quix = quix_rates.get(statement)
        if statement is csas:
            # The loop commits at-least-once: only that CSAS is held to the target.
            target = "ratio" if guarantee == "at_least_once" else ""
            results.append(("  ratio to the kafka-python loop", rate / loop, target))
        if quix is not None and guarantee == "at_least_once":
            results.append(("  ratio to Quix Streams (at-least-once)", rate / quix, "quix"))


def insert_results(bootstrap: str, args: argparse.Namespace, results: Results) -> None:
    """``/inserts-stream`` next to a plain producer of the same records, on the same broker."""
    rows = args.insert_rows
    raw = median_of(args.runs, lambda: raw_produce_rate(bootstrap, rows))
    inserts = median_of(args.runs, lambda: inserts_rate(bootstrap, rows))
    results.append(("kafka-python producer (acks=all) rows/s: the raw limit", raw, ""))
    results.append(("/inserts-stream rows/s (HTTP/2, acked when stored)", inserts, ""))
    results.append(("  ratio to the raw limit", inserts / raw, ""))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bootstrap-servers")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--insert-rows", type=int, default=20_000)
    parser.add_argument(
        "--inserts-only", action="store_true", help="measure /inserts-stream and its limit only"
    )
    args = parser.parse_args()
    results: Results = []
    with broker(args.bootstrap_servers) as bootstrap:
        if not args.inserts_only:
            query_results(bootstrap, args, results)
        insert_results(bootstrap, args, results)
        if not args.inserts_only:
            p50, p99 = push_latency(bootstrap, args.latency_seconds, 1000.0)
            results.append(("produce-to-push-row latency p50 ms (1,000 records/s)", p50, ""))
            results.append(("produce-to-push-row latency p99 ms (1,000 records/s)", p99, "p99 ms"))

    width = max(len(name) for name, _, _ in results)
    print(f"{'measure':<{width}}  {'median':>12}  target")
    for name, value, target_key in results:
        target = TARGETS.get(target_key)
        shown = f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
        if target is None:
            verdict = ""
        elif target_key.endswith("ms"):
            verdict = f"< {target:g} {'ok' if value < target else 'MISSED'}"
        else:
            verdict = f">= {target:g} {'ok' if value >= target else 'MISSED'}"
        print(f"{name:<{width}}  {shown:>12}  {verdict}")


if __name__ == "__main__":
    main()
