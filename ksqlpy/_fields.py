"""Typed reads of the JSON fields ksqlDB answers with: a missing or mistyped field reads as
its empty value (the entity keeps the raw JSON beside it), never as an exception."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Raw = Mapping[str, Any]


def text(raw: Raw, key: str, default: str = "") -> str:
    value = raw.get(key)
    return default if value is None else str(value)


def optional_text(raw: Raw, key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else str(value)


def integer(raw: Raw, key: str, default: int = 0) -> int:
    value = raw.get(key)
    return value if isinstance(value, int) else default


def flag(raw: Raw, key: str) -> bool:
    return bool(raw.get(key, False))


def items(raw: Raw, key: str) -> list[Any]:
    value = raw.get(key)
    return value if isinstance(value, list) else []


def objects(raw: Raw, key: str) -> list[Raw]:
    return [item for item in items(raw, key) if isinstance(item, Mapping)]


def texts(raw: Raw, key: str) -> tuple[str, ...]:
    return tuple(str(item) for item in items(raw, key))
