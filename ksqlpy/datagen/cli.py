"""Command line entry point of ``ksqlpy-datagen``: flags -> schema, sink, options -> run."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import Any

from ksqlpy._cli import EXIT_USAGE, base_parser
from ksqlpy._errors import DatagenError, KsqlError

from ._formats import FORMATS, key_encoder, value_encoder
from ._quickstarts import PEOPLE_EXTRAS, QUICKSTARTS, padding_field, quickstart
from ._runner import RunOptions, run
from ._schema import GENERATORS, Schema, load_schema
from ._sinks import KafkaSink, PrintSink, Sink

PROG = "ksqlpy-datagen"
DESCRIPTION = "Produce realistic fake data to Kafka topics or ksqlDB streams."
EPILOG = """examples:
  ksqlpy-datagen --topic fake_people --quickstart people --rate 10
  ksqlpy-datagen --topic pageviews --quickstart pageviews --partitions 6 --iterations 10000
  ksqlpy-datagen --topic users --schema users.json --seed 42 --format delimited
  ksqlpy-datagen --quickstart orders --dry-run --iterations 3 --print-ddl
"""
EXIT_FAILED = 1  # records were refused or lost


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def _positive_int(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _time_ms(text: str) -> int:
    """Epoch milliseconds or an ISO-8601 date/time (UTC unless it says otherwise)."""
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither epoch milliseconds nor an ISO date such as 2026-01-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.now().astimezone().tzinfo)
    return int(moment.timestamp() * 1000)


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key.strip(), value


def _config_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``ksqlpy-datagen``."""
    parser = base_parser(PROG, DESCRIPTION)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    what = parser.add_argument_group("what to generate")
    source = what.add_mutually_exclusive_group()
    source.add_argument("--quickstart", "-q", metavar="NAME", help=", ".join(QUICKSTARTS))
    source.add_argument("--schema", metavar="FILE", help="a schema file (.json or .toml)")
    what.add_argument(
        "--extra-fields",
        metavar="A,B",
        help=f"more fields for 'people': {', '.join(PEOPLE_EXTRAS)}",
    )
    what.add_argument("--key", metavar="FIELD", help="the field used as record key")
    what.add_argument("--no-key", action="store_true", help="send records without key")
    what.add_argument(
        "--timestamp-field",
        metavar="FIELD",
        help="a BIGINT field (epoch ms) used as record timestamp, clamped to now+59min",
    )
    what.add_argument(
        "--header", action="append", type=_pair, default=[], metavar="K=V", help="repeatable"
    )
    what.add_argument("--format", choices=FORMATS, default="json", help="value format (json)")
    what.add_argument(
        "--key-format", choices=FORMATS, default="kafka", help="key format (kafka: raw)"
    )
    what.add_argument("--delimiter", default=",", help="delimiter of --format delimited (,)")
    what.add_argument(
        "--value-size",
        type=_positive_int,
        metavar="BYTES",
        help="pad each JSON value with a 'padding' text field to about BYTES",
    )
    how = parser.add_argument_group("how many and how fast")
    how.add_argument("--rate", type=_positive_float, metavar="N", help="records/s, steady")
    how.add_argument("--iterations", "-n", "--count", type=_count, metavar="N", help="stop after N")
    how.add_argument(
        "--duration", type=_positive_float, metavar="SECONDS", help="stop after SECONDS"
    )
    how.add_argument("--seed", type=int, help="random seed: same seed, same records")
    how.add_argument(
        "--start-time",
        type=_time_ms,
        metavar="TIME",
        help="fixed 'now' of the first record (epoch ms or ISO), for reproducible timestamps",
    )
    how.add_argument(
        "--time-step-ms", type=_count, default=1000, help="simulated ms between records (1000)"
    )
    where = parser.add_argument_group("where to")
    where.add_argument("--topic", "-t", metavar="TOPIC", help="Kafka topic (default: schema name)")
    where.add_argument(
        "--bootstrap-servers",
        "-b",
        default="localhost:9092",
        metavar="HOST:PORT",
        help="(%(default)s)",
    )
    where.add_argument("--partitions", type=_positive_int, metavar="N", help="create with N")
    where.add_argument(
        "--replication-factor", type=_positive_int, metavar="R", help="create with R replicas"
    )
    where.add_argument(
        "--timeout", type=_positive_float, default=10.0, help="connect timeout (10 s)"
    )
    where.add_argument("--dry-run", action="store_true", help="print records instead of sending")
    where.add_argument(
        "--ksqldb", metavar="URL", help="send through ksqlDB's /inserts-stream (not built yet)"
    )
    where.add_argument("--stream", metavar="NAME", help="the ksqlDB stream for --ksqldb")
    kafka = parser.add_argument_group("delivery (producer settings)")
    kafka.add_argument(
        "--guarantee",
        choices=("at-most-once", "at-least-once", "exactly-once"),
        default="at-least-once",
        help="acks=0 / acks=all + idempotence (default) / transactions",
    )
    kafka.add_argument(
        "--transaction-size", type=_positive_int, default=1000, metavar="N", help="(1000)"
    )
    kafka.add_argument("--transactional-id", metavar="ID", help="(default: a unique one)")
    kafka.add_argument("--acks", choices=("0", "1", "all"), help="with --guarantee at-most-once")
    kafka.add_argument("--linger-ms", type=_count, metavar="MS", help="(5)")
    kafka.add_argument("--batch-size", type=_positive_int, metavar="BYTES")
    kafka.add_argument("--compression-type", choices=("gzip", "snappy", "lz4", "zstd"))
    kafka.add_argument(
        "--producer-property",
        "-X",
        action="append",
        type=_pair,
        default=[],
        metavar="K=V",
        help="any kafka-python KafkaProducer setting, e.g. -X max_request_size=2097152",
    )
    out = parser.add_argument_group("output")
    out.add_argument("--quiet", action="store_true", help="no progress line")
    out.add_argument("--print-ddl", action="store_true", help="print a CREATE STREAM for ksqlDB")
    out.add_argument("--list", action="store_true", help="list quickstarts and generators")
    return parser


