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
            x=bb[:, 0],
            y=bb[:, 1],
            w=bb[:, 2],
            h=bb[:, 3],
            area=bb[:, 2] * bb[:, 3] if is_dt else np.array([a["area"] for a in anns], float),
            score=np.array([a.get("score", 1.0) for a in anns], float),
            crowd=np.array([bool(a.get("iscrowd", 0)) for a in anns], bool),
        )

    g, d = boxes(gt["annotations"], False), boxes(dets, True)
    names = {c["id"]: c["name"] for c in gt["categories"]}
    return EvalInput(
        dataset_id=0,
        classes=[names[c] for c in cats],
        gt=g,
        dt=d,
        gt_sample=g.image.copy(),
        dt_sample=d.image.copy(),
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
            coco_dt.dataset = {
                "images": gt["images"],
                "categories": gt["categories"],
                "annotations": [],
            }
            coco_dt.createIndex()
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def ingest(catalog: Any, name: str, source: Any, fmt: str, images: Any = None) -> Any:
    """Ingest a real dataset through the project's parsers and writer."""
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
    from visionlens_jlab.ingest.open import open_dataset

    parsed = open_dataset(
        source=str(source), fmt=fmt, images=str(images) if images else None, split=None
    )
    return write_dataset(catalog, name, parsed)


def ingest_predictions(catalog: Any, dataset: str, model: str, source: Any, fmt: str) -> Any:
    """Import predictions through the project's parsers and writer (classes by name)."""
    from visionlens_jlab.catalog.writes.dataset_writer import write_predictions
    from visionlens_jlab.importing.jobs import prediction_maps
    from visionlens_jlab.ingest.open import open_predictions

    parsed = open_predictions(source=str(source), fmt=fmt, **prediction_maps(catalog, dataset))
    return write_predictions(catalog, dataset, model, parsed)


def scene_rows() -> tuple[
    list[dict[str, Any]], list[dict[str, Any]], list[str], list[dict[str, Any]]
]:
    """A hand-made scene where every box's outcome is known (see test_evaluate_store.py).

    Image 1: GT cat A, GT dog B. Image 2: GT person C and a person crowd region D.
    Image 3: no GT. Predictions (model m1), by id: 1 cat on A (TP), 2 cat shifted on A
    (duplicate), 3 cat on B (class confusion), 4 cat covering 40% of A (localization),
    5 person on C (TP), 6 person inside the crowd D (ignored), 7 dog on image 3 (background).
    """
    samples = [
        {"file_name": f"img{i}.jpg", "width": 400, "height": 400, "source_image_id": str(i)}
        for i in (1, 2, 3)
    ]

    def gt(
        s: int, label: str, x: float, y: float, w: float, h: float, crowd: bool = False
    ) -> dict[str, Any]:
        return {
            "sample_index": s,
            "label": label,
            "x": x,
            "y": y,
            "w": w,
            "h": h,
            "area": w * h,
            "iscrowd": crowd,
            "difficult": False,
        }

    boxes = [
        gt(0, "cat", 0, 0, 100, 100),
        gt(0, "dog", 200, 200, 100, 100),
        gt(1, "person", 0, 0, 50, 100),
        gt(1, "person", 100, 0, 200, 200, crowd=True),
    ]

    def pred(
        ref: str, label: str, x: float, y: float, w: float, h: float, score: float
    ) -> dict[str, Any]:
        return {"image_ref": ref, "label": label, "x": x, "y": y, "w": w, "h": h, "score": score}

    preds = [
        pred("1", "cat", 0, 0, 100, 100, 0.9),
        pred("1", "cat", 2, 2, 100, 100, 0.8),
        pred("1", "cat", 200, 200, 100, 100, 0.7),
        pred("1", "cat", 0, 0, 100, 40, 0.6),
        pred("2", "person", 0, 0, 50, 100, 0.95),
        pred("2", "person", 120, 20, 50, 50, 0.5),
        pred("3", "dog", 10, 10, 20, 20, 0.4),
    ]
    return samples, boxes, ["cat", "dog", "person"], preds


def write_scene(catalog: Any, name: str = "scene", model: str = "m1") -> None:
    """Write :func:`scene_rows` into ``catalog`` with the real catalog writer."""
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions

    from .catalog_fixtures import PredictionRowsSource, RowsSource

    samples, boxes, classes, preds = scene_rows()
    write_dataset(catalog, name, RowsSource(samples, boxes, classes))
    write_predictions(catalog, name, model, PredictionRowsSource(preds))
