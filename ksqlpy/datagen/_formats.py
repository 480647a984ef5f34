"""Serialisers of generated records: JSON, DELIMITED (CSV rules, as ksqlDB reads it) and KAFKA."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

from ksqlpy._errors import DatagenError

from ._schema import Schema

Encoder = Callable[[dict[str, Any]], bytes | None]
FORMATS = ("json", "delimited", "kafka")

_PACKERS: dict[str, Callable[[Any], bytes]] = {
    "INT": struct.Struct(">i").pack,
    "BIGINT": struct.Struct(">q").pack,
    "DOUBLE": struct.Struct(">d").pack,
}


def _json() -> Callable[[Any], bytes]:
    encode = json.JSONEncoder(separators=(",", ":")).encode
    return lambda value: encode(value).encode()


def _delimited_text(value: Any, delimiter: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if delimiter in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _scalar(value_type: str, fmt: str, what: str) -> Callable[[Any], bytes]:
    """Encode one column in the KAFKA format (big-endian numbers, UTF-8 strings)."""
    if value_type in _PACKERS:
        return _PACKERS[value_type]
    if value_type == "STRING":
        return lambda v: str(v).encode()
    raise DatagenError(f"the {fmt} format cannot hold {what} of type {value_type}")


def value_encoder(schema: Schema, fmt: str, delimiter: str = ",") -> Encoder:
    """Return ``record -> bytes`` for the value in format ``fmt``."""
    if fmt == "json":
        return _json()
    names = schema.field_names
    if fmt == "delimited":
        nested = [f.name for f in schema.fields if f.gen in ("struct", "array")]
        if nested:
            raise DatagenError(
                f"the delimited format has flat columns only; {', '.join(nested)} "
                "is nested: use --format json"
            )
        if len(delimiter) != 1:
            raise DatagenError("--delimiter must be one character")
        join = delimiter.join
        return lambda record: join([_delimited_text(record[n], delimiter) for n in names]).encode()
    if fmt == "kafka":
        if len(names) != 1:
            raise DatagenError(
                f"the kafka format holds a single column, but {schema.source} has "
                f"{len(names)} fields; use --format json or delimited"
            )
        (only,) = schema.fields
        pack, name = _scalar(only.ksql_type, "kafka", f"field '{only.name}'"), only.name
        return lambda record: None if record[name] is None else pack(record[name])
    raise DatagenError(f"unknown format '{fmt}'; choose one of {', '.join(FORMATS)}")


def key_encoder(schema: Schema, fmt: str = "kafka") -> Encoder:
    """Return ``record -> key bytes`` for the schema's key field (``None`` when it has none)."""
    if schema.key is None:
        return lambda record: None
    key_field = schema.field(schema.key)
    name = key_field.name
    if fmt == "kafka":
        pack = _scalar(key_field.ksql_type, "kafka key", f"key field '{name}'")
        return lambda record: None if record[name] is None else pack(record[name])
    if fmt == "json":
        encode = _json()
        return lambda record: encode(record[name])
    if fmt == "delimited":
        if key_field.gen in ("struct", "array"):
            raise DatagenError(f"the delimited key format cannot hold nested field '{name}'")
        return lambda record: _delimited_text(record[name], ",").encode()
    raise DatagenError(f"unknown key format '{fmt}'; choose one of {', '.join(FORMATS)}")
