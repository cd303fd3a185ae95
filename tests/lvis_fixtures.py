"""Synthetic LVIS files (ground truth with federated sets and frequency groups, bbox and segm
results) and the reference evaluators (hotcoco's ``LVISeval``, the ``lvis`` API's
``LVISEval``) run on them. Shared by tests/test_evaluate_lvis.py and
benchmarks/bench_evaluate_lvis.py."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

FREQUENCIES = ("r", "c", "f")


def synthetic_lvis(
    seed: int, n_images: int = 40, n_cats: int = 24, *, crowded: int = 2, masks: bool = True
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """An LVIS ground truth and its bbox and segm results.

    Images carry ``neg_category_ids`` (classes verified absent) and
    ``not_exhaustive_category_ids`` (positive classes whose objects may be missing);
    categories carry a ``frequency`` (every group used) and non-contiguous ids. Predictions:
    found objects (jittered, some twice, some with a wrong class), background boxes of
    positive, negative and unverified classes (the last ones LVIS never evaluates), tied
    scores, and ``crowded`` images with more than 300 predictions (LVIS keeps 300). No crowd
    regions: LVIS has none. ``masks``: polygons and RLE results (else boxes only, and the
    segm results are empty)."""
    rng = np.random.default_rng(seed)
    cat_ids = [3 * k + 2 for k in range(n_cats)]
    cats = [
        {"id": c, "name": f"c{c}", "frequency": FREQUENCIES[k % 3], "synset": f"s{c}"}
        for k, c in enumerate(cat_ids)
    ]
    images: list[dict[str, Any]] = []
    anns: list[dict[str, Any]] = []
    boxes: list[dict[str, Any]] = []
    segms: list[dict[str, Any]] = []
    crowded_images = set(rng.choice(n_images, size=min(crowded, n_images), replace=False))
    for i in range(n_images):
        image_id = 7 * i + 1
        h, w = int(rng.integers(150, 400)), int(rng.integers(150, 400))
        positive = [
            int(c) for c in rng.choice(cat_ids, size=int(rng.integers(0, 5)), replace=False)
        ]
        others = [c for c in cat_ids if c not in positive]
        neg = [int(c) for c in rng.choice(others, size=int(rng.integers(0, 6)), replace=False)]
        not_exhaustive = [c for c in positive if rng.random() < 0.3]
        images.append({
            "id": image_id, "file_name": f"{image_id}.jpg", "width": w, "height": h,
            "neg_category_ids": neg, "not_exhaustive_category_ids": not_exhaustive,
        })  # fmt: skip
        objects: list[tuple[int, list[float]]] = []
        for c in positive:
            for _ in range(int(rng.integers(1, 4))):
                side = float(rng.choice([8, 20, 45, 90, 140]))
                bw, bh = side * rng.uniform(0.6, 1.4), side * rng.uniform(0.6, 1.4)
                x, y = rng.uniform(0, max(1.0, w - bw)), rng.uniform(0, max(1.0, h - bh))
                box = [round(float(v), 2) for v in (x, y, min(bw, w - x), min(bh, h - y))]
                poly = _polygon(rng, box)
                ann: dict[str, Any] = {"id": len(anns) + 1, "image_id": image_id,
                                       "category_id": c, "bbox": box}  # fmt: skip
                if masks:
                    rle = mask_utils.frPyObjects([poly], h, w)[0]
                    ann["segmentation"] = [poly]
                    ann["area"] = float(mask_utils.area(rle))
                else:
                    ann["area"] = box[2] * box[3]
                anns.append(ann)
                objects.append((c, box))
        n_dets = int(rng.integers(320, 420)) if i in crowded_images else int(rng.integers(0, 25))
        for _ in range(n_dets):
            kind = rng.random()
            if objects and kind < 0.6:
                c, (x, y, bw, bh) = objects[int(rng.integers(len(objects)))]
                if rng.random() < 0.1:
                    c = int(rng.choice(cat_ids))  # a class confusion (evaluated or not)
                s = float(rng.choice([0.03, 0.1, 0.3]))
                box = [x + rng.normal(0, s * bw), y + rng.normal(0, s * bh),
                       bw * (1 + rng.normal(0, s)), bh * (1 + rng.normal(0, s))]  # fmt: skip
            else:
                pool = positive + neg if kind < 0.85 or not others else others
                c = int(rng.choice(pool or cat_ids))
                bw, bh = rng.uniform(5, 120), rng.uniform(5, 120)
                box = [rng.uniform(0, w - 5), rng.uniform(0, h - 5), bw, bh]
            box = _clip(box, w, h)
            score = round(float(rng.random()), 2)  # ties, within and across images
            boxes.append({"image_id": image_id, "category_id": c, "bbox": box, "score": score})
            if masks:
                rle = mask_utils.frPyObjects([_polygon(rng, box)], h, w)[0]
                rle["counts"] = rle["counts"].decode("ascii")
                segms.append({"image_id": image_id, "category_id": c, "segmentation": rle,
                              "score": score})  # fmt: skip
    gt = {"images": images, "annotations": anns, "categories": cats}
    return gt, boxes, segms


def _clip(box: list[float], w: int, h: int) -> list[float]:
    x, y = min(max(0.0, box[0]), w - 2.0), min(max(0.0, box[1]), h - 2.0)
    bw, bh = max(1.0, min(box[2], w - x)), max(1.0, min(box[3], h - y))
    return [round(float(v), 2) for v in (x, y, bw, bh)]


def _polygon(rng: np.random.Generator, box: list[float]) -> list[float]:
    """An octagon inside ``box``, its corners cut at random."""
    x, y, w, h = box
    cut = rng.uniform(0.05, 0.3, size=8)
    pts = [
        (x + cut[0] * w, y), (x + w - cut[1] * w, y), (x + w, y + cut[2] * h),
        (x + w, y + h - cut[3] * h), (x + w - cut[4] * w, y + h), (x + cut[5] * w, y + h),
        (x, y + h - cut[6] * h), (x, y + cut[7] * h),
    ]  # fmt: skip
    return [round(float(v), 2) for p in pts for v in p]


def write_lvis(
    folder: Path, gt: dict[str, Any], boxes: list[dict[str, Any]], segms: list[dict[str, Any]]
) -> tuple[Path, Path, Path]:
    """The ground truth and both results files, written into ``folder``."""
    paths = (folder / "lvis_gt.json", folder / "boxes.json", folder / "segms.json")
    for path, content in zip(paths, (gt, boxes, segms), strict=True):
        path.write_text(json.dumps(content))
    return paths


def hotcoco_lvis(gt_path: Path, results: list[dict[str, Any]], iou_type: str) -> dict[str, float]:
    """hotcoco's ``LVISeval`` results (300 predictions per image), quietly."""
    import hotcoco

    with contextlib.redirect_stdout(io.StringIO()):
        lvis_gt = hotcoco.LVIS(str(gt_path))
        lvis_dt = hotcoco.LVISResults(lvis_gt, results, max_dets=300)
        ev = hotcoco.LVISeval(lvis_gt, lvis_dt, iou_type)
        ev.run()
        return {k: float(v) for k, v in ev.get_results().items()}