def _schema(args: argparse.Namespace) -> Schema:
    extra = (
        [f.strip() for f in args.extra_fields.split(",") if f.strip()] if args.extra_fields else []
    )
    if args.schema:
        if extra:
            raise DatagenError("--extra-fields works with the 'people' quickstart only")
        schema = load_schema(args.schema)
    else:
        schema = quickstart(args.quickstart or "people", extra)
    if args.no_key:
        schema = schema.with_key(None)
    elif args.key:
        schema = schema.with_key(args.key)
    if args.timestamp_field:
        field = schema.field(args.timestamp_field)
        if field.ksql_type != "BIGINT":
            raise DatagenError(
                f"--timestamp-field '{field.name}' is {field.ksql_type}; it must be a BIGINT "
                "field of epoch milliseconds"
            )
        schema = _replace_timestamp(schema, field.name)
    if args.value_size:
        if args.format != "json":
            raise DatagenError("--value-size works with --format json")
        schema = schema.with_fields([padding_field(args.value_size - _typical_size(schema))])
    return schema


def _replace_timestamp(schema: Schema, name: str) -> Schema:
    from dataclasses import replace

    return replace(schema, timestamp=name)


def _typical_size(schema: Schema) -> int:
    """The median JSON size of a few sample records, plus the padding field's own overhead."""
    import random

    from ._schema import Context

    encode = value_encoder(schema, "json")
    make = schema.generator(random.Random(0))
    now = int(time.time() * 1000)
    sizes = sorted(len(encode(make(Context(i, now))) or b"") for i in range(21))
    return sizes[10] + len(',"padding":""')


