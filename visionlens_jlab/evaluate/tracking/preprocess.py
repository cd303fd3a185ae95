"""MOT Challenge's preprocessing (as TrackEval's ``MotChallenge2DBox``) and the per-frame IoU.

Steps, per frame: the IoU of every ground-truth box with every tracker box; tracker boxes
that the Hungarian matching (IoU >= 0.5) pairs with a distractor-class ground truth are
removed (they count neither as hits nor as false positives; MOT20's non-MOT vehicles are
distractors too, :func:`.sequences.distractor_classes`); then only pedestrian ground
truth whose "consider" flag is not 0 is kept. Ids are renumbered 0..n-1 per sequence.

The result keeps every frame's IoU matrix as one row-major block of a flat pair array, so
that the metrics can work on all frames at once where they do not depend on frame order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from .sequences import MOT_CLASS_IDS, PEDESTRIAN, SequenceData, distractor_classes

EPS = float(np.finfo(float).eps)
"""TrackEval compares against thresholds with one machine epsilon of slack."""

MATCH_IOU = 0.5
"""The IoU threshold of the distractor matching (and of CLEAR and Identity)."""


@dataclass
class PreparedSequence:
    """A sequence after preprocessing, ready for the metrics.

    ``gt_frame``/``gt_index`` (contiguous id 0..num_gt_ids-1) per kept ground-truth row,
    sorted by frame (0-based here); ``tr_frame``/``tr_index`` the same for tracker rows.
    ``gt_start``/``tr_start`` (num_frames + 1): where each frame's rows begin.
    ``pair_start`` (num_frames + 1) and ``pair_iou``: frame t's IoU matrix is
    ``pair_iou[pair_start[t]:pair_start[t + 1]].reshape(n_gt_t, n_tr_t)``; ``pair_gt`` and
    ``pair_tr`` are the rows of each pair, ``pair_frame`` its frame. ``gt_ids``/``tr_ids``: the original id of each
    contiguous index. ``gt_row``/``tr_row``: each kept row's index in the input.
    """

    name: str
    num_frames: int
    gt_frame: np.ndarray
    gt_index: np.ndarray
    tr_frame: np.ndarray
    tr_index: np.ndarray
    gt_start: np.ndarray
    tr_start: np.ndarray
    pair_start: np.ndarray
    pair_frame: np.ndarray
    pair_gt: np.ndarray
    pair_tr: np.ndarray
    pair_iou: np.ndarray
    gt_ids: np.ndarray
    tr_ids: np.ndarray
    gt_row: np.ndarray
    tr_row: np.ndarray

    @property
    def num_gt_ids(self) -> int:
        """Distinct ground-truth identities evaluated."""
        return len(self.gt_ids)

    @property
    def num_tr_ids(self) -> int:
        """Distinct tracker identities evaluated."""
        return len(self.tr_ids)


def frame_starts(frames: np.ndarray, num_frames: int) -> np.ndarray:
    """Where each frame's rows begin in rows sorted by (0-based) frame; num_frames + 1 long."""
    return np.searchsorted(frames, np.arange(num_frames + 1), side="left")


