"""``benchmarks/run_all.py`` lists every benchmark script (or says why it leaves one out),
every argument it passes is one the script declares, and every Python benchmark holds the
benchmark lock: a new benchmark that is not added, a renamed option or an unlocked script
fails here instead of in a long ``make bench`` run."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import run_all  # noqa: E402 - after the benchmarks folder is on the path


def _declared_options(script: Path) -> set[str]:
    """The ``--options`` a benchmark script declares (argparse's, or the JS ``opt()``)."""
    text = script.read_text()
    if script.suffix == ".js":
        return {f"--{name}" for name in re.findall(r"\bopt\('([a-z-]+)'", text)}
    options: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            options |= {
                a.value
                for a in node.args
                if isinstance(a, ast.Constant)
                and isinstance(a.value, str)
                and a.value.startswith("--")
            }
    return options


def _script(name: str) -> Path:
    stem = f"bench_{run_all.SCRIPTS.get(name, name)}"
    return BENCHMARKS / (f"{stem}.js" if name in run_all.BROWSER_BENCHMARKS else f"{stem}.py")


def test_every_benchmark_script_is_run_or_left_out_with_a_reason() -> None:
    scripts = {p.stem.removeprefix("bench_") for p in BENCHMARKS.glob("bench_*.*")}
    listed = {run_all.SCRIPTS.get(name, name) for name in run_all.BENCHMARKS}
    assert scripts - listed - set(run_all.NOT_RUN) == set()
    assert not listed & set(run_all.NOT_RUN)
    assert set(run_all.NOT_RUN) <= scripts
    assert all(reason.strip() for reason in run_all.NOT_RUN.values())


def test_every_argument_passed_is_declared_by_its_script() -> None:
    for name, (full, quick) in run_all.BENCHMARKS.items():
        script = _script(name)
        assert script.exists(), name
        declared = _declared_options(script)
        passed = {a for a in [*full, *quick] if a.startswith("--")}
        assert passed <= declared, (name, passed - declared)
        # the runner writes stdout to OUT/<name>.md unless the full arguments name it
        assert ("{out}" in full) == ("{out}" in quick), name


def test_every_python_benchmark_holds_the_benchmark_lock() -> None:
    """Run by hand, each takes ``/tmp/vl-bench.lock`` itself (``harness.run_locked`` or
    ``bench_lock``), so two benchmarks never time each other's load."""
    unlocked = [
        p.name
        for p in sorted(BENCHMARKS.glob("bench_*.py"))
        if not re.search(r"\b(run_locked|bench_lock)\(", p.read_text())
    ]
    assert unlocked == []
