"""Object keypoint similarity (OKS) for COCO ``keypoints`` evaluation, as ``COCOeval.computeOks``.

For a ground truth with labelled points (``v > 0``) the OKS of a prediction is the mean of
``exp(-d^2 / (2 * area * (2*sigma)^2))`` over those points; a ground truth without labelled
points scores the prediction's distance outside its box grown by its size on each side.
The pairs are computed together, grouped by (keypoint count, labelled count), with the same
floating-point operations in the same order as pycocotools, so threshold decisions agree.

The protocol's own parameters (``COCOeval.setKpParams``): area ranges all, medium and large,
maxDets 20, the 10 summary numbers of ``_summarizeKps``; a ground truth whose
``num_keypoints`` is 0 is ignored (matched predictions too), and a prediction's area is the
extent of its keypoints, as ``COCO.loadRes`` computes it.

Sigmas: the caller's (one per keypoint, for a skeleton of that many points), else COCO's
17 person sigmas for 17-point skeletons, else ``1 / K`` per point (what Ultralytics uses for
pose datasets without sigmas), with a warning in the report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .boxes import Boxes
from .coco import StatSpec
from .labels import ObjectLabels
from .similarity import PairSimilarity

PERSON_SIGMAS_X10 = (0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89)  # fmt: skip
COCO_SIGMAS = np.array(PERSON_SIGMAS_X10) / 10.0
"""``COCOeval.Params.kpt_oks_sigmas`` (the 17 COCO person keypoints), computed the same way."""
KEYPOINT_AREA_RANGES = {
    "all": (0.0, 1e5**2),
    "medium": (32.0**2, 96.0**2),
    "large": (96.0**2, 1e5**2),
}
KEYPOINT_MAX_DETS = (20,)
KEYPOINT_STATS: tuple[StatSpec, ...] = (
    ("AP", True, None, "all", 20), ("AP50", True, 0.5, "all", 20),
    ("AP75", True, 0.75, "all", 20), ("APmedium", True, None, "medium", 20),
    ("APlarge", True, None, "large", 20), ("AR", False, None, "all", 20),
    ("AR50", False, 0.5, "all", 20), ("AR75", False, 0.75, "all", 20),
    ("ARmedium", False, None, "medium", 20), ("ARlarge", False, None, "large", 20),
)  # fmt: skip
"""The 10 numbers of ``COCOeval.stats`` for keypoints, in pycocotools' order."""


def sigmas_for(points: int, given: Sequence[float] | None) -> tuple[np.ndarray, str | None]:
    """The sigmas of a ``points``-keypoint skeleton and a warning when they were guessed."""
    if given is not None and len(given) == points:
        return np.asarray(given, dtype=float), None
    if points == len(COCO_SIGMAS):
        return COCO_SIGMAS, None
    return np.full(points, 1.0 / points), (
        f"no sigmas for {points}-keypoint objects: 1/{points} per keypoint was used "
        "(give the dataset's with --sigmas)"
    )


def keypoint_area(labels: ObjectLabels) -> np.ndarray:
    """Each object's keypoint extent ``(max x - min x) * (max y - min y)`` over all its
    points, labelled or not (``COCO.loadRes``); 0 for an object without keypoints."""
    n = len(labels.offsets) - 1
    area = np.zeros(n)
    has = np.flatnonzero(np.diff(labels.offsets) > 0)
    if len(has):
        xs, ys = labels.keypoints[0::3], labels.keypoints[1::3]
        starts = labels.offsets[has] // 3
        width = np.maximum.reduceat(xs, starts) - np.minimum.reduceat(xs, starts)
        height = np.maximum.reduceat(ys, starts) - np.minimum.reduceat(ys, starts)
        area[has] = width * height
    return area


