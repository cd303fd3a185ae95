"""The browser benchmarks' in-page probes (``benchmarks/**/*.js``) find the UI by its class
names, panel ids, ``data-`` attributes and command ids, and bench_map_render's bundle imports
the compiled source (``lib/``); each one they name is still written by the lab extension's
source. A widget that drops or renames one (the patches view's Next button, gone with its
pages) or a module that moves (``src/map`` to ``src/features/map``) then fails here, instead
of in a benchmark that waits two minutes for an element no longer drawn. Static: it cannot
tell whether the probes' waits still describe the UI's behaviour, only that what they look
for still exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBES = sorted((ROOT / "benchmarks").rglob("*.js"))


def _source() -> str:
    """The extension's TypeScript, unit tests left out (they may name what the UI no longer
    writes)."""
    return "\n".join(
        p.read_text() for p in sorted((ROOT / "src").rglob("*.ts")) if "__tests__" not in p.parts
    )


def _named(pattern: str) -> list[tuple[str, str]]:
    """``(script, name)`` for every match of ``pattern``'s group in the benchmark scripts."""
    return sorted({(p.name, m) for p in PROBES for m in re.findall(pattern, p.read_text())})


SOURCE = _source()


def _camel(kebab: str) -> str:
    """``data-ann-id``'s ``ann-id`` as ``dataset.annId`` spells it."""
    head, *rest = kebab.split("-")
    return head + "".join(w.capitalize() for w in rest)


def test_probes_are_found() -> None:
    assert PROBES and SOURCE  # the checks below are not vacuous
    assert _named(r"\b(jp-VisionLens-[A-Za-z0-9]+)")


@pytest.mark.parametrize(("script", "cls"), _named(r"\b(jp-VisionLens-[A-Za-z0-9]+)"))
def test_every_class_a_probe_names_is_in_the_source(script: str, cls: str) -> None:
    assert re.search(rf"\b{cls}\b", SOURCE), f"{script}: {cls} is not in src/"


@pytest.mark.parametrize(("script", "panel"), _named(r"#(visionlens-[a-z-]+)"))
def test_every_panel_id_a_probe_names_is_in_the_source(script: str, panel: str) -> None:
    # main-area panels are `${namespace}-main` (ui/mainAreaPanel.ts)
    namespace = panel.removesuffix("-main")
    assert f"'{namespace}'" in SOURCE, f"{script}: #{panel} is not made by src/"


@pytest.mark.parametrize(("script", "command"), _named(r"'(visionlens:[a-z-]+)'"))
def test_every_command_a_probe_runs_is_in_the_source(script: str, command: str) -> None:
    assert f"'{command}'" in SOURCE, f"{script}: {command} is not a command of src/"


@pytest.mark.parametrize(
    ("script", "attr"),
    _named(r"\bdataset\.([A-Za-z]+)")
    + [(s, _camel(a)) for s, a in _named(r"(?:\[|')data-([a-z-]+)")],
)
def test_every_data_attribute_a_probe_reads_is_in_the_source(script: str, attr: str) -> None:
    kebab = re.sub(r"[A-Z]", lambda m: "-" + m.group().lower(), attr)
    assert re.search(rf"\bdataset\.{attr}\b|'data-{kebab}'", SOURCE), (
        f"{script}: data-{kebab} is not written by src/"
    )


@pytest.mark.parametrize(("script", "module"), _named(r"['\"](?:\.\./)+lib/([\w/]+)['\"]"))
def test_every_compiled_module_a_benchmark_imports_is_in_the_source(
    script: str, module: str
) -> None:
    # lib/ is src/ compiled by `tsc` (not in the repository: built by the benchmark)
    assert (ROOT / "src" / f"{module}.ts").exists(), f"{script}: src/{module}.ts is gone"
