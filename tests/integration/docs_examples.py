"""The code blocks of README.md and docs/*.md, and how each one is run as a test.

Every fenced block tagged ``python``, ``sql`` or ``sh`` runs, in document order, as a reader who
copies them one after the other would run them: the python blocks of one page share one
namespace (``>>>`` blocks are doctests, their output is compared), ``sql`` blocks go through the
``ksqlpy`` shell (push queries stop after ``SQL_QUERY_TIMEOUT_MS``) unless their first line is
``-- path/name.sql``, which makes them that file's content (saved there), ``sh`` blocks through
bash with the project's commands on the PATH, a ``cd`` holding for later blocks. Pages address
ksqlDB at ``http://localhost:8088`` and Kafka at ``localhost:9092``: the runner points those at a
fresh local server per page and at the test broker. Other blocks (``console``, ``text``, ``json``,
``toml``, untagged) are transcripts and data, not code.

A block that cannot run as written says why in an HTML comment on the line above its fence:

- ``<!-- docs-test: skip: REASON -->`` never runs (keep them rare; the reason is required);
- ``<!-- docs-test: interrupt after N s -->`` (sh) runs each command for N seconds, then sends
  Ctrl-C: for servers and steady feeds; it must not fail before that, nor print a traceback;
- ``<!-- docs-test: pytest -->`` (python) is a test file: it is run by pytest;
- ``<!-- docs-test: demo -->`` (sql) runs in ``python -m ksqlpy.demo`` (which creates the topic
  it reads), with ``--query-row-limit 3``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = frozenset({"python", "sql", "sh"})
KSQLDB = "http://localhost:8088"
KAFKA = "localhost:9092"
SQL_QUERY_TIMEOUT_MS = 3000

_FENCE = re.compile(r"^( *)(`{3,})([\w+-]*)\s*$")  # indented inside a list item too
_MARKER = re.compile(r"^<!--\s*docs-test:\s*(.*?)\s*-->\s*$")
_MODES = {
    "skip": re.compile(r"skip:\s*(?P<reason>\S.*)"),
    "interrupt": re.compile(r"interrupt after (?P<seconds>\d+(?:\.\d+)?) s"),
    "pytest": re.compile(r"pytest"),
    "demo": re.compile(r"demo"),
}
_MODE_LANGUAGES = {"interrupt": {"sh"}, "pytest": {"python"}, "demo": {"sql"}, "skip": RUN}


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced block: where it starts, its language, its text and how to run it."""

    path: str
    line: int
    language: str
    code: str
    mode: str = "run"
    argument: str = ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


class MarkerError(ValueError):
    """A docs-test marker that is unknown, lacks its reason, or does not fit its block."""


def pages() -> list[Path]:
    """README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(text: str, path: str) -> list[Block]:
    """The blocks of a page that run (or are skipped by a marker), in order."""
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        indent, ticks, language = fence.groups()
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != ticks:
            line = lines[index]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            index += 1
        index += 1
        mode, argument = _marker(lines, start, language, f"{path}:{start + 1}")
        if language in RUN:
            found.append(Block(path, start + 1, language, "\n".join(body) + "\n", mode, argument))
    return found


def _marker(lines: list[str], fence: int, language: str, where: str) -> tuple[str, str]:
    above = lines[fence - 1].strip() if fence > 0 else ""
    match = _MARKER.match(above)
    if match is None:
        if "docs-test" in above:
            raise MarkerError(f"{where}: malformed marker {above!r}")
        return "run", ""
    text = match.group(1)
    for mode, pattern in _MODES.items():
        found = pattern.fullmatch(text)
        if found is None:
            continue
        if language not in _MODE_LANGUAGES[mode]:
            raise MarkerError(f"{where}: '{mode}' does not apply to a {language or 'plain'} block")
        return mode, next(iter(found.groupdict().values()), "")
    raise MarkerError(
        f"{where}: unknown marker {text!r}; use 'skip: REASON', 'interrupt after N s', "
        "'pytest' or 'demo'"
    )
