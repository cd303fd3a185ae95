"""Benchmark: full COCO bbox evaluation, VisionLens vs pycocotools vs faster-coco-eval.

Generates its own data (seeded): N images, ~7 ground-truth boxes per image over 80 classes
(a few crowd regions), and predictions with realistic noise: jittered boxes for ~85% of the
objects, class swaps, duplicates, background false positives, scores correlated with the
box quality. Every tool runs in its own subprocess on the same data, so the peak RSS of
each is its own.

* VisionLens: ``evaluate_model`` on a catalog that already holds the data (ingest is not
  timed): read the boxes from DuckDB, COCO protocol, per-box outcomes, confusion matrix,
  and writing the per-box rows + report to the catalog.
* pycocotools / faster-coco-eval: ``evaluate() + accumulate() + summarize()`` on COCO
  objects built in memory (building them is reported separately as "load").

* ``visionlens evaluate`` (the CLI, end to end): a fresh process on a catalog written
  beforehand; its wall time includes interpreter start, imports and printing the report.

Usage: ``python benchmarks/bench_evaluate.py [--sizes 10000 100000] [--skip pycocotools]
[--rounds 3]`` (``benchmarks/harness.py``: rounds in rotating order, median and range, the
machine, commit and load average with the table).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

N_CLASSES = 80
CLI = "visionlens CLI"
TOOLS = ("visionlens", CLI, "pycocotools", "faster-coco-eval")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

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


def generate(n_images: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Ground truth and predictions as flat arrays (image, class, box, score, crowd, area)."""
    rng = np.random.default_rng(seed)
    per_image = rng.poisson(7, n_images)
    n_gt = int(per_image.sum())
    g_img = np.repeat(np.arange(n_images), per_image)
    g_cat = rng.integers(0, N_CLASSES, n_gt)
    size = np.exp(rng.normal(3.8, 0.9, (n_gt, 2))).clip(4, 600)  # small..large objects
    g_xy = rng.uniform(0, 640 - size.clip(max=630))
    g_crowd = rng.random(n_gt) < 0.01
    g_area = size[:, 0] * size[:, 1] * rng.uniform(0.5, 0.9, n_gt)  # segmentation-like area

    found = rng.random(n_gt) < 0.85
    idx = np.flatnonzero(found & ~g_crowd)
    dup = idx[rng.random(len(idx)) < 0.05]
    src = np.concatenate([idx, dup])
    noise = rng.normal(0, 0.08, (len(src), 4))
    d_size = size[src] * np.exp(noise[:, 2:])
    d_xy = g_xy[src] + noise[:, :2] * size[src]
    quality = np.exp(-np.abs(noise).sum(1) * 3)
    d_cat = g_cat[src].copy()
    swap = rng.random(len(src)) < 0.05
    d_cat[swap] = rng.integers(0, N_CLASSES, int(swap.sum()))
    d_score = np.clip(quality * rng.uniform(0.5, 1.0, len(src)), 0.01, 1.0)
    n_bg = n_images * 2
    bg_size = np.exp(rng.normal(3.5, 0.8, (n_bg, 2))).clip(4, 400)
    return {
        "g_img": g_img,
        "g_cat": g_cat,
        "g_box": np.hstack([g_xy, size]),
        "g_crowd": g_crowd,
        "g_area": g_area,
        "d_img": np.concatenate([g_img[src], rng.integers(0, n_images, n_bg)]),
        "d_cat": np.concatenate([d_cat, rng.integers(0, N_CLASSES, n_bg)]),
        "d_box": np.vstack(
            [np.hstack([d_xy, d_size]), np.hstack([rng.uniform(0, 500, (n_bg, 2)), bg_size])]
        ).round(2),
        "d_score": np.concatenate([d_score, rng.uniform(0.01, 0.5, n_bg)]).round(4),
    }


