"""``python -m ksqlpy.kafka``: topic admin and a consume-transform-produce pipeline on JSON records.

    python -m ksqlpy.kafka topics create orders --partitions 6
    python -m ksqlpy.kafka pipeline --source orders --sink big_orders \\
        --filter status=SHIPPED --set region=EU --select orderid,status,region \\
        --guarantee exactly-once

The pipeline keeps records whose JSON fields equal every ``--filter`` (filter), sets fields
(enrich) and keeps only the ``--select`` fields (transform); Ctrl-C stops it after the batch in
hand is committed.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ksqlpy._cli import BOOTSTRAP_ENV, EXIT_USAGE, LOCAL_BOOTSTRAP, base_parser
from ksqlpy._errors import KsqlError

from ._admin import TopicAdmin
from ._consumer import Record
from ._guarantees import Guarantee
from ._pipeline import Transform, pipeline

PROG = "python -m ksqlpy.kafka"


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not FIELD=VALUE")
    return key, value


def _json_value(text: str) -> Any:
    """``42`` -> 42, ``true`` -> True, ``"x"`` -> "x"; anything else stays a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def json_transform(
    filters: Sequence[tuple[str, str]] = (),
    sets: Sequence[tuple[str, str]] = (),
    select: Sequence[str] = (),
) -> Transform:
    """A transform over JSON object values: keep matches, set fields, keep selected fields.

    Records whose value is not a JSON object are dropped.
    """
    wanted = [(k, _json_value(v)) for k, v in filters]
    updates = {k: _json_value(v) for k, v in sets}
    fields = list(select)

    def transform(record: Record) -> bytes | None:
        try:
            data = json.loads(record.value or b"")
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        if any(data.get(k) != v for k, v in wanted):
            return None
        data.update(updates)
        if fields:
            data = {k: data.get(k) for k in fields}
        return json.dumps(data, separators=(",", ":")).encode()

    return transform


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m ksqlpy.kafka``."""
    parser = base_parser(PROG, "Kafka topic admin and a JSON consume-transform-produce pipeline.")
    parser.add_argument(
        "--bootstrap-servers",
        "-b",
        default=None,
        metavar="HOST:PORT",
        help=f"the Kafka brokers (${BOOTSTRAP_ENV}, else {LOCAL_BOOTSTRAP})",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="connect timeout (10 s)")
    commands = parser.add_subparsers(dest="command", required=True)
    topics = commands.add_parser("topics", help="list, create, describe or delete topics")
    topics.add_argument("action", choices=("list", "create", "describe", "delete"))
    topics.add_argument("name", nargs="?")
    topics.add_argument("--partitions", type=int, default=1)
    topics.add_argument("--replication-factor", type=int, default=1)
    topics.add_argument("--config", action="append", type=_pair, default=[], metavar="K=V")
    pipe = commands.add_parser("pipeline", help="consume, filter/enrich/select JSON, produce")
    pipe.add_argument("--source", required=True)
    pipe.add_argument("--sink", required=True)
    pipe.add_argument("--guarantee", choices=[g.value for g in Guarantee], default="at-least-once")
    pipe.add_argument("--group-id")
    pipe.add_argument("--filter", action="append", type=_pair, default=[], metavar="F=V")
    pipe.add_argument("--set", action="append", type=_pair, default=[], metavar="F=V")
    pipe.add_argument("--select", default="", metavar="A,B")
    pipe.add_argument("--max-records", type=int)
    pipe.add_argument("--idle-timeout", type=float, help="stop after this many idle seconds")
    return parser


def _topics(args: argparse.Namespace) -> None:
    with TopicAdmin(args.bootstrap_servers, timeout=args.timeout) as admin:
        if args.action == "list":
            print("\n".join(admin.list_topics()))
            return
        if not args.name:
            raise KsqlError(f"'topics {args.action}' needs a topic name")
        if args.action == "create":
            info = admin.create_topic(
                args.name, args.partitions, args.replication_factor, dict(args.config)
            )
            print(f"created topic '{info.name}' with {info.partition_count} partition(s)")
        elif args.action == "describe":
            info = admin.describe_topic(args.name)
            print(f"{info.name}: {info.partition_count} partition(s)")
            for p in info.partitions:
                print(f"  partition {p.partition}: leader {p.leader}, replicas {list(p.replicas)}")
        else:
            admin.delete_topic(args.name)
            print(f"deleted topic '{args.name}'")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command and return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "topics":
            _topics(args)
            return 0
        stop = threading.Event()
        # Ctrl-C and SIGTERM finish the batch in hand (its offsets committed with it) and stop.
        previous = {
            sig: signal.signal(sig, lambda signum, frame: stop.set())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            select = [f for f in args.select.split(",") if f]
            stats = pipeline(
                args.source,
                args.sink,
                json_transform(args.filter, args.set, select),
                bootstrap_servers=args.bootstrap_servers,
                guarantee=args.guarantee,
                group_id=args.group_id,
                max_records=args.max_records,
                idle_timeout=args.idle_timeout,
                stop=stop,
                timeout=args.timeout,
            )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    except KsqlError as exc:
        print(f"{PROG}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"consumed {stats.consumed:,}, produced {stats.produced:,} in {stats.seconds:.2f} s "
        f"({stats.records_per_second:,.0f} records/s, {args.guarantee})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
