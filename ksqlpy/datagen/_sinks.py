"""Where generated records go: the :class:`Sink` protocol, Kafka, and stdout for dry runs.

A sink takes records as dicts (not bytes) so that a sink with its own encoding, such as ksqlDB's
``/inserts-stream`` which takes JSON rows, fits the same protocol.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from ._formats import Encoder

if TYPE_CHECKING:
    from ksqlpy.kafka import Producer


PRODUCER_LINGER_MS = 5


class Sink(Protocol):
    """A destination of generated records, with delivery counters for the progress line."""

    @property
    def sent(self) -> int:
        """Records handed to the sink."""

    @property
    def acked(self) -> int:
        """Records the destination confirmed."""

    @property
    def errors(self) -> int:
        """Records the destination refused or lost."""

    @property
    def last_error(self) -> str | None:
        """The most recent delivery error, if any."""

    @property
    def target(self) -> str:
        """A short description of the destination, for messages."""

    @property
    def failed(self) -> bool:
        """True once a delivery failure ends the run (the loop stops; ``last_error`` says why)."""

    def send(self, record: dict[str, Any], timestamp_ms: int | None) -> None:
        """Queue one record (``timestamp_ms`` None: the destination stamps it)."""

    def flush(self, timeout: float | None = None) -> None:
        """Make every record sent so far durable (commits an open transaction)."""

    def close(self, timeout: float | None = None) -> None:
        """Flush (at most ``timeout`` s if given) and release the connection; idempotent.

        What could not be delivered by then counts in ``errors`` (KsqlError says so).
        """


class KafkaSink:
    """Send records to a Kafka topic through :class:`ksqlpy.kafka.Producer`.

    With the exactly-once guarantee the records go in transactions of ``transaction_size``
    records (readers with ``read_committed`` see them only when their transaction commits).
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        *,
        key_encoder: Encoder,
        value_encoder: Encoder,
        headers: Sequence[tuple[str, bytes]] = (),
        guarantee: str = "at-least-once",
        transaction_size: int = 1000,
        transactional_id: str | None = None,
        timeout: float = 10.0,
        producer_config: Mapping[str, Any] | None = None,
    ) -> None:
        from ksqlpy.kafka import Guarantee, Producer

        self.topic = topic
        self.target = f"Kafka topic '{topic}' at {bootstrap_servers}"
        mode = Guarantee.parse(guarantee)
        self._transactional = mode is Guarantee.EXACTLY_ONCE
        if self._transactional and transaction_size < 1:
            raise ValueError("transaction_size must be 1 or more")
        tx_id = None
        if self._transactional:
            tx_id = transactional_id or f"ksqlpy-datagen-{topic}-{uuid.uuid4().hex[:8]}"
        # linger_ms=5 is Apache Kafka 4.0's producer default (KIP-1030); kafka-python keeps 0,
        # which sends one request per record under load. Given settings win.
        settings: dict[str, Any] = {"linger_ms": PRODUCER_LINGER_MS, **(producer_config or {})}
        self._producer: Producer = Producer(
            bootstrap_servers,
            guarantee=mode,
            transactional_id=tx_id,
            timeout=timeout,
            **settings,
        )
        # Fetch the topic's metadata now: the first send would otherwise wait for it, and a
        # paced run would start behind its schedule.
        self._producer.partitions_for(topic)
        self._tx_size = transaction_size
        self._in_tx = 0  # records in the open transaction
        self._key = key_encoder
        self._value = value_encoder
        self._headers = list(headers) or None
        self._send = self._producer.send
        self._closed = False
        # Kafka delivery errors are counted per record and the run goes on, until the producer
        # finds the broker gone (BrokerUnavailableError from send ends the run).
        self.failed = False

    @property
    def sent(self) -> int:
        """Records handed to the producer."""
        return self._producer.sent

    @property
    def acked(self) -> int:
        """Records the broker acknowledged (with acks=0: records written to the socket)."""
        return self._producer.acked

    @property
    def errors(self) -> int:
        """Records the broker refused or that timed out."""
        return self._producer.failed

    @property
    def last_error(self) -> str | None:
        """The most recent delivery error."""
        error = self._producer.last_error
        return None if error is None else str(error)

    def send(self, record: dict[str, Any], timestamp_ms: int | None) -> None:
        """Encode and queue one record."""
        if self._transactional:
            if self._in_tx == 0:
                self._producer.begin()
            self._in_tx += 1
        self._send(
            self.topic,
            self._value(record),
            key=self._key(record),
            headers=self._headers,
            timestamp_ms=timestamp_ms,
        )
        if self._transactional and self._in_tx >= self._tx_size:
            self._producer.commit()
            self._in_tx = 0

    def flush(self, timeout: float | None = None) -> None:
        """Wait for every acknowledgement; commit the open transaction."""
        if self._in_tx:
            self._producer.commit()
            self._in_tx = 0
        else:
            self._producer.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Commit the open transaction, flush and close the producer (bounded); idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._in_tx:
                self._in_tx = 0
                self._producer.commit()
        finally:
            self._producer.close(timeout)


class PrintSink:
    """Write ``key<TAB>value`` lines to a text stream (``--dry-run``): no broker needed."""

    def __init__(
        self, key_encoder: Encoder, value_encoder: Encoder, out: TextIO | None = None
    ) -> None:
        self._key = key_encoder
        self._value = value_encoder
        self._out = out or sys.stdout
        self.target = "stdout"
        self.sent = 0
        self.errors = 0
        self.last_error: str | None = None
        self.failed = False

    @property
    def acked(self) -> int:
        """Every printed record counts as acknowledged."""
        return self.sent

    @staticmethod
    def _text(data: bytes | None) -> str:
        if data is None:
            return "null"
        try:
            text = data.decode()
        except UnicodeDecodeError:
            return "0x" + data.hex()
        # Numbers in the KAFKA format are raw big-endian bytes: show them as hex too.
        return text if text.isprintable() else "0x" + data.hex()

    def send(self, record: dict[str, Any], timestamp_ms: int | None) -> None:
        """Print one record."""
        self._out.write(f"{self._text(self._key(record))}\t{self._text(self._value(record))}\n")
        self.sent += 1

    def flush(self, timeout: float | None = None) -> None:
        """Flush the stream."""
        self._out.flush()

    def close(self, timeout: float | None = None) -> None:
        """Flush the stream (it is not closed: it may be stdout)."""
        self.flush()