def frame_pairs(
    gt_start: np.ndarray, tr_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (ground truth, tracker) row pair of the same frame, row-major per frame: where
    each frame's pairs start, and each pair's frame, ground-truth row and tracker row."""
    n_gt = np.diff(gt_start)
    n_tr = np.diff(tr_start)
    sizes = n_gt * n_tr
    pair_start = np.concatenate([[0], np.cumsum(sizes)])
    total = int(pair_start[-1])
    frame = np.repeat(np.arange(len(sizes)), sizes)
    local = np.arange(total) - pair_start[frame]
    cols = n_tr[frame]
    pair_gt = gt_start[frame] + local // np.maximum(cols, 1)
    pair_tr = tr_start[frame] + local % np.maximum(cols, 1)
    return pair_start, frame, pair_gt, pair_tr


def box_iou(gt_box: np.ndarray, tr_box: np.ndarray) -> np.ndarray:
    """IoU of row-aligned (x, y, w, h) boxes, with TrackEval's arithmetic and guards."""
    gx0, gy0 = gt_box[:, 0], gt_box[:, 1]
    gx1, gy1 = gx0 + gt_box[:, 2], gy0 + gt_box[:, 3]
    tx0, ty0 = tr_box[:, 0], tr_box[:, 1]
    tx1, ty1 = tx0 + tr_box[:, 2], ty0 + tr_box[:, 3]
    inter = np.maximum(np.minimum(gx1, tx1) - np.maximum(gx0, tx0), 0) * np.maximum(
        np.minimum(gy1, ty1) - np.maximum(gy0, ty0), 0
    )
    # Areas from the corners, not from w*h: the same rounding as TrackEval's.
    area_gt = (gx1 - gx0) * (gy1 - gy0)
    area_tr = (tx1 - tx0) * (ty1 - ty0)
    union = area_gt + area_tr - inter
    inter[(area_gt <= EPS) | (area_tr <= EPS) | (union <= EPS)] = 0
    union[union <= EPS] = 1
    return inter / union


def prepare_sequence(seq: SequenceData) -> PreparedSequence:
    """Apply MOT Challenge's preprocessing to one sequence."""
    n = seq.num_frames
    gt_order = np.argsort(seq.gt_frame, kind="stable")
    tr_order = np.argsort(seq.tr_frame, kind="stable")
    gt_frame = seq.gt_frame[gt_order] - 1
    tr_frame = seq.tr_frame[tr_order] - 1
    gt_start = frame_starts(gt_frame, n)
    tr_start = frame_starts(tr_frame, n)
    pair_start, pair_frame, pair_gt, pair_tr = frame_pairs(gt_start, tr_start)
    iou = box_iou(seq.gt_box[gt_order][pair_gt], seq.tr_box[tr_order][pair_tr])

    gt_class = seq.gt_class[gt_order]
    candidate = iou >= MATCH_IOU - EPS
    crowded = ambiguous_frames(candidate, pair_gt, pair_tr, gt_frame, tr_frame, n)
    distractors = [MOT_CLASS_IDS[name] for name in distractor_classes(seq.name)]
    removed = _distractor_matches(
        np.isin(gt_class, distractors),
        candidate,
        crowded,
        pair_start,
        pair_frame,
        pair_gt,
        pair_tr,
        iou,
    )
    keep_tr = np.ones(len(tr_order), dtype=bool)
    keep_tr[removed] = False
    # MOT reads the consider flag as an integer: 0.4 is 0.
    keep_gt = (gt_class == PEDESTRIAN) & (seq.gt_conf[gt_order].astype(np.int64) != 0)
    keep_pair = keep_gt[pair_gt] & keep_tr[pair_tr]

    gt_rows, tr_rows = gt_order[keep_gt], tr_order[keep_tr]
    gt_ids, gt_index = np.unique(seq.gt_id[gt_rows], return_inverse=True)
    tr_ids, tr_index = np.unique(seq.tr_id[tr_rows], return_inverse=True)
    kept_gt_frame, kept_tr_frame = gt_frame[keep_gt], tr_frame[keep_tr]
    new_gt_start = frame_starts(kept_gt_frame, n)
    new_tr_start = frame_starts(kept_tr_frame, n)
    new_pairs = frame_pairs(new_gt_start, new_tr_start)
    return PreparedSequence(
        name=seq.name,
        num_frames=n,
        gt_frame=kept_gt_frame,
        gt_index=gt_index.reshape(-1),
        tr_frame=kept_tr_frame,
        tr_index=tr_index.reshape(-1),
        gt_start=new_gt_start,
        tr_start=new_tr_start,
        pair_start=new_pairs[0],
        pair_frame=new_pairs[1],
        pair_gt=new_pairs[2],
        pair_tr=new_pairs[3],
        pair_iou=iou[keep_pair],
        gt_ids=gt_ids,
        tr_ids=tr_ids,
        gt_row=gt_rows,
        tr_row=tr_rows,
    )


def ambiguous_frames(
    chosen: np.ndarray,
    pair_gt: np.ndarray,
    pair_tr: np.ndarray,
    gt_frame: np.ndarray,
    tr_frame: np.ndarray,
    num_frames: int,
) -> np.ndarray:
    """Per frame: whether the ``chosen`` pairs share a ground-truth or a tracker row. Where
    they do not, every maximum-weight assignment takes exactly the chosen pairs (their
    weights positive, all others 0), so only the ambiguous frames need the solver."""
    per_gt = np.bincount(pair_gt[chosen], minlength=len(gt_frame))
    per_tr = np.bincount(pair_tr[chosen], minlength=len(tr_frame))
    out = np.zeros(num_frames, dtype=bool)
    out[gt_frame[per_gt > 1]] = True
    out[tr_frame[per_tr > 1]] = True
    return out


def _distractor_matches(
    is_distractor: np.ndarray,
    candidate: np.ndarray,
    crowded: np.ndarray,
    pair_start: np.ndarray,
    pair_frame: np.ndarray,
    pair_gt: np.ndarray,
    pair_tr: np.ndarray,
    iou: np.ndarray,
) -> np.ndarray:
    """Tracker rows (sorted order) that the IoU >= 0.5 assignment pairs with a distractor."""
    matched = candidate & ~crowded[pair_frame]
    with_distractor = np.zeros(len(crowded), dtype=bool)
    with_distractor[pair_frame[is_distractor[pair_gt]]] = True
    for t in np.unique(pair_frame[candidate & (crowded & with_distractor)[pair_frame]]):
        p0, p1 = pair_start[t], pair_start[t + 1]
        rows = pair_gt[p1 - 1] - pair_gt[p0] + 1
        block = iou[p0:p1].reshape(rows, -1)
        scores = np.where(block < MATCH_IOU - EPS, 0.0, block)
        r, c = linear_sum_assignment(-scores)
        kept = scores[r, c] > EPS
        matched[p0 + r[kept] * block.shape[1] + c[kept]] = True
    return np.unique(pair_tr[matched & is_distractor[pair_gt]])
