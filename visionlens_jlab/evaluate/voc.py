"""The PASCAL VOC protocol: AP at one IoU threshold, all-point and 11-point interpolation.

Matching follows the VOC devkit and the tools whose numbers we reproduce (Cartucho/mAP,
Padilla's Object-Detection-Metrics and review_object_detection_metrics):

* per class, predictions in descending score order over the whole dataset (ties: source
  order, as Python's stable ``sort(reverse=True)`` keeps it);
* each prediction looks only at the ground truth of its class in its image with the
  **highest IoU** (ties: the first in source order);
* IoU >= threshold and that ground truth is *difficult* (when difficult boxes are ignored)
  or a crowd region: the prediction is ignored (neither TP nor FP);
* IoU >= threshold and that ground truth is free: TP, and the ground truth is used;
* IoU >= threshold but already used: FP ("repeated match"; there is no fall-back to the
  second-best ground truth); IoU below the threshold: FP.

Because the best ground truth of a prediction does not depend on earlier decisions, the
whole matching is vectorised: the first prediction (in score order) to claim a ground truth
is its TP, later claims are duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .boxes import Boxes, group_pairs, pair_iou

ELEVEN_POINTS = np.linspace(0, 1, 11)
"""Recall levels of the 11-point AP (``np.linspace`` as in Padilla's tools)."""


@dataclass
class VocMatch:
    """Per-prediction decisions at one threshold, plus the order used for the PR curve."""

    order: np.ndarray  # prediction indices by (class, descending score, source order)
    tp: np.ndarray  # (n_dt,) bool
    fp: np.ndarray  # (n_dt,) bool
    ignored: np.ndarray  # (n_dt,) bool: matched a difficult / crowd ground truth
    duplicate: np.ndarray  # (n_dt,) bool: FP because its best ground truth was already used
    dt_gt: np.ndarray  # (n_dt,) best ground-truth index or -1
    dt_iou: np.ndarray  # (n_dt,) IoU with that ground truth (0 if none)
    gt_ignored: np.ndarray  # (n_gt,) bool
    gt_matched_by: np.ndarray  # (n_gt,) prediction index or -1


def match_voc(
    gt: Boxes,
    dt: Boxes,
    n_cats: int,
    threshold: float = 0.5,
    *,
    plus_one: bool = False,
    ignore_difficult: bool = True,
) -> VocMatch:
    """VOC greedy matching at ``threshold`` (see the module docstring)."""
    n_dt, n_gt = len(dt), len(gt)
    gt_ign = gt.crowd | (gt.difficult if ignore_difficult else np.zeros(n_gt, dtype=bool))
    order = np.lexsort((np.arange(n_dt), -dt.score, dt.cat))
    dt_group = dt.image * n_cats + dt.cat
    gt_group = gt.image * n_cats + gt.cat
    p_dt, p_gt = group_pairs(dt_group, gt_group)
    dt_gt = np.full(n_dt, -1, dtype=np.int64)
    dt_iou = np.zeros(n_dt)
    if len(p_dt):
        iou = pair_iou(dt, gt, p_dt, p_gt, plus_one=plus_one)
        # Best candidate per prediction: max IoU, ties to the first ground truth in order.
        sort = np.lexsort((p_gt, -iou, p_dt))
        first = np.r_[True, p_dt[sort][1:] != p_dt[sort][:-1]]
        best = sort[first]
        dt_gt[p_dt[best]] = p_gt[best]
        dt_iou[p_dt[best]] = iou[best]
    hit = (dt_gt >= 0) & (dt_iou >= threshold)
    safe = np.where(hit, dt_gt, 0)
    ignored = hit & (gt_ign[safe] if n_gt else False)
    claims = hit & ~ignored
    # The first claim (in score order) of each ground truth is its TP.
    claim_order = order[claims[order]]
    claimed_gt = dt_gt[claim_order]
    _, first_idx = np.unique(claimed_gt, return_index=True)
    tp = np.zeros(n_dt, dtype=bool)
    tp[claim_order[first_idx]] = True
    duplicate = claims & ~tp
    fp = ~tp & ~ignored
    gt_matched_by = np.full(n_gt, -1, dtype=np.int64)
    gt_matched_by[dt_gt[tp]] = np.flatnonzero(tp)
    return VocMatch(order, tp, fp, ignored, duplicate, dt_gt, dt_iou, gt_ign, gt_matched_by)


@dataclass
class VocClassResult:
    """AP of one class and its precision/recall curve (in score order)."""

    ap: float
    ap11: float
    num_gt: int
    tp: int
    fp: int
    recall: np.ndarray
    precision: np.ndarray


def ap_all_points(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC2010+ all-point AP: area under the monotone precision envelope."""
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def ap_eleven_points(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC2007 11-point AP: mean of the best precision at recall >= 0, 0.1, ..., 1."""
    total = 0.0
    for r in ELEVEN_POINTS:
        above = precision[recall >= r]
        total += float(above.max()) if above.size else 0.0
    return total / 11


def voc_per_class(
    gt: Boxes, dt: Boxes, match: VocMatch, n_cats: int
) -> list[VocClassResult | None]:
    """AP per class; ``None`` for classes without (non-ignored) ground truth."""
    npos = np.bincount(gt.cat[~match.gt_ignored], minlength=n_cats)
    order = match.order
    cats = dt.cat[order]
    bounds = np.searchsorted(cats, np.arange(n_cats + 1))
    out: list[VocClassResult | None] = []
    for k in range(n_cats):
        sel = order[bounds[k] : bounds[k + 1]]
        sel = sel[~match.ignored[sel]]
        tp = np.cumsum(match.tp[sel]).astype(float)
        fp = np.cumsum(match.fp[sel]).astype(float)
        if npos[k] == 0:
            out.append(None)
            continue
        rec = tp / npos[k]
        with np.errstate(invalid="ignore", divide="ignore"):
            prec = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1e-300), 0.0)
        out.append(
            VocClassResult(
                ap=ap_all_points(rec, prec),
                ap11=ap_eleven_points(rec, prec),
                num_gt=int(npos[k]),
                tp=int(tp[-1]) if len(tp) else 0,
                fp=int(fp[-1]) if len(fp) else 0,
                recall=rec,
                precision=prec,
            )
        )
    return out
