"""CLEAR MOT metrics (MOTA, MOTP, IDSW, MT/PT/ML, Frag ...) with TrackEval's definitions.

The matching runs frame by frame in order: a pair matched in the previous evaluated frame
keeps its match while its IoU stays >= 0.5 (a bonus of 1000 in the assignment), which is
what makes an identity switch a switch. A frame where every candidate pair (IoU >= 0.5) has
its own ground truth and its own tracker box needs no assignment: those pairs are the
matches whatever the bonus, so only ambiguous frames call the Hungarian solver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from .preprocess import EPS, MATCH_IOU, PreparedSequence, ambiguous_frames

SUMMED_FIELDS = (
    "CLR_TP",
    "CLR_FN",
    "CLR_FP",
    "IDSW",
    "MT",
    "PT",
    "ML",
    "Frag",
    "CLR_Frames",
    "MOTP_sum",
)
"""What adds up over sequences; every other field is computed from these."""


@dataclass
class ClearMatches:
    """CLEAR's matches of one sequence: one entry per matched (ground truth, tracker) box.

    ``frame`` (0-based), ``gt_row``/``tr_row`` (rows of the prepared sequence), ``iou``;
    ``switch``: the match changed the tracker id following this ground-truth identity.
    """

    frame: np.ndarray
    gt_row: np.ndarray
    tr_row: np.ndarray
    iou: np.ndarray
    switch: np.ndarray


def clear_matches(seq: PreparedSequence) -> ClearMatches:
    """Match frame by frame as CLEAR does and mark the identity switches."""
    candidate = seq.pair_iou >= MATCH_IOU - EPS
    crowded = ambiguous_frames(
        candidate, seq.pair_gt, seq.pair_tr, seq.gt_frame, seq.tr_frame, seq.num_frames
    )
    matched = candidate & ~crowded[seq.pair_frame]
    evaluated = np.flatnonzero((np.diff(seq.gt_start) > 0) & (np.diff(seq.tr_start) > 0))
    previous = np.full(seq.num_frames, -1)
    previous[evaluated[1:]] = evaluated[:-1]
    prev_match = np.full(seq.num_gt_ids, -1, dtype=np.int64)
    # In frame order, so that the previous frame's matches are final when a frame needs them.
    for t in np.flatnonzero(crowded):
        p0, p1 = seq.pair_start[t], seq.pair_start[t + 1]
        gts = seq.gt_index[seq.gt_start[t] : seq.gt_start[t + 1]]
        trs = seq.tr_index[seq.tr_start[t] : seq.tr_start[t + 1]]
        prev_match[:] = -1
        if previous[t] >= 0:
            q0, q1 = seq.pair_start[previous[t]], seq.pair_start[previous[t] + 1]
            kept = q0 + np.flatnonzero(matched[q0:q1])
            prev_match[seq.gt_index[seq.pair_gt[kept]]] = seq.tr_index[seq.pair_tr[kept]]
        iou = seq.pair_iou[p0:p1].reshape(len(gts), len(trs))
        score = 1000.0 * (trs[np.newaxis, :] == prev_match[gts][:, np.newaxis]) + iou
        score[~candidate[p0:p1].reshape(iou.shape)] = 0
        rows, cols = linear_sum_assignment(-score)
        hit = score[rows, cols] > EPS
        matched[p0 + rows[hit] * len(trs) + cols[hit]] = True
    pairs = np.flatnonzero(matched)
    gt_row, tr_row = seq.pair_gt[pairs], seq.pair_tr[pairs]
    switch = _switches(seq.gt_index[gt_row], seq.tr_index[tr_row])
    return ClearMatches(seq.pair_frame[pairs], gt_row, tr_row, seq.pair_iou[pairs], switch)


def _switches(gt: np.ndarray, tr: np.ndarray) -> np.ndarray:
    """Matches (in frame order) whose tracker differs from the identity's previous match."""
    order = np.argsort(gt, kind="stable")
    changed = np.zeros(len(gt), dtype=bool)
    same_gt = gt[order][1:] == gt[order][:-1]
    changed[order[1:]] = same_gt & (tr[order][1:] != tr[order][:-1])
    return changed


