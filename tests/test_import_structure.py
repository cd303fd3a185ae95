"""The package's shape, checked from its own imports: no module cycle, no private name
imported across modules, the package's folders and the catalog's floors import only downward.

A reader tells from a file's folder what it may import: ``PACKAGES`` lists the package's
folders bottom first and ``FLOORS`` the catalog's; a module may import its own level and the
levels below it. Every import counts here, also one inside a function (a lazy import is
still a dependency), except those under ``if TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
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
PACKAGES = (
    # modules with no dependency inside the package
    # metrics: VisionLens' Prometheus metrics, declared once, counted where things happen
    {
        "config",
        "formats",
        "int_unique",
        "gc_pauses",
        "loop_lag",
        "worker_priority",
        "stop_signals",
        "metrics",
    },
    {"server_info", "rest_client", "outbound"},  # outbound: calls to other services
    {"records"},  # what parsers yield and the catalog writes
    {"video"},  # probe, frame locations, frame-accurate decoding (PyAV only)
    {"catalog"},
    {"vectors"},
    {"jobs"},  # the job machinery: queues, worker processes, progress
    {"media"},
    {"ingest"},  # parsers, run in worker processes
    {"export"},  # views written as COCO / YOLO / VOC / trees / Parquet: reads, never writes
    {"search"},
    {"embed", "evaluate"},
    {"edits"},  # label edits: the operation log, undo, versions
    {"labelstudio"},  # a view out to Label Studio, its annotations back as edits
    {"maps", "dedup", "predict"},
    {"select"},  # what to label next: strategies over a view's vectors and stored scores
    {"semantic"},  # per-pixel class masks: layouts, their rows, their evaluation
    {"segment"},  # click-to-mask: a promptable model kept warm, its image embeddings cached
    {"label_quality"},  # label errors scored from the evaluation's boxes
    {"blindspots"},
    {"image_quality"},  # cleanvision's issue types from the thumbnails (reads blindspots.pixels)
    {"quality_view"},  # the quality panel's overview: label and image issues, their views
    {"plugins"},
    {"bulk"},  # a view copied into a new dataset: every feature's rows, the vectors
    {"demo", "importing", "features"},  # features: what registers with the catalog
    {"cli", "notebook"},
    {"handlers"},
    {"app", "app_config", "app_metrics", "__init__"},
)
KNOWN_UPWARD_PACKAGES = {
    # Parsers and the model list look up plugin formats and embedders in the plugin
    # registry when called; the registry imports their base classes for its API.
    ("visionlens_jlab.embed.models", "visionlens_jlab.plugins.registry"),
    ("visionlens_jlab.embed.registry", "visionlens_jlab.plugins.registry"),
    ("visionlens_jlab.ingest.detect", "visionlens_jlab.plugins.registry"),
    ("visionlens_jlab.ingest.open", "visionlens_jlab.plugins.api"),
    ("visionlens_jlab.ingest.open", "visionlens_jlab.plugins.registry"),
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


def every_import(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import of a module, in functions too, except under ``if TYPE_CHECKING``."""
    typing_only = {
        id(n)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
        for n in ast.walk(branch)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in typing_only:
            yield node


def package_level(module: str) -> int | None:
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else "__init__"
    return next((i for i, names in enumerate(PACKAGES) if name in names), None)


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


def test_every_package_folder_has_a_level() -> None:
    named = set().union(*PACKAGES)
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    files = {p.stem for p in PACKAGE.glob("*.py")}
    assert (folders | files) - {"_version", "labextension"} == named


def test_package_folders_import_only_downward() -> None:
    upward = {
        (module, imported)
        for module, path in MODULES.items()
        for node in every_import(ast.parse(path.read_text()))
        for imported in imported_modules(module, node)
        if (here := package_level(module)) is not None
        and (there := package_level(imported)) is not None
        and there > here
    }
    assert upward == KNOWN_UPWARD_PACKAGES


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
    # the tests and benchmarks too: what they share is public, with a docstring
    private += [
        f"{p.relative_to(PACKAGE.parent)} imports {n.module}.{a.name}"
        for folder in ("tests", "benchmarks")
        for p in (PACKAGE.parent / folder).rglob("*.py")
        for n in ast.walk(ast.parse(p.read_text()))
        if isinstance(n, ast.ImportFrom)
        for a in n.names
        if a.name.startswith("_") and not a.name.startswith("__")
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
    assert upward == set()


WRITE_CALLS = {"write", "scope_write", "begin_ingest"}
"""The catalog's write entry points (``Catalog.write`` and its kin)."""
WRITE_SQL = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\w+(\s+\w+)?\s+SET|DELETE\s+FROM)\b", re.I)


def writes_in(path: Path) -> list[str]:
    """Where a module calls a catalog write entry point or holds write SQL."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_CALLS
        ):
            found.append(f"{path.name}:{node.lineno}: .{node.func.attr}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if WRITE_SQL.search(node.value):
                found.append(f"{path.name}:{node.lineno}: write SQL")
    return found


def test_the_read_floor_never_writes() -> None:
    """``catalog/reads/`` is what handlers, the CLI and the notebook read through; every
    writer (datasets, predictions, labels, sample tags) lives in ``catalog/writes/``."""
    found = [w for p in sorted((CATALOG / "reads").glob("*.py")) for w in writes_in(p)]
    assert found == []
    assert writes_in(CATALOG / "writes" / "sample_tags.py")  # the check sees a writer


def test_every_module_imports() -> None:
    """mypy is told to ignore missing imports (optional extras), so a stale import of a moved
    module would pass it: import every module in a fresh interpreter instead."""
    script = (
        "import importlib, pkgutil, visionlens_jlab\n"
        "for m in pkgutil.walk_packages(visionlens_jlab.__path__, 'visionlens_jlab.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