def lvis_api(gt_path: Path, results: list[dict[str, Any]], iou_type: str) -> Any:
    """The ``lvis`` API's ``LVISEval`` after ``run()`` (its results and per-image matches),
    quietly. lvis 0.5.3 still spells numpy's removed ``np.float``: it is given back as the
    builtin it aliased, for this call only."""
    from lvis import LVIS, LVISEval, LVISResults

    had = "float" in np.__dict__
    np.float = float  # type: ignore[attr-defined]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            lvis_gt = LVIS(str(gt_path))
            # each prediction says where it came from (LVISResults renumbers those it keeps)
            copies = [dict(r, source_index=k) for k, r in enumerate(results)]
            lvis_dt = LVISResults(lvis_gt, copies, max_dets=300)
            ev = LVISEval(lvis_gt, lvis_dt, iou_type)
            ev.run()
    finally:
        if not had:
            del np.float  # type: ignore[attr-defined]
    return ev


def as_lvis_v1(gt: dict[str, Any]) -> dict[str, Any]:
    """``gt`` shaped as the released LVIS v1 files are: images named by ``coco_url`` only
    (no ``file_name``; a third from COCO's train2017 folder, the rest from val2017, as LVIS
    val mixes them), with ``flickr_url``, ``license``, ``date_captured``; categories with
    ``synset``, ``synonyms``, ``def``, ``image_count``, ``instance_count``; annotations
    without ``iscrowd``."""
    out = json.loads(json.dumps(gt))
    for k, image in enumerate(out["images"]):
        split = "train2017" if k % 3 == 0 else "val2017"
        del image["file_name"]
        image["coco_url"] = f"http://images.cocodataset.org/{split}/{image['id']:012d}.jpg"
        image["flickr_url"] = f"http://farm4.staticflickr.com/{image['id']}.jpg"
        image.update(license=1, date_captured="2013-11-14 16:28:13")
    for cat in out["categories"]:
        cat.update(synset=f"{cat['name']}.n.01", synonyms=[cat["name"], f"{cat['name']}_b"],
                   image_count=3, instance_count=7)  # fmt: skip
        cat["def"] = f"a kind of {cat['name']}"
    for ann in out["annotations"]:
        ann.pop("iscrowd", None)
    return out
