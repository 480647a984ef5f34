"""Rows of ``/inserts-stream``: JSON objects coerced into a source's columns and appended."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from ..storage import Record
from .convert import CoercionError, coerce
from .errors import InsertFailed
from .json_serde import already_typed
from .metastore import Source
from .rows import key_serde, value_serde
from .runtime import Runtime


class StreamInserter:
    """Inserts JSON rows into one source; field names match columns case-insensitively."""

    def __init__(self, runtime: Runtime, source: Source) -> None:
        self.runtime = runtime
        self.source = source
        self.by_upper = {c.name.upper(): c for c in source.keys + source.values}
        self.by_name = {c.name: c for c in source.keys + source.values}
        # Values that already have their column's JSON type need no coercion.
        self.typed = {c.name: already_typed(c.type) for c in source.keys + source.values}
        self.keys = key_serde(source)
        self.values = value_serde(source)

    def insert(self, row: Any) -> Future[Record]:
        """Coerce one row and start appending it, or raise :class:`InsertFailed` with ksqlDB's
        message; the future says when the row is stored (an OSError when it could not be)."""
        given: dict[str, Any] = {}
        for field, value in row.items():
            if field.startswith("`") and field.endswith("`"):
                column = self.by_name.get(field[1:-1])
            else:
                column = self.by_name.get(field) or self.by_upper.get(field.upper())
            if column is None:
                if field.upper() == "ROWTIME":
                    given["ROWTIME"] = value
                    continue
                raise InsertFailed(40000, f"Column name {field.upper()} does not exist.")
            if self.typed[column.name](value):
                given[column.name] = value
                continue
            try:
                given[column.name] = coerce(value, column.type)
            except CoercionError as exc:
                raise InsertFailed(40000, str(exc)) from exc
        for key in self.source.keys:
            if given.get(key.name) is None:
                raise InsertFailed(40000, f"Key field must be specified: {key.name}")
        return self.runtime.send_row(self.source, given, self.keys, self.values)

    def done(self) -> None:
        """Let persistent queries over this source process the rows just inserted."""
        self.runtime.pump()
