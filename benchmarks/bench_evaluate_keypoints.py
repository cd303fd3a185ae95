"""Benchmark: COCO keypoints (OKS) evaluation, VisionLens in process and through its CLI vs
pycocotools (and faster-coco-eval where it is installed).

The data is ``bench_evaluate_labels.py``'s keypoints set, generated once per size (seeded):
~4 persons per 640x480 image, COCO's person category (17 keypoints, its skeleton, evaluated
with COCO's sigmas), labelled, hidden and unlabelled points, ~10% of the persons without any
labelled point (ignored), predictions for ~90% of them at three spreads. Written as a COCO
ground-truth file, a keypoints results file and a catalog holding both (untimed).

Every tool runs in its own process per round, on the same files:

* ``visionlens``: ``evaluate_model(..., iou_type="keypoints")`` on a copy of the catalog
  (read the objects from DuckDB, OKS, match, explain every object, write the per-object rows
  and the report); ``load`` is the imports and opening the catalog;
* ``visionlens CLI``: what a user runs, ``visionlens evaluate bench --model model --iou-type
  keypoints --data-dir DIR --json`` in a fresh process on a copy of the catalog (copied
  untimed): interpreter start, imports, the evaluation, the write and printing the report;
* pycocotools / faster-coco-eval: ``COCOeval(gt, dt, "keypoints")``: ``evaluate() +
  accumulate() + summarize()`` after loading the same files (``load``).

The 10 statistics of every round of every tool are compared with pycocotools' first round;
the benchmark exits with an error when any differs by more than 1e-6.

Usage: ``python benchmarks/bench_evaluate_keypoints.py [--sizes 10000 100000] [--rounds 3]
[--reference-rounds N] [--skip faster-coco-eval] [--cache DIR]`` (``benchmarks/harness.py``:
rounds in rotating order, median and range, the machine, commit and load average).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_evaluate_labels import ROOT, data_folder, interleave_reference
from harness import (
    Run,
    bench_lock,
    checked,
    child_env,
    cli_command,
    environment,
    header,
    load_average,
    ratios,
    run_process,
    summary,
    table,
)

CLI = "visionlens CLI"
TOOLS = ("visionlens", CLI, "pycocotools", "faster-coco-eval")
LABELS_BENCH = Path(__file__).resolve().parent / "bench_evaluate_labels.py"
TOLERANCE = 1e-6
"""Issue #26: the statistics equal pycocotools' to 1e-6."""


def _round(tool: str, folder: str, r: int) -> Run:
    if tool == CLI:
        return _cli_round(folder)
    argv = [sys.executable, str(LABELS_BENCH), "--child", tool, "keypoints", folder, str(ROOT)]
    return checked(run_process(argv, env=child_env()), tool)


def _cli_round(folder: str) -> Run:
    """``visionlens evaluate`` on an untouched copy of the catalog (the copy is not timed)."""
    with tempfile.TemporaryDirectory(prefix="vl-bench-kp-") as tmp:
        data = Path(tmp) / "catalog"
        shutil.copytree(Path(folder) / "catalog", data)
        argv = cli_command(
            "evaluate", "bench", "--model", "model", "--iou-type", "keypoints",
            "--data-dir", str(data), "--json",
        )  # fmt: skip
        run = checked(run_process(argv, env=child_env()), CLI)
    stats = json.loads(run.stdout)["stats"]
    run.inner = {
        "load_s": 0.0,
        "eval_s": run.wall_s,
        "stats": [float("nan") if v is None else float(v) for v in stats.values()],
    }
    return run


def max_difference(runs: list[Run], reference: list[float]) -> float:
    """The largest absolute difference of any round's statistics from ``reference``
    (infinite when a statistic is missing or not a number)."""
    worst = 0.0
    for run in runs:
        stats = run.inner["stats"]
        if len(stats) != len(reference):
            return float("inf")
        for a, b in zip(stats, reference, strict=True):
            d = abs(a - b)
            worst = max(worst, d if d == d else float("inf"))  # NaN: a disagreement
    return worst