def coco_dicts(
    data: dict[str, np.ndarray], n_images: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The same data as a COCO ground-truth dict and a results list."""
    gt = {
        "images": [{"id": i + 1, "width": 640, "height": 640} for i in range(n_images)],
        "categories": [{"id": c + 1, "name": f"class{c}"} for c in range(N_CLASSES)],
        "annotations": [
            {
                "id": k + 1,
                "image_id": int(i) + 1,
                "category_id": int(c) + 1,
                "bbox": [float(v) for v in b],
                "area": float(a),
                "iscrowd": int(cr),
            }
            for k, (i, c, b, a, cr) in enumerate(
                zip(
                    data["g_img"],
                    data["g_cat"],
                    data["g_box"],
                    data["g_area"],
                    data["g_crowd"],
                    strict=True,
                )
            )
        ],
    }
    dets = [
        {
            "image_id": int(i) + 1,
            "category_id": int(c) + 1,
            "bbox": [float(v) for v in b],
            "score": float(s),
        }
        for i, c, b, s in zip(
            data["d_img"], data["d_cat"], data["d_box"], data["d_score"], strict=True
        )
    ]
    return gt, dets


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_reference(tool: str, n_images: int) -> dict[str, Any]:
    data = generate(n_images)
    gt, dets = coco_dicts(data, n_images)
    del data
    before = peak_rss_mb()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        if tool == "pycocotools":
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval as Eval
        else:
            from faster_coco_eval import COCO
            from faster_coco_eval import COCOeval_faster as Eval
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(dets)
        t1 = time.perf_counter()
        ev = Eval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    t2 = time.perf_counter()
    return {
        "load_s": t1 - t0,
        "eval_s": t2 - t1,
        "stats": [float(v) for v in ev.stats],
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_visionlens(n_images: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import visionlens_jlab.evaluate as ev
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.features import load as load_features

    with tempfile.TemporaryDirectory() as tmp:
        write_catalog(n_images, Path(tmp))
        load_features()  # the features' tables, before the catalog opens
        catalog = Catalog(tmp)
        before = peak_rss_mb()
        t0 = time.perf_counter()
        report = ev.evaluate_model(catalog, "bench", "model", protocol="coco", iou=0.5)
        t1 = time.perf_counter()
        with catalog.cursor() as cur:
            stored = cur.execute("SELECT COUNT(*) FROM box_evaluations").fetchall()[0][0]
        catalog.close()
    return {
        "load_s": 0.0,
        "eval_s": t1 - t0,
        "stats": list(report.stats.values()),
        "stored_rows": int(stored),
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def write_catalog(n_images: int, data_dir: Path) -> None:
    """The generated data as dataset ``bench`` with predictions of ``model`` (not timed)."""
    import pyarrow as pa

    sys.path.insert(0, str(ROOT))
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
    from visionlens_jlab.features import load as load_features
    from visionlens_jlab.records.batches import Batch
    from visionlens_jlab.records.report import IngestReport

    data = generate(n_images)
    classes = [f"class{c}" for c in range(N_CLASSES)]

    class Source:
        format, source, media_root = "coco", "generated", "/nowhere"
        json_checked = False

        def __init__(self, batch: Batch) -> None:
            self.report = IngestReport()
            self._batch = batch

        def batches(self) -> Any:
            yield self._batch

        def categories(self) -> list[tuple[str, None, int]]:
            return [(c, None, i + 1) for i, c in enumerate(classes)]

    def annotations(img: np.ndarray, cat: np.ndarray, box: np.ndarray, **extra: Any) -> pa.Table:
        n = len(img)
        cols = {
            "sample_index": pa.array(img, pa.int64()),
            "label": pa.array(np.array(classes, dtype=object)[cat].tolist(), pa.string()),
            "x": box[:, 0],
            "y": box[:, 1],
            "w": box[:, 2],
            "h": box[:, 3],
        }
        cols.update(extra)
        from visionlens_jlab.records.batches import ANNOTATION_SCHEMA

        return pa.table(
            {f.name: cols.get(f.name, pa.nulls(n, f.type)) for f in ANNOTATION_SCHEMA},
            schema=ANNOTATION_SCHEMA,
        )

    from visionlens_jlab.records.batches import SAMPLE_SCHEMA

    ids = np.arange(n_images)
    samples = pa.table(
        {
            "sample_index": pa.array(ids, pa.int64()),
            "file_name": pa.array([f"{i + 1}.jpg" for i in ids]),
            "location": pa.array([f"/nowhere/{i + 1}.jpg" for i in ids]),
            "width": pa.array(np.full(n_images, 640), pa.int32()),
            "height": pa.array(np.full(n_images, 640), pa.int32()),
            "split": pa.nulls(n_images, pa.string()),
            "source_image_id": pa.array([str(i + 1) for i in ids]),
            "fields": pa.nulls(n_images, pa.string()),
        },
        schema=SAMPLE_SCHEMA,
    )
    gt = annotations(
        data["g_img"],
        data["g_cat"],
        data["g_box"],
        area=pa.array(data["g_area"]),
        iscrowd=pa.array(data["g_crowd"]),
    )
    preds = annotations(
        data["d_img"],
        data["d_cat"],
        data["d_box"],
        score=pa.array(data["d_score"]),
        normalized=pa.array(np.zeros(len(data["d_img"]), bool)),
    )
    preds = preds.set_column(1, "image_ref", pa.array([str(i + 1) for i in data["d_img"]]))
    load_features()  # the features' tables, before the catalog opens
    with Catalog(data_dir) as catalog:
        write_dataset(catalog, "bench", Source(Batch(samples, gt)))
        write_predictions(catalog, "bench", "model", Source(Batch(None, preds)))


def child(tool: str, n_images: int) -> None:
    result = run_visionlens(n_images) if tool == "visionlens" else run_reference(tool, n_images)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--skip", nargs="*", default=[], help="tools to skip")
    parser.add_argument("--rounds", type=int, default=3, help="repetitions of every tool")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if args.prepare:
        write_catalog(int(args.prepare[0]), Path(args.prepare[1]))
        return
    tools = [t for t in TOOLS if t not in args.skip]
    with bench_lock():
        load0, env = load_average(), environment()
        rows = []
        for n in args.sizes:
            data = generate(n)
            boxes = f"{len(data['g_img']):,} / {len(data['d_img']):,}"
            del data
            runs = interleave({tool: partial(_tool_round, tool, n) for tool in tools}, args.rounds)
            rows += _rows(n, boxes, runs)
        load1 = load_average()
    print(header(f"COCO bbox evaluation, {args.rounds} rounds", env, load0, load1))
    print(
        table(
            [
                "images",
                "boxes GT / pred",
                "tool",
                "load s",
                "eval s",
                "eval / reference eval (paired; CLI: its whole process)",
                "process wall s",
                "peak RSS MB",
                "max abs difference of the 12 stats",
            ],
            rows,
        )
    )
    print(
        "Median (min–max) over the rounds, tools interleaved in rotating order. `eval` is timed "
        "inside each tool's process (VisionLens: read the boxes from DuckDB, match, write the "
        "per-box rows; references: evaluate + accumulate + summarize); `process wall` is the "
        "whole child process (start, imports and generating the data included); peak RSS is "
        "the process's. The **CLI** row is what a user runs: `visionlens evaluate DATASET "
        "--model M --data-dir DIR --json` in a fresh process (interpreter start, imports, "
        "opening the catalog, evaluating, storing the per-box rows, printing the report) on a "
        "catalog written beforehand (untimed); its ratio is its whole process against the "
        "reference's in-process `eval`."
    )


def _tool_round(tool: str, n: int, r: int) -> Run:
    if tool == CLI:
        return _cli_round(n)
    return checked(run_process([sys.executable, __file__, "--child", tool, str(n)]), tool)


def _cli_round(n: int) -> Run:
    """``visionlens evaluate`` on a catalog written beforehand (the writing is not timed)."""
    with tempfile.TemporaryDirectory() as tmp:
        checked(run_process([sys.executable, __file__, "--prepare", str(n), tmp]), "prepare")
        argv = cli_command("evaluate", "bench", "--model", "model", "--data-dir", tmp, "--json")
        run = checked(run_process(argv), CLI)
    report = json.loads(run.stdout)
    nan = float("nan")
    run.inner = {
        "load_s": 0.0,
        "eval_s": run.wall_s,
        "stats": [nan if v is None else v for v in report["stats"].values()],
    }
    return run


def _rows(n: int, boxes: str, runs: dict[str, list[Run]]) -> list[list[str]]:
    ref_name = "pycocotools" if "pycocotools" in runs else "faster-coco-eval"
    ref = runs.get(ref_name)
    rows = []
    for tool, tool_runs in runs.items():
        inner = [r.inner for r in tool_runs]
        diff = "-"
        if ref and tool != ref_name:
            pairs = zip(inner[0]["stats"], ref[0].inner["stats"], strict=True)
            diff = f"{max(abs(a - b) for a, b in pairs):.1e} vs {ref_name}"
        speed = "-"
        if ref and tool != ref_name:
            speed = ratios([i["eval_s"] for i in inner], [r.inner["eval_s"] for r in ref]).fmt(2)
        cli = tool == CLI  # its eval_s is the whole process: shown as the process wall only
        rows.append(
            [
                f"{n:,}",
                boxes,
                f"**{tool}** (`visionlens evaluate`, end to end)" if cli else tool,
                "-" if cli else summary([i["load_s"] for i in inner]).fmt(2),
                "-" if cli else summary([i["eval_s"] for i in inner]).fmt(2),
                speed,
                summary([r.wall_s for r in tool_runs]).fmt(1),
                summary([r.peak_rss_mb for r in tool_runs]).fmt(0),
                diff,
            ]
        )
    return rows


if __name__ == "__main__":
    main()
