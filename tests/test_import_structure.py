"""The package's shape, checked from its own imports: no module cycle, no private name
imported across modules, and the catalog's floors import only downward.

A reader tells from a catalog file's folder what it may import: ``FLOORS`` lists the
folders bottom first, and a module may import its own floor and the floors below it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "visionlens_jlab"
CATALOG = PACKAGE / "catalog"
FLOORS = (
    "base",
    "store",
    "tables",
    "query",
    "sql",
    "indexes",
    "derived",
    "plan",
    "extensions",
    "reads",
    "writes",
)
KNOWN_UPWARD = {
    # The store still creates and backfills two floors' tables at open; the migrations
    # will take the tables from a registry instead.
    ("visionlens_jlab.catalog.store.catalog", "visionlens_jlab.catalog.sql.box_ranges"),
    ("visionlens_jlab.catalog.store.catalog", "visionlens_jlab.catalog.sql.facet_keys"),
    ("visionlens_jlab.catalog.store.catalog", "visionlens_jlab.catalog.tables.box_summaries"),
    ("visionlens_jlab.catalog.store.catalog", "visionlens_jlab.catalog.tables.field_index"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def target(module: str, node: ast.ImportFrom) -> str:
    """The absolute module an ``import from`` names."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def load_time_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module loads: top level, inside top-level ``if``/``try``
    (never ``if TYPE_CHECKING``), not inside functions."""
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If | ast.Try):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            yield from (n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom))


def imported_modules(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in MODULES}
    base = target(module, node)
    found = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES}
    if base in MODULES and base != module and len(found) < len(node.names):
        found.add(base)
    return found


def import_graph() -> dict[str, set[str]]:
    return {
        m: {
            t
            for node in load_time_imports(ast.parse(p.read_text()))
            for t in imported_modules(m, node)
        }
        for m, p in MODULES.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def floor_of(module: str) -> int | None:
    parts = module.split(".")
    if parts[:2] != ["visionlens_jlab", "catalog"] or len(parts) < 3:
        return None
    return FLOORS.index(parts[2]) if parts[2] in FLOORS else None


def test_cycles_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_module_imports_itself_back() -> None:
    assert cycles(import_graph()) == []


def test_no_private_name_is_imported_from_another_module() -> None:
    private = [
        f"{m} imports {target(m, n)}.{a.name}"
        for m, p in MODULES.items()
        for n in ast.walk(ast.parse(p.read_text()))
        if isinstance(n, ast.ImportFrom)
        for a in n.names
        if a.name.startswith("_") and not a.name.startswith("__") and target(m, n) != m
    ]
    assert private == []


def test_every_catalog_module_lives_on_a_floor() -> None:
    loose = [p.name for p in CATALOG.glob("*.py") if p.name != "__init__.py"]
    assert loose == []
    assert sorted(
        p.name for p in CATALOG.iterdir() if p.is_dir() and p.name != "__pycache__"
    ) == sorted(FLOORS)


def test_catalog_floors_import_only_downward() -> None:
    upward = set()
    for module, imports in import_graph().items():
        here = floor_of(module)
        for imported in imports:
            there = floor_of(imported)
            if here is not None and there is not None and there > here:
                upward.add((module, imported))
    assert upward == KNOWN_UPWARD
