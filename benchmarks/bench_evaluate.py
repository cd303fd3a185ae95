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

Usage: ``python benchmarks/bench_evaluate.py [--sizes 10000 100000] [--skip pycocotools]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

N_CLASSES = 80
ROOT = Path(__file__).resolve().parents[1]


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
    import pyarrow as pa

    sys.path.insert(0, str(ROOT))
    import visionlens_jlab.evaluate as ev
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.dataset_writer import write_dataset, write_predictions
    from visionlens_jlab.ingest.batches import Batch
    from visionlens_jlab.ingest.report import IngestReport

    data = generate(n_images)
    classes = [f"class{c}" for c in range(N_CLASSES)]

    class Source:
        format, source, media_root = "coco", "generated", "/nowhere"

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
        from visionlens_jlab.ingest.batches import ANNOTATION_SCHEMA

        return pa.table(
            {f.name: cols.get(f.name, pa.nulls(n, f.type)) for f in ANNOTATION_SCHEMA},
            schema=ANNOTATION_SCHEMA,
        )

    from visionlens_jlab.ingest.batches import SAMPLE_SCHEMA

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
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(tmp)
        write_dataset(catalog, "bench", Source(Batch(samples, gt)))
        write_predictions(catalog, "bench", "model", Source(Batch(None, preds)))
        del data, gt, preds, samples
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


def child(tool: str, n_images: int) -> None:
    result = run_visionlens(n_images) if tool == "visionlens" else run_reference(tool, n_images)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--skip", nargs="*", default=[], help="tools to skip")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    tools = [t for t in ("visionlens", "pycocotools", "faster-coco-eval") if t not in args.skip]
    print(
        f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    )
    print(
        "| images | boxes GT / pred | tool | load s | eval s | peak RSS MB (before eval) | "
        "max abs difference of the 12 stats |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in args.sizes:
        data = generate(n)
        boxes = f"{len(data['g_img']):,} / {len(data['d_img']):,}"
        del data
        results: dict[str, dict[str, Any]] = {}
        for tool in tools:
            out = subprocess.run(
                [sys.executable, __file__, "--child", tool, str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[tool] = json.loads(out.stdout.strip().splitlines()[-1])
        ref_name = "pycocotools" if "pycocotools" in results else "faster-coco-eval"
        ref = results.get(ref_name)
        for tool, r in results.items():
            diff = (
                f"{max(abs(a - b) for a, b in zip(r['stats'], ref['stats'], strict=True)):.1e}"
                f" vs {ref_name}"
                if ref and tool != ref_name
                else "-"
            )
            print(
                f"| {n:,} | {boxes} | {tool} | {r['load_s']:.2f} | {r['eval_s']:.2f} | "
                f"{r['peak_rss_mb']:.0f} ({r['rss_before_mb']:.0f}) | {diff} |",
                flush=True,
            )
        if "visionlens" in results:
            vl = results["visionlens"]["eval_s"]
            if "pycocotools" in results:
                print(
                    f"|  |  | speed-up vs pycocotools | | "
                    f"{results['pycocotools']['eval_s'] / vl:.1f}x | | |"
                )
            if "faster-coco-eval" in results:
                print(
                    f"|  |  | speed-up vs faster-coco-eval | | "
                    f"{results['faster-coco-eval']['eval_s'] / vl:.1f}x | | |"
                )


if __name__ == "__main__":
    main()
