"""Mask label quality on planted errors in real COCO masks: VisionLens by mask IoU, by box IoU,
and cleanlab's ObjectLab (boxes: cleanlab has no instance-mask scoring), on the same data.

Data: ``coco-val2014-100`` (100 val2014 images, their polygon masks) and the official demo's
segmentation results (``instances_val2014_fakesegm100_results.json``) as the model. In each
of 3 seeds a fraction of the non-crowd labels gets one plant, the four kinds in equal parts:
*shrunk* (the polygons scaled about their centroid by 0.6-0.75), *shifted* (moved by 25-40 %
of the box's width and height), *swapped* (another category) and *missing* (the label
removed). A label's box is recomputed from its planted mask, so box IoU sees the same change
where a box can.

Found at top-K (K = the number of plants): every object (labels and predictions) is ranked
by its score, lowest first. A label plant is found when its label is among the top K; a
*missing* plant when a prediction whose mask IoU with the removed mask is at least 0.5 is.
Precision = the top-K objects that are a planted label or such a prediction, over K;
recall = the plants found, over all plants (plants on objects the model never finds cannot
be found by any of the three; the last column counts the plants the model does find).

    flock /tmp/vl-bench.lock python benchmarks/bench_label_quality_masks.py \
        [--rate 0.2] [--seeds 3] [--out benchmarks/results/label_quality.md]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import environment, header, load_average, run_locked, summary, table, write_section

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.importing.jobs import prediction_maps
from visionlens_jlab.ingest.open import open_dataset, open_predictions
from visionlens_jlab.label_quality.job import run_label_quality

DATA = Path(os.environ.get("VISIONLENS_SHARED", "/work/shared")) / "datasets" / "coco-val2014-100"
GT = DATA / "annotations" / "instances_val2014_100.json"
DT = DATA / "results" / "instances_val2014_fakesegm100_results.json"
SECTION = "## Mask label quality"
KINDS = ("shrunk", "shifted", "swapped", "missing")


def poly_box(polys: list[list[float]]) -> list[float]:
    xs = [v for p in polys for v in p[0::2]]
    ys = [v for p in polys for v in p[1::2]]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def plant(gt: dict, rate: float, seed: int) -> tuple[dict, dict[int, str], list[dict]]:
    """A copy of ``gt`` with plants; ``{annotation id: kind}`` of the planted labels and the
    removed labels (kept aside to find their predictions)."""
    rng = np.random.default_rng(seed)
    out = copy.deepcopy(gt)
    sizes = {im["id"]: (im["height"], im["width"]) for im in out["images"]}
    cats = [c["id"] for c in out["categories"]]
    can = [
        a for a in out["annotations"] if not a["iscrowd"] and isinstance(a["segmentation"], list)
    ]
    chosen = rng.choice(len(can), int(round(rate * len(can))), replace=False)
    planted, removed = {}, []
    for k, idx in enumerate(chosen.tolist()):
        ann, kind = can[idx], KINDS[k % 4]
        h, w = sizes[ann["image_id"]]
        polys = [np.asarray(p, float).reshape(-1, 2) for p in ann["segmentation"]]
        if kind == "shrunk":
            centre = np.concatenate(polys).mean(axis=0)
            f = rng.uniform(0.6, 0.75)
            polys = [centre + (p - centre) * f for p in polys]
        elif kind == "shifted":
            bw, bh = ann["bbox"][2], ann["bbox"][3]
            d = rng.uniform(0.25, 0.4, 2) * rng.choice([-1, 1], 2) * [bw, bh]
            polys = [p + d for p in polys]
        elif kind == "swapped":
            ann["category_id"] = int(rng.choice([c for c in cats if c != ann["category_id"]]))
        else:
            removed.append(ann)
            continue
        clipped = [np.clip(p, 0, [w - 1, h - 1]).ravel().round(2).tolist() for p in polys]
        ann["segmentation"] = clipped
        ann["bbox"] = poly_box(clipped)
        planted[ann["id"]] = kind
    gone = {a["id"] for a in removed}
    out["annotations"] = [a for a in out["annotations"] if a["id"] not in gone]
    return out, planted, removed


def predictions_of(removed: list[dict], dets: list[dict], sizes: dict) -> list[set[int]]:
    """Per removed label, the indices of the predictions whose mask IoU with it is >= 0.5."""
    out = []
    for ann in removed:
        h, w = sizes[ann["image_id"]]
        rle = mask_utils.merge(mask_utils.frPyObjects(ann["segmentation"], h, w))
        idx = [k for k, d in enumerate(dets) if d["image_id"] == ann["image_id"]]
        ious = mask_utils.iou([dets[k]["segmentation"] for k in idx], [rle], [0]) if idx else []
        out.append({k for k, u in zip(idx, np.asarray(ious).ravel(), strict=True) if u >= 0.5})
    return out


def at_k(
    gt_score: np.ndarray, dt_score: np.ndarray, gt_ids: list[int], planted: dict[int, str],
    found_by: list[set[int]],
) -> tuple[float, float]:  # fmt: skip
    """Precision and recall at K = number of plants (see the module docstring)."""
    n_plants = len(planted) + len(found_by)
    scores = np.r_[gt_score, dt_score]
    top = set(np.argsort(scores, kind="stable")[:n_plants].tolist())
    n_gt = len(gt_score)
    good_gt = {k for k, a in enumerate(gt_ids) if a in planted}
    good_dt = {n_gt + d for s in found_by for d in s}
    hits = len(top & (good_gt | good_dt))
    found = len(top & good_gt) + sum(1 for s in found_by if {n_gt + d for d in s} & top)
    return hits / n_plants, found / n_plants


def ours(
    gt: dict, dets: list[dict], iou: str, folder: Path
) -> tuple[np.ndarray, np.ndarray, float]:
    """VisionLens's per-object scores (labels in file order, predictions in file order)."""
    gt_path, dt_path = folder / "gt.json", folder / "dt.json"
    gt_path.write_text(json.dumps(gt))
    dt_path.write_text(json.dumps(dets))
    with Catalog(folder / f"data-{iou}") as catalog:
        write_dataset(
            catalog, "coco", open_dataset(source=str(gt_path), fmt="coco", images=None, split=None)
        )
        parsed = open_predictions(
            source=str(dt_path), fmt="coco", **prediction_maps(catalog, "coco")
        )
        write_predictions(catalog, "coco", "fake", parsed)
        started = time.perf_counter()
        out = run_label_quality(catalog, "coco", "fake", iou=iou)
        seconds = time.perf_counter() - started
        assert out["summary"]["iou"] == iou
        with catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT source = 'ground_truth', score FROM label_quality ORDER BY ann_id"
            ).fetchall()
    is_gt = np.array([r[0] for r in rows])
    score = np.array([r[1] for r in rows])
    return score[is_gt], score[~is_gt], seconds