def _rows(n: int, counts: str, runs: dict[str, list[Run]]) -> tuple[list[list[str]], float]:
    ref_name = "pycocotools" if "pycocotools" in runs else next(iter(runs))
    ref = runs[ref_name]
    reference = ref[0].inner["stats"]
    rows, worst = [], 0.0
    for tool, tool_runs in runs.items():
        inner = [r.inner for r in tool_runs]
        diff = speed = end_to_end = "-"
        if tool != ref_name:
            walls = [r.wall_s for r in ref]
            if len(walls) < len(tool_runs):
                walls = [summary(walls).median] * len(tool_runs)
            end_to_end = ratios([r.wall_s for r in tool_runs], walls).fmt(3)
            d = max_difference(tool_runs, reference)
            worst = max(worst, d)
            diff = f"{d:.1e} vs {ref_name}"
            ours, theirs = [i["eval_s"] for i in inner], [r.inner["eval_s"] for r in ref]
            if len(theirs) < len(ours):  # fewer reference rounds: against their median
                theirs = [summary(theirs).median] * len(ours)
            speed = ratios(ours, theirs).fmt(3)
        cli = tool == CLI  # its eval is its whole process: shown as the process wall only
        rows.append([
            f"{n:,}", counts,
            f"**{tool}** (`visionlens evaluate --iou-type keypoints`, end to end)" if cli else tool,
            "-" if cli else summary([i["load_s"] for i in inner]).fmt(2),
            "-" if cli else summary([i["eval_s"] for i in inner]).fmt(2), speed,
            summary([r.wall_s for r in tool_runs]).fmt(1), end_to_end,
            summary([r.peak_rss_mb for r in tool_runs]).fmt(0), diff,
        ])  # fmt: skip
    return rows, worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3, help="repetitions of every tool")
    parser.add_argument(
        "--reference-rounds", type=int, default=None,
        help="rounds of pycocotools (default: --rounds); the first N rounds only",
    )  # fmt: skip
    parser.add_argument("--skip", nargs="*", default=[], help="tools to skip")
    parser.add_argument("--cache", type=Path, default=None, help="keep and reuse the data here")
    args = parser.parse_args()
    tools = [t for t in TOOLS if t not in args.skip]
    missing = "faster-coco-eval" in tools and importlib.util.find_spec("faster_coco_eval") is None
    if missing:  # optional: a reference where it is installed, not a requirement
        tools.remove("faster-coco-eval")
    rows, worst = [], 0.0
    with bench_lock():
        load0, env = load_average(), environment()
        for n in args.sizes:
            with data_folder(args.cache, "keypoints", n) as (folder, counts):
                cases: dict[str, Callable[[int], Run]] = {
                    t: partial(_round, t, folder) for t in tools
                }
                runs = interleave_reference(cases, args.rounds, args.reference_rounds)
                size_rows, size_worst = _rows(n, counts, runs)
                rows += size_rows
                worst = max(worst, size_worst)
        load1 = load_average()
    print(header(f"COCO keypoints evaluation, {args.rounds} rounds", env, load0, load1))
    print(table(["images", "persons GT / pred", "tool", "load s", "eval s",
                 "eval / pycocotools eval (paired; CLI: its whole process)", "process wall s",
                 "process wall / pycocotools process wall (paired)", "peak RSS MB", "max abs difference of the 10 stats"], rows))  # fmt: skip
    agree = worst <= TOLERANCE
    print(
        "Median (min–max) over the rounds, tools interleaved in rotating order. `eval` is timed "
        "inside each tool's process (VisionLens: read the objects from DuckDB, OKS, match, "
        "write the per-object rows; references: evaluate + accumulate + summarize after "
        "loading the files, shown as `load`); `process wall` is the whole child process; peak "
        "RSS is the process's. The CLI row is a fresh `visionlens evaluate` process (start, "
        "imports, evaluation, write, printing), its ratio the whole process against the "
        "reference's in-process `eval`. The difference column is the largest over every round."
        + (" faster-coco-eval is not installed: not run." if missing else "")
    )
    print(
        f"\nStatistics {'agree' if agree else 'DISAGREE'} with pycocotools: largest difference "
        f"{worst:.1e} (tolerance {TOLERANCE:.0e})."
    )
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
