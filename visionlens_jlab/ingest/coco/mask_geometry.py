"""Geometry of one COCO mask: its pixel area (pycocotools), and what is wrong with a polygon.

Used on the few rows :mod:`.label_checks` picks, never on every row of a large file.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

SELF_INTERSECTION_MAX_POINTS = 400
"""Polygons with more points are not tested for self-intersection: the test compares every
pair of edges (80K pairs at 400 points)."""


def mask_area(seg: Any, height: int | None, width: int | None) -> float | None:
    """The pixel area of a COCO segmentation, as pycocotools' ``COCO.annToRLE`` + ``area``
    give it (polygons are rasterised on the image's ``height`` x ``width``; without them, on a
    canvas just holding the polygons). None if pycocotools cannot read it."""
    from pycocotools import mask as mask_utils  # only files with masks lacking an area need it

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
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError):
        return None


def polygon_flags(
    objects: list[list[list[float]]], widths: np.ndarray | None, heights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """For each object (its polygons), whether a point lies outside its image
    ``[0, width] x [0, height]`` (never, where ``widths`` is None or a width is not > 0), and
    whether a polygon is degenerate (fewer than 3 distinct points, or a zero shoelace area).
    One vectorised pass over all the points."""
    n = len(objects)
    coords: list[float] = []
    sizes: list[int] = []  # points per polygon
    owner: list[int] = []  # object of each polygon
    for k, polygons in enumerate(objects):
        for poly in polygons:
            coords.extend(poly)
            sizes.append(len(poly) >> 1)
            owner.append(k)
    if not sizes:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    pts = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    x, y = pts[:, 0], pts[:, 1]
    count = np.asarray(sizes)
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    poly_of_point = np.repeat(np.arange(len(count)), count)
    owners = np.asarray(owner)
    out = np.zeros(n, dtype=bool)
    if widths is not None and heights is not None:
        per_object = np.bincount(owners, weights=count, minlength=n).astype(np.int64)
        w, h = np.repeat(widths, per_object), np.repeat(heights, per_object)
        bad = (w > 0) & ((x < 0) | (y < 0) | (x > w) | (y > h))
        out[owners[np.unique(poly_of_point[bad])]] = True
    # the next point of each point, within its polygon (closing the ring)
    following = np.arange(len(x)) + 1
    following[start + count - 1] = start
    twice_area = np.add.reduceat(x * y[following] - x[following] * y, start)
    order = np.lexsort((y, x, poly_of_point))
    px, py, pp = x[order], y[order], poly_of_point[order]
    new = np.ones(len(px), dtype=bool)
    new[1:] = (pp[1:] != pp[:-1]) | (px[1:] != px[:-1]) | (py[1:] != py[:-1])
    distinct = np.bincount(pp[new], minlength=len(count))
    flat = np.zeros(n, dtype=bool)
    flat[owners[(distinct < 3) | (twice_area == 0.0)]] = True
    return out, flat


def self_intersecting(objects: list[list[list[float]]]) -> np.ndarray:
    """For each object (its polygons), whether two non-adjacent edges of one of its closed
    polygons cross properly (touching or collinear edges are not counted: rounding makes them
    common in real annotations). Polygons of more than :data:`SELF_INTERSECTION_MAX_POINTS`
    points are not tested. Every pair of edges of every polygon in one vectorised pass."""
    starts: list[np.ndarray] = []
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    sizes: list[np.ndarray] = []  # the ring's point count, per pair
    coords: list[float] = []
    for k, polygons in enumerate(objects):
        for poly in polygons:
            n = len(poly) >> 1
            if n < 4 or n > SELF_INTERSECTION_MAX_POINTS:
                continue
            i, j = _edge_pairs(n)
            starts.append(np.full(len(i), len(coords) >> 1))
            firsts.append(i)
            seconds.append(j)
            owners.append(np.full(len(i), k))
            sizes.append(np.full(len(i), n))
            coords.extend(poly)
    out = np.zeros(len(objects), dtype=bool)
    if not firsts:
        return out
    pts = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    ring, i, j = np.concatenate(starts), np.concatenate(firsts), np.concatenate(seconds)
    n_of = np.concatenate(sizes)
    a_i, b_i = pts[ring + i], pts[ring + (i + 1) % n_of]
    a_j, b_j = pts[ring + j], pts[ring + (j + 1) % n_of]
    d1, d2 = _orient(a_i, b_i, a_j), _orient(a_i, b_i, b_j)
    d3, d4 = _orient(a_j, b_j, a_i), _orient(a_j, b_j, b_i)
    crossing = (d1 * d2 < 0) & (d3 * d4 < 0)
    out[np.concatenate(owners)[crossing]] = True
    return out


def _orient(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.sign(
        (q[:, 0] - p[:, 0]) * (r[:, 1] - p[:, 1]) - (q[:, 1] - p[:, 1]) * (r[:, 0] - p[:, 0])
    )


@functools.cache
def _edge_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``(i, j)`` of non-adjacent edges of a closed ring of ``n`` points (edge ``i``
    joins point ``i`` to the next)."""
    i, j = np.triu_indices(n, k=2)
    keep = ~((i == 0) & (j == n - 1))  # the first and last edges share a point
    return i[keep], j[keep]