def cleanlab(gt: dict, dets: list[dict]) -> tuple[np.ndarray, np.ndarray, float]:
    """ObjectLab's per-object scores on the boxes: a label's the lower of its swap and
    badly-located scores, a prediction's its overlooked score (NaN, not scored: 1)."""
    from cleanlab.object_detection import rank

    cat_index = {c["id"]: k for k, c in enumerate(gt["categories"])}
    images = [im["id"] for im in gt["images"]]
    labels, predictions, pred_order, gt_order = [], [], [], []
    for image in images:
        anns = [(k, a) for k, a in enumerate(gt["annotations"]) if a["image_id"] == image]
        gt_order.append([k for k, _ in anns])
        boxes = np.array([a["bbox"] for _, a in anns], float).reshape(-1, 4)
        labels.append({"bboxes": np.c_[boxes[:, :2], boxes[:, :2] + boxes[:, 2:]],
                       "labels": np.array([cat_index[a["category_id"]] for _, a in anns], int)})  # fmt: skip
        mine = [(k, d) for k, d in enumerate(dets) if d["image_id"] == image]
        per_class: list[list[np.ndarray]] = [[] for _ in cat_index]
        order: list[list[int]] = [[] for _ in cat_index]
        for k, d in mine:
            x, y, w, h = mask_utils.toBbox(d["segmentation"]).tolist()
            per_class[cat_index[d["category_id"]]].append(
                np.array([x, y, x + w, y + h, d["score"]])
            )
            order[cat_index[d["category_id"]]].append(k)
        predictions.append([np.array(p).reshape(-1, 5) for p in per_class])
        pred_order.append([k for o in order for k in o])
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        over = rank.compute_overlooked_box_scores(labels=labels, predictions=predictions)
        swap = rank.compute_swap_box_scores(labels=labels, predictions=predictions)
        loc = rank.compute_badloc_box_scores(labels=labels, predictions=predictions)
    seconds = time.perf_counter() - started
    gt_score = np.ones(len(gt["annotations"]))
    dt_score = np.ones(len(dets))
    for i in range(len(images)):
        for k, s, b in zip(gt_order[i], swap[i], loc[i], strict=True):
            gt_score[k] = min(np.nan_to_num(s, nan=1.0), np.nan_to_num(b, nan=1.0))
        for k, s in zip(pred_order[i], over[i], strict=True):
            dt_score[k] = np.nan_to_num(s, nan=1.0)
    return gt_score, dt_score, seconds


