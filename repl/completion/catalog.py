"""The catalog completion reads: a frozen snapshot, replaced by a background refresh.

Typing never waits for the server: ``snapshot`` returns whatever was fetched last (empty at
first), and ``refresh()`` starts one background fetch (a second request while one runs is
folded into one more fetch after it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from ksqlpy import Client, KsqlError, SourceDescription, SourceDescriptionList

from .vocabulary import CatalogSnapshot, SourceMeta

T = TypeVar("T")


def _sources(client: Client, kind: str) -> list[SourceDescription]:
    entity = client.execute_statement(f"SHOW {kind} EXTENDED;")
    return list(entity.sources) if isinstance(entity, SourceDescriptionList) else []


def _meta(source: SourceDescription) -> SourceMeta:
    columns = tuple((f.name, str(f.type)) for f in source.fields)
    return SourceMeta(source.name, source.type or "STREAM", source.topic, columns)


def _try(fetch: Callable[[], T], default: T) -> T:
    try:
        return fetch()
    except KsqlError:
        return default


def load_catalog(client: Client, commands: Sequence[str] = ()) -> CatalogSnapshot:
    """Fetch sources with their columns (two requests), topics, functions, properties, queries
    and types; a part the server refuses (e.g. topics without Kafka) is left empty."""
    empty: tuple[str, ...] = ()
    none: list[SourceDescription] = []
    no_functions: dict[str, str] = {}
    sources = [
        *_try(lambda: _sources(client, "STREAMS"), none),
        *_try(lambda: _sources(client, "TABLES"), none),
    ]
    functions = _try(
        lambda: {
            f.name: f"{f.type.lower()} {f.category.lower()}".strip()
            for f in client.list_functions()
        },
        no_functions,
    )
    return CatalogSnapshot(
        sources={d.name.upper(): _meta(d) for d in sources},
        topics=_try(lambda: tuple(t.name for t in client.list_topics()), empty),
        functions=functions,
        properties=_try(lambda: tuple(p.name for p in client.list_properties().properties), empty),
        queries=_try(lambda: tuple(q.id for q in client.list_queries()), empty),
        types=_try(lambda: tuple(client.list_types()), empty),
        connectors=_try(lambda: tuple(c.name for c in client.list_connectors()), empty),
        commands=tuple(commands),
    )


class Catalog:
    """Holds the latest snapshot and refreshes it in a daemon thread."""

    def __init__(self, load: Callable[[], CatalogSnapshot], initial: CatalogSnapshot) -> None:
        self._load = load
        self._snapshot = initial
        self._lock = threading.Lock()
        self._again = False
        self._thread: threading.Thread | None = None
        self._closed = False
        self.error: KsqlError | None = None
        """The last failure of a refresh (the previous snapshot is kept)."""

    @property
    def snapshot(self) -> CatalogSnapshot:
        """The latest snapshot (never blocks)."""
        return self._snapshot

    def refresh(self) -> None:
        """Fetch a new snapshot in the background."""
        with self._lock:
            if self._closed:
                return
            if self._thread is not None and self._thread.is_alive():
                self._again = True
                return
            self._thread = threading.Thread(target=self._run, name="ksqlpy-catalog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                self._snapshot = self._load()
                self.error = None
            except KsqlError as error:
                self.error = error
            with self._lock:
                if not self._again:
                    return
                self._again = False

    def close(self, timeout: float = 5.0) -> None:
        """Let a running refresh finish (before its client closes); no refresh after this."""
        with self._lock:
            self._again = False
            self._closed = True
        self.wait(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a running refresh; True when none is running any more."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()
