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
    x = np.moveaxis(x, axis, 0)
    length = before + after + 1
    padded = np.zeros((n_out + length - 1, *x.shape[1:]), dtype=bool)
    kept = min(x.shape[0], n_out + after)
    padded[before : before + kept] = x[:kept]
    span = 1
    while span * 2 <= length:  # padded[i] becomes the OR of padded[i : i + 2 * span]
        np.logical_or(padded[:-span], padded[span:], out=padded[:-span])
        span *= 2
    out = padded[:n_out] | padded[length - span : length - span + n_out]
    return np.moveaxis(out, 0, axis)


def boundary_counts(
    gt: np.ndarray,
    pred: np.ndarray,
    num_classes: int,
    ratio: float = DILATION_RATIO,
    ignore_index: int | None = None,
) -> np.ndarray:
    """One image's per-class ``[intersection, union]`` of the boundary bands (shape
    ``(2, C)``), over its pixels whose ground truth is a class other than ``ignore_index``
    (whose own counts stay 0: an ignored class has no score)."""
    d = band_width(gt.shape[0], gt.shape[1], ratio)
    gt_band = boundary_band(gt, d)
    pred_band = boundary_band(pred, d)
    counted = (gt >= 0) & (gt < num_classes)
    if ignore_index is not None:
        counted &= gt != ignore_index
    g = gt[counted & gt_band].astype(np.int64)
    p_in = counted & pred_band
    p = pred[p_in].astype(np.int64)
    both = counted & gt_band & pred_band & (gt == pred)
    inter = np.bincount(gt[both].astype(np.int64), minlength=num_classes)[:num_classes]
    gt_sizes = np.bincount(g, minlength=num_classes)[:num_classes]
    pred_sizes = np.bincount(p, minlength=num_classes)[:num_classes]
    counts = np.stack([inter, gt_sizes + pred_sizes - inter])
    if ignore_index is not None and 0 <= ignore_index < num_classes:
        counts[:, ignore_index] = 0
    return counts


def boundary_iou(counts: np.ndarray) -> tuple[np.ndarray, float | None]:
    """Per class boundary IoU (NaN for a class without band pixels on either side) and
    their mean over the classes that have one."""
    inter, union = counts.astype(np.float64)
    per = np.full(inter.shape, np.nan)
    np.divide(inter, union, out=per, where=union > 0)
    kept = per[~np.isnan(per)]
    return per, (float(kept.mean()) if kept.size else None)
