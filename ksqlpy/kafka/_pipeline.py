"""Consume-transform-produce: read a topic, apply a function, write another topic."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ksqlpy._cli import default_bootstrap
from ksqlpy._errors import DeliveryError

from ._consumer import Consumer, Record, _Stopper, first_offsets, next_offsets
from ._guarantees import Guarantee
from ._producer import Headers, Producer


@dataclass(frozen=True, slots=True)
class Output:
    """A record for the sink topic, when the transform sets more than the value."""

    value: bytes | None
    key: bytes | None = None
    headers: Headers = ()


TransformResult = bytes | Output | Iterable[bytes | Output] | None
Transform = Callable[[Record], TransformResult]
Checkpoint = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class PipelineStats:
    """What a pipeline run did."""

    consumed: int
    produced: int
    batches: int
    seconds: float

    @property
    def records_per_second(self) -> float:
        """Consumed records per second."""
        return self.consumed / self.seconds if self.seconds > 0 else 0.0


def _outputs(record: Record, result: TransformResult) -> Iterable[Output]:
    if result is None:
        return ()
    if isinstance(result, bytes):
        return (Output(result, record.key, record.headers),)
    if isinstance(result, Output):
        return (result,)
    return [Output(r, record.key, record.headers) if isinstance(r, bytes) else r for r in result]


def pipeline(
    source_topic: str,
    sink_topic: str,
    fn: Transform,
    *,
    bootstrap_servers: str | None = None,
    guarantee: Guarantee | str = Guarantee.AT_LEAST_ONCE,
    group_id: str | None = None,
    transactional_id: str | None = None,
    max_records: int | None = None,
    idle_timeout: float | None = None,
    stop: threading.Event | None = None,
    batch_size: int = 500,
    timeout: float = 10.0,
    consumer_config: Mapping[str, Any] | None = None,
    producer_config: Mapping[str, Any] | None = None,
    checkpoint: Checkpoint | None = None,
) -> PipelineStats:
    """Read ``source_topic``, apply ``fn`` to each record, write the results to ``sink_topic``.

    ``fn`` returns ``None`` (filter the record out), ``bytes`` (the new value; key and headers are
    kept), an :class:`Output`, or an iterable of those (one record in, several out). Example::

        pipeline("orders", "big_orders", lambda r: r.value if b'"big"' in r.value else None,
                 bootstrap_servers="localhost:9092", guarantee="exactly-once", idle_timeout=5)

    Per batch, at-most-once commits the input offsets and then produces (acks=0); at-least-once
    produces, waits for every ack, then commits; exactly-once produces and commits the offsets in
    one transaction (``send_offsets_to_transaction``), so after a crash each input is either fully
    reflected or not at all for ``read_committed`` readers. The exactly-once ``transactional_id``
    defaults to one derived from the group, so a restarted pipeline fences its crashed predecessor
    and aborts its open transaction. ``checkpoint`` is called with ``"committed"`` and
    ``"produced"`` at those points of each batch (for tests that crash there, or for tracing).

    ``idle_timeout`` stops the run once no record came for that long *and* every assigned
    partition is read to its end (for exactly-once, its last committed transaction): polls
    that come back empty while a restarted member restores its positions are not idleness. A
    broker that stops answering is a BrokerUnavailableError after ``timeout`` seconds.
    """
    bootstrap_servers = bootstrap_servers or default_bootstrap()
    mode = Guarantee.parse(guarantee)
    group = group_id or f"ksqlpy-pipeline-{source_topic}-{sink_topic}"
    tx_id = transactional_id or (f"{group}-tx" if mode is Guarantee.EXACTLY_ONCE else None)
    stopper = _Stopper(max_records, idle_timeout, stop)
    mark = checkpoint or (lambda _point: None)
    started = time.monotonic()
    consumed = produced = batches = 0
    with (
        Producer(
            bootstrap_servers,
            guarantee=mode,
            transactional_id=tx_id,
            timeout=timeout,
            **dict(producer_config or {}),
        ) as producer,
        Consumer(
            bootstrap_servers,
            [source_topic],
            group_id=group,
            guarantee=mode,
            timeout=timeout,
            **dict(consumer_config or {}),
        ) as consumer,
    ):

        def send_all(records: list[Record]) -> int:
            count = 0
            for record in records:
                for out in _outputs(record, fn(record)):
                    producer.send(sink_topic, out.value, key=out.key, headers=out.headers)
                    count += 1
            return count

        while True:
            records = consumer.poll(0.2, max_records=stopper.remaining(consumed, batch_size))
            if records:
                batches += 1
                offsets = next_offsets(records)
                if mode is Guarantee.AT_MOST_ONCE:
                    consumer.commit(offsets)
                    mark("committed")
                    produced += send_all(records)
                    producer.flush()
                    mark("produced")
                elif mode is Guarantee.AT_LEAST_ONCE:
                    failed_before = producer.failed
                    produced += send_all(records)
                    producer.flush()
                    if producer.failed != failed_before:
                        raise DeliveryError(
                            f"{producer.failed - failed_before} record(s) could not be written to "
                            f"'{sink_topic}': {producer.last_error}; "
                            "input offsets were not committed"
                        )
                    mark("produced")
                    consumer.commit(offsets)
                    mark("committed")
                else:
                    producer.begin()
                    try:
                        count = send_all(records)
                        producer.flush()
                        mark("produced")
                        producer.send_offsets(offsets, consumer.group_metadata())
                        producer.commit()
                    except BaseException:
                        producer.abort()
                        consumer.seek(first_offsets(records))
                        raise
                    produced += count
                    mark("committed")
                consumed += len(records)
            assigned = bool(consumer.assignment())
            if stopper.should_stop(consumed, bool(records), assigned, consumer.caught_up):
                break
    return PipelineStats(consumed, produced, batches, time.monotonic() - started)
