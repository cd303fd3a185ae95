"""Column arrays of boxes, grouping of boxes into candidate pairs, and vectorised IoU.

Every protocol works on the same representation: one :class:`Boxes` for the ground truth and
one for the predictions, each a set of parallel numpy arrays. Candidate (prediction, ground
truth) pairs are generated per group (image and class, or image only) with array arithmetic;
nothing on these paths loops over boxes in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Boxes:
    """Boxes of one source as parallel arrays (absolute pixels, top-left ``x, y, w, h``).

    ``image`` is the position of the box's image in the evaluation's image order and ``cat``
    the index of its class name in the evaluation's class list. ``order`` is the box's
    position in its source (annotation id order), which breaks ties exactly as the
    reference tools do. ``area`` is the COCO area (segmentation area for ground truth when
    the source had one, ``w*h`` otherwise).
    """

    ann_id: np.ndarray
    image: np.ndarray
    cat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    h: np.ndarray
    area: np.ndarray
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))
    crowd: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    difficult: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        n = len(self.ann_id)
        if len(self.score) != n:
            self.score = np.ones(n)
        if len(self.crowd) != n:
            self.crowd = np.zeros(n, dtype=bool)
        if len(self.difficult) != n:
            self.difficult = np.zeros(n, dtype=bool)

    def __len__(self) -> int:
        return len(self.ann_id)

    @classmethod
    def empty(cls) -> Boxes:
        """No boxes."""
        z = np.zeros(0)
        return cls(
            np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), z, z, z, z, z
        )

    def take(self, index: np.ndarray) -> Boxes:
        """The boxes at ``index`` (an integer or boolean array), as a new :class:`Boxes`."""
        return Boxes(
            *(getattr(self, name)[index] for name in _FIELDS),
        )


_FIELDS = ("ann_id", "image", "cat", "x", "y", "w", "h", "area", "score", "crowd", "difficult")


def group_pairs(dt_group: np.ndarray, gt_group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (prediction index, ground-truth index) pair whose group keys are equal.

    Pairs come out ordered by prediction index, then by ground-truth index (the ground
    truth's own order inside its group).
    """
    gt_sorted = np.argsort(gt_group, kind="stable")
    keys = gt_group[gt_sorted]
    lo = np.searchsorted(keys, dt_group, side="left")
    hi = np.searchsorted(keys, dt_group, side="right")
    counts = hi - lo
    total = int(counts.sum())
    dt_idx = np.repeat(np.arange(len(dt_group)), counts)
    starts = np.cumsum(counts) - counts
    offset = np.arange(total) - np.repeat(starts, counts)
    gt_idx = gt_sorted[np.repeat(lo, counts) + offset]
    return dt_idx, gt_idx


def pair_iou(
    dt: Boxes,
    gt: Boxes,
    dt_idx: np.ndarray,
    gt_idx: np.ndarray,
    *,
    plus_one: bool = False,
    crowd: np.ndarray | None = None,
) -> np.ndarray:
    """IoU of each pair, computed exactly as the reference tools do.

    Continuous (``plus_one=False``): pycocotools' ``bbIou``: intersection over
    ``det_area + gt_area - intersection``, or over ``det_area`` alone when the ground truth
    is a crowd region (``crowd[g]``), in the same floating-point operation order so that
    threshold decisions agree bit for bit. ``plus_one=True``: the PASCAL VOC devkit /
    Cartucho / Padilla "+1 pixel" convention, where a box spans ``x2 - x1 + 1`` pixels.
    """
    dx, dy, dw, dh = dt.x[dt_idx], dt.y[dt_idx], dt.w[dt_idx], dt.h[dt_idx]
    gx, gy, gw, gh = gt.x[gt_idx], gt.y[gt_idx], gt.w[gt_idx], gt.h[gt_idx]
    if plus_one:
        dx2, dy2, gx2, gy2 = dx + dw, dy + dh, gx + gw, gy + gh
        iw = np.minimum(dx2, gx2) - np.maximum(dx, gx) + 1.0
        ih = np.minimum(dy2, gy2) - np.maximum(dy, gy) + 1.0
        da = (dx2 - dx + 1.0) * (dy2 - dy + 1.0)
        ga = (gx2 - gx + 1.0) * (gy2 - gy + 1.0)
    else:
        iw = np.minimum(dw + dx, gw + gx) - np.maximum(dx, gx)
        ih = np.minimum(dh + dy, gh + gy) - np.maximum(dy, gy)
        da = dw * dh
        ga = gw * gh
    overlap = (iw > 0) & (ih > 0)
    inter = np.where(overlap, iw * ih, 0.0)
    union = da + ga - inter
    if crowd is not None:
        union = np.where(crowd[gt_idx], da, union)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(overlap, inter / np.where(overlap, union, 1.0), 0.0)
    return iou


def rank_in_group(group: np.ndarray, score: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Each box's 0-based rank inside its group by descending score (ties: source order)."""
    sort = np.lexsort((order, -score, group))
    g = group[sort]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.zeros(0, np.int64)
    seg_len = np.diff(np.r_[starts, len(g)])
    pos = np.arange(len(g)) - np.repeat(starts, seg_len)
    rank = np.empty(len(g), np.int64)
    rank[sort] = pos
    return rank
