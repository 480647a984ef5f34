"""The arrows between the rooms, read from the source: everything points down to the core.

The allowed arrows are those of docs/architecture.md; a new import across rooms either fits
them or changes that page and this table together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Source folder -> the package it installs as.
FOLDERS = {
    "ksqlpy": "ksqlpy",
    "repl": "ksqlpy.repl",
    "migrations": "ksqlpy.migrations",
    "local": "ksqlpy.local",
}
SUBPACKAGE_ROOMS = ("repl", "migrations", "local", "sql", "kafka", "datagen", "testing")
MODULE_ROOMS = {
    "_errors": "errors",
    "_version": "base",
    "_cli": "base",
    "_lazy": "base",
    "demo": "demo",
    "dbapi": "dbapi",
}
# room -> the rooms it may import (besides itself); "base" is open to every room.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "base": set(),
    "sql": {"errors"},
    "kafka": {"errors", "base"},
    "core": {"errors", "base", "sql"},
    "dbapi": {"core", "errors", "sql"},
    "datagen": {"core", "kafka", "sql", "errors", "base"},
    "testing": {"local", "kafka", "errors", "base"},
    # The shell starts the embedded server on demand for 'ksqlpy --local'.
    "repl": {"core", "sql", "errors", "base", "local"},
    "migrations": {"core", "sql", "errors", "base"},
    # The embedded server never uses the client: it is what clients talk to.
    "local": {"sql", "kafka", "errors", "base"},
    "demo": {"base"},
}


def room(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "core"
    if parts[1] in SUBPACKAGE_ROOMS:
        return parts[1]
    return MODULE_ROOMS.get(parts[1], "core")


def _module(path: Path) -> tuple[str, bool]:
    rel = path.relative_to(ROOT)
    parts = list(rel.with_suffix("").parts[1:])
    package = path.name == "__init__.py"
    if package:
        parts = parts[:-1]
    return ".".join([FOLDERS[rel.parts[0]], *parts]), package


def _imports(path: Path) -> Iterator[str]:
    module, package = _module(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            yield name
            yield from (f"{name}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield str(node.args[0].value)


def arrows() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = room(_module(path)[0])
            for target in _imports(path):
                if target.split(".")[0] != "ksqlpy" or room(target) == source:
                    continue
                where = f"{path.relative_to(ROOT)} imports {target}"
                found.setdefault((source, room(target)), []).append(where)
    return found


def test_every_import_across_rooms_points_down() -> None:
    wrong = {
        pair: places
        for pair, places in arrows().items()
        if pair[1] != "base" and pair[1] not in ALLOWED[pair[0]]
    }
    assert not wrong, "\n".join(f"{a} -> {b}: {places[0]}" for (a, b), places in wrong.items())


def test_the_table_has_no_cycle() -> None:
    def reach(start: str, seen: set[str]) -> set[str]:
        for nxt in ALLOWED[start]:
            if nxt not in seen:
                seen.add(nxt)
                reach(nxt, seen)
        return seen

    assert all(name not in reach(name, set()) for name in ALLOWED)


def test_siblings_are_imported_under_one_name() -> None:
    # Inside the mapped folders a sibling is imported relatively; 'import repl' would load a
    # second copy of the module under another name.
    for folder in ("repl", "migrations", "local"):
        for path in (ROOT / folder).rglob("*.py"):
            for target in _imports(path):
                assert target.split(".")[0] not in FOLDERS or target.startswith("ksqlpy"), (
                    f"{path.relative_to(ROOT)} imports {target}"
                )


def test_the_checker_sees_the_arrows_it_guards() -> None:
    found = arrows()
    assert ("repl", "core") in found
    assert ("migrations", "sql") in found
    assert ("local", "sql") in found
    assert room("ksqlpy.local.engine") == "local"
    assert room("ksqlpy._client") == "core"
