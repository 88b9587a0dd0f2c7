"""The house's layout (issue 13): the import graph of ``src/hotpress`` and module sizes.

The graph is built with ``ast`` from every ``import`` statement that runs: module-level and
function-level imports both count (a deferred import inside a function is still a dependency);
imports under ``if TYPE_CHECKING:`` do not (they never run). ``from hotpress.a import b``
points at ``hotpress.a.b`` when that is a module, otherwise at ``hotpress.a``; importing a
submodule does not add an edge to its parent package's ``__init__`` (every package would
otherwise be a circle with its own re-exports).

Violations that are still left are listed by name below and mark their test
``xfail(strict=True)``: when one is fixed the test passes, strict xfail turns that into a
failure, and the list must shrink with it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "hotpress"
MAX_LINES = 400
# The output and orchestration stages the storage stage must never import; and all it may
# import: itself and the shared value types and errors (it owns its interface and rows).
STORAGE = "hotpress._storage"
ABOVE_STORAGE = ("hotpress._site", "hotpress._publish", "hotpress._cli", "hotpress.core")
STORAGE_MAY_IMPORT = ("hotpress._storage", "hotpress.types", "hotpress.exceptions")

# What is still left (empty when the house is in order).
KNOWN_CYCLES: list[str] = []
KNOWN_OVERSIZE: list[str] = []
KNOWN_STORAGE_LEAKS: list[str] = []


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.orelse:
                yield from _runtime_imports_stmt(stmt)
            continue
        yield from _runtime_imports_stmt(child)


def _runtime_imports_stmt(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
        return
    yield from _runtime_imports(node)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The hotpress modules ``name`` imports at run time."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in _runtime_imports(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
            found.update(t for t in targets if t in modules)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base]) if base else ".".join(anchor)
        if not base.startswith("hotpress"):
            continue
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            if sub in modules:
                found.add(sub)
            elif base in modules:
                found.add(base)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
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
    return sorted(found)


def _mark(known: list[str]) -> pytest.MarkDecorator:
    # Only the plain ``assert`` below counts as the expected failure: a new violation or a
    # stale name in the list fails through ``pytest.fail`` (not an AssertionError) for real.
    return pytest.mark.xfail(
        bool(known), reason=f"still left: {known}", strict=True, raises=AssertionError
    )


def _check(found: list[str], known: list[str], what: str) -> None:
    new = sorted(set(found) - set(known))
    stale = sorted(set(known) - set(found))
    if new or stale:
        pytest.fail(f"{what}: new {new}, fixed but still listed {stale}")
    assert found == [], f"{what}:\n" + "\n".join(found)


def test_graph_builder_sees_a_cycle_and_relative_imports(tmp_path: Path) -> None:
    """The checker itself can fail: a planted circle and a relative import are found."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    modules = all_modules()
    store = imports_of("hotpress._site.build", modules["hotpress._site.build"], modules)
    assert any(m.startswith("hotpress._storage") or m.startswith("hotpress._site") for m in store)


@_mark(KNOWN_CYCLES)
def test_no_import_cycles() -> None:
    found = [" -> ".join(c) for c in cycles(import_graph())]
    _check(found, KNOWN_CYCLES, "import circles")


@_mark(KNOWN_STORAGE_LEAKS)
def test_storage_imports_nothing_from_the_outputs() -> None:
    leaks = sorted(
        f"{name} -> {target}"
        for name, targets in import_graph().items()
        if name == STORAGE or name.startswith(STORAGE + ".")
        for target in targets
        if any(target == up or target.startswith(up + ".") for up in ABOVE_STORAGE)
    )
    _check(leaks, KNOWN_STORAGE_LEAKS, "storage imports from above")


@_mark(KNOWN_OVERSIZE)
def test_no_module_over_400_lines() -> None:
    big = sorted(
        name
        for name, path in all_modules().items()
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES
    )
    _check(big, KNOWN_OVERSIZE, "modules over 400 lines")


def test_storage_owns_its_interface_and_imports_only_shared_types() -> None:
    """Every protocol and row type of the archive lives in ``_storage`` (the stages above
    re-export what they used to define)."""
    outside = sorted(
        f"{name} -> {target}"
        for name, targets in import_graph().items()
        if name == STORAGE or name.startswith(STORAGE + ".")
        for target in targets
        if not any(target == ok or target.startswith(ok + ".") for ok in STORAGE_MAY_IMPORT)
    )
    assert outside == [], "storage imports from other stages:\n" + "\n".join(outside)
