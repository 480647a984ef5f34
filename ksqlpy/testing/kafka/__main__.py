"""``python -m ksqlpy.testing.kafka``: run a local Kafka broker until interrupted.

Prints one line ``bootstrap=HOST:PORT`` once the broker answers, then waits for Ctrl-C or SIGTERM
and stops it cleanly. ``--port 9092`` gives the port the tools use when neither
``--bootstrap-servers`` nor ``KAFKA_BOOTSTRAP_SERVERS`` says otherwise. ``--fetch`` only fills
the jar cache and prints its path.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ksqlpy._cli import EXIT_USAGE, base_parser
from ksqlpy._errors import KsqlError

from ._broker import KafkaBroker
from ._jars import ensure_jars, kafka_version

PROG = "python -m ksqlpy.testing.kafka"


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {port}")
    return port


def main(argv: Sequence[str] | None = None) -> int:
    """Run the launcher command and return its exit code."""
    parser = base_parser(PROG, "Run a single-node Apache Kafka (KRaft) broker on 127.0.0.1.")
    parser.add_argument(
        "--fetch", action="store_true", help="only download the jars (once) and print their folder"
    )
    parser.add_argument("--kafka-version", help="Kafka version (default: %(default)s)")
    parser.add_argument("--heap", default="256m", help="JVM max heap (default: %(default)s)")
    parser.add_argument(
        "--port",
        type=_port,
        default=0,
        help="client port on 127.0.0.1 (default: a free one; 9092 is what tools assume)",
    )
    args = parser.parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        version = args.kafka_version or kafka_version()
        if args.fetch:
            print(ensure_jars(version))
            return 0
        with KafkaBroker(version=version, heap=args.heap, port=args.port) as broker:
            print(f"bootstrap={broker.bootstrap}", flush=True)
            while not stop.wait(0.5):
                if not broker.running:
                    print(f"{PROG}: the broker exited unexpectedly", file=sys.stderr)
                    return 1
    except KsqlError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(main())
