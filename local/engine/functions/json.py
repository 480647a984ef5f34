"""JSON functions (EXTRACTJSONFIELD, JSON_CONCAT, JSON_KEYS, TO_JSON_STRING, ...).

JSON text is read as ksqlDB's Jackson mapper reads it: the first value of the text (anything after
it is ignored), numbers with a fraction kept exact (``1.23450`` stays ``1.23450``); it is written
compact, with non-ASCII characters as they are.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import math
from decimal import Decimal
from typing import Any

from ..convert import format_time, format_timestamp, java_double_text
from ..types import BOOLEAN, INTEGER, STRING, ArrayType, MapType
from .registry import fixed, register

JSON = "JSON"
_DECODER = json.JSONDecoder(parse_float=Decimal)
_MISSING = object()


def parse(text: str) -> Any:
    """The first JSON value of a text, or ``_MISSING`` for blank text; ValueError if invalid."""
    stripped = text.lstrip()
    if not stripped:
        return _MISSING
    try:
        return _DECODER.raw_decode(stripped)[0]
    except json.JSONDecodeError as exc:
        raise ValueError(f"Invalid JSON format:{text}") from exc


def write(node: Any) -> str:
    """A JSON value as compact text, with exact decimals written plainly."""
    if type(node) is int:
        return str(node)
    if isinstance(node, dict):
        return (
            "{"
            + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{write(v)}" for k, v in node.items())
            + "}"
        )
    if isinstance(node, list):
        return "[" + ",".join(write(v) for v in node) + "]"
    if isinstance(node, Decimal):
        return format(node, "f")
    if isinstance(node, float):
        return java_double_text(node) if math.isfinite(node) else f'"{java_double_text(node)}"'
    return json.dumps(node, ensure_ascii=False)


def _text(node: Any) -> str:
    return node if isinstance(node, str) else write(node)


@functools.lru_cache(maxsize=256)
def _path(path: str) -> tuple[str, ...]:
    """The tokens of a JSONPath like ``$.a['b'][0]``."""
    tokens = []
    for raw in path.lstrip("$").replace("[", ".").replace("]", "").split("."):
        token = raw.strip("'\"")
        if token:
            tokens.append(token)
    return tuple(tokens)


def _extract(text: str, path: str) -> str | None:
    node = parse(text)
    for token in _path(path):
        if isinstance(node, list):
            if not token.lstrip("-").isdigit():
                return None
            index = int(token)
            node = node[index] if 0 <= index < len(node) else _MISSING
        elif isinstance(node, dict):
            node = node.get(token, _MISSING)
        else:
            return None
        if node is _MISSING:
            return None
    return None if node is _MISSING else _text(node)


def _is_json(text: str | None) -> bool:
    if text is None:
        return False
    try:
        return parse(text) is not _MISSING
    except ValueError:
        return False


def _array_contains(text: str | None, value: Any) -> bool:
    if text is None:
        return False
    try:
        node = parse(text)
    except ValueError:
        return False
    if not isinstance(node, list):
        return False
    for item in node:
        if item is None and value is None:
            return True
        if value is None or item is None or isinstance(item, (list, dict)):
            continue
        # As the JSON token kinds ksqlDB compares: integers with INT/BIGINT, fractions with
        # DOUBLE, strings with STRING, booleans with BOOLEAN.
        if isinstance(item, bool) or isinstance(value, bool):
            if isinstance(item, bool) and isinstance(value, bool) and item == value:
                return True
        elif isinstance(item, int) and isinstance(value, int):
            if item == value:
                return True
        elif isinstance(item, Decimal) and isinstance(value, float):
            if float(item) == value:
                return True
        elif isinstance(item, str) and isinstance(value, str) and item == value:
            return True
    return False


def _array_length(text: str) -> int | None:
    node = parse(text)
    return len(node) if isinstance(node, list) else None


def _keys(text: str) -> list[str] | None:
    node = parse(text)
    return list(node) if isinstance(node, dict) else None


def _records(text: str) -> dict[str, str] | None:
    node = parse(text)
    return {k: _text(v) for k, v in node.items()} if isinstance(node, dict) else None


def _items(text: str) -> list[str]:
    node = parse(text)
    if not isinstance(node, list):
        raise ValueError(f"Invalid JSON format:{text}")
    return [write(v) for v in node]


def _concat(*texts: str | None) -> str | None:
    nodes = []
    for text in texts:
        if text is None:
            return None
        node = parse(text)
        if node is _MISSING:
            return None
        nodes.append(node)
    if all(isinstance(n, dict) for n in nodes):
        merged: dict[str, Any] = {}
        for node in nodes:
            merged.update(node)
        return write(merged)
    out: list[Any] = []
    for node in nodes:
        out += node if isinstance(node, list) else [node]
    return write(out)


def _prepare(value: Any) -> Any:
    """A SQL value as the JSON value TO_JSON_STRING writes (maps and structs by sorted key)."""
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return format_time(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): _prepare(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_prepare(v) for v in value]
    return value


register(
    "EXTRACTJSONFIELD",
    _extract,
    fixed(STRING),
    JSON,
    "Given a STRING that contains JSON data, extract the value at the specified  JSONPath or "
    "NULL if the specified path does not exist.",
    2,
    signatures=["STRING, STRING"],
)
register(
    "IS_JSON_STRING",
    _is_json,
    fixed(BOOLEAN),
    JSON,
    "Given a string, returns true if it can be parsed as a valid JSON value, false otherwise.",
    1,
    strict=False,
    signatures=["STRING"],
)
register(
    "JSON_ARRAY_CONTAINS",
    _array_contains,
    fixed(BOOLEAN),
    JSON,
    "Parses a JSON array and determines whether or not the supplied value is contained within "
    "the array.",
    2,
    strict=False,
    signatures=["STRING, T"],
)
register(
    "JSON_ARRAY_LENGTH",
    _array_length,
    fixed(INTEGER),
    JSON,
    "Given a string, parses it as a JSON value and returns the length of the top-level array. "
    "Returns NULL if the string can't be interpreted as a JSON array, for example, when the "
    "string is `NULL` or it does not contain valid JSON, or the JSON value is not an array.",
    1,
    signatures=["STRING"],
)
register(
    "JSON_CONCAT",
    _concat,
    fixed(STRING),
    JSON,
    "Given N strings, parse them as JSON values and return a string representing their "
    "concatenation. Concatenation rules are identical to PostgreSQL's || operator.",
    1,
    1000,
    strict=False,
    signatures=["STRING..."],
)
register(
    "JSON_ITEMS",
    _items,
    fixed(ArrayType("ARRAY", STRING)),
    JSON,
    "Given a string with JSON array, converts it to a ksqlDB array of JSON strings. Returns "
    "`NULL` if the string can not be interpreted as a JSON array, for example, when the string "
    "is `NULL` or it does not contain valid JSON, or the JSON value is not an array.",
    1,
    signatures=["STRING"],
)
register(
    "JSON_KEYS",
    _keys,
    fixed(ArrayType("ARRAY", STRING)),
    JSON,
    "Given a string, parses it as a JSON object and returns a ksqlDB array of strings "
    "representing the top-level keys. Returns NULL if the string can't be interpreted as a "
    "JSON object, for example, when the string is NULL or it does not contain valid JSON, or "
    "the JSON value is not an object.",
    1,
    signatures=["STRING"],
)
register(
    "JSON_RECORDS",
    _records,
    fixed(MapType("MAP", STRING, STRING)),
    JSON,
    "Given a string, parses it as a JSON object and returns a map representing the top-level "
    "keys and values. Returns `NULL` if the string can't be interpreted as a JSON object, i.e. "
    "it is `NULL` or it does not contain valid JSON, or the JSON value is not an object.",
    1,
    signatures=["STRING"],
)
register(
    "TO_JSON_STRING",
    lambda value: write(_prepare(value)),
    fixed(STRING),
    JSON,
    "Given any ksqlDB type returns the equivalent JSON string.",
    1,
    strict=False,
    signatures=["T"],
)
