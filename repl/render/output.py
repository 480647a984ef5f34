"""Where rendered text goes: the terminal (or stdout), a spool file, and a transient status line."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from typing import TextIO

_CLEAR_LINE = "\r\x1b[K"
_RED = "\x1b[31m"
_RESET = "\x1b[0m"


class Output:
    """Writes results to ``stream`` and copies them to the spool file when one is open.

    The status line (push query count and rate) is written only to a terminal and never to
    the spool: it is redrawn in place and cleared before the next result.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        err: TextIO | None = None,
        tty: bool | None = None,
        pager: str | None = None,
        height: Callable[[], int] = lambda: 0,
    ) -> None:
        self.stream = stream
        self.err = err
        self.pager = pager
        """Command that shows finite output taller than the terminal (e.g. ``less -SRXF``)."""
        self.height = height
        self.tty = stream.isatty() if tty is None else tty
        self.spool: TextIO | None = None
        self._status_shown = False

    def write(self, text: str) -> None:
        """Write ``text`` as is (callers add the newlines)."""
        self.clear_status()
        self.stream.write(text)
        if self.spool is not None:
            self.spool.write(text)

    def line(self, text: str = "") -> None:
        """Write ``text`` and a newline."""
        self.write(text + "\n")

    def block(self, text: str) -> None:
        """A finite result: through the pager when it is taller than the terminal."""
        lines = text.count("\n") + 1
        if self.pager and self.tty and 0 < self.height() < lines + 2 and self._page(text):
            if self.spool is not None:
                self.spool.write(text + "\n")
            return
        self.line(text)

    def _page(self, text: str) -> bool:
        """Run the pager; False when it cannot start (the text is then printed)."""
        self.clear_status()
        self.stream.flush()
        try:
            subprocess.run(shlex.split(self.pager or ""), input=text + "\n", text=True, check=False)
        except OSError:
            return False
        return True

    def error(self, text: str) -> None:
        """An error: red on a terminal, to the error stream when there is one, and to the spool
        (without colour)."""
        self.clear_status()
        stream = self.err or self.stream
        if stream is self.err:
            self.stream.flush()
        shown = f"{_RED}{text}{_RESET}" if self.tty and stream is self.stream else text
        stream.write(shown + "\n")
        stream.flush()
        if self.spool is not None:
            self.spool.write(text + "\n")

    def status(self, text: str) -> None:
        """Show ``text`` on the terminal's last line, replacing the previous status."""
        if not self.tty:
            return
        self.stream.write(_CLEAR_LINE + text)
        self.stream.flush()
        self._status_shown = True

    def clear_status(self) -> None:
        """Remove the status line, if one is shown."""
        if self._status_shown:
            self.stream.write(_CLEAR_LINE)
            self._status_shown = False

    def flush(self) -> None:
        """Flush the terminal and the spool file."""
        self.stream.flush()
        if self.spool is not None:
            self.spool.flush()