def keypoint_similarity(
    gt: Boxes,
    dt: Boxes,
    gt_labels: ObjectLabels,
    dt_labels: ObjectLabels,
    sigmas: Sequence[float] | None = None,
) -> tuple[PairSimilarity, list[str]]:
    """OKS of pairs, the predictions' keypoint areas and the sigma warnings.

    A pair whose objects have different keypoint counts (two skeletons, only met when a
    false positive is explained against another class) scores 0.
    """
    gt_points, dt_points = gt_labels.points(), dt_labels.points()
    labelled = _labelled(gt_labels)
    warnings = []
    var_of: dict[int, np.ndarray] = {}
    for points in np.unique(dt_points[dt_points > 0]).tolist():
        sig, warning = sigmas_for(points, sigmas)
        var_of[points] = (sig * 2) ** 2
        if warning:
            warnings.append(warning)
    if sigmas is not None and len(sigmas) not in var_of:
        warnings.append(
            f"the {len(sigmas)} sigmas given fit no skeleton of the predictions "
            f"({', '.join(map(str, sorted(var_of))) or 'none'} keypoints): not used"
        )

    def pairs(d: np.ndarray, g: np.ndarray, crowd: bool) -> np.ndarray:
        out = np.zeros(len(d))
        k_dt, k_gt = dt_points[d], gt_points[g]
        valid = (k_dt > 0) & ((k_gt == k_dt) | (k_gt == 0))
        k1 = np.where(k_gt > 0, labelled[g], 0)
        for points, var in var_of.items():
            for m in np.unique(k1[valid & (k_dt == points)]).tolist():
                at = np.flatnonzero(valid & (k_dt == points) & (k1 == m))
                out[at] = _oks(gt, gt_labels, dt_labels, d[at], g[at], points, int(m), var)
        return out

    gt_ignore = gt_labels.num_keypoints == 0
    return PairSimilarity("keypoints", pairs, keypoint_area(dt_labels), gt_ignore), warnings


def _labelled(labels: ObjectLabels) -> np.ndarray:
    """Labelled points (``v > 0``) of each object, counted from its keypoints."""
    visible = (labels.keypoints[2::3] > 0).astype(np.int64)
    cum = np.concatenate([[0], np.cumsum(visible)])
    return cum[labels.offsets[1:] // 3] - cum[labels.offsets[:-1] // 3]


def _oks(
    gt: Boxes,
    gt_labels: ObjectLabels,
    dt_labels: ObjectLabels,
    d: np.ndarray,
    g: np.ndarray,
    points: int,
    m: int,
    var: np.ndarray,
) -> np.ndarray:
    """OKS of pairs of ``points``-keypoint predictions whose ground truth has ``m``
    labelled points, line for line as ``COCOeval.computeOks``."""
    col = np.arange(points) * 3
    at_dt = dt_labels.offsets[d][:, None] + col
    xd, yd = dt_labels.keypoints[at_dt], dt_labels.keypoints[at_dt + 1]
    area = gt.area[g][:, None]
    if m > 0:
        at_gt = gt_labels.offsets[g][:, None] + col
        xg, yg, vg = (gt_labels.keypoints[at_gt + k] for k in range(3))
        dx = xd - xg
        dy = yd - yg
        e = (dx**2 + dy**2) / var / (area + np.spacing(1)) / 2
        # keep the labelled points, in order, as the row's first m columns
        keep = np.argsort(~(vg > 0), axis=1, kind="stable")[:, :m]
        e = np.take_along_axis(e, keep, axis=1)
    else:
        bx, by, bw, bh = (v[g][:, None] for v in (gt.x, gt.y, gt.w, gt.h))
        x0, x1, y0, y1 = bx - bw, bx + bw * 2, by - bh, by + bh * 2
        z = np.zeros_like(xd)
        dx = np.maximum(z, x0 - xd) + np.maximum(z, xd - x1)
        dy = np.maximum(z, y0 - yd) + np.maximum(z, yd - y1)
        e = (dx**2 + dy**2) / var / (area + np.spacing(1)) / 2
    return np.ascontiguousarray(np.exp(-e)).sum(axis=1) / e.shape[1]
