"""Benchmark: what TIDE's error analysis adds to a COCO bbox evaluation, and tidecv.

The data of ``bench_evaluate.py`` (seeded: ~7 ground-truth boxes per image over 80 classes, a
few crowd regions; jittered, class-swapped, duplicated and background predictions). Every
case runs in its own subprocess, rounds interleaved in rotating order:

* ``visionlens``: ``evaluate_model`` on a catalog written beforehand in the same process
  (untimed), as a stored evaluation runs: read the boxes from DuckDB, COCO protocol, per-box
  outcomes, TIDE, write the per-box rows and the report;
* ``visionlens, TIDE off``: the same with TIDE switched off (the engine's
  ``TIDE_IOU_TYPES`` emptied in that process): the plain evaluation;
* ``tidecv`` (1.0.1, the reference): its ``Data`` objects built in memory from the same
  arrays ("load"), then ``TIDE.evaluate`` and ``get_all_errors`` ("eval").

Usage: ``python benchmarks/bench_evaluate_tide.py [--sizes 10000 100000] [--rounds 3]
[--skip tidecv]`` (``benchmarks/harness.py``: median and range, machine, commit, load).
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

from bench_evaluate import generate, write_catalog  # noqa: E402
from harness import (  # noqa: E402
    Run,
    bench_lock,
    checked,
    environment,
    header,
    interleave,
    load_average,
    ratios,
    run_process,
    summary,
    table,
)

WITH_TIDE, PLAIN, TIDECV = "visionlens", "visionlens, TIDE off", "tidecv"
CASES = (WITH_TIDE, PLAIN, TIDECV)


def run_visionlens(n_images: int, tide: bool) -> dict[str, Any]:
    """``evaluate_model`` on a freshly written catalog; the evaluation alone is timed."""
    sys.path.insert(0, str(ROOT))
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.evaluate import api
    from visionlens_jlab.features import load as load_features

    if not tide:
        api.TIDE_IOU_TYPES = ()  # this process only
    with tempfile.TemporaryDirectory() as tmp:
        write_catalog(n_images, Path(tmp))
        load_features()
        catalog = Catalog(tmp)
        t0 = time.perf_counter()
        report = api.evaluate_model(catalog, "bench", "model", protocol="coco", iou=0.5)
        t1 = time.perf_counter()
        catalog.close()
    return {"load_s": 0.0, "eval_s": t1 - t0, "tide": report.tide}


def run_tidecv(n_images: int) -> dict[str, Any]:
    """tidecv on ``Data`` objects built from the same arrays (box mode, crowd regions as its
    ignore regions, as its COCO reader makes them)."""
    from tidecv import TIDE, Data

    data = generate(n_images)
    t0 = time.perf_counter()
    gt, preds = Data("gt"), Data("model")
    for i in range(n_images):
        gt.add_image(i + 1, f"{i + 1}.jpg")
    for img, cat, box, crowd in zip(
        data["g_img"].tolist(), data["g_cat"].tolist(), data["g_box"].tolist(),
        data["g_crowd"].tolist(), strict=True,
    ):  # fmt: skip
        if crowd:
            gt.add_ignore_region(img + 1, cat + 1, box)
        else:
            gt.add_ground_truth(img + 1, cat + 1, box)
    for img, cat, box, score in zip(
        data["d_img"].tolist(), data["d_cat"].tolist(), data["d_box"].tolist(),
        data["d_score"].tolist(), strict=True,
    ):  # fmt: skip
        preds.add_detection(img + 1, cat + 1, score, box)
    t1 = time.perf_counter()
    tide = TIDE()
    run = tide.evaluate(gt, preds, mode=TIDE.BOX)
    errors = tide.get_all_errors()
    t2 = time.perf_counter()
    return {
        "load_s": t1 - t0,
        "eval_s": t2 - t1,
        "tide": {
            "main": errors["main"]["model"],
            "special": errors["special"]["model"],
            "ap": run.ap,
        },
    }


def child(case: str, n_images: int) -> None:
    if case == TIDECV:
        result = run_tidecv(n_images)
    else:
        result = run_visionlens(n_images, tide=case == WITH_TIDE)
    print(json.dumps(result))


def numbers(tide: dict[str, Any]) -> np.ndarray:
    """AP, the six main and the two special dAPs, in tidecv's order."""
    return np.array([tide["ap"], *tide["main"].values(), *tide["special"].values()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[], help="cases to skip (e.g. tidecv)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    cases = [c for c in CASES if c not in args.skip]
    with bench_lock():
        load0, env = load_average(), environment()
        rows, notes = [], []
        for n in args.sizes:
            data = generate(n)
            boxes = f"{len(data['g_img']):,} / {len(data['d_img']):,}"
            del data
            runs = interleave({c: partial(_round, c, n) for c in cases}, args.rounds)
            rows += _rows(n, boxes, runs)
            if WITH_TIDE in runs:
                notes.append(f"{n:,} images: TIDE {_printed(runs[WITH_TIDE][0].inner['tide'])}")
        load1 = load_average()
    print(header(f"TIDE in a COCO bbox evaluation, {args.rounds} rounds", env, load0, load1))
    print(
        table(
            ["images", "boxes GT / pred", "case", "load s", "eval s",
             "eval / plain evaluation (paired)", "process wall s", "peak RSS MB",
             "max abs difference of AP and the 8 dAPs"],
            rows,
        )
    )  # fmt: skip
    print("\n".join(notes))


def _round(case: str, n: int, r: int) -> Run:
    return checked(run_process([sys.executable, __file__, "--child", case, str(n)]), case)


def _printed(tide: dict[str, Any]) -> str:
    """The numbers as tidecv prints them."""
    parts = {**tide["main"], **tide["special"]}
    return f"AP50 {tide['ap']:.2f}; " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items())


def _rows(n: int, boxes: str, runs: dict[str, list[Run]]) -> list[list[str]]:
    plain = runs.get(PLAIN)
    reference = runs.get(TIDECV)
    rows = []
    for case, case_runs in runs.items():
        inner = [r.inner for r in case_runs]
        speed = "-"
        if plain and case != PLAIN:
            speed = ratios([i["eval_s"] for i in inner], [p.inner["eval_s"] for p in plain]).fmt(2)
        diff = "-"
        if reference and case == WITH_TIDE:
            gap = np.abs(numbers(inner[0]["tide"]) - numbers(reference[0].inner["tide"]))
            diff = f"{gap.max():.1e} points vs tidecv"
        rows.append(
            [
                f"{n:,}",
                boxes,
                case,
                summary([i["load_s"] for i in inner]).fmt(2),
                summary([i["eval_s"] for i in inner]).fmt(2),
                speed,
                summary([r.wall_s for r in case_runs]).fmt(1),
                summary([r.peak_rss_mb for r in case_runs]).fmt(0),
                diff,
            ]
        )
    return rows


if __name__ == "__main__":
    main()