def fragments_per_track(seq: PreparedSequence, m: ClearMatches) -> np.ndarray:
    """Per ground-truth identity: how often tracking resumed after an evaluated frame without
    a match (TrackEval counts gaps between frames that have both ground truth and tracker
    boxes; a frame with either empty is skipped, not a gap)."""
    evaluated = (np.diff(seq.gt_start) > 0) & (np.diff(seq.tr_start) > 0)
    rank = np.cumsum(evaluated) - 1
    gt = seq.gt_index[m.gt_row]
    order = np.lexsort((m.frame, gt))
    g, r = gt[order], rank[m.frame[order]]
    starts = np.ones(len(g), dtype=bool)
    starts[1:] = (g[1:] != g[:-1]) | (r[1:] != r[:-1] + 1)
    runs = np.bincount(g[starts], minlength=seq.num_gt_ids)
    return np.maximum(runs - 1, 0)


def clear_sequence(seq: PreparedSequence) -> tuple[dict[str, Any], ClearMatches]:
    """CLEAR fields of one sequence (TrackEval's ``CLEAR.eval_sequence``) and its matches."""
    m = clear_matches(seq)
    num_gt, num_tr = len(seq.gt_index), len(seq.tr_index)
    res: dict[str, Any] = {f: 0 for f in (*SUMMED_FIELDS, *RATIO_FIELDS)}
    if num_tr == 0 or num_gt == 0:
        # TrackEval returns early here: counts only, ratios 0 but MLR 1, no frames counted.
        res["CLR_FN"], res["CLR_FP"] = num_gt, num_tr
        res["ML"] = seq.num_gt_ids if num_tr == 0 else 0
        res["MLR"] = 1.0
        return res, m
    present = np.bincount(seq.gt_index, minlength=seq.num_gt_ids)
    matched = np.bincount(seq.gt_index[m.gt_row], minlength=seq.num_gt_ids)
    ratio = matched[present > 0] / present[present > 0]
    res["MT"] = int(np.sum(ratio > 0.8))
    res["PT"] = int(np.sum(ratio >= 0.2)) - res["MT"]
    res["ML"] = seq.num_gt_ids - res["MT"] - res["PT"]
    res["Frag"] = int(fragments_per_track(seq, m).sum())
    res["IDSW"] = int(m.switch.sum())
    res["CLR_TP"] = len(m.frame)
    res["CLR_FN"] = num_gt - len(m.frame)
    res["CLR_FP"] = num_tr - len(m.frame)
    res["MOTP_sum"] = float(m.iou.sum())
    res["CLR_Frames"] = seq.num_frames
    return final_fields(res), m


RATIO_FIELDS = (
    "MOTA",
    "MOTP",
    "MODA",
    "CLR_Re",
    "CLR_Pr",
    "MTR",
    "PTR",
    "MLR",
    "sMOTA",
    "CLR_F1",
    "FP_per_frame",
    "MOTAL",
)
"""CLEAR's ratios, from :data:`SUMMED_FIELDS`."""


def final_fields(res: dict[str, Any]) -> dict[str, Any]:
    """The ratios from the sums (per sequence and combined alike)."""
    tp, fn, fp, idsw = res["CLR_TP"], res["CLR_FN"], res["CLR_FP"], res["IDSW"]
    num_ids = max(1.0, res["MT"] + res["PT"] + res["ML"])
    num_gt = max(1.0, tp + fn)
    res["MTR"], res["PTR"], res["MLR"] = (
        res["MT"] / num_ids,
        res["PT"] / num_ids,
        res["ML"] / num_ids,
    )
    res["CLR_Re"] = tp / num_gt
    res["CLR_Pr"] = tp / max(1.0, tp + fp)
    res["MODA"] = (tp - fp) / num_gt
    res["MOTA"] = (tp - fp - idsw) / num_gt
    res["MOTP"] = res["MOTP_sum"] / max(1.0, tp)
    res["sMOTA"] = (res["MOTP_sum"] - fp - idsw) / num_gt
    res["CLR_F1"] = tp / max(1.0, tp + 0.5 * fn + 0.5 * fp)
    res["FP_per_frame"] = fp / max(1.0, res["CLR_Frames"])
    log_idsw = float(np.log10(idsw)) if idsw > 0 else idsw
    res["MOTAL"] = (tp - fp - log_idsw) / num_gt
    return res


def combine_clear(per_sequence: list[dict[str, Any]]) -> dict[str, Any]:
    """CLEAR over several sequences: sums of the counts, ratios recomputed."""
    res: dict[str, Any] = {f: sum(r[f] for r in per_sequence) for f in SUMMED_FIELDS}
    return final_fields(res)
