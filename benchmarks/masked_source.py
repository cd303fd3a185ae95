"""Masks and keypoints added to a synthetic source's objects (the grid benchmark's
``--labels masks`` data; see ``bench_browse.dataset_dir``).

Every object gets a mask inside its box: an octagon polygon, or, for every 10th object, a
COCO compressed RLE of the box's rectangle (the format the frontend decodes); with
``keypoints``, every 4th object also gets 5 labelled keypoints. The strings are built with
Arrow compute and string repetition, not per-pixel loops, so 1M images write in minutes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from visionlens_jlab.records.batches import Batch

IMAGE_W, IMAGE_H = 640, 480  # the synthetic source's image size
_ANGLES = np.arange(8) * np.pi / 4
_OCTAGON_AREA = 2 * np.sqrt(2) * 0.25  # of the octagon inscribed in a unit square
_KEYPOINTS = np.array([[0.5, 0.2], [0.3, 0.5], [0.7, 0.5], [0.35, 0.9], [0.65, 0.9]])


def _rle_int(x: int) -> str:
    """One value of COCO's compressed counts (pycocotools' ``rleToString``)."""
    out = []
    more = True
    while more:
        c = x & 0x1F
        x >>= 5
        more = x != -1 if c & 0x10 else x != 0
        out.append(chr((c | 0x20 if more else c) + 48))
    return "".join(out)


def rectangle_rle(x: float, y: float, w: float, h: float) -> str:
    """The compressed RLE JSON of the pixel rectangle of a box on the synthetic image.

    Runs are column-major: zeros up to the first column, then per column ``hh`` ones and
    ``IMAGE_H - hh`` zeros; from the fourth run on COCO stores the difference to the run two
    before, which is 0 for every repeated column, so the middle is one "0" per run."""
    x0, y0 = min(int(x), IMAGE_W - 1), min(int(y), IMAGE_H - 1)
    ww = max(1, min(int(w), IMAGE_W - x0))
    hh = max(1, min(int(h), IMAGE_H - y0))
    lead = x0 * IMAGE_H + y0
    tail = IMAGE_W * IMAGE_H - (lead + (ww - 1) * IMAGE_H + hh)
    runs = [lead, hh] if ww == 1 else [lead, hh, IMAGE_H - hh]
    text = "".join(_rle_int(r) for r in runs)
    if ww > 1:
        text += "0" * (2 * ww - 4)  # the repeated (ones, zeros) pairs after the first
        text += "0" + _rle_int(tail - (IMAGE_H - hh))  # the last ones, then the tail
    else:
        text += _rle_int(tail)
    return json.dumps({"size": [IMAGE_H, IMAGE_W], "counts": text})


def _polygons(x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray) -> pa.Array:
    """``[[x1, y1, ..., x8, y8]]`` of the octagon inscribed in each box, as JSON text."""
    xs = x[:, None] + w[:, None] * (0.5 + 0.5 * np.cos(_ANGLES))
    ys = y[:, None] + h[:, None] * (0.5 + 0.5 * np.sin(_ANGLES))
    parts: list[Any] = []
    for k in range(8):
        for col in (xs[:, k], ys[:, k]):
            parts.append(pc.cast(pa.array(np.round(col, 1)), pa.string()))
    coords = pc.binary_join_element_wise(*parts, ",")
    return pc.binary_join_element_wise("[[", coords, "]]", "")


def _keypoints(x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray) -> pa.Array:
    """5 labelled (v = 2) keypoints inside every 4th box; null for the others."""
    n = len(x)
    pts = np.empty((n, 5, 3))
    pts[:, :, 0] = x[:, None] + w[:, None] * _KEYPOINTS[:, 0]
    pts[:, :, 1] = y[:, None] + h[:, None] * _KEYPOINTS[:, 1]
    pts[:, :, 2] = 2
    offsets = pa.array(np.arange(n + 1, dtype=np.int32) * 15)
    without = pa.array(np.arange(n) % 4 != 0)
    return pa.ListArray.from_arrays(offsets, pa.array(pts.ravel()), mask=without)


class MaskedSource:
    """A parsed source whose annotation batches gain ``segmentation`` (every object),
    ``mask_area`` and, with ``keypoints``, a ``keypoints`` column; everything else is the
    wrapped source's."""

    def __init__(self, plain: Any, *, keypoints: bool) -> None:
        self._plain = plain
        self._keypoints = keypoints

    def __getattr__(self, name: str) -> Any:
        return getattr(self._plain, name)

    def batches(self) -> Iterator[Batch]:
        """The wrapped batches with the mask (and keypoint) columns filled in."""
        for batch in self._plain.batches():
            ann = batch.annotations
            if ann is not None:
                ann = self._with_masks(ann)
            yield Batch(samples=batch.samples, annotations=ann)

    def _with_masks(self, ann: pa.Table) -> pa.Table:
        x, y, w, h = (ann.column(c).to_numpy() for c in "xywh")
        seg = _polygons(x, y, w, h).to_pylist()
        area = w * h * _OCTAGON_AREA
        for i in range(0, len(seg), 10):  # every 10th object: a run-length mask
            seg[i] = rectangle_rle(x[i], y[i], w[i], h[i])
            area[i] = int(w[i]) * int(h[i])
        ann = ann.set_column(
            ann.schema.get_field_index("segmentation"), "segmentation", pa.array(seg)
        )
        ann = ann.append_column("mask_area", pa.array(area))
        if self._keypoints:
            ann = ann.append_column("keypoints", _keypoints(x, y, w, h))
        return ann
