"""The demo's blind spots in machine-readable form, and the statistics that reveal them.

``blind_spots.json`` lists each blind spot of the simulated model as a *slice* and a
*baseline*, each a metric over a subset of images / objects / predictions with an expected
bound, plus the value measured on the generated files. A feature (evaluation, slicing, the
agent) that claims to find a blind spot can be checked against it.

Matching follows COCO's convention: per image and class, predictions in descending score
order take the unmatched ground-truth box of highest IoU, if that IoU is >= 0.5.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from .model import DEFAULT_PARAMS, ModelParams, iou, size_class
from .shapes import CLASSES

IOU_MATCH = 0.5
FP_SCORE = 0.5
MODEL_NAME = "simulated-model"
_OTHERS = [c for c in CLASSES if c not in ("diamond", "square")]

DEFINITIONS = {
    "size": "COCO area ranges on the annotation's `area` field: small < 32^2 <= medium < 96^2 <= large",
    "match": "per image and class, predictions by descending score take the unmatched "
    "ground truth of highest IoU if IoU >= 0.5 (any score counts)",
    "recall": "matched ground-truth objects / ground-truth objects in the slice",
    "median_iou": "median over ground-truth objects of the best IoU with a same-class "
    "prediction, among objects whose best IoU is >= 0.1 (found but maybe badly placed)",
    "confusion_rate": "among ground-truth objects with a prediction of IoU >= 0.5 (any "
    "class), the fraction whose highest-scoring such prediction has class `predicted` "
    "(a row of the confusion matrix, misses left out)",
    "pairwise_confusion_rate": "among ground-truth objects with a prediction of IoU >= 0.5 "
    "(any class), the fraction whose highest-scoring such prediction has a wrong class, "
    "divided by (classes - 1): the rate of one specific confusion",
    "fp_per_image": "unmatched predictions with score >= 0.5 per image",
    "ece": "expected calibration error of predictions (10 equal score bins; correct = matched)",
}

BLIND_SPOTS: list[dict[str, Any]] = [
    {
        "id": "night_small_missed",
        "summary": "(a) small objects in night images are mostly missed",
        "generator_params": ["p_detect.night.small", "p_detect.day.small"],
        "slice": {"metric": "recall", "image": {"scene": "night"}, "object": {"size": "small"},
                  "expect": ["<", 0.3]},
        "baseline": {"metric": "recall", "image": {"scene": "day"}, "object": {"size": "small"},
                     "expect": [">", 0.7]},
    },
    {
        "id": "diamond_as_square",
        "summary": "(b) diamonds are labelled square far more often than chance",
        "generator_params": ["p_diamond_as_square"],
        "slice": {"metric": "confusion_rate", "predicted": "square",
                  "object": {"label": "diamond"}, "expect": [">", 0.3]},
        "baseline": {"metric": "pairwise_confusion_rate", "object": {"label": _OTHERS},
                     "expect": ["<", 0.05]},
    },
    {
        "id": "texture_poor_localization",
        "summary": "(c) boxes on textured backgrounds are poorly localized",
        "generator_params": ["loc_sigma_texture", "loc_sigma"],
        "slice": {"metric": "median_iou", "image": {"background": "texture"},
                  "expect": ["<", 0.7]},
        "baseline": {"metric": "median_iou", "image": {"background": ["plain", "gradient"]},
                     "expect": [">", 0.8]},
    },
    {
        "id": "gradient_false_positives",
        "summary": "(d) confident background detections on gradient backgrounds",
        "generator_params": ["fp_rate.gradient", "fp_score_beta_gradient", "fp_rate.plain"],
        "slice": {"metric": "fp_per_image", "image": {"background": "gradient"},
                  "expect": [">", 1.0]},
        "baseline": {"metric": "fp_per_image", "image": {"background": "plain"},
                     "expect": ["<", 0.5]},
    },
    {
        "id": "calibrated_elsewhere",
        "summary": "(e) scores are calibrated outside the blind spots, overconfident inside",
        "generator_params": ["score_beta"],
        "slice": {"metric": "ece", "image": {"background": "gradient"},
                  "expect": [">", 0.1]},
        "baseline": {"metric": "ece", "image": {"background": "plain",
                                                "scene": ["day", "dusk"]},
                     "prediction": {"label": _OTHERS}, "expect": ["<", 0.06]},
    },
    {
        "id": "occluded_missed",
        "summary": "(f) occluded objects (`occluded: true`) are missed more often",
        "generator_params": ["occluded_factor"],
        "slice": {"metric": "recall", "image": {"scene": ["day", "dusk"]},
                  "object": {"occluded": True, "size": ["medium", "large"]},
                  "expect": ["<", 0.65]},
        "baseline": {"metric": "recall", "image": {"scene": ["day", "dusk"]},
                     "object": {"occluded": False, "size": ["medium", "large"]},
                     "expect": [">", 0.72]},
    },
]  # fmt: skip

CONTROLS = [
    {"id": f"{field}_no_effect", "field": field, "metric": "recall",
     "summary": f"the model ignores `{field}`: recall is the same for every value, up to "
     "sampling noise (tolerance = 0.02 + 4 * sqrt(0.25 / n of the smallest group))"}
    for field in ("weather", "camera", "split")
]  # fmt: skip


class Matched:
    """Ground truth and predictions of a COCO pair, matched once, ready for slicing."""

    def __init__(self, coco: dict[str, Any], predictions: list[dict[str, Any]]) -> None:
        names = {c["id"]: c["name"] for c in coco["categories"]}
        self.images = {img["id"]: img for img in coco["images"]}
        self.gts = [
            {"image_id": a["image_id"], "label": names[a["category_id"]], "bbox": a["bbox"],
             "size": size_class(a["area"]), "occluded": bool(a.get("occluded", False)),
             "matched": False, "best_iou": 0.0, "top_label": None, "top_score": -1.0}
            for a in coco["annotations"]
        ]  # fmt: skip
        self.preds = [
            {"image_id": p["image_id"], "label": names[p["category_id"]], "bbox": p["bbox"],
             "score": p["score"], "tp": False}
            for p in predictions
        ]  # fmt: skip
        by_image: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = defaultdict(
            lambda: ([], [])
        )
        for g in self.gts:
            by_image[g["image_id"]][0].append(g)
        for p in self.preds:
            by_image[p["image_id"]][1].append(p)
        for gts, preds in by_image.values():
            _match_image(gts, preds)

    def _gt(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        image_spec, obj_spec = spec.get("image", {}), spec.get("object", {})
        return [
            g for g in self.gts
            if _ok(self.images[g["image_id"]], image_spec) and _ok(g, obj_spec)
        ]  # fmt: skip

    def evaluate(self, spec: dict[str, Any]) -> tuple[float | None, int]:
        """``(value, n)`` of the metric ``spec`` describes; value is None when n is 0."""
        metric = spec["metric"]
        if metric in ("fp_per_image", "ece"):
            image_ids = {i for i, img in self.images.items() if _ok(img, spec.get("image", {}))}
            preds = [
                p for p in self.preds
                if p["image_id"] in image_ids and _ok(p, spec.get("prediction", {}))
            ]  # fmt: skip
            if metric == "fp_per_image":
                fps = sum(1 for p in preds if not p["tp"] and p["score"] >= FP_SCORE)
                return (fps / len(image_ids) if image_ids else None), len(image_ids)
            return _ece(preds), len(preds)
        gts = self._gt(spec)
        if metric == "median_iou":
            gts = [g for g in gts if g["best_iou"] >= 0.1]
            return (statistics.median(g["best_iou"] for g in gts) if gts else None), len(gts)
        if metric in ("confusion_rate", "pairwise_confusion_rate"):
            gts = [g for g in gts if g["top_label"] is not None]
        if not gts:
            return None, 0
        if metric == "recall":
            return sum(g["matched"] for g in gts) / len(gts), len(gts)
        if metric == "confusion_rate":
            return sum(g["top_label"] == spec["predicted"] for g in gts) / len(gts), len(gts)
        if metric == "pairwise_confusion_rate":
            wrong = sum(g["top_label"] != g["label"] for g in gts)
            return wrong / len(gts) / (len(CLASSES) - 1), len(gts)
        raise ValueError(f"unknown metric {metric!r}")


def _ok(row: dict[str, Any], spec: dict[str, Any]) -> bool:
    for key, want in spec.items():
        have = row.get(key)
        if isinstance(want, list) and have not in want:
            return False
        if not isinstance(want, list) and have != want:
            return False
    return True


def _match_image(gts: list[dict[str, Any]], preds: list[dict[str, Any]]) -> None:
    for p in sorted(preds, key=lambda p: -p["score"]):
        best, best_iou = None, IOU_MATCH
        for g in gts:
            overlap = iou(p["bbox"], g["bbox"])
            if overlap >= IOU_MATCH and p["score"] > g["top_score"]:
                g["top_label"], g["top_score"] = p["label"], p["score"]
            if g["label"] != p["label"]:
                continue
            g["best_iou"] = max(g["best_iou"], overlap)
            if not g["matched"] and overlap >= best_iou:
                best, best_iou = g, overlap
        if best is not None:
            best["matched"] = True
            p["tp"] = True


def _ece(preds: list[dict[str, Any]], bins: int = 10) -> float | None:
    if not preds:
        return None
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        in_bin = [p for p in preds if lo <= p["score"] < hi or (b == bins - 1 and p["score"] == 1)]
        if in_bin:
            conf = sum(p["score"] for p in in_bin) / len(in_bin)
            acc = sum(p["tp"] for p in in_bin) / len(in_bin)
            total += len(in_bin) * abs(conf - acc)
    return total / len(preds)


def _holds(value: float | None, expect: list[Any]) -> bool:
    if value is None:
        return False
    op, bound = expect
    return value < bound if op == "<" else value > bound


def measure(coco: dict[str, Any], predictions: list[dict[str, Any]]) -> dict[str, Any]:
    """Blind spots and controls with the values measured on ``coco`` + ``predictions``."""
    matched = Matched(coco, predictions)
    spots = []
    for spot in BLIND_SPOTS:
        out = json.loads(json.dumps(spot))  # a deep copy, plain JSON
        for part in ("slice", "baseline"):
            value, n = matched.evaluate(out[part])
            out[part]["measured"] = None if value is None else round(value, 4)
            out[part]["n"] = n
        out["holds"] = all(
            _holds(out[p]["measured"], out[p]["expect"]) for p in ("slice", "baseline")
        )
        spots.append(out)
    controls = []
    for control in CONTROLS:
        values = sorted({str(img.get(control["field"])) for img in coco["images"]})
        by_value: dict[str, dict[str, Any]] = {}
        for v in values:
            value, n = matched.evaluate({"metric": "recall", "image": {control["field"]: v}})
            by_value[v] = {"measured": None if value is None else round(value, 4), "n": n}
        measured = [float(x["measured"]) for x in by_value.values() if x["measured"] is not None]
        spread = round(max(measured) - min(measured), 4) if measured else None
        n_min = min((x["n"] for x in by_value.values()), default=0)
        tolerance = round(0.02 + 4 * math.sqrt(0.25 / n_min), 4) if n_min else None
        holds = spread is not None and tolerance is not None and spread <= tolerance
        controls.append(
            control | {"values": by_value, "spread": spread, "tolerance": tolerance, "holds": holds}
        )
    return {"blind_spots": spots, "controls": controls}


def write_blind_spots(
    path: Path,
    coco: dict[str, Any],
    predictions: list[dict[str, Any]],
    extra: dict[str, Any],
    params: ModelParams = DEFAULT_PARAMS,
) -> dict[str, Any]:
    """Measure and write ``blind_spots.json``; returns what was written."""
    doc = (
        extra
        | {
            "model": MODEL_NAME,
            "model_params": params.to_dict(),
            "definitions": DEFINITIONS,
            "counts": {
                "images": len(coco["images"]),
                "annotations": len(coco["annotations"]),
                "predictions": len(predictions),
                "categories": len(coco["categories"]),
            },
        }
        | measure(coco, predictions)
    )
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return doc
