"""Command line entry point of ``ksqlpy-datagen``: flags -> schema, sink, options -> run."""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import Any

from ksqlpy._cli import (
    BOOTSTRAP_ENV,
    EXIT_USAGE,
    LOCAL_BOOTSTRAP,
    base_parser,
    default_bootstrap,
    positive_float,
    positive_int,
    whole_number,
)
from ksqlpy._errors import AuthenticationError, DatagenError, KsqlError

from ._formats import FORMATS, Encoder, key_encoder, value_encoder
from ._generators import GENERATORS
from ._ksqldb import KsqlDbSink, create_stream_ddl
from ._quickstarts import PEOPLE_EXTRAS, QUICKSTARTS, TOPICS, padding_field, quickstart
from ._runner import RunOptions, run
from ._schema import Schema, load_schema
from ._sinks import KafkaSink, PrintSink, Sink

PROG = "ksqlpy-datagen"
DESCRIPTION = "Produce realistic fake data to Kafka topics or ksqlDB streams."
EPILOG = """examples:
  ksqlpy-datagen --topic fake_people --quickstart people --rate 10
  ksqlpy-datagen --topic pageviews --quickstart pageviews --partitions 6 --iterations 10000
  ksqlpy-datagen --topic users --schema users.json --seed 42 --format delimited
  ksqlpy-datagen --quickstart orders --dry-run --iterations 3 --print-ddl
  ksqlpy-datagen --ksqldb http://localhost:8088 --stream PEOPLE --quickstart people --rate 5
"""
EXIT_FAILED = 1  # records were refused or lost
PASSWORD_ENV = "KSQLPY_PASSWORD"
DEFAULT_GUARANTEE = "at-least-once"
DEFAULT_TRANSACTION_SIZE = 1000


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
    what.add_argument("--delimiter", help="delimiter of --format delimited (,)")
    what.add_argument(
        "--value-size",
        type=positive_int,
        metavar="BYTES",
        help="pad each JSON value with a 'padding' text field to about BYTES",
    )
    how = parser.add_argument_group("how many and how fast")
    how.add_argument("--rate", type=positive_float, metavar="N", help="records/s, steady")
    how.add_argument(
        "--iterations", "-n", "--count", type=whole_number, metavar="N", help="stop after N"
    )
    how.add_argument(
        "--duration", type=positive_float, metavar="SECONDS", help="stop after SECONDS"
    )
    how.add_argument("--seed", type=int, help="random seed: same seed, same records")
    how.add_argument(
        "--start-time",
        type=_time_ms,
        metavar="TIME",
        help="fixed 'now' of the first record (epoch ms or ISO), for reproducible timestamps",
    )
    how.add_argument(
        "--time-step-ms",
        type=whole_number,
        default=1000,
        help="simulated ms between records (1000)",
    )
    where = parser.add_argument_group("where to")
    where.add_argument(
        "--topic",
        "-t",
        metavar="TOPIC",
        help="Kafka topic (default: the quickstart's topic, e.g. fake_people)",
    )
    where.add_argument(
        "--bootstrap-servers",
        "-b",
        metavar="HOST:PORT",
        help=f"(${BOOTSTRAP_ENV}, else {LOCAL_BOOTSTRAP})",
    )
    where.add_argument(
        "--partitions", type=positive_int, metavar="N", help="create the topic with N"
    )
    where.add_argument(
        "--replication-factor", type=positive_int, metavar="R", help="create with R replicas"
    )
    where.add_argument(
        "--timeout", type=positive_float, default=10.0, help="connect timeout (10 s)"
    )
    where.add_argument("--dry-run", action="store_true", help="print records instead of sending")
    ksqldb = parser.add_argument_group("ksqlDB sink (instead of Kafka)")
    ksqldb.add_argument(
        "--ksqldb",
        metavar="URL",
        help="insert into a ksqlDB stream through /inserts-stream, e.g. http://localhost:8088",
    )
    ksqldb.add_argument(
        "--stream",
        metavar="NAME",
        help="the stream, created over --topic if missing (default: the schema name, upper case)",
    )
    ksqldb.add_argument("--user", "-u", metavar="USER", help="HTTP basic auth user")
    ksqldb.add_argument(
        "--password", metavar="PASSWORD", help=f"with --user (default: ${PASSWORD_ENV})"
    )
    kafka = parser.add_argument_group("delivery (producer settings)")
    kafka.add_argument(
        "--guarantee",
        choices=("at-most-once", "at-least-once", "exactly-once"),
        help="acks=0 / acks=all + idempotence (default) / transactions",
    )
    kafka.add_argument(
        "--transaction-size",
        type=positive_int,
        metavar="N",
        help=f"({DEFAULT_TRANSACTION_SIZE})",
    )
    kafka.add_argument("--transactional-id", metavar="ID", help="(default: a unique one)")
    kafka.add_argument("--acks", choices=("0", "1", "all"), help="with --guarantee at-most-once")
    kafka.add_argument("--linger-ms", type=whole_number, metavar="MS", help="(5)")
    kafka.add_argument("--batch-size", type=positive_int, metavar="BYTES")
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

    from ._generators import Context

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


def _ensure_topic(args: argparse.Namespace, topic: str) -> None:
    """Create the topic if it is missing; an existing one must match an explicit layout."""
    from ksqlpy.kafka import TopicAdmin

    with TopicAdmin(args.bootstrap_servers or default_bootstrap(), timeout=args.timeout) as admin:
        admin.create_topic(
            topic,
            partitions=args.partitions,
            replication_factor=args.replication_factor,
            if_not_exists=True,
        )


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


# Options of the Kafka sink: attribute -> flag, refused together with --ksqldb (ksqlDB's server
# is the producer there; it acknowledges each row).
KAFKA_ONLY: dict[str, str] = {
    "bootstrap_servers": "--bootstrap-servers",
    "guarantee": "--guarantee",
    "acks": "--acks",
    "transaction_size": "--transaction-size",
    "transactional_id": "--transactional-id",
    "linger_ms": "--linger-ms",
    "batch_size": "--batch-size",
    "compression_type": "--compression-type",
    "producer_property": "--producer-property/-X",
    "header": "--header",
    "delimiter": "--delimiter",
    "dry_run": "--dry-run",
}


def _check_ksqldb_options(args: argparse.Namespace) -> None:
    if not args.ksqldb:
        for attr, flag in (("stream", "--stream"), ("user", "--user"), ("password", "--password")):
            if getattr(args, attr) is not None:
                raise DatagenError(f"{flag} goes with --ksqldb URL (the ksqlDB sink)")
        return
    given = [
        flag for attr, flag in KAFKA_ONLY.items() if getattr(args, attr) not in (None, [], False)
    ]
    if given:
        raise DatagenError(
            f"{', '.join(given)} only apply when producing to Kafka, not with --ksqldb "
            "(ksqlDB writes the topic and acknowledges every row); drop "
            f"{'it' if len(given) == 1 else 'them'} or use --bootstrap-servers instead"
        )


def _auth(args: argparse.Namespace) -> tuple[str, str] | None:
    password = args.password if args.password is not None else os.environ.get(PASSWORD_ENV)
    if args.user is None:
        if args.password is not None:
            raise DatagenError("--password needs --user")
        return None
    if not password:
        if not sys.stdin.isatty():
            raise DatagenError(f"--user needs a password: --password or ${PASSWORD_ENV}")
        password = getpass.getpass(f"Password for {args.user}: ")
    return args.user, password


def _topic(args: argparse.Namespace, schema: Schema) -> str:
    if args.topic:
        return str(args.topic)
    if not args.schema:  # a quickstart: its usual topic (fake_people for people), either sink
        return TOPICS.get(args.quickstart or "people", schema.name)
    return schema.name


def _ksqldb_ddl(args: argparse.Namespace, schema: Schema, topic: str) -> str:
    return create_stream_ddl(
        schema,
        args.stream or schema.name.upper(),
        topic,
        value_format=args.format,
        key_format=args.key_format,
        partitions=args.partitions,
        replicas=args.replication_factor,
    )


def _ksqldb_sink(args: argparse.Namespace, schema: Schema, topic: str) -> KsqlDbSink:
    auth = _auth(args)
    try:
        sink = KsqlDbSink(
            args.ksqldb,
            args.stream or schema.name.upper(),
            schema,
            topic=topic,
            value_format=args.format,
            key_format=args.key_format,
            partitions=args.partitions,
            replicas=args.replication_factor,
            auth=auth,
            timeout=args.timeout,
        )
    except AuthenticationError as exc:
        given = f"user '{auth[0]}'" if auth else "no credentials"
        raise DatagenError(
            f"ksqlDB at {args.ksqldb} refused {given} ({exc.message}); pass --user and "
            f"--password (or ${PASSWORD_ENV})"
        ) from exc
    if not args.quiet:
        for note in sink.notes:
            print(f"{PROG}: {note}", file=sys.stderr)
    return sink


def _kafka_sink(args: argparse.Namespace, topic: str, keys: Encoder, values: Encoder) -> KafkaSink:
    producer_config = _producer_config(args)
    _ensure_topic(args, topic)
    return KafkaSink(
        args.bootstrap_servers or default_bootstrap(),
        topic,
        key_encoder=keys,
        value_encoder=values,
        headers=[(k, v.encode()) for k, v in args.header],
        guarantee=args.guarantee or DEFAULT_GUARANTEE,
        transaction_size=args.transaction_size or DEFAULT_TRANSACTION_SIZE,
        transactional_id=args.transactional_id,
        timeout=args.timeout,
        producer_config=producer_config,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ksqlpy-datagen`` and return its exit code."""
    args = build_parser().parse_args(argv)
    if args.list:
        print(_list())
        return 0
    try:
        _check_ksqldb_options(args)
        schema = _schema(args)
        values = value_encoder(schema, args.format, args.delimiter or ",")
        keys = key_encoder(schema, args.key_format)
        topic = _topic(args, schema)
        if args.print_ddl:
            if args.ksqldb:
                print(_ksqldb_ddl(args, schema, topic))
            else:
                print(schema.ddl(topic, topic, args.format, args.key_format))
            if args.iterations == 0 or (
                args.iterations is None and not args.topic and not args.ksqldb
            ):
                return 0
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
        elif args.ksqldb:
            sink = _ksqldb_sink(args, schema, topic)
            # Records carry the stream's column names (upper case), as ksqlDB spells them.
            schema = sink.schema
        else:
            sink = _kafka_sink(args, topic, keys, values)
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
    return EXIT_FAILED if summary.errors or summary.stopped_by == "error" else 0


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    sys.exit(main())
