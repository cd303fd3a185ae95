"""The confusion matrix of label maps and the metrics read from it.

One image adds ``np.bincount(gt * C + pred)`` over its pixels whose ground truth is a class
(``0 <= gt < C``: the ignore index and any value past the classes are left out, as
torchmetrics' ``ignore_index`` does); the dataset's matrix is the sum. Every metric is a
function of the matrix, so evaluating 10K masks is one pass over the pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def check_same_size(gt: np.ndarray, pred: np.ndarray) -> None:
    """A :class:`ValueError` naming both sizes unless the two maps have the same."""
    if gt.shape != pred.shape:
        raise ValueError(
            f"ground truth is {gt.shape[1]}x{gt.shape[0]}, prediction {pred.shape[1]}x{pred.shape[0]}"
        )


def confusion(
    gt: np.ndarray,
    pred: np.ndarray,
    num_classes: int,
    ignore_index: int | None = None,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> np.ndarray:
    """The ``C x C`` confusion matrix of one image (rows: ground truth, columns: prediction)
    over its pixels whose ground truth is a class other than ``ignore_index`` (an ignore
    index inside the classes, ``--ignore-index 0``, names a class that is not scored).
    ``pred`` values outside ``[0, C)`` are a :class:`ValueError` (a prediction names a
    class or it is not a prediction).

    ``groups`` (each pixel's group, ``0 <= group < n_groups``, e.g. which boundary bands
    it lies in): one matrix per group, ``C x C x n_groups``, from the same single pass
    (summed over the last axis: the plain matrix)."""
    check_same_size(gt, pred)
    # Masks read from PNGs are unsigned 8 or 16 bits: with up to 256 classes a pixel's
    # (ground truth, prediction) index fits 16 bits, so it is computed in 2-byte arrays
    # instead of widening both masks to int64 first (~6x faster a 512x512 image).
    narrow = gt.dtype.kind == pred.dtype.kind == "u" and num_classes <= 256
    g = gt.ravel() if narrow else gt.ravel().astype(np.int64, copy=False)
    p = pred.ravel() if narrow else pred.ravel().astype(np.int64, copy=False)
    keep = g < num_classes if narrow else (g >= 0) & (g < num_classes)
    if ignore_index is not None:
        keep &= g != ignore_index
    k = None if groups is None else groups.ravel()
    if not keep.all():
        g, p = g[keep], p[keep]
        k = None if k is None else k[keep]
    if p.size and (int(p.min()) < 0 or int(p.max()) >= num_classes):
        bad = int(p.max()) if int(p.max()) >= num_classes else int(p.min())
        raise ValueError(f"a predicted pixel has value {bad}, not a class (0..{num_classes - 1})")
    bins = num_classes * num_classes * n_groups
    if narrow:
        kind = np.dtype(np.uint16 if bins <= 1 << 16 else np.uint32)
        index = g.astype(kind)
        index *= num_classes
        index += p
    else:
        index = g * num_classes + p
    if k is not None:
        index *= n_groups
        index += k
    counts = np.bincount(index, minlength=bins)
    shape = (num_classes, num_classes) if groups is None else (num_classes, num_classes, n_groups)
    return counts.reshape(shape)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, NaN elsewhere (a class without pixels has no score)."""
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def per_class(
    matrix: np.ndarray, ignore_index: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per class: IoU (NaN when the class is in neither ground truth nor prediction, or is
    the ``ignore_index``: its predictions count against the true class, not as its own
    zero, as torchmetrics' macro mean leaves it out), accuracy (recall; NaN without
    ground-truth pixels) and its ground-truth pixels."""
    m = matrix.astype(np.float64)
    tp = np.diag(m)
    gt_pixels = m.sum(axis=1)
    pred_pixels = m.sum(axis=0)
    iou = _ratio(tp, gt_pixels + pred_pixels - tp)
    accuracy = _ratio(tp, gt_pixels)
    if ignore_index is not None and 0 <= ignore_index < len(iou):
        iou[ignore_index] = np.nan
    return iou, accuracy, gt_pixels


def summary(
    matrix: np.ndarray, names: list[str], ignore_index: int | None = None
) -> dict[str, Any]:
    """The metrics of a confusion matrix: pixel accuracy, mean class accuracy, mIoU,
    frequency-weighted IoU, per class and the matrix itself. The means are torchmetrics'
    macro averages: over the classes in the ground truth or the prediction (a class absent
    from both has no score), a class predicted but absent from the ground truth counting 0
    accuracy; ``fwIoU`` weights each class's IoU by its ground-truth pixels. An
    ``ignore_index`` inside the classes has no score (:func:`per_class`)."""
    iou, accuracy, pixels = per_class(matrix, ignore_index)
    total = float(pixels.sum())
    tp = float(np.trace(matrix))
    has_iou = ~np.isnan(iou)
    weights = pixels / total if total else np.zeros_like(pixels)
    return {
        "pixel_accuracy": tp / total if total else None,
        "mean_accuracy": _number(_mean(np.nan_to_num(accuracy)[has_iou])),
        "mIoU": _number(_mean(iou)),
        "fwIoU": float((weights[has_iou] * iou[has_iou]).sum()) if total else None,
        "per_class": {
            name: {
                "iou": _number(iou[i]),
                "accuracy": _number(accuracy[i]),
                "pixels": int(pixels[i]),
            }
            for i, name in enumerate(names)
        },
        "confusion_matrix": matrix.astype(np.int64).tolist(),
    }


def image_iou(matrix: np.ndarray, ignore_index: int | None = None) -> float:
    """One image's mean IoU over the classes in its ground truth or its prediction, the
    ``ignore_index`` aside (NaN for an image whose pixels are all ignored)."""
    return _mean(per_class(matrix, ignore_index)[0]) if matrix.any() else float("nan")


def _mean(values: np.ndarray) -> float:
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else float("nan")


def _number(value: float | np.floating) -> float | None:
    return None if np.isnan(value) else float(value)
