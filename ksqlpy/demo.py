"""``python -m ksqlpy.demo``: fake people flowing through a real Kafka topic, shown live.

The newcomer's first command (``make demo``) runs this: it starts a local Kafka broker (or uses
``KAFKA_BOOTSTRAP_SERVERS``), creates the ``fake_people`` topic, produces a steady trickle of
people to it and prints them as a consumer reads them back, until Ctrl-C (or ``--count`` rows).
It grows into the shell-on-the-local-server scenario as the shell and local server land.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys
import threading
import uuid
from collections.abc import Iterator, Sequence

from ._cli import EXIT_USAGE, base_parser
from ._errors import KsqlError

FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson")
TITLES = ("Engineer", "Analyst", "Architect", "Manager", "Designer", "Scientist", "Operator")
COLUMNS = (("ID", 36), ("NAME", 20), ("TITLE", 12))


def people(seed: int | None) -> Iterator[dict[str, str]]:
    """Yield ``fake_people`` records (``id``, ``name``, ``title``), reproducible with a seed."""
    rng = random.Random(seed)
    while True:
        yield {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "title": rng.choice(TITLES),
        }


def _row(values: Sequence[str]) -> str:
    return "|" + "|".join(f" {v:<{w}} " for v, (_, w) in zip(values, COLUMNS, strict=True)) + "|"


@contextlib.contextmanager
def _bootstrap() -> Iterator[str]:
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    from .testing.kafka import KafkaBroker

    print("starting a local Kafka broker...", file=sys.stderr, flush=True)
    with KafkaBroker() as broker:
        yield broker.bootstrap


def _produce(
    bootstrap: str, topic: str, rate: float, seed: int | None, stop: threading.Event
) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for person in people(seed):
            if stop.is_set():
                break
            producer.send(topic, key=person["id"].encode(), value=json.dumps(person).encode())
            producer.flush()
            stop.wait(1.0 / rate)
    finally:
        producer.close()


def run(topic: str, rate: float, count: int | None, seed: int | None) -> int:
    """Produce and show people until interrupted or ``count`` rows were shown."""
    from kafka import KafkaAdminClient, KafkaConsumer
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    with _bootstrap() as bootstrap:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        admin.close()
        print(f"Kafka at {bootstrap}; topic '{topic}'; {rate:g} people/s (Ctrl-C stops)")
        stop = threading.Event()
        producer = threading.Thread(
            target=_produce, args=(bootstrap, topic, rate, seed, stop), daemon=True
        )
        consumer = KafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
        )
        producer.start()
        shown = 0
        print(_row([name for name, _ in COLUMNS]), flush=True)
        try:
            while count is None or shown < count:
                for records in consumer.poll(timeout_ms=200).values():
                    for record in records:
                        person = json.loads(record.value)
                        print(_row([person["id"], person["name"], person["title"]]), flush=True)
                        shown += 1
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            producer.join(timeout=10)
            consumer.close()
        print(f"{shown} people shown", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo command and return its exit code."""
    parser = base_parser("python -m ksqlpy.demo", "Fake people through a real Kafka topic, live.")
    parser.add_argument("--topic", default="fake_people", help="topic (default: %(default)s)")
    parser.add_argument("--rate", type=float, default=2.0, help="people per second (default: 2)")
    parser.add_argument("--count", type=int, help="stop after showing this many people")
    parser.add_argument("--seed", type=int, help="make the people reproducible")
    args = parser.parse_args(argv)
    if args.rate <= 0:
        parser.error("--rate must be above 0")
    from kafka.errors import KafkaError

    try:
        return run(args.topic, args.rate, args.count, args.seed)
    except KeyboardInterrupt:
        return 130
    except (KsqlError, KafkaError) as exc:
        print(f"ksqlpy demo: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
