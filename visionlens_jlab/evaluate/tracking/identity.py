"""Identity metrics (IDF1, IDR, IDP) with TrackEval's definitions.

One global one-to-one assignment of ground-truth identities to tracker identities maximises
the number of frames where the two overlap with IoU >= 0.5 (IDTP); every other ground-truth
box is an IDFN and every other tracker box an IDFP. TrackEval solves it on a padded cost
matrix of IDFN + IDFP, whose optimum is the same assignment (the cost is the total of boxes
minus twice the IDTP), so the IDTP matrix is solved directly here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from .preprocess import MATCH_IOU, PreparedSequence

SUMMED_FIELDS = ("IDTP", "IDFN", "IDFP")


def identity_assignment(seq: PreparedSequence) -> tuple[np.ndarray, np.ndarray, int]:
    """The ground-truth and tracker identity indices assigned to each other, and the IDTP."""
    overlap = seq.pair_iou >= MATCH_IOU
    gt = seq.gt_index[seq.pair_gt[overlap]]
    tr = seq.tr_index[seq.pair_tr[overlap]]
    counts = np.bincount(
        gt * seq.num_tr_ids + tr, minlength=seq.num_gt_ids * seq.num_tr_ids
    ).reshape(seq.num_gt_ids, seq.num_tr_ids)
    rows, cols = linear_sum_assignment(-counts)
    shared = counts[rows, cols]
    return rows[shared > 0], cols[shared > 0], int(shared.sum())


def identity_sequence(seq: PreparedSequence) -> tuple[dict[str, Any], np.ndarray]:
    """Identity fields of one sequence (TrackEval's ``Identity.eval_sequence``) and, per
    ground-truth identity, the tracker identity index assigned to it (-1: none)."""
    num_gt, num_tr = len(seq.gt_index), len(seq.tr_index)
    assigned = np.full(seq.num_gt_ids, -1, dtype=np.int64)
    if num_gt == 0 or num_tr == 0:
        # TrackEval returns early: counts only, ratios left at 0.
        return {"IDTP": 0, "IDFN": num_gt, "IDFP": num_tr, "IDF1": 0, "IDR": 0, "IDP": 0}, assigned
    rows, cols, idtp = identity_assignment(seq)
    assigned[rows] = cols
    res: dict[str, Any] = {"IDTP": idtp, "IDFN": num_gt - idtp, "IDFP": num_tr - idtp}
    return final_fields(res), assigned


def final_fields(res: dict[str, Any]) -> dict[str, Any]:
    """IDR, IDP and IDF1 from the counts."""
    tp, fn, fp = res["IDTP"], res["IDFN"], res["IDFP"]
    res["IDR"] = tp / max(1.0, tp + fn)
    res["IDP"] = tp / max(1.0, tp + fp)
    res["IDF1"] = tp / max(1.0, tp + 0.5 * fp + 0.5 * fn)
    return res


def combine_identity(per_sequence: list[dict[str, Any]]) -> dict[str, Any]:
    """Identity over several sequences: sums of the counts, ratios recomputed."""
    return final_fields({f: sum(r[f] for r in per_sequence) for f in SUMMED_FIELDS})
