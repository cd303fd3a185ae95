"""Helpers for the evaluation tests: COCO dicts -> engine arrays, pycocotools runs, catalogs."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np

from visionlens_jlab.evaluate.boxes import Boxes
from visionlens_jlab.evaluate.load import EvalInput


def coco_input(gt: dict[str, Any], dets: list[dict[str, Any]]) -> EvalInput:
    """Engine input built straight from a COCO GT dict and a results list (no catalog)."""
    images = sorted(im["id"] for im in gt["images"])
    ipos = {i: k for k, i in enumerate(images)}
    cats = sorted(c["id"] for c in gt["categories"])
    cpos = {c: k for k, c in enumerate(cats)}
    dets = [d for d in dets if d["category_id"] in cpos]

    def boxes(anns: list[dict[str, Any]], is_dt: bool) -> Boxes:
        n = len(anns)
        bb = np.array([a["bbox"] for a in anns], float).reshape(n, 4)
        return Boxes(
            ann_id=np.arange(n, dtype=np.int64) + (100000 if is_dt else 0),
            image=np.array([ipos[a["image_id"]] for a in anns], np.int64),
            cat=np.array([cpos[a["category_id"]] for a in anns], np.int64),
            x=bb[:, 0], y=bb[:, 1], w=bb[:, 2], h=bb[:, 3],
            area=bb[:, 2] * bb[:, 3] if is_dt else np.array([a["area"] for a in anns], float),
            score=np.array([a.get("score", 1.0) for a in anns], float),
            crowd=np.array([bool(a.get("iscrowd", 0)) for a in anns], bool),
        )

    g, d = boxes(gt["annotations"], False), boxes(dets, True)
    names = {c["id"]: c["name"] for c in gt["categories"]}
    return EvalInput(
        dataset_id=0, classes=[names[c] for c in cats], gt=g, dt=d,
        gt_sample=g.image.copy(), dt_sample=d.image.copy(), num_images=len(images),
        missing_scores=0,
    )


def pycocotools_eval(gt: dict[str, Any], dets: list[dict[str, Any]]) -> Any:
    """pycocotools COCOeval (bbox) on in-memory data, quietly; returns the evaluator."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes([dict(d) for d in dets]) if dets else COCO()
        if not dets:
            coco_dt.dataset = {"images": gt["images"], "categories": gt["categories"],
                               "annotations": []}
            coco_dt.createIndex()
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev
