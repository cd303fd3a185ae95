"""Boundary IoU of label maps (Cheng et al., "Boundary IoU: Improving Object-Centric Image
Segmentation Evaluation", CVPR 2021), per class, summed over a dataset.

A class's mask ``M`` has the inner boundary band ``M - erode(M)``: its pixels within
``d = max(1, round(0.02 * image diagonal))`` pixels (chessboard distance, the 3x3 erosion
repeated ``d`` times of the authors' ``mask_to_boundary``) of a pixel outside ``M``, the
image's edge counting as outside. Boundary IoU of the class is
``|Bg ∩ Bp| / |Bg ∪ Bp|`` over the ground truth's and the prediction's bands, intersections
and unions summed over the images; pixels whose ground truth is ignored are left out, as
for the IoU. Rather than erode one binary mask per class, one image needs four filters: a
pixel is in its own class's band exactly when the labels in its ``(2d+1)²`` window are not
all equal (their minimum differs from their maximum) or the window crosses the image's edge.
"""

from __future__ import annotations

import numpy as np

DILATION_RATIO = 0.02
"""The paper's ratio of the band's width to the image diagonal."""


def band_width(height: int, width: int, ratio: float = DILATION_RATIO) -> int:
    """The band's width in pixels for an image of this size (at least 1)."""
    return max(1, int(round(ratio * float(np.hypot(height, width)))))


def boundary_band(labels: np.ndarray, d: int) -> np.ndarray:
    """True where a pixel is in the inner boundary band of its own label's mask."""
    size = 2 * d + 1
    # imported here: the catalog's feature manifests load this module in every ingest-only
    # process, where scipy's import would cost ~2 s (tests/test_ingest_without_pandas.py)
    from scipy import ndimage

    uneven = ndimage.minimum_filter(labels, size=size) != ndimage.maximum_filter(labels, size=size)
    uneven[:d, :] = True
    uneven[-d:, :] = True
    uneven[:, :d] = True
    uneven[:, -d:] = True
    return uneven


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
