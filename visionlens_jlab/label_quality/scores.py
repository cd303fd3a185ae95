"""Label-quality scores of every ground-truth and predicted box, and of every image.

Four issue types, each a score in [0, 1] where lower means the label is more likely wrong
(cleanlab's convention):

* ``overlooked`` (predictions): a confident prediction that no ground truth covers,
  ``1 - c * (1 - cover)``, with ``cover`` the best IoU with any ground truth ramped to 1 at
  :data:`COVER_IOU`;
* ``swapped`` (ground truth): a confident prediction of another class sits on the box and
  no prediction of its own class does, ``1 - max(0, other - same)``, each side the best
  ``c * ramp(IoU)`` (0 below :data:`SWAP_IOU_LOW`, 1 from :data:`SWAP_IOU_HIGH`);
* ``badly_located`` (ground truth): the best same-class prediction overlaps the box but
  with a low IoU ``u``, ``1 - c * (1 - u)``; no same-class prediction is no evidence (1);
* ``spurious`` (ground truth): no prediction of any class supports the box,
  ``1 - w * (1 - support)``, ``support`` the best ``c * ramp(IoU)``; ``w`` (below 1) says
  how little a detector's silence proves (detectors miss objects).

The overlap is box IoU, or any other IoU of the same pairs passed as ``pairs`` (the job
passes mask IoU, :mod:`~visionlens_jlab.evaluate.masks`, when both sides carry masks): the
formulas are the same, only the overlap they read changes.

A prediction is evidence only for the ground truth it overlaps most (its *owner*): a box
spawned over part of a real object is not supported by that object's prediction, and a
neighbour's prediction does not make a box look swapped. ObjectLab (cleanlab) lets every
prediction count for every box and has no spurious type; see docs/label_quality.md.

Everything is vectorised over all images at once: candidate (prediction, ground truth)
pairs come from :func:`~visionlens_jlab.evaluate.boxes.group_pairs` on the image index, a
chunk of predictions at a time (bounded memory), and the per-box reductions are
``np.maximum.at`` scatters. No Python loop runs per image or per box.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..evaluate.boxes import Boxes, group_pairs, pair_iou

ISSUES = ("overlooked", "swapped", "badly_located", "spurious")
"""The issue types, in the order of :attr:`LabelQuality.type_scores`' columns."""
GT_ISSUES = ("swapped", "badly_located", "spurious")
DEFAULT_THRESHOLDS = {
    "overlooked": 0.36,
    "swapped": 0.28,
    "badly_located": 0.65,
    "spurious": 0.53,
}
"""A box is flagged when its type score is below these (chosen by
``benchmarks/bench_label_quality.py``: see benchmarks/results/label_quality.md)."""
COVER_IOU = 0.5
SWAP_IOU_LOW, SWAP_IOU_HIGH = 0.3, 0.6
SUPPORT_IOU = 0.5
SPURIOUS_WEIGHT = 0.5
TEMPERATURE = 0.1
"""Soft-min temperature of the image score: low, so one bad box marks its image."""
PairIou = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``(prediction indices, ground-truth indices)`` -> the IoU of each pair (same image)."""
PAIRS_PER_CHUNK = 4_000_000
"""Candidate pairs held at once (a few hundred MB of temporaries at most)."""


@dataclass
class LabelQuality:
    """Scores of one dataset against one model.

    Per box (ground truth and predictions, in the order of the inputs): the four type
    scores (``NaN`` where a type does not apply: predictions are only ever overlooked,
    ground truth never), the most likely issue (index into :data:`ISSUES`) and its score.
    Per image (index of the inputs' ``image``): the soft-min of its boxes' scores (1.0
    for an image without boxes) and, per type, how many boxes are flagged.
    """

    gt_types: np.ndarray  # (n_gt, 4) float
    dt_types: np.ndarray  # (n_dt, 4) float
    gt_issue: np.ndarray  # (n_gt,) int8 into ISSUES
    gt_score: np.ndarray
    dt_issue: np.ndarray
    dt_score: np.ndarray
    image_score: np.ndarray  # (n_images,)
    image_counts: np.ndarray  # (n_images, 4) int: flagged boxes per type
    thresholds: dict[str, float]


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def check_thresholds(thresholds: dict[str, float] | None) -> dict[str, float]:
    """The defaults updated with ``thresholds``; ValueError for an unknown type or a value
    outside [0, 1]."""
    out = dict(DEFAULT_THRESHOLDS)
    for name, value in (thresholds or {}).items():
        if name not in DEFAULT_THRESHOLDS:
            raise ValueError(f"unknown issue type {name!r}; known: {', '.join(ISSUES)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"the threshold of {name!r} must be a number in [0, 1], not {value!r}")
        out[name] = float(value)
    return out


def score_labels(
    gt: Boxes,
    dt: Boxes,
    n_images: int,
    *,
    thresholds: dict[str, float] | None = None,
    temperature: float = TEMPERATURE,
    progress: Callable[[float, str], None] | None = None,
    pairs: PairIou | None = None,
) -> LabelQuality:
    """Score every box of ``gt`` (ground truth) and ``dt`` (one model's predictions, with
    their confidences in ``score``) and every image ``0 .. n_images - 1``. ``pairs``: the
    overlap of (prediction, ground truth) index pairs of one image each (None: box IoU)."""
    overlap = pairs if pairs is not None else lambda d, g: pair_iou(dt, gt, d, g)
    limits = check_thresholds(thresholds)
    n_gt, n_dt = len(gt), len(dt)
    conf = np.clip(np.nan_to_num(dt.score.astype(float), nan=1.0), 0.0, 1.0)
    # per prediction: best IoU with any ground truth (its owner's IoU)
    dt_best = np.zeros(n_dt)
    # per ground truth: best c*ramp over owned predictions, same class / other class / any,
    # the best same-class IoU among owned predictions and the confidence behind it
    same_ev, other_ev, support = np.zeros(n_gt), np.zeros(n_gt), np.zeros(n_gt)
    loc_iou, loc_conf = np.zeros(n_gt), np.zeros(n_gt)
    # the same-class owned pairs (at most about one per prediction), for the IoU of the
    # best same-class match and the confidence behind it once every chunk is seen
    located: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    chunks = _chunks(dt.image, gt.image)
    for k, (lo, hi) in enumerate(chunks):
        # a chunk holds every pair of its predictions, so their owners are known here
        d, g = group_pairs(dt.image[lo:hi], gt.image)
        d += lo
        iou = overlap(d, g)
        keep = iou > 0
        d, g, iou = d[keep], g[keep], iou[keep]
        np.maximum.at(dt_best, d, iou)
        owned = iou >= dt_best[d]
        d, g, iou = d[owned], g[owned], iou[owned]
        c = conf[d]
        same = dt.cat[d] == gt.cat[g]
        strong = c * _ramp(iou, SWAP_IOU_LOW, SWAP_IOU_HIGH)
        np.maximum.at(same_ev, g[same], strong[same])
        np.maximum.at(other_ev, g[~same], strong[~same])
        np.maximum.at(support, g, c * np.minimum(iou / SUPPORT_IOU, 1.0))
        located.append((g[same], iou[same], c[same]))
        if progress is not None:
            progress((k + 1) / len(chunks), f"matched {hi:,} of {n_dt:,} predictions")
    if located:
        g, iou, c = (np.concatenate(parts) for parts in zip(*located, strict=True))
        np.maximum.at(loc_iou, g, iou)
        best = iou >= loc_iou[g]
        np.maximum.at(loc_conf, g[best], c[best])
    gt_types = np.full((n_gt, 4), np.nan)
    gt_types[:, 1] = 1.0 - np.maximum(other_ev - same_ev, 0.0)
    gt_types[:, 2] = np.where(loc_iou > 0, 1.0 - loc_conf * (1.0 - loc_iou), 1.0)
    gt_types[:, 3] = 1.0 - SPURIOUS_WEIGHT * (1.0 - support)
    dt_types = np.full((n_dt, 4), np.nan)
    dt_types[:, 0] = 1.0 - conf * (1.0 - np.minimum(dt_best / COVER_IOU, 1.0))
    gt_issue, gt_score = _most_likely(gt_types)
    dt_issue, dt_score = _most_likely(dt_types)
    image_score = _soft_min(
        np.concatenate([gt.image, dt.image]), np.concatenate([gt_score, dt_score]), n_images,
        temperature,
    )  # fmt: skip
    image_counts = np.zeros((n_images, 4), np.int64)
    limit = np.array([limits[name] for name in ISSUES])
    for image, issue, score in ((gt.image, gt_issue, gt_score), (dt.image, dt_issue, dt_score)):
        flagged = score < limit[issue]
        np.add.at(image_counts, (image[flagged], issue[flagged]), 1)
    return LabelQuality(
        gt_types, dt_types, gt_issue, gt_score, dt_issue, dt_score, image_score,
        image_counts, limits,
    )  # fmt: skip


def _chunks(dt_image: np.ndarray, gt_image: np.ndarray) -> list[tuple[int, int]]:
    """Ranges of predictions whose candidate pairs number about :data:`PAIRS_PER_CHUNK`."""
    n = len(dt_image)
    if n == 0:
        return []
    per_image = np.bincount(gt_image, minlength=int(dt_image.max()) + 1) if len(gt_image) else None
    pairs = per_image[dt_image] if per_image is not None else np.zeros(n, np.int64)
    cum = np.cumsum(pairs)
    bounds = np.searchsorted(cum, np.arange(PAIRS_PER_CHUNK, int(cum[-1]), PAIRS_PER_CHUNK))
    edges = np.unique(np.r_[0, bounds, n])
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _most_likely(types: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the index of the lowest type score (ties: the first type) and that score."""
    if not len(types):
        return np.zeros(0, np.int8), np.zeros(0)
    filled = np.where(np.isnan(types), np.inf, types)
    issue = np.argmin(filled, axis=1)
    return issue.astype(np.int8), filled[np.arange(len(types)), issue]


def _soft_min(
    image: np.ndarray, score: np.ndarray, n_images: int, temperature: float
) -> np.ndarray:
    """Per image, ``sum(s * e^(-s/t)) / sum(e^(-s/t))`` over its boxes' scores; 1.0 for an
    image without boxes. Shifted by the image's minimum so the exponentials never underflow."""
    low = np.ones(n_images)
    np.minimum.at(low, image, score)
    weight = np.exp(-(score - low[image]) / temperature)
    num, den = np.zeros(n_images), np.zeros(n_images)
    np.add.at(num, image, score * weight)
    np.add.at(den, image, weight)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)