def rle_problem(rle: Any) -> str | None:
    """Why pycocotools cannot read the RLE mask ``rle`` (None: nothing found): a ``size``
    that is not two non-negative integers, ``counts`` that are neither a string nor a list
    of integers, negative run lengths, or run lengths that do not sum to height x width
    (``decode`` refuses them). A compressed string's run lengths are not decoded (0.5 ms a
    mask in Python)."""
    if not isinstance(rle, dict):
        return "not an object"
    size, counts = rle.get("size"), rle.get("counts")
    if not (
        isinstance(size, list) and len(size) == 2 and all(type(v) is int and v >= 0 for v in size)
    ):
        return f"size {str(size)[:40]} is not [height, width]"
    if isinstance(counts, str):
        return None
    runs = np.asarray(counts if isinstance(counts, list) else [None])
    if runs.dtype.kind not in "iuf" or (runs.dtype.kind == "f" and not np.all(runs % 1 == 0)):
        return "counts are neither a string nor a list of integers"
    if len(runs) and runs.min() < 0:
        return "negative run lengths"
    total = int(runs.sum())
    if total != size[0] * size[1]:
        return f"run lengths sum to {total}, not {size[0]} x {size[1]}"
    return None


_SIZE_KEY = np.frombuffer(b'"size":[', dtype=np.uint8)
_SIZE_WINDOW = 20  # "123456789,123456789]": sizes of up to 9 digits


def rle_text_sizes(offsets: np.ndarray, data: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(height, width)`` of each of ``n`` RLE texts (minified JSON: their ``offsets`` into
    the bytes ``data``, which start at ``offsets[0]``), -1 where none is found: the first
    ``"size":[h,w]`` of each, read with numpy from the bytes (a regular expression over the
    run lengths took 0.2 s per 35K crowd masks)."""
    height = np.full(n, -1, dtype=np.int64)
    width = np.full(n, -1, dtype=np.int64)
    key = len(_SIZE_KEY)
    z = np.flatnonzero(data == ord("z")) - 3  # where '"size":[' would start ('z' is rare)
    z = z[(z >= 0) & (z + key <= len(data))]
    for k in range(key):
        z = z[data[z + k] == _SIZE_KEY[k]]
    if not len(z):
        return height, width
    row = np.searchsorted(offsets - offsets[0], z, side="right") - 1
    row, first = np.unique(row, return_index=True)
    at = (z[first] + key)[:, None] + np.arange(_SIZE_WINDOW)
    window = data[np.minimum(at, len(data) - 1)].astype(np.int64)  # a size ends before
    comma = np.argmax(window == ord(","), axis=1)
    close = np.argmax(window == ord("]"), axis=1)
    col = np.arange(_SIZE_WINDOW)
    digit = (window >= ord("0")) & (window <= ord("9"))
    in_h, in_w = col < comma[:, None], (col > comma[:, None]) & (col < close[:, None])
    ok = (comma > 0) & (close > comma + 1) & ((digit | ~(in_h | in_w)).all(axis=1))
    h = np.zeros(len(row), dtype=np.int64)
    w = np.zeros(len(row), dtype=np.int64)
    for k in range(_SIZE_WINDOW):
        d = window[:, k] - ord("0")
        h = np.where(in_h[:, k], h * 10 + d, h)
        w = np.where(in_w[:, k], w * 10 + d, w)
    height[row[ok]], width[row[ok]] = h[ok], w[ok]
    return height, width
