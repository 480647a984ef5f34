"""Key and value formats: KAFKA, JSON, DELIMITED and PROTOBUF_NOSR, with ksqlDB's rules.

Schema-registry formats (AVRO, PROTOBUF, JSON_SR) are refused where a source is created.
"""

from __future__ import annotations

import csv
import struct
from collections.abc import Callable, Sequence
from typing import Any

from .convert import CoercionError, java_double_text
from .delimited_text import delimited_parser
from .errors import KsqlStatementError
from .json_serde import JsonSerde, json_value
from .metastore import Column
from .protobuf import ProtobufError, checked_types, decode_row, encode_row
from .serde_base import Serde, SerdeError
from .types import SqlType

NEEDS_REGISTRY = ("AVRO", "PROTOBUF", "JSON_SR")


class NoneSerde(Serde):
    """``NONE``: no columns, ignores the bytes."""

    def __init__(self, columns: Sequence[Column], unwrapped: bool = False) -> None:
        super().__init__(columns, unwrapped)
        if self.columns:
            names = ", ".join(persistence_text(c) for c in self.columns)
            raise KsqlStatementError(
                f"The 'NONE' format can only be used when no columns are defined. Got: [{names}]"
            )

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        return None

    def deserialize(self, data: bytes | None) -> list[Any]:
        return []


_KAFKA_PACK: dict[str, struct.Struct] = {
    "INTEGER": struct.Struct(">i"),
    "BIGINT": struct.Struct(">q"),
    "DOUBLE": struct.Struct(">d"),
}


class EmptyValueSerde(Serde):
    """The value of a source with key columns only: present but empty (``{}`` in JSON), so
    records are not mistaken for deletions."""

    def __init__(self, fmt: str) -> None:
        super().__init__(())
        self.bytes = b"{}" if fmt == "JSON" else b""

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        return self.bytes

    def deserialize(self, data: bytes | None) -> list[Any]:
        return []


class KafkaSerde(Serde):
    """``KAFKA``: Kafka's primitive serializers, one column only."""

    def __init__(self, columns: Sequence[Column], unwrapped: bool = False) -> None:
        super().__init__(columns, unwrapped)
        if len(self.columns) > 1:
            names = ", ".join(persistence_text(c) for c in self.columns)
            raise KsqlStatementError(
                f"The 'KAFKA' format only supports a single field. Got: [{names}]"
            )
        if self.columns and self.columns[0].type.base not in (
            "INTEGER",
            "BIGINT",
            "DOUBLE",
            "STRING",
            "BYTES",
        ):
            column = self.columns[0]
            raise KsqlStatementError(
                f"The 'KAFKA' format does not support type '{column.type.base}'"
            )

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        if not self.columns or values[0] is None:
            return None
        value, base = values[0], self.columns[0].type.base
        if base in _KAFKA_PACK:
            try:
                return _KAFKA_PACK[base].pack(value)
            except struct.error as exc:
                raise SerdeError(f"Cannot write {value!r} as KAFKA {base}: {exc}") from exc
        if base == "STRING":
            return str(value).encode("utf-8")
        return bytes(value)

    def deserialize(self, data: bytes | None) -> list[Any]:
        if not self.columns:
            return []
        if data is None:
            return [None]
        base = self.columns[0].type.base
        if base in _KAFKA_PACK:
            packer = _KAFKA_PACK[base]
            if len(data) != packer.size:
                raise SerdeError(
                    f"Size of data received by {base} deserializer is not {packer.size}"
                )
            return [packer.unpack(data)[0]]
        if base == "STRING":
            try:
                return [data.decode("utf-8")]
            except UnicodeDecodeError as exc:
                raise SerdeError(str(exc)) from exc
        return [data]


# -- DELIMITED ------------------------------------------------------------------------------------


def _delimited_text(value: Any, kind: SqlType) -> str:
    if value is None:
        return ""
    if kind.base == "BOOLEAN":
        return "true" if value else "false"
    if kind.base == "DECIMAL":
        return format(value, "f")
    if kind.base == "DOUBLE":
        return java_double_text(float(value))
    if kind.base in ("TIMESTAMP", "DATE", "TIME", "BYTES"):
        return str(json_value(value, kind))
    return str(value)


def _csv_field(text: str | None, first: bool, delimiter: str) -> str:
    """A field as ksqlDB's CSV printer (commons-csv 1.4, minimal quoting) writes it: quoted
    when the record starts with a non-alphanumeric, when it starts with a character up to '#',
    holds a quote, delimiter or line break, or ends in a space or control character; NULL is
    an empty field, an empty string first in the record is ``""``."""
    if text is None:
        return ""
    if not text:
        return '""' if first else ""
    head = text[0]
    quote = (
        (first and not (head.isascii() and head.isalnum()))
        or head <= "#"
        or any(c in text for c in ("\n", "\r", '"', delimiter))
        or text[-1] <= " "
    )
    return '"' + text.replace('"', '""') + '"' if quote else text


