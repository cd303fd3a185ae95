"""The label-edit benchmark runs end to end, also on a cached dataset (its second run).

The benchmark reuses ``bench_browse``'s cached dataset; a second run opens that cache without
writing it, which once failed because the catalog's features were only loaded by the writer.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_bench(cache: Path, out: Path) -> str:
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_edit.py", "--sizes", "2000", "--runs", "1",
         "--cache", str(cache), "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return out.read_text()


def test_the_edit_benchmark_runs_on_a_fresh_and_on_a_cached_dataset(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for attempt in ("fresh", "cached"):
        table = run_bench(cache, tmp_path / f"{attempt}.md")
        rows = {line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")}
        assert {"edit", "next facets", "full rebuild: box index"} <= rows, attempt
