"""The LVIS protocol (federated evaluation), numerically identical to the ``lvis`` API's
``LVISEval`` with ``LVISResults(max_dets=300)`` (and to hotcoco's ``LVISeval``).

It is the COCO matching (:func:`~.coco.match_coco`) with LVIS's rules around it:

* each image keeps its ``max_dets`` (300) highest-scoring predictions across all classes,
  ties in source order (``LVISResults``' per-image cap; the others are ignored);
* federated: a prediction of a class that is neither in the image's ground truth (its
  positive set) nor in its ``neg_category_ids`` is not evaluated (ignored);
* a prediction left unmatched in a class of the image's ``not_exhaustive_category_ids``
  is ignored, not a false positive (its ground truth may be missing);
* no crowd regions (every ground truth is a plain one, as ``LVISEval`` computes IoUs) and
  no per-(image, class) detection limit beyond the cap;
* summaries: AP, AP50, AP75, APs/APm/APl, APr/APc/APf (the classes' ``frequency``: rare,
  common, frequent) and AR@300, ARs@300, ARm@300, ARl@300, -1 where undefined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .boxes import Boxes
from .coco import IOU_THRESHOLDS, RECALL_THRESHOLDS, CocoMatch, match_coco
from .similarity import PairSimilarity

LVIS_MAX_DETS = 300
"""Predictions per image (``LVISResults``' default ``max_dets``)."""
FREQUENCY_GROUPS = ("r", "c", "f")
"""LVIS frequency groups, in ``LVISEval``'s order (``img_count_lbl``)."""
AREA_NAMES = ("all", "small", "medium", "large")
LVIS_STAT_NAMES = (
    "AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf",
    "AR@300", "ARs@300", "ARm@300", "ARl@300",
)  # fmt: skip
"""``LVISEval.results``' keys, in its order."""


@dataclass
class LvisSets:
    """What LVIS adds to a dataset: per image its negative and not-exhaustive classes (as
    ``image * n_cats + class`` group keys, the evaluation's image and class indices) and per
    class its frequency group (index in :data:`FREQUENCY_GROUPS`, -1: none)."""

    neg_groups: np.ndarray
    not_exhaustive_groups: np.ndarray
    frequency: np.ndarray


@dataclass
class LvisResult:
    """An LVIS evaluation: the matching (predictions not evaluated are not ``kept``),
    precision ``(T, R, K, A, 1)``, recall ``(T, K, A, 1)`` and the summary numbers."""

    match: CocoMatch
    precision: np.ndarray
    recall: np.ndarray
    stats: dict[str, float]


def cap_per_image(dt: Boxes, max_dets: int = LVIS_MAX_DETS) -> np.ndarray:
    """Whether each prediction is among its image's ``max_dets`` best (score descending,
    ties in source order: the boxes' order)."""
    order = np.lexsort((np.arange(len(dt)), -dt.score, dt.image))
    sorted_image = dt.image[order]
    starts = np.searchsorted(sorted_image, sorted_image, side="left")
    keep = np.zeros(len(dt), dtype=bool)
    keep[order] = (np.arange(len(dt)) - starts) < max_dets
    return keep


def federated(gt: Boxes, dt: Boxes, n_cats: int, neg_groups: np.ndarray) -> np.ndarray:
    """Whether each prediction's class is in its image's positive set (a ground truth of
    that class there) or negative set: the only predictions LVIS evaluates."""
    dt_group = dt.image * n_cats + dt.cat
    known = np.union1d(gt.image * n_cats + gt.cat, neg_groups)
    return np.isin(dt_group, known)


def tide_ignored(gt: Boxes, dt: Boxes, n_cats: int, sets: LvisSets) -> np.ndarray:
    """Per prediction, whether ``tidecv.datasets.LVIS`` (TIDE's reading of an LVIS file)
    puts an ignore region over its whole image for its class: a class neither in the
    image's ground truth nor in its negative set (nobody checked it), or one of the image's
    not-exhaustive classes. (tidecv leaves a class outside the file's categories out of
    these; an import refuses such predictions, so every class here is one.) TIDE runs with
    these as :func:`~.tide.tide_errors`' ``image_wide_ignored``."""
    unverified = ~federated(gt, dt, n_cats, sets.neg_groups)
    return unverified | np.isin(dt.image * n_cats + dt.cat, sets.not_exhaustive_groups)


def evaluate_lvis(
    gt: Boxes,
    dt: Boxes,
    n_cats: int,
    sets: LvisSets,
    similarity: PairSimilarity,
    thresholds: np.ndarray = IOU_THRESHOLDS,
    *,
    gt_at: int = 0,
) -> LvisResult:
    """Match, accumulate and summarise as ``LVISEval.run()``; ``gt`` must have no crowd
    flags (LVIS has none) and ``similarity`` be built on these boxes."""
    keep = cap_per_image(dt) & federated(gt, dt, n_cats, sets.neg_groups)
    match = match_coco(
        gt, dt, n_cats, thresholds, max_det=LVIS_MAX_DETS, similarity=similarity,
        gt_at=gt_at, keep=keep,
    )  # fmt: skip
    not_exhaustive = keep & np.isin(dt.image * n_cats + dt.cat, sets.not_exhaustive_groups)
    # Unmatched predictions of a not-exhaustive class: ignored, in every area and threshold.
    cols = np.flatnonzero(not_exhaustive)
    match.dt_ignored[:, :, cols] |= ~match.matched[:, :, cols]
    precision, recall = accumulate_lvis(gt, dt, match, n_cats)
    stats = summarize_lvis(precision, recall, thresholds, sets.frequency)
    return LvisResult(match, precision, recall, stats)


def _mean_defined(values: np.ndarray) -> float:
    defined = values[values > -1]
    return float(np.mean(defined)) if defined.size else -1.0


def summarize_lvis(
    precision: np.ndarray, recall: np.ndarray, thresholds: np.ndarray, frequency: np.ndarray
) -> dict[str, float]:
    """``LVISEval.summarize()``: the numbers of :data:`LVIS_STAT_NAMES` (standard thresholds
    only, as ``thresholds`` may carry an extra one for the per-box results)."""
    std = np.flatnonzero(np.isin(thresholds, IOU_THRESHOLDS))
    at = {iou: np.flatnonzero(thresholds == iou) for iou in (0.5, 0.75)}
    p, r = precision[..., 0], recall[..., 0]  # one maxDets
    out = {
        "AP": _mean_defined(p[std][:, :, :, 0]),
        "AP50": _mean_defined(p[at[0.5]][:, :, :, 0]),
        "AP75": _mean_defined(p[at[0.75]][:, :, :, 0]),
    }
    for a, name in enumerate(AREA_NAMES[1:], start=1):
        out[f"AP{name[0]}"] = _mean_defined(p[std][:, :, :, a])
    for g, name in enumerate(FREQUENCY_GROUPS):
        classes = np.flatnonzero(frequency[: p.shape[2]] == g)
        out[f"AP{name}"] = _mean_defined(p[std][:, :, classes, 0])
    out[f"AR@{LVIS_MAX_DETS}"] = _mean_defined(r[std][:, :, 0])
    for a, name in enumerate(AREA_NAMES[1:], start=1):
        out[f"AR{name[0]}@{LVIS_MAX_DETS}"] = _mean_defined(r[std][:, :, a])
    return {name: out[name] for name in LVIS_STAT_NAMES}


def accumulate_lvis(
    gt: Boxes, dt: Boxes, match: CocoMatch, n_cats: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~.coco.accumulate_coco` with one maxDets (every kept prediction), every class
    at once: precision ``(T, R, K, A, 1)`` and recall ``(T, K, A, 1)``, bit for bit.

    LVIS has ~1200 classes, and a cell per (class, area) in Python was most of its time.
    The running sums restart at each class's first prediction; the precision envelope (the
    maximum to the right, within the class) is taken on integer ranks offset per class, and
    the recall thresholds are found on the integer true-positive counts (``tp / n_gt >= r``
    exactly when ``tp >= m``, ``m`` the least integer for which the float division reaches
    ``r``), so nothing is rounded differently from pycocotools' per-class arrays."""
    n_t, n_r, n_a = len(match.thresholds), len(RECALL_THRESHOLDS), match.gt_ignored.shape[0]
    precision = -np.ones((n_t, n_r, n_cats, n_a, 1))
    recall = -np.ones((n_t, n_cats, n_a, 1))
    kept = np.flatnonzero(match.kept)
    order = kept[np.lexsort((match.rank[kept], dt.image[kept], -dt.score[kept], dt.cat[kept]))]
    for a in range(n_a):
        npig = np.bincount(gt.cat[~match.gt_ignored[a]], minlength=n_cats)
        sel = order[npig[dt.cat[order]] > 0]
        cat = dt.cat[sel]
        has_gt = np.flatnonzero(npig > 0)
        precision[:, :, has_gt, a, 0] = 0.0  # classes without a prediction stay 0
        recall[:, has_gt, a, 0] = 0.0
        if not len(sel):
            continue
        cats, start, size = np.unique(cat, return_index=True, return_counts=True)
        seg = np.repeat(np.arange(len(cats)), size)
        ignored = match.dt_ignored[a][:, sel]
        matched = match.matched[a][:, sel]
        tp_sum = _segment_cumsum(matched & ~ignored, start)
        fp_sum = _segment_cumsum(~matched & ~ignored, start)
        tp_f, fp_f = tp_sum.astype(float), fp_sum.astype(float)
        pr = tp_f / (fp_f + tp_f + np.spacing(1))
        last = start + size - 1
        recall[:, cats, a, 0] = tp_f[:, last] / npig[cats]
        # least integer m with m / n_gt >= r, per (class, recall threshold)
        k_gt = npig[cats][:, None]
        m = np.ceil(RECALL_THRESHOLDS[None, :] * k_gt).astype(np.int64)
        m += m / k_gt < RECALL_THRESHOLDS[None, :]
        m -= (m > 0) & ((m - 1) / k_gt >= RECALL_THRESHOLDS[None, :])
        big = int(npig.max()) + 2
        queries = (m + np.arange(len(cats))[:, None] * big).ravel()
        ends = (start + size)[:, None]
        padded = np.concatenate([pr, np.zeros((n_t, 1))], axis=1)  # index len(sel): a 0
        for t in range(n_t):
            at = np.searchsorted(tp_sum[t] + seg * big, queries, side="left").reshape(m.shape)
            at = np.minimum(at, ends)  # not found: the class's end (an empty block)
            # the maximum of pr from each threshold's index to the class's end: maxima of
            # the blocks between consecutive indices, then the maximum to the right
            following = np.concatenate([at[:, 1:], ends], axis=1)
            blocks = np.maximum.reduceat(padded[t], at.ravel()).reshape(at.shape)
            blocks[following <= at] = 0.0  # an empty block (reduceat gives its first value)
            precision[t, :, cats, a, 0] = np.maximum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1]
    return precision, recall


def _segment_cumsum(flags: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Running sums of ``flags`` (``(T, n)``) along axis 1, restarting at each segment."""
    steps = flags.astype(np.int64)
    # each segment's first step takes back the previous segment's total: one cumsum
    steps[:, start[1:]] -= np.add.reduceat(flags, start, axis=1, dtype=np.int64)[:, :-1]
    return np.cumsum(steps, axis=1)
