"""Panoptic quality (Kirillov et al. 2019) with panopticapi's definitions (its
``pq_compute_single_core`` and ``PQStat.pq_average``), vectorised per image.

A segment's id in a COCO panoptic PNG is ``R + 256 G + 256² B`` (0: void). Per image, the
pairs of ground-truth and predicted segments that overlap are counted in one ``np.unique``
over ``gt_id * 2^24 + pred_id``. A pair of one category, the ground truth not crowd, with
IoU > 0.5 is a match (the union leaves out the prediction's void pixels; the ground
truth's area is its JSON ``area``, the prediction's its pixel count, as panopticapi does);
an unmatched non-crowd ground truth is a false negative; an unmatched prediction is a false
positive unless more than half of it lies on void or on a crowd region of its category.
Per category PQ = ΣIoU / (TP + FP/2 + FN/2), SQ = ΣIoU / TP, RQ = TP / (TP + FP/2 + FN/2);
the overall, things and stuff figures average the categories that have any TP, FP or FN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

OFFSET = 256 * 256 * 256
VOID = 0


class PanopticError(ValueError):
    """A prediction that does not fit its PNG (the message names the file and segment)."""


def segment_ids(location: str) -> np.ndarray:
    """The segment ids of a COCO panoptic PNG (``R + 256 G + 256² B``)."""
    with Image.open(location) as image:
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint32)
    return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]


@dataclass
class PQStat:
    """Per category: summed IoU of the matches, TP, FP, FN."""

    iou: dict[int, float] = field(default_factory=dict)
    tp: dict[int, int] = field(default_factory=dict)
    fp: dict[int, int] = field(default_factory=dict)
    fn: dict[int, int] = field(default_factory=dict)

    def add(self, counter: dict[int, Any], category: int, value: float = 1) -> None:
        counter[category] = counter.get(category, 0) + value


def image_pq(
    gt: np.ndarray,
    pred: np.ndarray,
    gt_segments: list[dict[str, Any]],
    pred_segments: list[dict[str, Any]],
    categories: set[int],
    stat: PQStat,
    where: str = "",
) -> None:
    """Add one image's matches, false positives and false negatives to ``stat``."""
    if gt.shape != pred.shape:
        raise PanopticError(
            f"{where}: the prediction is {pred.shape[::-1]}, the truth {gt.shape[::-1]}"
        )
    gt_info = {int(s["id"]): s for s in gt_segments}
    pred_info = {int(s["id"]): dict(s) for s in pred_segments}
    labels, counts = np.unique(pred, return_counts=True)
    unseen = set(pred_info)
    for label, count in zip(labels.tolist(), counts.tolist(), strict=True):
        if label not in pred_info:
            if label == VOID:
                continue
            raise PanopticError(f"{where}: segment {label} is in the PNG, not in segments_info")
        pred_info[label]["area"] = count
        unseen.discard(label)
        if int(pred_info[label]["category_id"]) not in categories:
            raise PanopticError(f"{where}: segment {label} has an unknown category")
    if unseen:
        raise PanopticError(
            f"{where}: segments {sorted(unseen)} are in segments_info, not in the PNG"
        )
    joint, inter = np.unique(gt.astype(np.uint64) * OFFSET + pred, return_counts=True)
    pairs = {(int(j) // OFFSET, int(j) % OFFSET): int(n) for j, n in zip(joint, inter, strict=True)}
    gt_matched, pred_matched = set(), set()
    for (g, p), intersection in pairs.items():
        if g not in gt_info or p not in pred_info:
            continue
        gs, ps = gt_info[g], pred_info[p]
        if gs.get("iscrowd", 0) == 1 or gs["category_id"] != ps["category_id"]:
            continue
        union = ps["area"] + gs["area"] - intersection - pairs.get((VOID, p), 0)
        iou = intersection / union
        if iou > 0.5:
            stat.add(stat.tp, gs["category_id"])
            stat.add(stat.iou, gs["category_id"], iou)
            gt_matched.add(g)
            pred_matched.add(p)
    crowd: dict[int, int] = {}
    for g, gs in gt_info.items():
        if g in gt_matched:
            continue
        if gs.get("iscrowd", 0) == 1:
            crowd[gs["category_id"]] = g
            continue
        stat.add(stat.fn, gs["category_id"])
    for p, ps in pred_info.items():
        if p in pred_matched:
            continue
        on_void = pairs.get((VOID, p), 0)
        if ps["category_id"] in crowd:
            on_void += pairs.get((crowd[ps["category_id"]], p), 0)
        if on_void / ps["area"] > 0.5:
            continue
        stat.add(stat.fp, ps["category_id"])


def image_scores(stat: PQStat) -> tuple[float, float, float]:
    """One image's (PQ, SQ, RQ): ``pq_average`` over the categories with any TP, FP or FN
    in it, which is panopticapi's ``pq_compute`` on that image alone; NaN for an image
    where no category has any (panopticapi prints 0 with ``n`` 0 there)."""
    present = {*stat.tp, *stat.fp, *stat.fn}
    if not present:
        return float("nan"), float("nan"), float("nan")
    pq = sq = rq = 0.0
    for cid in sorted(present):
        tp = stat.tp.get(cid, 0)
        den = tp + 0.5 * stat.fp.get(cid, 0) + 0.5 * stat.fn.get(cid, 0)
        iou = stat.iou.get(cid, 0.0)
        pq += iou / den
        sq += iou / tp if tp else 0.0
        rq += tp / den
    n = len(present)
    return pq / n, sq / n, rq / n


def pq_summary(stat: PQStat, categories: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """``{"All", "Things", "Stuff"}`` (pq, sq, rq, n) and ``per_class`` by category name,
    panopticapi's ``pq_average`` (a category without TP, FP or FN scores 0 and is not
    counted in ``n``)."""
    per_class: dict[str, dict[str, float]] = {}
    sums = {key: [0.0, 0.0, 0.0, 0] for key in ("All", "Things", "Stuff")}
    for cid, info in categories.items():
        tp, fp, fn = stat.tp.get(cid, 0), stat.fp.get(cid, 0), stat.fn.get(cid, 0)
        iou = stat.iou.get(cid, 0.0)
        if tp + fp + fn == 0:
            per_class[info["name"]] = {"pq": 0.0, "sq": 0.0, "rq": 0.0, "tp": 0, "fp": 0, "fn": 0}
            continue
        den = tp + 0.5 * fp + 0.5 * fn
        row = {"pq": iou / den, "sq": iou / tp if tp else 0.0, "rq": tp / den}
        per_class[info["name"]] = {**row, "tp": tp, "fp": fp, "fn": fn}
        for key in ("All", "Things" if info.get("isthing") else "Stuff"):
            total = sums[key]
            total[0] += row["pq"]
            total[1] += row["sq"]
            total[2] += row["rq"]
            total[3] += 1
    out: dict[str, Any] = {}
    for key, (pq, sq, rq, n) in sums.items():
        out[key] = (
            {"pq": pq / n, "sq": sq / n, "rq": rq / n, "n": n}
            if n
            else {"pq": 0.0, "sq": 0.0, "rq": 0.0, "n": 0}
        )
    out["per_class"] = per_class
    return out
