"""Which map points lie inside a lasso polygon or a rectangle (vectorised, no geometry library).

Point in polygon is the even-odd ray-casting rule: a point is inside when a ray from it
towards +x crosses the polygon's edges an odd number of times; an edge (x_i, y_i)-(x_j, y_j)
is crossed when ``(y_i > y) != (y_j > y)`` and ``x < (x_j - x_i) * (y - y_i) / (y_j - y_i)
+ x_i``. Testing every edge against every point costs points x edges; instead the points
inside the polygon's bounding box are sorted by y once, and each edge only looks at the
points in its own y band (a ``searchsorted`` slice). A lasso crosses a horizontal line only a
few times, so the work is a few passes over the candidates whatever the vertex count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .params import MapError

MAX_VERTICES = 100_000


def as_polygon(polygon: object) -> np.ndarray:
    """A polygon given as ``[[x, y], ...]`` (3+ finite vertices) as a float64 (k, 2) array."""
    try:
        arr = np.asarray(polygon, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MapError("'polygon' must be a list of [x, y] number pairs") from exc
    if arr.ndim != 2 or arr.shape[1] != 2 or not 3 <= len(arr) <= MAX_VERTICES:
        raise MapError(
            f"'polygon' must be a list of 3 to {MAX_VERTICES} [x, y] pairs, got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise MapError("'polygon' coordinates must be finite numbers")
    return arr


def as_rect(rect: object) -> tuple[float, float, float, float]:
    """A rectangle ``[xmin, ymin, xmax, ymax]`` (corners in any order) as sorted floats."""
    try:
        arr = np.asarray(rect, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MapError("'rect' must be [xmin, ymin, xmax, ymax]") from exc
    if arr.shape != (4,) or not np.isfinite(arr).all():
        raise MapError("'rect' must be four finite numbers [xmin, ymin, xmax, ymax]")
    x0, x1 = sorted((float(arr[0]), float(arr[2])))
    y0, y1 = sorted((float(arr[1]), float(arr[3])))
    return x0, y0, x1, y1


def points_in_rect(x: np.ndarray, y: np.ndarray, rect: Sequence[float]) -> np.ndarray:
    """Boolean mask of the points inside the closed rectangle ``(xmin, ymin, xmax, ymax)``."""
    x0, y0, x1, y1 = rect
    mask: np.ndarray = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    return mask


def points_in_polygon(x: np.ndarray, y: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Boolean mask of the points (x, y) inside ``polygon`` by the even-odd rule.

    Coordinates are compared in float64, with the same formula as the textbook loop, so the
    answer equals a plain ray-casting loop's point for point (boundary cases included).
    """
    poly = np.asarray(polygon, dtype=np.float64)
    mask = np.zeros(len(x), dtype=bool)
    if len(x) == 0:
        return mask
    xmin, ymin = poly.min(axis=0)
    xmax, ymax = poly.max(axis=0)
    # Points outside the bounding box can never be inside (and the band test below would
    # need them only to find no crossing).
    candidates = np.flatnonzero((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
    if len(candidates) == 0:
        return mask
    cy = y[candidates].astype(np.float64)
    order = np.argsort(cy, kind="stable")
    cy = cy[order]
    cx = x[candidates].astype(np.float64)[order]
    inside = np.zeros(len(candidates), dtype=bool)
    xi_all, yi_all = poly[:, 0], poly[:, 1]
    xj_all, yj_all = np.roll(xi_all, 1), np.roll(yi_all, 1)
    for xi, yi, xj, yj in zip(
        xi_all.tolist(), yi_all.tolist(), xj_all.tolist(), yj_all.tolist(), strict=True
    ):
        if yi == yj:
            continue  # (yi > y) != (yj > y) never holds for a horizontal edge
        # (yi > y) != (yj > y)  <=>  min(yi, yj) <= y < max(yi, yj)
        lo = np.searchsorted(cy, min(yi, yj), side="left")
        hi = np.searchsorted(cy, max(yi, yj), side="left")
        if lo == hi:
            continue
        band_y = cy[lo:hi]
        crossing = cx[lo:hi] < (xj - xi) * (band_y - yi) / (yj - yi) + xi
        inside[lo:hi] ^= crossing
    mask[candidates[order[inside]]] = True
    return mask
