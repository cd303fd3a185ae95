"""HOTA (Luiten et al., IJCV 2020) with TrackEval's definitions.

For each of 19 localisation thresholds alpha = 0.05 ... 0.95: detections are matched per
frame by a Hungarian assignment that weighs IoU by how well the two identities align over
the whole sequence; DetA counts the matched detections, AssA how consistently the matched
identities stay together. The alignment pass is vectorised over all frames at once; the
per-frame assignment is solved once and thresholded for all alphas together.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from .preprocess import EPS, PreparedSequence, ambiguous_frames

ALPHAS = np.arange(0.05, 0.99, 0.05)
"""The localisation thresholds, exactly as TrackEval builds them."""

ARRAY_FIELDS = ("HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "OWTA")
COUNT_FIELDS = ("HOTA_TP", "HOTA_FN", "HOTA_FP")


def alignment(seq: PreparedSequence) -> np.ndarray:
    """Global alignment score of every (ground truth, tracker) identity pair."""
    iou = seq.pair_iou
    row_sum = np.bincount(seq.pair_gt, weights=iou, minlength=len(seq.gt_index))
    col_sum = np.bincount(seq.pair_tr, weights=iou, minlength=len(seq.tr_index))
    denom = row_sum[seq.pair_gt] + col_sum[seq.pair_tr] - iou
    safe = denom > EPS
    share = np.zeros_like(iou)
    share[safe] = iou[safe] / denom[safe]
    key = seq.gt_index[seq.pair_gt] * seq.num_tr_ids + seq.tr_index[seq.pair_tr]
    size = seq.num_gt_ids * seq.num_tr_ids
    potential = np.bincount(key, weights=share, minlength=size).reshape(
        seq.num_gt_ids, seq.num_tr_ids
    )
    gt_count = np.bincount(seq.gt_index, minlength=seq.num_gt_ids)[:, np.newaxis]
    tr_count = np.bincount(seq.tr_index, minlength=seq.num_tr_ids)[np.newaxis, :]
    return potential / (gt_count + tr_count - potential)


def hota_matches(seq: PreparedSequence) -> tuple[np.ndarray, np.ndarray]:
    """HOTA's per-frame assignment: the matched pair indices (into ``pair_*``) and IoUs."""
    score_of = alignment(seq)
    pair_score = score_of[seq.gt_index[seq.pair_gt], seq.tr_index[seq.pair_tr]] * seq.pair_iou
    positive = pair_score > 0
    crowded = ambiguous_frames(
        positive, seq.pair_gt, seq.pair_tr, seq.gt_frame, seq.tr_frame, seq.num_frames
    )
    matched = positive & ~crowded[seq.pair_frame]
    for t in np.flatnonzero(crowded):
        p0, p1 = seq.pair_start[t], seq.pair_start[t + 1]
        cols = seq.tr_start[t + 1] - seq.tr_start[t]
        r, c = linear_sum_assignment(-pair_score[p0:p1].reshape(-1, cols))
        # Pairs of score 0 the solver adds have IoU 0: no alpha takes them.
        matched[p0 + r * cols + c] = True
    pairs = np.flatnonzero(matched)
    return pairs, seq.pair_iou[pairs]


def hota_sequence(seq: PreparedSequence) -> dict[str, Any]:
    """HOTA fields of one sequence (TrackEval's ``HOTA.eval_sequence``): 19-long arrays."""
    num_gt, num_tr = len(seq.gt_index), len(seq.tr_index)
    res: dict[str, Any] = {f: np.zeros(len(ALPHAS)) for f in (*ARRAY_FIELDS, *COUNT_FIELDS)}
    res.update({"HOTA(0)": 0, "LocA(0)": 0, "HOTALocA(0)": 0})
    if num_gt == 0 or num_tr == 0:
        # TrackEval returns early: the misses or false positives, LocA 1, the rest 0.
        res["HOTA_FN" if num_tr == 0 else "HOTA_FP"] = np.full(len(ALPHAS), float(num_gt or num_tr))
        res["LocA"] = np.ones(len(ALPHAS))
        res["LocA(0)"] = 1.0
        return res
    matched, iou = hota_matches(seq)
    hit = iou[np.newaxis, :] >= ALPHAS[:, np.newaxis] - EPS
    tp = hit.sum(axis=1).astype(float)
    res["HOTA_TP"], res["HOTA_FN"], res["HOTA_FP"] = tp, num_gt - tp, num_tr - tp
    gt_count = np.bincount(seq.gt_index, minlength=seq.num_gt_ids)
    tr_count = np.bincount(seq.tr_index, minlength=seq.num_tr_ids)
    gt = seq.gt_index[seq.pair_gt[matched]]
    tr = seq.tr_index[seq.pair_tr[matched]]
    for a in range(len(ALPHAS)):
        keys, together = np.unique(gt[hit[a]] * seq.num_tr_ids + tr[hit[a]], return_counts=True)
        g_n, t_n = gt_count[keys // seq.num_tr_ids], tr_count[keys % seq.num_tr_ids]
        weight = max(1.0, tp[a])
        res["AssA"][a] = np.sum(together * together / np.maximum(1, g_n + t_n - together)) / weight
        res["AssRe"][a] = np.sum(together * together / np.maximum(1, g_n)) / weight
        res["AssPr"][a] = np.sum(together * together / np.maximum(1, t_n)) / weight
    loc_sum = (hit * iou[np.newaxis, :]).sum(axis=1)
    res["LocA"] = np.maximum(1e-10, loc_sum) / np.maximum(1e-10, tp)
    return final_fields(res)


def final_fields(res: dict[str, Any]) -> dict[str, Any]:
    """DetA, DetRe, DetPr, HOTA, OWTA and the alpha-0 figures from the counts and AssA."""
    tp, fn, fp = res["HOTA_TP"], res["HOTA_FN"], res["HOTA_FP"]
    res["DetRe"] = tp / np.maximum(1, tp + fn)
    res["DetPr"] = tp / np.maximum(1, tp + fp)
    res["DetA"] = tp / np.maximum(1, tp + fn + fp)
    res["HOTA"] = np.sqrt(res["DetA"] * res["AssA"])
    res["OWTA"] = np.sqrt(res["DetRe"] * res["AssA"])
    res["HOTA(0)"] = float(res["HOTA"][0])
    res["LocA(0)"] = float(res["LocA"][0])
    res["HOTALocA(0)"] = res["HOTA(0)"] * res["LocA(0)"]
    return res


def combine_hota(per_sequence: list[dict[str, Any]]) -> dict[str, Any]:
    """HOTA over several sequences: counts summed, association and localisation averaged
    weighted by each sequence's true positives (per alpha)."""
    res: dict[str, Any] = {f: sum(r[f] for r in per_sequence) for f in COUNT_FIELDS}
    weight = np.maximum(1.0, res["HOTA_TP"])
    for field in ("AssRe", "AssPr", "AssA"):
        res[field] = sum(r[field] * r["HOTA_TP"] for r in per_sequence) / weight
    loc = sum(r["LocA"] * r["HOTA_TP"] for r in per_sequence)
    res["LocA"] = np.maximum(1e-10, loc) / np.maximum(1e-10, res["HOTA_TP"])
    return final_fields(res)
