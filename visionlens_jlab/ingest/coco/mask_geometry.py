"""Geometry of one COCO mask: its pixel area (pycocotools), and what is wrong with a polygon.

Used on the few rows :mod:`.label_checks` picks, never on every row of a large file.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils


def mask_area(seg: Any, height: int | None, width: int | None) -> float | None:
    """The pixel area of a COCO segmentation, as pycocotools' ``COCO.annToRLE`` + ``area``
    give it (polygons are rasterised on the image's ``height`` x ``width``; without them, on a
    canvas just holding the polygons). None if pycocotools cannot read it."""
    try:
        if isinstance(seg, list):
            if not height or not width:
                height = math.ceil(max(max(p[1::2]) for p in seg)) + 1
                width = math.ceil(max(max(p[0::2]) for p in seg)) + 1
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, height, width))
        elif isinstance(seg.get("counts"), list):
            h, w = seg["size"]
            rle = mask_utils.frPyObjects(seg, h, w)
        else:
            rle = seg
        return float(mask_utils.area(rle))
    except (TypeError, ValueError, KeyError, AttributeError, IndexError):
        return None


def polygon_points(poly: list[float]) -> np.ndarray:
    """The ``(n, 2)`` points of a flat ``[x1, y1, x2, y2, ...]`` polygon."""
    return np.asarray(poly, dtype=np.float64).reshape(-1, 2)


def outside(points: np.ndarray, width: float, height: float) -> bool:
    """Whether a point lies outside the image ``[0, width] x [0, height]``."""
    return bool(
        (points[:, 0] < 0).any()
        or (points[:, 1] < 0).any()
        or (points[:, 0] > width).any()
        or (points[:, 1] > height).any()
    )


def degenerate(points: np.ndarray) -> bool:
    """Fewer than 3 distinct points, or a zero (shoelace) area."""
    if len(np.unique(points, axis=0)) < 3:
        return True
    x, y = points[:, 0], points[:, 1]
    return bool(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)) == 0.0)


def self_intersecting(points: np.ndarray) -> bool:
    """Whether two non-adjacent edges of the closed polygon cross properly (touching or
    collinear edges are not counted: rounding makes them common in real annotations)."""
    n = len(points)
    if n < 4:
        return False
    a, b = points, np.roll(points, -1, axis=0)  # edge i: a[i] -> b[i]
    i, j = np.triu_indices(n, k=2)
    keep = ~((i == 0) & (j == n - 1))  # the first and last edges share a point
    i, j = i[keep], j[keep]

    def orient(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
        return np.sign(
            (q[:, 0] - p[:, 0]) * (r[:, 1] - p[:, 1]) - (q[:, 1] - p[:, 1]) * (r[:, 0] - p[:, 0])
        )

    d1 = orient(a[i], b[i], a[j])
    d2 = orient(a[i], b[i], b[j])
    d3 = orient(a[j], b[j], a[i])
    d4 = orient(a[j], b[j], b[i])
    return bool(((d1 * d2 < 0) & (d3 * d4 < 0)).any())


def rle_size(seg: dict[str, Any]) -> tuple[int, int] | None:
    """``(height, width)`` of an RLE, or None if its size is not two integers."""
    size = seg.get("size")
    if isinstance(size, list) and len(size) == 2 and all(v.__class__ is int for v in size):
        return size[0], size[1]
    return None
