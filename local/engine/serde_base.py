"""What every format's serde is: column values of one side of a record to bytes and back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .metastore import Column


class SerdeError(ValueError):
    """Bytes that do not deserialize under the source's format (the record is skipped)."""


class Serde:
    """Turns one side (key or value) of a record into column values and back."""

    def __init__(self, columns: Sequence[Column], unwrapped: bool = False) -> None:
        self.columns = tuple(columns)
        self.unwrapped = unwrapped

    def serialize(self, values: Sequence[Any]) -> bytes | None:
        """Bytes for the column values (``None`` for an all-null key)."""
        raise NotImplementedError

    def deserialize(self, data: bytes | None) -> list[Any]:
        """Column values from bytes; raises :class:`SerdeError`."""
        raise NotImplementedError
