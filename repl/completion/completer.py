"""The prompt-toolkit completer: the buffer and the catalog snapshot go to ``suggest``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from .suggest import suggest
from .vocabulary import CatalogSnapshot


class KsqlCompleter(Completer):
    """Completions from the latest snapshot plus the session's variables (read at each key)."""

    def __init__(
        self,
        snapshot: Callable[[], CatalogSnapshot],
        variables: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.snapshot = snapshot
        self.variables = variables

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        """One Completion per suggestion, replacing the word being typed."""
        snap = dataclasses.replace(self.snapshot(), variables=tuple(self.variables()))
        found = suggest(document.text_before_cursor, snap, document.text_after_cursor)
        for item in found.items:
            yield Completion(
                item.text,
                start_position=-found.replace,
                display_meta=item.meta or item.kind.value,
            )
