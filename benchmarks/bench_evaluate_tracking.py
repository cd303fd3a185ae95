"""Benchmark: the tracking evaluation (CLEAR, Identity, HOTA) against TrackEval on MOT files.

A seeded random MOT split (``tests/tracking_fixtures.py``: tracks walking in a square,
tracker output with jitter, misses, duplicates, id switches, false positives, distractor and
conf-0 ground truth; the last sequence's results file empty) is written once to a temporary
folder. Every case runs in its own process, rounds interleaved in rotating order:

* ``visionlens, in process``: ``read_mot_folders`` then ``evaluate_tracking`` (times of both);
* ``visionlens evaluate-mot --json``: the CLI end to end, process start and imports included;
* ``TrackEval`` (1.3.0, the reference): ``Evaluator.evaluate`` with ``MotChallenge2DBox``
  (HOTA, CLEAR, Identity; no parallelism, no output files), in process; its process wall
  time includes the imports.

Every round checks that VisionLens's combined figures equal TrackEval's (1e-6).

Usage: ``python benchmarks/bench_evaluate_tracking.py [--sequences 20] [--frames 600]
[--tracks 120] [--rounds 3]`` (``benchmarks/harness.py``: median and range, machine, load).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests"))

from harness import (  # noqa: E402
    Run,
    bench_lock,
    checked,
    cli_command,
    environment,
    header,
    interleave,
    load_average,
    ratios,
    run_process,
    summary,
    table,
)
from tracking_fixtures import TRACKER, run_trackeval, write_random_split  # noqa: E402

OURS, CLI, TRACKEVAL = "visionlens, in process", "visionlens evaluate-mot --json", "TrackEval"
CASES = (OURS, CLI, TRACKEVAL)
COMPARED = ("MOTA", "MOTP", "IDF1", "HOTA", "DetA", "AssA", "num_switches")
"""Combined figures compared between VisionLens and TrackEval in every round."""


def run_ours(root: Path) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from visionlens_jlab.evaluate.tracking import evaluate_tracking, read_mot_folders

    t0 = time.perf_counter()
    sequences = read_mot_folders(root / "gt", root / "trackers" / TRACKER)
    t1 = time.perf_counter()
    report = evaluate_tracking(sequences)
    t2 = time.perf_counter()
    return {"read_s": t1 - t0, "eval_s": t2 - t1, "figures": report.headline()}


def run_reference(root: Path) -> dict[str, Any]:
    names = [p.name for p in sorted((root / "gt").iterdir())]
    t0 = time.perf_counter()
    combined = run_trackeval(root, names)["COMBINED_SEQ"]
    t1 = time.perf_counter()
    figures = {
        "MOTA": combined["CLEAR"]["MOTA"],
        "MOTP": combined["CLEAR"]["MOTP"],
        "IDF1": combined["Identity"]["IDF1"],
        "num_switches": combined["CLEAR"]["IDSW"],
        **{k: float(np.mean(combined["HOTA"][k])) for k in ("HOTA", "DetA", "AssA")},
    }
    return {"read_s": 0.0, "eval_s": t1 - t0, "figures": {k: float(v) for k, v in figures.items()}}


def child(case: str, root: Path) -> None:
    print(json.dumps(run_reference(root) if case == TRACKEVAL else run_ours(root)))


def _round(case: str, root: Path, r: int) -> Run:
    if case == CLI:
        run = checked(
            run_process(cli_command("evaluate-mot", str(root / "gt"),
                                    str(root / "trackers" / TRACKER), "--json")),
            case,
        )  # fmt: skip
        run.inner = {"figures": json.loads(run.stdout)["tracking"]}
        return run
    return checked(run_process([sys.executable, __file__, "--child", case, str(root)]), case)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", type=int, default=20)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--tracks", type=int, default=120, help="at most, per sequence")
    parser.add_argument("--extent", type=float, default=1500.0, help="square side, pixels")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as tmp, bench_lock():
        root = Path(tmp)
        write_random_split(root, 2026, args.sequences, args.frames, args.tracks, args.extent)
        gt_rows = sum(len(p.read_text().splitlines()) for p in root.glob("gt/*/gt/gt.txt"))
        tr_rows = sum(len(p.read_text().splitlines()) for p in root.glob("trackers/*/data/*"))
        load0, env = load_average(), environment()
        runs = interleave({c: partial(_round, c, root) for c in CASES}, args.rounds)
        load1 = load_average()
    worst = _worst_difference(runs)
    if worst > 1e-6:
        raise SystemExit(f"VisionLens and TrackEval differ by {worst}")
    frames = args.sequences * args.frames
    print(header(f"Tracking evaluation against TrackEval, {args.rounds} rounds", env, load0, load1))
    print(
        f"{args.sequences} sequences x {args.frames} frames: {gt_rows:,} ground-truth rows "
        f"({gt_rows / frames:.1f} per frame), {tr_rows:,} tracker rows. Largest difference of "
        f"the combined {', '.join(COMPARED)} from TrackEval over every round: {worst:.1e}.\n"
    )
    reference = runs[TRACKEVAL]
    rows = []
    for case, case_runs in runs.items():
        inner = [r.inner for r in case_runs]
        timed = case != CLI
        rows.append([
            case,
            summary([i["read_s"] for i in inner]).fmt(3) if case == OURS else "-",
            summary([i["eval_s"] for i in inner]).fmt(3) if timed else "-",
            ratios([i["eval_s"] + i["read_s"] for i in inner],
                   [r.inner["eval_s"] for r in reference]).fmt(3) if timed else "-",
            summary([r.wall_s for r in case_runs]).fmt(2),
            ratios([r.wall_s for r in case_runs], [r.wall_s for r in reference]).fmt(3),
            summary([r.peak_rss_mb for r in case_runs]).fmt(0),
        ])  # fmt: skip
    print(
        table(
            ["case", "read s", "evaluate s", "read + evaluate / TrackEval (paired)",
             "process wall s", "wall / TrackEval's (paired)", "peak RSS MB"],
            rows,
        )
    )  # fmt: skip


def _worst_difference(runs: dict[str, list[Run]]) -> float:
    worst = 0.0
    for ref, *others in zip(*(runs[c] for c in (TRACKEVAL, OURS, CLI)), strict=True):
        for other in others:
            for key in COMPARED:
                gap = abs(float(other.inner["figures"][key]) - float(ref.inner["figures"][key]))
                worst = max(worst, gap)
    return worst


if __name__ == "__main__":
    main()