def main() -> None:
    """Run the seeds, print and write the section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    from visionlens_jlab.features import load

    load()
    load_start = load_average()
    gt0 = json.loads(GT.read_text())
    dets = json.loads(DT.read_text())
    sizes = {im["id"]: (im["height"], im["width"]) for im in gt0["images"]}
    figures: dict[str, dict[str, list[float]]] = {}
    findable: list[int] = []
    n_plants: list[int] = []
    for seed in range(args.seeds):
        gt, planted, removed = plant(gt0, args.rate, seed)
        found_by = predictions_of(removed, dets, sizes)
        gt_ids = [a["id"] for a in gt["annotations"]]
        n_plants.append(len(planted) + len(removed))
        with tempfile.TemporaryDirectory() as tmp:
            runs = {
                "VisionLens, mask IoU": ours(gt, dets, "mask", Path(tmp)),
                "VisionLens, box IoU": ours(gt, dets, "box", Path(tmp)),
                "cleanlab ObjectLab (boxes)": cleanlab(gt, dets),
            }
        findable.append(_findable(gt, dets, planted, sizes) + sum(1 for s in found_by if s))
        for tool, (g, d, seconds) in runs.items():
            p, r = at_k(g, d, gt_ids, planted, found_by)
            row = figures.setdefault(tool, {})
            for key, value in (("p", p), ("r", r), ("s", seconds)):
                row.setdefault(key, []).append(value)
            for kind in KINDS:  # recall per kind: which plants each overlap sees
                _, rk = at_k(g, d, gt_ids, {a: k for a, k in planted.items() if k == kind},
                             found_by if kind == "missing" else [])  # fmt: skip
                row.setdefault(kind, []).append(rk)
        print(
            f"seed {seed}: {n_plants[-1]} plants",
            {t: (round(f["p"][-1], 3), round(f["r"][-1], 3)) for t, f in figures.items()},
            flush=True,
        )
    rows = [
        [tool, summary(f["p"]).fmt(3), summary(f["r"]).fmt(3),
         *(summary(f[k]).fmt(3) for k in KINDS), summary(f["s"]).fmt(3) + " s"]
        for tool, f in figures.items()
    ]  # fmt: skip
    head = ["tool", "precision@K", "recall@K", *(f"recall@K {k} alone" for k in KINDS),
            "scoring time"]  # fmt: skip
    text = (
        header("Mask label quality", environment(), load_start, load_average())
        + f"\n### Planted mask errors in coco-val2014-100, {int(args.rate * 100)} % of the "
        f"labels, {args.seeds} seeds (median and range)\n\n"
        + f"Plants per seed: {', '.join(map(str, n_plants))}; of them on an object the model "
        f"finds (mask IoU >= 0.5 with a prediction before planting): {', '.join(map(str, findable))}.\n\n"
        + table(head, rows)
        + "\n"
        + NOTES
    )
    print(text)
    if args.out:
        write_section(args.out, SECTION, text)


def _findable(gt: dict, dets: list[dict], planted: dict[int, str], sizes: dict) -> int:
    """Planted labels whose original object a prediction covers (mask IoU >= 0.5)."""
    original = {a["id"]: a for a in json.loads(GT.read_text())["annotations"]}
    return sum(1 for s in predictions_of([original[a] for a in planted], dets, sizes) if s)


NOTES = """How to read this:

- Reproduce: `flock /tmp/vl-bench.lock python benchmarks/bench_label_quality_masks.py --out
  benchmarks/results/label_quality.md` (the module docstring defines the plants and the
  measures). K is the number of plants of the seed; "recall@K *kind* alone" ranks with only
  that kind's plants as positives and K = their number.
- The model is the COCO API demo's segmentation results (a real, weak detector: 734
  predictions on 100 images, many of low confidence), so a plant on an object it never
  finds cannot be found by any tool: compare recall with the findable share above.
- cleanlab has no instance-mask label quality (`cleanlab.object_detection` takes boxes,
  `cleanlab.segmentation` per-pixel probabilities of semantic masks), so its reference here
  is ObjectLab on the same objects' boxes (the predictions' boxes from their RLEs).
- Scoring time: the job in process for VisionLens (read from DuckDB, decode the masks,
  score, store), the three scoring calls for cleanlab (arrays in): not the same work.
"""


if __name__ == "__main__":
    run_locked(main)
