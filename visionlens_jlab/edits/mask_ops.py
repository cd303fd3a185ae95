"""Masks carried by edit operations: their shape checked with the operation, their fit
checked against the sample's image, and the columns they become.

A mask is what COCO stores and the catalog keeps as the ``segmentation`` JSON: a compressed
or uncompressed RLE (``{"size": [height, width], "counts": ...}``, what click-to-mask gives,
:mod:`visionlens_jlab.segment`) or a list of polygons ``[[x1, y1, x2, y2, ...], ...]`` in
image pixels. Its pixel area is pycocotools' (``mask_area``, as ingest computes it) and its
extent is the box of an object added with a mask and no box.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..ingest.coco.mask_geometry import mask_area, polygon_flags, rle_problem, self_intersecting
from .errors import EditError

MAX_POLYGON_POINTS = 100_000
"""Points of all the polygons of one mask: far past any hand-drawn or traced outline."""
_RUN_CHARS = 7
"""Characters of one run length in COCO's compressed text (5 bits each: 35 bits, past any
image's pixel count)."""


def compressed_counts_problem(counts: str, size: Sequence[int]) -> str | None:
    """Why ``counts``, COCO's compressed RLE text (pycocotools' ``rleToString``), is not a
    mask of ``size`` ``[height, width]`` (None: it is): a character outside the encoding,
    a text ending inside a run length, a negative run length, or run lengths that do not sum
    to height x width. Decoded with numpy (a click-to-mask mask is a few thousand
    characters; a hostile one of megabytes is read in one pass)."""
    if not counts.isascii():
        return "counts hold a character outside COCO's RLE text"
    c = np.frombuffer(counts.encode("ascii"), dtype=np.uint8).astype(np.int64) - 48
    if not len(c):
        return None if size[0] * size[1] == 0 else f"no run lengths for {size[0]} x {size[1]}"
    if c.min() < 0 or c.max() > 63:
        return "counts hold a character outside COCO's RLE text"
    more = (c & 0x20) != 0
    if more[-1]:
        return "counts end inside a run length"
    ends = np.flatnonzero(~more)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if lengths.max() > _RUN_CHARS:
        return "counts hold a run length past any image's size"
    shift = 5 * (np.arange(len(c)) - np.repeat(starts, lengths))
    values = np.add.reduceat((c & 0x1F) << shift, starts)
    negative = (c[ends] & 0x10) != 0  # the last character's sign bit
    values[negative] -= np.int64(1) << (5 * lengths[negative])
    # from the fourth on, a run is stored as its difference to the run two before
    runs = values.copy()
    runs[1::2] = np.cumsum(values[1::2])
    runs[2::2] = np.cumsum(values[2::2])
    if runs.min() < 0:
        return "negative run lengths"
    total = int(runs.sum())
    if total != size[0] * size[1]:
        return f"run lengths sum to {total}, not {size[0]} x {size[1]}"
    return None


def parse_segmentation(value: Any, index: int) -> Any:
    """``value`` as a mask an operation may carry (an RLE object or a list of polygons),
    its shape checked; :class:`EditError` naming what is wrong."""
    if isinstance(value, Mapping):
        rle = dict(value)
        problem = rle_problem(rle) if set(rle) == {"size", "counts"} else "not {size, counts}"
        if problem is None and isinstance(rle["counts"], str):
            # ingest trusts a file's compressed text; an edit's is read here, as pycocotools
            # reads it without bounds (a text that does not add up stored a broken mask)
            problem = compressed_counts_problem(rle["counts"], rle["size"])
        if problem is not None:
            raise EditError(f"'segmentation' is not a readable RLE: {problem}", index)
        return rle
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or not value:
        raise EditError(
            "'segmentation' must be an RLE {size, counts} or a non-empty list of polygons", index
        )
    polygons: list[list[float]] = []
    for poly in value:
        if (
            not isinstance(poly, Sequence)
            or isinstance(poly, str | bytes)
            or len(poly) < 6
            or len(poly) % 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in poly
            )
        ):
            raise EditError(
                "a polygon of 'segmentation' must be [x1, y1, x2, y2, x3, y3, ...]: at least "
                "three points of finite numbers",
                index,
            )
        polygons.append([float(v) for v in poly])
    if sum(len(p) for p in polygons) > 2 * MAX_POLYGON_POINTS:
        raise EditError(f"a mask has at most {MAX_POLYGON_POINTS} polygon points", index)
    if self_intersecting([polygons])[0]:
        raise EditError("a polygon of 'segmentation' crosses itself", index)
    return polygons


def mask_columns(
    segmentation: Any, size: tuple[Any, Any], index: int
) -> tuple[str, float, tuple[float, float, float, float]]:
    """The ``segmentation`` JSON text, the pixel area and the extent ``(x, y, w, h)`` of a
    parsed mask on an image of ``size`` (width, height); refused when it does not fit the
    image (an RLE of another size, a polygon point outside it) or covers no pixel."""
    width, height = size
    if not width or not height:
        raise EditError("the sample's image size is unknown: a mask cannot be checked", index)
    if isinstance(segmentation, dict):
        if list(segmentation["size"]) != [int(height), int(width)]:
            raise EditError(
                f"the mask is {segmentation['size'][1]}x{segmentation['size'][0]}, the image "
                f"{width}x{height}",
                index,
            )
    else:
        outside, flat = polygon_flags([segmentation], np.array([width]), np.array([height]))
        if outside[0]:
            raise EditError(f"a polygon point lies outside the {width}x{height} image", index)
        if flat[0]:
            raise EditError("a polygon of 'segmentation' encloses no area", index)
    area = mask_area(segmentation, int(height), int(width))
    if area is None:
        raise EditError("pycocotools cannot read the mask", index)
    if area <= 0:
        raise EditError("the mask covers no pixel", index)
    return json.dumps(segmentation, separators=(",", ":")), area, _extent(segmentation, size)


def _extent(segmentation: Any, size: tuple[Any, Any]) -> tuple[float, float, float, float]:
    """The mask's box as COCO's ``toBbox`` gives it (pixel edges; polygons' own extent)."""
    from pycocotools import mask as mask_utils

    if isinstance(segmentation, list):
        xs = [v for p in segmentation for v in p[0::2]]
        ys = [v for p in segmentation for v in p[1::2]]
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
    rle = segmentation
    if isinstance(rle["counts"], list):
        rle = mask_utils.frPyObjects(rle, int(size[1]), int(size[0]))
    x, y, w, h = (float(v) for v in mask_utils.toBbox(rle))
    return x, y, w, h
