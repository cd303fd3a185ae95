"""Formatting and writing the report of ``bench_map.py``: figures, the header lines
(machine, versions, load) and the results file, whose hand-written notes survive a run."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import datetime
from pathlib import Path

from harness import cpu_model, ram_gib

NOTES_MARKER = "<!-- notes: kept across runs -->"


def stat(times: list[float], unit: str = "s", scale: float = 1.0) -> str:
    """Median and range of ``times`` (times ``scale``, in ``unit``), with the run count."""
    v = [t * scale for t in times]
    med = statistics.median(v)
    if len(v) == 1:
        return f"{med:.3g} {unit} (1 run)"
    return f"{med:.3g} {unit} (range {min(v):.3g}-{max(v):.3g}, {len(v)} runs)"


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def machine() -> str:
    """CPU, cores, RAM and Python version."""
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, {ram_gib():.0f} GiB RAM, "
        f"Python {platform.python_version()}"
    )


def versions() -> str:
    """Versions of the packages the figures depend on (those installed)."""
    import importlib.metadata as md

    names = [
        "numpy",
        "umap-learn",
        "pynndescent",
        "numba",
        "openTSNE",
        "scikit-learn",
        "duckdb",
        "pyarrow",
    ]
    out = []
    for name in names:
        try:
            out.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            pass
    return ", ".join(out)


def write_report(
    args: argparse.Namespace,
    rows: list[str],
    started: datetime,
    load_start: str,
    t0: float,
    *,
    finished: bool,
) -> None:
    """Print the report (``--out -``) or write it to ``args.out`` above the file's notes."""
    state = "" if finished else " (partial: the run is still going or was cut short)"
    report = "\n".join(
        [
            "# Embedding-map benchmark",
            "",
            f"- Date: {started:%Y-%m-%d %H:%M} UTC; total wall time {time.perf_counter() - t0:.0f} s{state}",
            f"- Machine: {machine()}; load average at start {load_start}, now {loadavg()} (machine shared with other work)",
            f"- Versions: {versions()}",
            f"- Command: `flock /tmp/vl-bench.lock python benchmarks/bench_map.py --n {args.n} --points {args.points} --runs {args.runs} --ref-runs {args.ref_runs}`",
            "- Data: clustered unit vectors (n/500 clusters around a common direction, noise), 512-d cosine; 2-D points in 20 Gaussian blobs.",
            "",
            "| what | how | result |",
            "|---|---|---|",
            *rows,
            "",
        ]
    )
    if args.out == "-":
        if finished:
            print(report)
        return
    path = Path(args.out)
    notes = ""
    if path.exists() and NOTES_MARKER in path.read_text():
        notes = path.read_text().split(NOTES_MARKER, 1)[1]
    path.write_text(report + "\n" + NOTES_MARKER + notes)
