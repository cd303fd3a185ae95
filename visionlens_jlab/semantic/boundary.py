"""Boundary IoU of label maps (Cheng et al., "Boundary IoU: Improving Object-Centric Image
Segmentation Evaluation", CVPR 2021), per class, summed over a dataset.

A class's mask ``M`` has the inner boundary band ``M - erode(M)``: its pixels within
``d = max(1, round(0.02 * image diagonal))`` pixels (chessboard distance, the 3x3 erosion
repeated ``d`` times of the authors' ``mask_to_boundary``) of a pixel outside ``M``, the
image's edge counting as outside. Boundary IoU of the class is
``|Bg ∩ Bp| / |Bg ∪ Bp|`` over the ground truth's and the prediction's bands, intersections
and unions summed over the images; pixels whose ground truth is ignored are left out, as
for the IoU. Rather than erode one binary mask per class, one pass serves every class: a
pixel is in its own class's band exactly when the labels in its ``(2d+1)²`` window are not
all equal or the window crosses the image's edge (:func:`boundary_band`).
"""

from __future__ import annotations

import numpy as np

from .confusion import check_same_size, confusion

DILATION_RATIO = 0.02
"""The paper's ratio of the band's width to the image diagonal."""


def band_width(height: int, width: int, ratio: float = DILATION_RATIO) -> int:
    """The band's width in pixels for an image of this size (at least 1)."""
    return max(1, int(round(ratio * float(np.hypot(height, width)))))


def boundary_band(labels: np.ndarray, d: int) -> np.ndarray:
    """True where a pixel is in the inner boundary band of its own label's mask: its
    ``(2d+1)²`` window holds two labels, or crosses the image's edge.

    A window holding two labels holds two side by side that differ, or else each of its rows
    is one label and two adjacent rows differ, which then shows in every column, the
    window's centre column among them. So the band is the horizontal label changes spread
    over the window, plus the vertical changes of the pixel's own column spread over its
    height: three running ORs of booleans, ~8x less work than a minimum and a maximum
    filter over the window (the same pixels: ``tests/test_semantic_boundary.py``).
    """
    h, w = labels.shape
    # a change between columns j and j+1 lies in the windows of columns j-d+1 .. j+d
    across = _window_any(labels[:, 1:] != labels[:, :-1], 1, d, d - 1, w)
    band = _window_any(across, 0, d, d, h)
    band |= _window_any(labels[1:, :] != labels[:-1, :], 0, d, d - 1, h)
    band[:d, :] = True
    band[-d:, :] = True
    band[:, :d] = True
    band[:, -d:] = True
    return band


def _window_any(x: np.ndarray, axis: int, before: int, after: int, n_out: int) -> np.ndarray:
    """``out[i] = x[i - before : i + after + 1].any()`` along ``axis`` (the part of that
    window inside ``x``), for ``i < n_out``: ORs of spans doubling in length, then two
    overlapping spans per window (``log2`` passes instead of one per window pixel)."""

    def part(start: int | None, stop: int | None) -> tuple[slice, ...]:
        return (slice(None),) * axis + (slice(start, stop),)

    length = before + after + 1
    shape = list(x.shape)
    shape[axis] = n_out + length - 1
    padded = np.zeros(shape, dtype=bool)
    kept = min(x.shape[axis], n_out + after)
    padded[part(before, before + kept)] = x[part(0, kept)]
    span = 1
    while span * 2 <= length:  # padded[i] becomes the OR of padded[i : i + 2 * span]
        np.logical_or(padded[part(0, -span)], padded[part(span, None)], out=padded[part(0, -span)])
        span *= 2
    return padded[part(0, n_out)] | padded[part(length - span, length - span + n_out)]


def confusion_with_boundary(
    gt: np.ndarray,
    pred: np.ndarray,
    num_classes: int,
    ignore_index: int | None = None,
    ratio: float = DILATION_RATIO,
) -> tuple[np.ndarray, np.ndarray]:
    """One image's confusion matrix (:func:`.confusion.confusion`) and per-class
    ``[intersection, union]`` of the boundary bands (shape ``(2, C)``), over its pixels whose
    ground truth is a class other than ``ignore_index`` (whose own counts stay 0: an ignored
    class has no score). Both come from one pass over the pixels: the matrix split by which
    bands a pixel lies in."""
    check_same_size(gt, pred)
    d = band_width(gt.shape[0], gt.shape[1], ratio)
    bands = boundary_band(gt, d).view(np.uint8)  # bit 0: the ground truth's band
    bands |= boundary_band(pred, d).view(np.uint8) << 1  # bit 1: the prediction's
    split = confusion(gt, pred, num_classes, ignore_index, groups=bands, n_groups=4)
    in_gt = split[:, :, 1] + split[:, :, 3]  # (truth, prediction) pixels in the truth's band
    in_pred = split[:, :, 2] + split[:, :, 3]
    inter = np.diagonal(split[:, :, 3])  # the same class, in both bands
    counts = np.stack([inter, in_gt.sum(axis=1) + in_pred.sum(axis=0) - inter])
    if ignore_index is not None and 0 <= ignore_index < num_classes:
        counts[:, ignore_index] = 0
    return split.sum(axis=2), counts


def boundary_iou(counts: np.ndarray) -> tuple[np.ndarray, float | None]:
    """Per class boundary IoU (NaN for a class without band pixels on either side) and
    their mean over the classes that have one."""
    inter, union = counts.astype(np.float64)
    per = np.full(inter.shape, np.nan)
    np.divide(inter, union, out=per, where=union > 0)
    kept = per[~np.isnan(per)]
    return per, (float(kept.mean()) if kept.size else None)
