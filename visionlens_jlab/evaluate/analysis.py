"""Per-box outcomes at one IoU threshold: TP/FP/FN, FP error types, and the confusion matrix.

Both protocols reduce to the same :class:`BoxOutcomes`; this module then explains every false
positive (TIDE-style, in this order of precedence):

* ``duplicate``: IoU >= t with a ground truth of its class that another, higher-scoring
  prediction already took;
* ``class_confusion``: IoU >= t with a ground truth of *another* class
  (``confused_with`` = that class);
* ``localization``: IoU in [0.1, t) with a ground truth of its class;
* ``background``: none of the above.

The confusion matrix has ground-truth classes as rows and predicted classes as columns,
plus a ``background`` row/column: a TP counts on the diagonal, a class confusion at
(true class, predicted class), any other FP at (background, predicted class), and a missed
ground truth at (true class, background) unless a class confusion already accounts for it.
Ignored boxes (crowd regions, difficult boxes, predictions beyond maxDets) count nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .boxes import Boxes
from .coco import CocoMatch
from .image_pairs import ImagePairs
from .similarity import PairSimilarity, box_similarity
from .tide import TideObjects
from .voc import VocMatch

TP, FP, FN, IGNORED = 0, 1, 2, 3
STATUS_NAMES = ("tp", "fp", "fn", "ignored")
DUPLICATE, CLASS_CONFUSION, LOCALIZATION, BACKGROUND = 0, 1, 2, 3
ERROR_NAMES = ("duplicate", "class_confusion", "localization", "background")
BACKGROUND_IOU = 0.1
"""Below this IoU with every ground truth a false positive is a background error (TIDE)."""
FP_CHUNK = 65_536
"""False positives explained per step (bounds their pairs' temporaries to a few tens of MB)."""


@dataclass
class BoxOutcomes:
    """Per-box results at one threshold; ``-1`` means none in the index arrays."""

    threshold: float
    dt_status: np.ndarray
    dt_other: np.ndarray  # matched / related ground-truth index
    dt_iou: np.ndarray
    dt_error: np.ndarray  # error code for FPs, -1 otherwise
    dt_confused: np.ndarray  # class index a confused FP overlapped, -1 otherwise
    gt_status: np.ndarray
    gt_other: np.ndarray  # matching prediction index
    gt_iou: np.ndarray
    gt_confused: np.ndarray  # predicted class of a confusion that explains a miss, or -1
    tide: TideObjects | None = None  # each object's TIDE error (COCO bbox and segm)
    # the false positives' pairs with the usable ground truth of their image, which TIDE's
    # typing reads again (:mod:`.image_pairs`); None when no false positive was explained
    fp_pairs: ImagePairs | None = None


def outcomes_from_coco(
    gt: Boxes,
    dt: Boxes,
    match: CocoMatch,
    t_index: int,
    *,
    plus_one: bool = False,
    similarity: PairSimilarity | None = None,
) -> BoxOutcomes:
    """Outcomes at threshold ``t_index`` for area range "all" and the largest maxDets;
    ``similarity``: the matching's (default: box IoU with ``plus_one``)."""
    if t_index != match.gt_at:
        raise ValueError(f"the matching kept the matches at threshold {match.gt_at}, not {t_index}")
    sim = similarity or box_similarity(gt, dt, plus_one=plus_one)
    dt_gt = match.dt_gt.astype(np.int64)
    ignored = match.dt_ignored[0, t_index] | ~match.kept
    matched = dt_gt >= 0
    dt_status = np.where(ignored, IGNORED, np.where(matched, TP, FP))
    gt_other = np.full(len(gt), -1, dtype=np.int64)
    tp = dt_status == TP
    gt_other[dt_gt[tp]] = np.flatnonzero(tp)
    gt_status = np.where(match.gt_ignored[0], IGNORED, np.where(gt_other >= 0, TP, FN))
    # IoU of each match, with the same formula the matching used (crowd: over the det area).
    iou = np.zeros(len(dt))
    m = np.flatnonzero(matched)
    iou[m] = sim.pairs(m, dt_gt[m], True)
    return _finish(
        gt,
        dt,
        float(match.thresholds[t_index]),
        dt_status,
        dt_gt,
        iou,
        gt_status,
        gt_other,
        match.gt_ignored[0],
        sim,
    )


def outcomes_from_voc(
    gt: Boxes, dt: Boxes, match: VocMatch, threshold: float, *, plus_one: bool
) -> BoxOutcomes:
    """Outcomes of a VOC matching."""
    dt_status = np.where(match.ignored, IGNORED, np.where(match.tp, TP, FP))
    gt_status = np.where(match.gt_ignored, IGNORED, np.where(match.gt_matched_by >= 0, TP, FN))
    related = np.where(match.tp | match.ignored, match.dt_gt, -1)
    return _finish(
        gt,
        dt,
        threshold,
        dt_status,
        related,
        match.dt_iou,
        gt_status,
        match.gt_matched_by,
        match.gt_ignored,
        box_similarity(gt, dt, plus_one=plus_one),
    )


def _finish(
    gt: Boxes,
    dt: Boxes,
    threshold: float,
    dt_status: np.ndarray,
    dt_other: np.ndarray,
    dt_iou: np.ndarray,
    gt_status: np.ndarray,
    gt_other: np.ndarray,
    gt_ignored: np.ndarray,
    similarity: PairSimilarity,
) -> BoxOutcomes:
    """Explain every FP (error type, related box, IoU) and fill the ground-truth side."""
    dt_other = dt_other.copy()
    dt_iou = np.where(dt_status == FP, 0.0, dt_iou)  # FPs get the IoU of their explanation
    dt_error = np.full(len(dt), -1, dtype=np.int64)
    dt_confused = np.full(len(dt), -1, dtype=np.int64)
    gt_confused = np.full(len(gt), -1, dtype=np.int64)
    gt_iou = np.zeros(len(gt))
    has = gt_other >= 0
    gt_iou[has] = dt_iou[gt_other[has]]

    fp = np.flatnonzero(dt_status == FP)
    dt_error[fp] = BACKGROUND
    usable = np.flatnonzero(~gt_ignored)
    pairs = None
    if len(usable):
        # the false positives a slice at a time (ascending, as the explanations' writes
        # must be): the pairs of all of them with every object of their image, and their
        # temporaries, take ~200 MB at 100K images (their similarities alone ~15 MB, kept)
        pairs = ImagePairs(gt, dt, usable, similarity)
        explained = _Explained(dt_error, dt_other, dt_iou, dt_confused, gt_confused)
        for lo in range(0, len(fp), FP_CHUNK):
            _explain(gt, dt, fp[lo : lo + FP_CHUNK], pairs, threshold, gt_status, explained)
    return BoxOutcomes(
        threshold,
        dt_status,
        dt_other,
        dt_iou,
        dt_error,
        dt_confused,
        gt_status,
        gt_other,
        gt_iou,
        gt_confused,
        fp_pairs=pairs,
    )


@dataclass
class _Explained:
    """The per-object arrays :func:`_explain` fills in."""

    dt_error: np.ndarray
    dt_other: np.ndarray
    dt_iou: np.ndarray
    dt_confused: np.ndarray
    gt_confused: np.ndarray


def _explain(
    gt: Boxes,
    dt: Boxes,
    fp: np.ndarray,
    pairs: ImagePairs,
    threshold: float,
    gt_status: np.ndarray,
    out: _Explained,
) -> None:
    """Explain the false positives ``fp`` (ascending) by their ``pairs`` with the usable
    ground truth of their images."""
    p, g, iou = pairs.of(fp)
    if not len(p):
        return
    d = fp[p]  # by prediction, then ground truth in its own order within the image
    same = dt.cat[d] == gt.cat[g]
    # Highest-priority explanation per FP: rank pairs by (kind, IoU) and keep the best.
    kind = np.full(len(d), -1)
    kind[same & (iou >= BACKGROUND_IOU)] = 1  # localization
    kind[~same & (iou >= threshold)] = 2  # class confusion
    kind[same & (iou >= threshold)] = 3  # duplicate
    sort = np.lexsort((-iou, -kind, d))
    first = sort[np.r_[True, d[sort][1:] != d[sort][:-1]]]
    first = first[kind[first] >= 0]
    code = np.array([-1, LOCALIZATION, CLASS_CONFUSION, DUPLICATE])[kind[first]]
    out.dt_error[d[first]] = code
    out.dt_other[d[first]] = g[first]
    out.dt_iou[d[first]] = iou[first]
    conf = first[kind[first] == 2]
    out.dt_confused[d[conf]] = gt.cat[g[conf]]
    # A missed ground truth that a confused prediction overlapped: explained by it.
    missed = gt_status[g[conf]] == FN
    out.gt_confused[g[conf][missed]] = dt.cat[d[conf][missed]]


def confusion_matrix(gt: Boxes, dt: Boxes, out: BoxOutcomes, n_cats: int) -> np.ndarray:
    """``(K+1, K+1)`` counts, rows = true class, columns = predicted class; index K = background."""
    bg = n_cats
    size = (n_cats + 1) * (n_cats + 1)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    tp = out.dt_status == TP
    rows.append(dt.cat[tp])
    cols.append(dt.cat[tp])
    conf = (out.dt_status == FP) & (out.dt_error == CLASS_CONFUSION)
    rows.append(out.dt_confused[conf])
    cols.append(dt.cat[conf])
    other_fp = (out.dt_status == FP) & ~conf
    rows.append(np.full(int(other_fp.sum()), bg))
    cols.append(dt.cat[other_fp])
    # A missed ground truth that a class confusion explains is not counted again as a miss.
    explained = np.zeros(len(gt), dtype=bool)
    explained[out.gt_confused >= 0] = True
    fn = (out.gt_status == FN) & ~explained
    rows.append(gt.cat[fn])
    cols.append(np.full(int(fn.sum()), bg))
    r = np.concatenate(rows).astype(np.int64)
    c = np.concatenate(cols).astype(np.int64)
    return np.bincount(r * (n_cats + 1) + c, minlength=size).reshape(n_cats + 1, n_cats + 1)
