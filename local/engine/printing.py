"""PRINT 'topic' [FROM BEGINNING] [INTERVAL n] [LIMIT n]: a topic's records as text lines.

Lines follow ksqlDB's record formatter: ``Key format: ...`` and ``Value format: ...`` first, then
``rowtime: 2024/01/02 10:00:00.000 Z, key: 1, value: {"A":1}, partition: 0`` per record.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import struct

from ..storage import Log, Record

WAIT_S = 1.0


def _guess(data: bytes | None) -> tuple[str, str]:
    """A format name and the printed text of one key or value."""
    if data is None:
        return "", "<null>"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if not text.isprintable() or not text:
        # Binary: Kafka's integer serializers write 4 or 8 big-endian bytes.
        if len(data) == 4:
            return "KAFKA_INT", str(struct.unpack(">i", data)[0])
        if len(data) == 8:
            return "KAFKA_BIGINT", str(struct.unpack(">q", data)[0])
        if not text:
            return "KAFKA_BYTES", data.hex()
    try:
        value = json.loads(text)
    except ValueError:
        return "KAFKA_STRING", text
    if isinstance(value, (dict, list)):
        return "JSON", json.dumps(value, separators=(",", ":"))
    return "KAFKA_STRING", text


def _rowtime(millis: int) -> str:
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=millis)
    return moment.strftime("%Y/%m/%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} Z"


class TopicPrinter:
    """A running PRINT: follows a topic's partitions and renders records as lines."""

    def __init__(
        self,
        log: Log,
        topic: str,
        from_beginning: bool,
        interval: int,
        limit: int | None,
    ) -> None:
        self.log = log
        self.topic = topic
        self.interval = max(interval, 1)
        self.limit = limit
        ends = log.end_offsets(topic)
        self.positions = [0] * len(ends) if from_beginning else list(ends)
        self.seen = 0
        self.printed = 0
        self.header_done = False
        self.closed = asyncio.Event()

    def close(self) -> None:
        """Stop printing."""
        self.closed.set()

    def _line(self, record: Record) -> str:
        _, key = _guess(record.key)
        _, value = _guess(record.value)
        return (
            f"rowtime: {_rowtime(record.timestamp)}, key: {key}, value: {value}, "
            f"partition: {record.partition}"
        )

    def _collect(self) -> list[Record]:
        log = self.log
        out: list[Record] = []
        for partition, position in enumerate(self.positions):
            records = log.read(self.topic, partition, position, 500)
            if records:
                self.positions[partition] = records[-1].offset + 1
                out.extend(records)
        return sorted(out, key=lambda r: (r.timestamp, r.partition, r.offset))

    async def next_lines(self) -> list[str] | None:
        """Lines ready now (waiting for records), or ``None`` at the end."""
        log = self.log
        while not self.closed.is_set():
            if self.limit is not None and self.printed >= self.limit:
                return None
            version = log.version(self.topic)
            records = self._collect()
            lines: list[str] = []
            for record in records:
                if not self.header_done:
                    key_format = _guess(record.key)[0] or "¯\\_(ツ)_/¯ - no data processed"
                    value_format = _guess(record.value)[0] or "¯\\_(ツ)_/¯ - no data processed"
                    lines += [f"Key format: {key_format}", f"Value format: {value_format}"]
                    self.header_done = True
                self.seen += 1
                if (self.seen - 1) % self.interval:
                    continue
                lines.append(self._line(record))
                self.printed += 1
                if self.limit is not None and self.printed >= self.limit:
                    break
            if lines:
                return lines
            waiter = asyncio.ensure_future(log.wait(self.topic, version, WAIT_S))
            closer = asyncio.ensure_future(self.closed.wait())
            try:
                await asyncio.wait({waiter, closer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (waiter, closer):
                    task.cancel()
        return None
