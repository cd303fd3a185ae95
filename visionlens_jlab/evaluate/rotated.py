"""IoU of rotated boxes (the ``rotated`` iou type): the overlap of two quadrilaterals.

Each object is its four corners (``obb``, DOTA's ``x1 y1 ... x4 y4``); an object without
them (a plain box, from a model that predicts axis-aligned boxes) counts as its box's four
corners, so a rotated evaluation of upright boxes equals the box IoU. The intersection of
each pair is computed for all pairs at once, as arrays: Sutherland–Hodgman clipping of one
quadrilateral by the four edges of the other (at most 8 vertices survive), then the
shoelace area. Clipping assumes the clip polygon is convex, as boxes are; a quadrilateral
annotated self-crossing or concave is clipped as drawn, an approximation DOTA's devkit
(which uses polygon IoU) shares for the concave case only.
"""

from __future__ import annotations

import numpy as np

from .boxes import Boxes
from .labels import ObjectLabels
from .similarity import PairSimilarity

_MAX_VERTICES = 8  # a convex quadrilateral clipped by one: at most 8 vertices
_EPS = 1e-12


def corners(boxes: Boxes, labels: ObjectLabels) -> np.ndarray:
    """Every object's corners as ``(n, 4, 2)``: its rotated box, else its box's corners."""
    x, y, w, h = boxes.x, boxes.y, boxes.w, boxes.h
    upright = np.stack(
        [np.stack([x, y], -1), np.stack([x + w, y], -1), np.stack([x + w, y + h], -1),
         np.stack([x, y + h], -1)],
        axis=1,
    )  # fmt: skip
    quads = labels.obb.reshape(-1, 4, 2) if len(labels.obb) else upright
    has = np.isfinite(quads).all(axis=(1, 2))
    return np.where(has[:, None, None], quads, upright)


def polygon_area(points: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Shoelace areas of ``(n, m, 2)`` polygons whose first ``count`` vertices are used."""
    n, m = points.shape[:2]
    idx = np.arange(m)
    nxt = np.where(idx[None, :] + 1 < count[:, None], idx[None, :] + 1, 0)
    px, py = points[..., 0], points[..., 1]
    qx = np.take_along_axis(px, nxt, 1)
    qy = np.take_along_axis(py, nxt, 1)
    used = idx[None, :] < count[:, None]
    return np.abs(np.where(used, px * qy - qx * py, 0.0).sum(axis=1)) / 2.0


def _counter_clockwise(quads: np.ndarray) -> np.ndarray:
    """``quads`` with each one's corners in counter-clockwise order (y up) for clipping."""
    x, y = quads[..., 0], quads[..., 1]
    signed = (x * np.roll(y, -1, 1) - np.roll(x, -1, 1) * y).sum(axis=1)
    return np.where((signed < 0)[:, None, None], quads[:, ::-1], quads)


def _clip(
    poly: np.ndarray, count: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Clip each polygon by the half-plane left of its edge ``a`` → ``b`` (Sutherland–Hodgman,
    for all rows at once); returns the new vertices and counts."""
    n, m = poly.shape[:2]
    idx = np.arange(m)
    live = idx[None, :] < count[:, None]
    nxt = np.where(idx[None, :] + 1 < count[:, None], idx[None, :] + 1, 0)
    cur = poly
    after = np.take_along_axis(poly, nxt[..., None], 1)
    ex, ey = (b - a)[:, 0:1], (b - a)[:, 1:2]

    def side(p: np.ndarray) -> np.ndarray:
        return ex * (p[..., 1] - a[:, 1:2]) - ey * (p[..., 0] - a[:, 0:1])

    s_cur, s_next = side(cur), side(after)
    in_cur, in_next = s_cur >= -_EPS, s_next >= -_EPS
    t = s_cur / np.where(np.abs(s_cur - s_next) > _EPS, s_cur - s_next, 1.0)
    cross = cur + t[..., None] * (after - cur)
    # per input edge, up to two outputs: the current vertex if inside, the crossing if the
    # edge crosses the line
    keep_cur = live & in_cur
    keep_cross = live & (in_cur != in_next)
    out = np.stack([cur, cross], axis=2).reshape(n, 2 * m, 2)
    keep = np.stack([keep_cur, keep_cross], axis=2).reshape(n, 2 * m)
    order = np.argsort(~keep, axis=1, kind="stable")  # kept vertices first, in order
    out = np.take_along_axis(out, order[..., None], 1)[:, :_MAX_VERTICES]
    return out, np.minimum(keep.sum(axis=1), _MAX_VERTICES)


def quad_intersection(subject: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """Areas of the intersections of ``subject[i]`` and ``clip[i]`` (``(n, 4, 2)`` each)."""
    n = len(subject)
    poly = np.zeros((n, _MAX_VERTICES, 2))
    poly[:, :4] = subject
    count = np.full(n, 4)
    clip = _counter_clockwise(clip)
    for k in range(4):
        poly, count = _clip(poly, count, clip[:, k], clip[:, (k + 1) % 4])
    return np.where(count >= 3, polygon_area(poly, count), 0.0)


def rotated_iou(dt: np.ndarray, gt: np.ndarray, crowd: np.ndarray | None = None) -> np.ndarray:
    """IoU of each pair of quadrilaterals ``dt[i]``, ``gt[i]`` (``(n, 4, 2)``); over the
    prediction's area alone where ``crowd[i]`` (a crowd region, as COCO scores them)."""
    inter = quad_intersection(dt, gt)
    four = np.full(len(dt), 4)
    da, ga = polygon_area(dt, four), polygon_area(gt, four)
    union = da + ga - inter
    if crowd is not None:
        union = np.where(crowd, da, union)
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def rotated_similarity(
    gt: Boxes, dt: Boxes, gt_labels: ObjectLabels, dt_labels: ObjectLabels
) -> PairSimilarity:
    """Rotated-box IoU of the pairs; area ranges decided by each quadrilateral's area."""
    gq, dq = corners(gt, gt_labels), corners(dt, dt_labels)

    def pairs(d: np.ndarray, g: np.ndarray, crowd: bool) -> np.ndarray:
        return rotated_iou(dq[d], gq[g], gt.crowd[g] if crowd else None)

    dt_area = polygon_area(dq, np.full(len(dq), 4))
    return PairSimilarity("rotated", pairs, dt_area, np.zeros(len(gt), dtype=bool))
