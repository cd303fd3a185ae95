"""Evaluating a model's semantic masks against the ground truth's.

Each image's pair of masks is read with Pillow in a thread pool (PNG decoding and numpy's
bincount release the GIL) and reduced at once to its confusion matrix and boundary counts,
so memory holds a few masks, never the dataset; the dataset's matrix is their sum. Each
image's mean IoU is stored as the computed sample field ``semantic_miou`` (the grid sorts
and filters by it; the last evaluated model's, its name in the field's parameters).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog import GROUND_TRUTH
from ..catalog.extensions.computed import write_computed
from .boundary import DILATION_RATIO, boundary_iou, confusion_with_boundary
from .confusion import confusion, image_iou, summary
from .label_maps import LabelMapError, read_label_map
from .records import IMAGE_IOU_FIELD, read_classes, read_masks

if TYPE_CHECKING:
    from ..catalog import Catalog


class SemanticEvaluationError(ValueError):
    """Masks that cannot be compared (the message names the image)."""


MAPPED_HINT = (
    " (after the ground truth's value map, which the model's masks were imported through: "
    "if they hold class indices, as Cityscapes train ids or mmsegmentation's raw outputs "
    "do, import them again with --indices)"
)
"""What a model's mask read through the ground truth's value map (its label ids) needs
when its values map to no class: most often they were class indices already."""


def _lut(value_map: tuple[int, ...] | None, ignore_index: int) -> np.ndarray | None:
    if value_map is None:
        return None
    return np.asarray(value_map, dtype=np.uint8 if ignore_index < 256 else np.int32)


def evaluate_semantic(
    catalog: Catalog,
    dataset: str,
    model: str,
    *,
    boundary: bool = True,
    workers: int | None = None,
    store: bool = True,
) -> dict[str, Any]:
    """``{"semantic": {...}}``: pixel accuracy, mean class accuracy, mIoU, fwIoU, per class
    (iou, accuracy, ground-truth pixels), the confusion matrix and boundary IoU (with
    ``boundary``) of ``model``'s masks on the dataset's labelled images; images the model
    has no mask for are counted as ``missing`` and left out. ``store``: write each image's
    mean IoU as the computed field ``semantic_miou``."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        names = read_classes(cur, dataset_id)
        truth = read_masks(cur, dataset_id, GROUND_TRUTH)
        predicted = read_masks(cur, dataset_id, model)
    num_classes = len(names)
    pred_at = dict(zip(predicted.sample_ids, predicted.locations, strict=True))
    pairs = [
        (s, loc, pred_at[s])
        for s, loc in zip(truth.sample_ids, truth.locations, strict=True)
        if s in pred_at
    ]
    gt_lut = _lut(truth.value_map, truth.ignore_index)
    pred_lut = _lut(predicted.value_map, predicted.ignore_index)
    # the ground truth's ignore index: usually past the classes (255), left out by being no
    # class; one inside them (``--ignore-index 0``) is left out by name
    ignored = truth.ignore_index

    def one(pair: tuple[int, str, str]) -> tuple[np.ndarray, np.ndarray | None]:
        _, gt_at, pred_file = pair
        try:
            gt = read_label_map(gt_at, gt_lut, truth.colors)
            pred = read_label_map(pred_file, pred_lut, predicted.colors)
        except LabelMapError as exc:
            raise SemanticEvaluationError(str(exc)) from None
        try:
            if boundary:
                return confusion_with_boundary(gt, pred, num_classes, ignored)
            return confusion(gt, pred, num_classes, ignored), None
        except ValueError as exc:
            hint = "" if pred_lut is None else MAPPED_HINT
            raise SemanticEvaluationError(f"{pred_file}: {exc}{hint}") from None

    total = np.zeros((num_classes, num_classes), dtype=np.int64)
    bounds = np.zeros((2, num_classes), dtype=np.int64)
    per_image = np.full(len(pairs), np.nan)
    with ThreadPoolExecutor(workers or min(8, (os.cpu_count() or 1) + 1)) as pool:
        for i, (matrix, counts) in enumerate(pool.map(one, pairs)):
            total += matrix
            per_image[i] = image_iou(matrix, ignored)
            if counts is not None:
                bounds += counts
    report = summary(total, names, ignored)
    report.update(model=model, images=len(pairs), missing=len(truth.sample_ids) - len(pairs))
    if boundary:
        per, mean = boundary_iou(bounds)
        report["boundary_iou"] = mean
        report["boundary_dilation_ratio"] = DILATION_RATIO
        for i, name in enumerate(names):
            report["per_class"][name]["boundary_iou"] = None if np.isnan(per[i]) else float(per[i])
    else:
        report["boundary_iou"] = None
    if store and pairs:
        ids = np.asarray([p[0] for p in pairs], dtype=np.int64)
        write_computed(
            catalog,
            dataset_id,
            {IMAGE_IOU_FIELD: (ids, per_image)},
            producer="semantic",
            params=json.dumps({"model": model}),
        )
    return {"semantic": report}


def semantic_text(report: dict[str, Any]) -> str:
    """The report's summary for a terminal: the headline metrics, then per class."""

    def pct(value: float | None) -> str:
        return "  -  " if value is None else f"{100 * value:5.1f}"

    lines = [
        f"{report['model']}: {report['images']} images ({report['missing']} without a mask)",
        f"pixel accuracy {pct(report['pixel_accuracy'])}  mean accuracy "
        f"{pct(report['mean_accuracy'])}  mIoU {pct(report['mIoU'])}  fwIoU "
        f"{pct(report['fwIoU'])}  boundary IoU {pct(report['boundary_iou'])}",
        "class                 IoU   acc   pixels",
    ]
    for name, row in report["per_class"].items():
        lines.append(f"{name[:20]:20} {pct(row['iou'])} {pct(row['accuracy'])} {row['pixels']:8d}")
    return "\n".join(lines)