class DelimitedSerde(Serde):
    """``DELIMITED``: one CSV line of the columns, in order; empty fields are null."""

    def __init__(
        self,
        columns: Sequence[Column],
        unwrapped: bool = False,
        delimiter: str = ",",
        key: bool = True,
    ) -> None:
        super().__init__(columns, unwrapped)
        self.delimiter, self.key = delimiter, key  # a value of NULLs is still a line (",")
        for column in self.columns:
            if column.type.base in ("ARRAY", "MAP", "STRUCT"):
                raise KsqlStatementError(
                    f"The 'DELIMITED' format does not support type '{column.type.base}', "
                    f"column: `{column.name}`"
                )
        self.parsers = [delimited_parser(c.type) for c in self.columns]

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        if not self.columns or (self.key and all(v is None for v in values)):
            return None
        fields = [
            _csv_field(None if v is None else _delimited_text(v, c.type), i == 0, self.delimiter)
            for i, (c, v) in enumerate(zip(self.columns, values, strict=True))
        ]
        return self.delimiter.join(fields).encode("utf-8")

    def deserialize(self, data: bytes | None) -> list[Any]:
        if not self.columns:
            return []
        if data is None:
            return [None] * len(self.columns)
        try:
            (fields,) = list(csv.reader([data.decode("utf-8")], delimiter=self.delimiter))
        except (ValueError, UnicodeDecodeError, csv.Error) as exc:
            raise SerdeError(f"Failed to deserialize delimited record: {exc}") from exc
        if len(fields) != len(self.columns):
            raise SerdeError(
                f"Column count mismatch on deserialization. topic: expected: "
                f"{len(self.columns)}, got: {len(fields)}"
            )
        out: list[Any] = []
        for text, parse in zip(fields, self.parsers, strict=True):
            if text == "":
                out.append(None)
                continue
            try:
                out.append(parse(text))
            except (CoercionError, ValueError) as exc:
                raise SerdeError(str(exc)) from exc
        return out


class WindowedSerde(Serde):
    """A windowed key: the inner key's bytes, then the window bounds as big-endian longs.

    Time windows (TUMBLING, HOPPING) append the start; SESSION windows append end then start.
    Values are the key columns followed by WINDOWSTART and WINDOWEND.
    """

    def __init__(self, inner: Serde, kind: str, size_ms: int | None) -> None:
        super().__init__(inner.columns, inner.unwrapped)
        self.inner = inner
        self.session = kind == "SESSION"
        self.size_ms = size_ms or 0

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        start, end = values[-2], values[-1]
        key = self.inner.serialize(values[:-2]) or b""
        if self.session:
            return key + struct.pack(">qq", end, start)
        return key + struct.pack(">q", start)

    def deserialize(self, data: bytes | None) -> list[Any]:
        if data is None:
            return [*self.inner.deserialize(None), None, None]
        if self.session:
            if len(data) < 16:
                raise SerdeError("Session-windowed key shorter than 16 bytes")
            end, start = struct.unpack(">qq", data[-16:])
            body = data[:-16]
        else:
            if len(data) < 8:
                raise SerdeError("Time-windowed key shorter than 8 bytes")
            (start,) = struct.unpack(">q", data[-8:])
            end = start + self.size_ms
            body = data[:-8]
        return [*self.inner.deserialize(body or None), start, end]


class ProtobufNoSrSerde(Serde):
    """``PROTOBUF_NOSR``: a protobuf message of the columns (see :mod:`.protobuf`); a single
    unwrapped column is still field 1 of a message, but a null one is no message at all."""

    def __init__(self, columns: Sequence[Column], unwrapped: bool = False) -> None:
        super().__init__(columns, unwrapped)
        self.kinds = checked_types(self.columns)

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        if not self.columns or (self.unwrapped and values[0] is None):
            return None
        try:
            return encode_row(self.kinds, values)
        except (TypeError, ValueError, AttributeError, struct.error) as exc:
            raise SerdeError(f"Cannot write {list(values)!r} as PROTOBUF_NOSR: {exc}") from exc

    def deserialize(self, data: bytes | None) -> list[Any]:
        if data is None:
            return [None] * len(self.columns)
        try:
            return decode_row(self.kinds, data)
        except ProtobufError as exc:
            raise SerdeError(f"Failed to deserialize PROTOBUF_NOSR data: {exc}") from exc


_FACTORIES: dict[str, Callable[..., Serde]] = {
    "KAFKA": KafkaSerde,
    "JSON": JsonSerde,
    "DELIMITED": DelimitedSerde,
    "NONE": NoneSerde,
    "PROTOBUF_NOSR": ProtobufNoSrSerde,
}


def persistence_text(column: Column) -> str:
    """A column as ksqlDB's serde errors print it: `` `NAME` TYPE [KEY]``."""
    return f"`{column.name}` {column.type}" + (" KEY" if column.role == "KEY" else "")


def check_format(name: str, side: str) -> str:
    """Upper-case a format name, refusing unknown ones and those needing a schema registry."""
    upper = name.upper()
    if upper in NEEDS_REGISTRY:
        raise KsqlStatementError(
            f"Cannot use {upper} as {side} format: the ksqlpy local server has no Schema "
            "Registry. Use JSON, DELIMITED or KAFKA, or run a real ksqlDB with Schema Registry.",
            code=42801,
        )
    if upper not in _FACTORIES:
        raise KsqlStatementError(f"Unknown format: {name}")
    return upper


def make_serde(
    fmt: str, columns: Sequence[Column], *, unwrapped: bool, delimiter: str = ",", key: bool = True
) -> Serde:
    """The serde of a format over some columns (a record's key, or its value)."""
    factory = _FACTORIES[fmt]
    if fmt == "DELIMITED":
        return DelimitedSerde(columns, unwrapped, delimiter, key)
    return factory(columns, unwrapped)
