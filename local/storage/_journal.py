"""The file storage's journal format: one line per change, each with its own checksum.

A line is ``CRC JSON\\n``: eight hex digits of the CRC-32 of the JSON text, a space, the JSON
(which never holds a raw newline) and a newline. A change is one line, so it is read back whole
or not at all: a line torn by a crash or damaged on disk fails its checksum and nothing of it is
applied. Offsets are not stored: records take the next offset of their partition as the lines
are replayed in order, exactly as they were appended.

Changes: ``["v", 1]`` (format version, the first line), ``["c", topic, partitions, replicas]``,
``["d", topic]``, ``["a", topic, partition, timestamp, key, value, headers]`` (one record),
``["g", group, [records...], [[topic, partition, offset]...]]`` (a commit: a query's output with
its consumer group's positions) and ``["x", group]`` (a group forgotten). Keys, values and header
values are base64 (or null).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from ._base import Headers, Pending, Positions, Record, TopicInfo
from ._memory import Batch, Change, GroupDeleted, TopicDeleted

VERSION = 1
HEADER = ["v", VERSION]
# One encoder for every line (json.dumps with options builds a new one per call).
_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)
_DECODER = json.JSONDecoder()


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _bytes(text: Any) -> bytes | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError("bytes must be base64 text")
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error as exc:
        raise ValueError(f"bad base64 ({exc})") from None


def frame(item: list[Any]) -> bytes:
    """One journal line for ``item`` (a JSON array), with its checksum."""
    text = _ENCODER.encode(item).encode()
    return b"%08x %s\n" % (zlib.crc32(text), text)


def _record_item(record: Record) -> list[Any]:
    return [
        record.topic,
        record.partition,
        record.timestamp,
        _b64(record.key),
        _b64(record.value),
        [[k, _b64(v)] for k, v in record.headers],
    ]


def encode(change: Change) -> bytes:
    """The journal line of a change."""
    if isinstance(change, Batch):
        if change.group is None and len(change.records) == 1:
            return frame(["a", *_record_item(change.records[0])])
        positions = [[t, p, o] for (t, p), o in (change.positions or {}).items()]
        records = [_record_item(r) for r in change.records]
        return frame(["g", change.group or "", records, positions])
    if isinstance(change, TopicInfo):
        return frame(["c", change.name, change.partitions, change.replicas])
    if isinstance(change, TopicDeleted):
        return frame(["d", change.name])
    return frame(["x", change.group])


@dataclass(frozen=True, slots=True)
class Appended:
    """A decoded append or commit: records still to be placed, and the group's positions."""

    records: list[Pending]
    group: str | None = None
    positions: Positions | None = None


Decoded = TopicInfo | TopicDeleted | GroupDeleted | Appended | int


def _pending(item: Any) -> Pending:
    topic, partition, stamp, key, value, headers = item
    if not (isinstance(topic, str) and isinstance(partition, int) and isinstance(stamp, int)):
        raise ValueError("malformed record")
    pairs: Headers = tuple((str(k), _bytes(v)) for k, v in headers) if headers else ()
    return Pending(topic, _bytes(key), _bytes(value), stamp, pairs, partition)


def decode(line: bytes) -> Decoded:
    """The change a journal line holds (an ``int``: the version line); ``ValueError`` when the
    line is torn or damaged (its checksum or content is wrong)."""
    if len(line) < 11 or line[8:9] != b" " or not line.endswith(b"\n"):
        raise ValueError("not a whole journal line")
    text = line[9:-1]
    try:
        crc = int(line[:8], 16)
    except ValueError:
        raise ValueError("no checksum") from None
    if zlib.crc32(text) != crc:
        raise ValueError("checksum mismatch")
    try:
        item = _DECODER.decode(text.decode())
        kind = item[0]
        if kind == "a":
            return Appended([_pending(item[1:])])
        if kind == "g":
            records = [_pending(r) for r in item[2]]
            positions = {(str(t), int(p)): int(o) for t, p, o in item[3]}
            return Appended(records, str(item[1]), positions)
        if kind == "c":
            return TopicInfo(str(item[1]), int(item[2]), int(item[3]))
        if kind == "d":
            return TopicDeleted(str(item[1]))
        if kind == "x":
            return GroupDeleted(str(item[1]))
        if kind == "v":
            return int(item[1])
    except (TypeError, IndexError, KeyError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed change ({exc})") from None
    raise ValueError(f"unknown change {kind!r}")


@dataclass(frozen=True, slots=True)
class Line:
    """A line read back: where it starts, and its change or why it cannot be used."""

    offset: int
    change: Decoded | None
    problem: str = ""
    size: int = 0


def lines(handle: BinaryIO) -> Iterator[Line]:
    """Every line of a journal from the start, decoded (damaged ones with their problem)."""
    offset = 0
    for raw in handle:
        try:
            yield Line(offset, decode(raw), size=len(raw))
        except ValueError as exc:
            yield Line(offset, None, str(exc), len(raw))
        offset += len(raw)


__all__ = ["HEADER", "VERSION", "Appended", "Line", "decode", "encode", "frame", "lines"]
