"""Command line entry point of ``ksqlpy-local``: the embedded ksqlDB-compatible server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

from ksqlpy._cli import EXIT_USAGE, base_parser
from ksqlpy._errors import KsqlError

from .server import LocalServer

DESCRIPTION = (
    "Run an embedded ksqlDB-compatible server (REST API on HTTP/1.1 and HTTP/2) for development "
    "and tests. Data lives in memory, in --data-dir across restarts, or on a Kafka cluster "
    "with --bootstrap-servers."
)
# ksqlDB's own server reads KSQL_BOOTSTRAP_SERVERS; Kafka's tools KAFKA_BOOTSTRAP_SERVERS.
BOOTSTRAP_ENVS = ("KSQL_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS")
DEFAULT_SERVICE_ID = "default_"


def bootstrap_from_env() -> str | None:
    """The Kafka cluster named by the environment, if any."""
    for name in BOOTSTRAP_ENVS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ksqlpy-local`` and return its exit code."""
    parser = base_parser("ksqlpy-local", DESCRIPTION)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8088, help="port (default: %(default)s; 0 picks one)"
    )
    parser.add_argument("--user", help="require HTTP basic auth with this user")
    parser.add_argument(
        "--password",
        help="the basic-auth password (or set KSQLPY_LOCAL_PASSWORD, which keeps it out of ps)",
    )
    parser.add_argument(
        "--data-dir", help="keep topics, streams, tables and queries here across restarts"
    )
    parser.add_argument(
        "--bootstrap-servers",
        metavar="HOST:PORT",
        help="keep every topic on this Kafka cluster (default: $KSQL_BOOTSTRAP_SERVERS, then "
        "$KAFKA_BOOTSTRAP_SERVERS; without either, topics live in memory or --data-dir)",
    )
    parser.add_argument(
        "--service-id",
        default=DEFAULT_SERVICE_ID,
        help="ksql.service.id: names the command topic and query groups (default: %(default)s)",
    )
    parser.add_argument(
        "--kafka-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for the Kafka cluster to answer at start (default: %(default)s)",
    )
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS (HTTP/2 by ALPN)")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    # Python UDFs, as ksqlDB's ksql.extension.dir loads Java ones.
    parser.add_argument("--udf-dir", action="append", default=[], help="load every .py here")
    parser.add_argument("--udf", action="append", default=[], help="load UDFs from a module")
    args = parser.parse_args(argv)
    password = args.password or os.environ.get("KSQLPY_LOCAL_PASSWORD")
    if bool(args.user) != bool(password):
        parser.error("--user and --password (or KSQLPY_LOCAL_PASSWORD) go together")
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    for path in (args.tls_cert, args.tls_key):
        if path and not os.path.isfile(path):
            parser.error(f"no such file: {path}")
    for folder in args.udf_dir:
        if not os.path.isdir(folder):
            parser.error(f"--udf-dir: no such folder: {folder}")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be in 0..65535, not {args.port}")
    bootstrap = args.bootstrap_servers or (None if args.data_dir else bootstrap_from_env())
    if not args.kafka_timeout > 0:
        parser.error(f"--kafka-timeout must be positive, not {args.kafka_timeout:g}")
    if bootstrap and args.data_dir:
        parser.error("--data-dir and --bootstrap-servers exclude each other (Kafka keeps the data)")
    if bootstrap:
        # kafka-python logs every refused reconnect while a broker is away; the server says
        # itself, once in a while, what it cannot reach (logger ksqlpy.local.storage).
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
    try:
        server = LocalServer(
            args.host,
            args.port,
            user=args.user,
            password=password,
            certfile=args.tls_cert,
            keyfile=args.tls_key,
            data_dir=args.data_dir,
            udfs=[*args.udf_dir, *args.udf],
            bootstrap_servers=bootstrap,
            service_id=args.service_id,
            kafka_timeout=args.kafka_timeout,
        )
        return asyncio.run(_serve(server))
    except KsqlError as exc:  # the Kafka cluster cannot be reached or refused to serve
        print(f"ksqlpy-local: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ksqlpy-local: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # a certificate, key or UDF (UdfLoadError) that cannot be used
        print(f"ksqlpy-local: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 0


async def _serve(server: LocalServer) -> int:
    task = asyncio.ensure_future(server.serve())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, server.request_stop)
    while not server.ready and not task.done():
        await asyncio.sleep(0.01)
    if task.done():
        await task
        return 1
    print(f"ksqlpy-local: ksqlDB-compatible server at {server.url} (Ctrl-C stops)", flush=True)
    try:
        await task
    finally:
        server.engine.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