def _producer_config(args: argparse.Namespace) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if args.acks is not None:
        config["acks"] = "all" if args.acks == "all" else int(args.acks)
        if args.acks != "all" and args.guarantee != "at-most-once":
            # kafka-python refuses acks 0/1 together with idempotence: say it here instead.
            raise DatagenError(
                f"--acks {args.acks} needs --guarantee at-most-once "
                "(at-least-once and exactly-once use acks=all with idempotence)"
            )
    for flag, key in (
        ("linger_ms", "linger_ms"),
        ("batch_size", "batch_size"),
        ("compression_type", "compression_type"),
    ):
        value = getattr(args, flag)
        if value is not None:
            config[key] = value
    for key, value in args.producer_property:
        config[key.replace(".", "_")] = _config_value(value)
    return config


def _ensure_topic(args: argparse.Namespace, topic: str) -> str | None:
    """Create the topic if it is missing; return a note when an existing one differs."""
    from ksqlpy.kafka import TopicAdmin

    with TopicAdmin(args.bootstrap_servers, timeout=args.timeout) as admin:
        info = admin.create_topic(
            topic,
            partitions=args.partitions or 1,
            replication_factor=args.replication_factor or 1,
            if_not_exists=True,
        )
    if args.partitions and info.partition_count != args.partitions:
        return (
            f"note: topic '{topic}' already exists with {info.partition_count} partition(s); "
            f"--partitions {args.partitions} was not applied"
        )
    return None


def _list() -> str:
    lines = ["quickstarts:"]
    for name in QUICKSTARTS:
        schema = quickstart(name)
        lines.append(f"  {name:<13} key {schema.key or '-':<15} {', '.join(schema.field_names)}")
    lines.append("generators (schema files):")
    for name, gen in GENERATORS.items():
        params = ", ".join(sorted(gen.params)) or "-"
        lines.append(f"  {name:<11} {gen.doc}; keys: {params}")
    return "\n".join(lines)


@contextmanager
def _graceful_interrupts(stop: threading.Event) -> Iterator[None]:
    """First Ctrl-C (or SIGTERM) asks the loop to stop and flush; a second one aborts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ksqlpy-datagen`` and return its exit code."""
    args = build_parser().parse_args(argv)
    if args.list:
        print(_list())
        return 0
    if args.ksqldb or args.stream:
        # The Sink protocol is ready for it; the client's insert stream is not, yet.
        return _fail(
            "the ksqlDB sink (--ksqldb URL --stream NAME) is not built yet in this version; "
            "produce to Kafka with --bootstrap-servers and --topic"
        )
    try:
        schema = _schema(args)
        values = value_encoder(schema, args.format, args.delimiter)
        keys = key_encoder(schema, args.key_format)
        topic = args.topic or schema.name
        if args.print_ddl:
            print(schema.ddl(topic, topic, args.format, args.key_format))
            if args.iterations == 0 or (args.iterations is None and not args.topic):
                return 0
        headers = [(k, v.encode()) for k, v in args.header]
        options = RunOptions(
            rate=args.rate,
            iterations=args.iterations,
            duration=args.duration,
            seed=args.seed,
            start_time_ms=args.start_time,
            time_step_ms=args.time_step_ms,
            progress=not args.quiet and not args.dry_run,
        )
        sink: Sink
        if args.dry_run:
            sink = PrintSink(keys, values)
        else:
            producer_config = _producer_config(args)
            note = _ensure_topic(args, topic)
            if note:
                print(f"{PROG}: {note}", file=sys.stderr)
            sink = KafkaSink(
                args.bootstrap_servers,
                topic,
                key_encoder=keys,
                value_encoder=values,
                headers=headers,
                guarantee=args.guarantee,
                transaction_size=args.transaction_size,
                transactional_id=args.transactional_id,
                timeout=args.timeout,
                producer_config=producer_config,
            )
        stop = threading.Event()
        try:
            with _graceful_interrupts(stop):
                summary = run(schema, sink, options, stop=stop)
        finally:
            sink.close()
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted twice; records still in flight may be lost", file=sys.stderr)
        return 130
    except (KsqlError, ValueError) as exc:
        return _fail(_one_line(exc))
    print(f"{PROG}: {summary.line()}", file=sys.stderr)
    return EXIT_FAILED if summary.errors else 0


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    sys.exit(main())
