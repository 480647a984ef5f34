"""The arrows of ``local/`` as docs/design.md draws them, read from the source with ``ast``.

No import cycle between modules; imports at module level only (a function-local import is how a
cycle hides); nothing below ``engine/engine.py`` imports it; the engine never imports the HTTP
layer (app, wire, server); only public names of ``ksqlpy.sql``; no file over ~600 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import ksqlpy.sql
import ksqlpy.sql.nodes

LOCAL = Path(__file__).resolve().parents[3] / "local"
MAX_LINES = 600
# Files over the limit, each with the reason; an entry for a file under it fails the test.
TOO_LONG: dict[str, str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(LOCAL.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(LOCAL.rglob("*.py"))}


def _imports(
    path: Path, tree: ast.Module | None = None
) -> Iterator[tuple[ast.Import | ast.ImportFrom, list[str]]]:
    """Every import statement of a file with the modules it names (resolved, absolute)."""
    name = _module_name(path)
    package = name if _is_package(path) else name.rpartition(".")[0]
    for node in ast.walk(tree or ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield node, [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # "from . import x" names module x when x is a file of the package.
            targets = [target]
            targets += [
                f"{target}.{alias.name}"
                for alias in node.names
                if f"{target}.{alias.name}" in MODULES
            ]
            yield node, targets


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        edges = graph.setdefault(name, set())
        for _, targets in _imports(path):
            for target in targets:
                # A package above the importer is always loaded before it: not an arrow.
                if target in MODULES and not (name + ".").startswith(target + "."):
                    edges.add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_reader_sees_the_modules_and_their_arrows() -> None:
    graph = _graph()
    assert "local.engine.engine" in graph["local.engine"]
    assert "local.engine.statements.ddl" in graph["local.engine.statements"]
    assert "local.engine.runtime" in graph["local.engine.statements.ddl"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_in_local() -> None:
    assert _cycles(_graph()) == []


def test_imports_are_at_module_level() -> None:
    nested = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        top = {id(n) for n in tree.body}
        top |= {
            id(n)
            for stmt in tree.body
            if isinstance(stmt, ast.If)  # if TYPE_CHECKING: ... counts as module level
            for n in stmt.body
        }
        for node, _ in _imports(path, tree):
            if id(node) not in top:
                nested.append(f"{name}:{node.lineno}")
    assert nested == []


def test_nothing_below_the_engine_facade_imports_it() -> None:
    facade = "local.engine.engine"
    importers = {
        name
        for name, edges in _graph().items()
        if facade in edges and name.startswith("local.engine.")
    }
    assert importers <= {facade}, importers


def test_the_engine_does_not_import_the_http_layer() -> None:
    above = {
        "local.app",
        "local.asgi",
        "local.entities",
        "local.ports",
        "local.state_routes",
        "local.wire",
        "local.server",
        "local.cli",
    }
    wrong = {
        name: sorted(edges & above)
        for name, edges in _graph().items()
        if name.startswith("local.engine") and edges & above
    }
    assert wrong == {}


def test_local_uses_only_public_names_of_ksqlpy_sql() -> None:
    public = {
        "ksqlpy.sql": set(ksqlpy.sql.__all__),
        "ksqlpy.sql.nodes": set(ksqlpy.sql.nodes.__all__),
    }
    wrong = []
    for name, path in MODULES.items():
        for node, targets in _imports(path):
            for target in targets:
                if not target.startswith("ksqlpy.sql"):
                    continue
                if target not in public:
                    wrong.append(f"{name}: {target}")
                elif isinstance(node, ast.ImportFrom):
                    wrong += [
                        f"{name}: {target}.{a.name}"
                        for a in node.names
                        if a.name not in public[target]
                    ]
    assert wrong == []


def test_no_file_in_local_is_over_the_limit() -> None:
    sizes = {
        str(p.relative_to(LOCAL.parent)): len(p.read_text().splitlines()) for p in MODULES.values()
    }
    too_long = {f: n for f, n in sizes.items() if n > MAX_LINES and f not in TOO_LONG}
    assert too_long == {}
    stale = [f for f in TOO_LONG if sizes.get(f, 0) <= MAX_LINES]
    assert stale == [], "remove these from TOO_LONG: they are short enough now"


def test_the_engine_builds_no_rest_entity() -> None:
    # REST entities ("@type" objects) are encoded from the engine's typed results in
    # local/entities.py; an engine module that spells one is answering HTTP itself.
    spelled = {
        name
        for name, path in MODULES.items()
        if name.startswith("local.engine") and '"@type"' in path.read_text()
    }
    assert spelled == set()
