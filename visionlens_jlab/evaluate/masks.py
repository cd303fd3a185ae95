"""Mask IoU for COCO ``segm`` evaluation, through ``pycocotools.mask`` (its C RLE code).

Masks become RLEs exactly as ``COCO.annToRLE`` makes them: polygons rasterised at the
image's size and merged, an uncompressed RLE (``counts`` a list, COCO's crowd regions)
compressed, a compressed RLE used as is. Polygons are rasterised one C call per image (an
object of one polygon keeps its RLE, which is what merging one RLE gives).

The IoU of every (prediction, ground truth) pair of an image is computed once, one
``pycocotools.mask.iou`` call per image (crowd flags as ``COCOeval.computeIoU`` passes them,
and a second call without them for the false-positive explanations when the image has a
crowd region), so the number of C calls grows with the images, not with the pairs; the
matching and the per-object results then read pairs from these tables with array indexing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from pycocotools import mask as mask_utils

from .boxes import Boxes
from .labels import ObjectLabels
from .similarity import PairSimilarity

AREA_CHUNK = 255
"""RLEs per ``pycocotools.mask.area`` call: from 256 on, pycocotools 2.0.x under numpy 2
overflows the uint8 array it first builds from the count (``OverflowError``)."""


def coco_rle(segmentation: Any, height: int, width: int) -> dict[str, Any]:
    """The RLE of a COCO segmentation (``COCO.annToRLE``)."""
    if isinstance(segmentation, list):
        return dict(mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width)))
    if isinstance(segmentation.get("counts"), list):
        return dict(mask_utils.frPyObjects(segmentation, height, width))
    return dict(segmentation)


def object_rles(boxes: Boxes, labels: ObjectLabels) -> tuple[list[Any], int, int]:
    """Every object's RLE, how many objects had no mask (their box is used as one, the
    polygon ``COCO.loadRes`` gives box results) and how many only degenerate polygons (of
    at most 2 points: an empty mask).

    ``frPyObjects`` reads a polygon list whose *first* polygon has 4 numbers as boxes (and
    pycocotools 2.0.x then fails); polygons are unions, so an object's polygons are
    rasterised with a proper polygon first, which is what COCO gives every other order.
    """
    rles: list[Any] = [None] * len(labels.segmentation)
    missing = degenerate = 0
    polygons: dict[int, list[tuple[int, list[list[float]]]]] = {}  # image -> objects
    for i, text in enumerate(labels.segmentation):
        seg = orjson.loads(text) if text is not None else None
        if not seg:
            missing += 1
            x1, y1 = float(boxes.x[i]), float(boxes.y[i])
            x2, y2 = x1 + float(boxes.w[i]), y1 + float(boxes.h[i])
            seg = [[x1, y1, x1, y2, x2, y2, x2, y1]]
        h, w = int(labels.height[i]), int(labels.width[i])
        if not isinstance(seg, list):
            rles[i] = coco_rle(seg, h, w)
        elif any(len(p) > 4 for p in seg):
            seg = sorted(seg, key=lambda p: len(p) <= 4)  # a proper polygon first
            polygons.setdefault(int(boxes.image[i]), []).append((i, seg))
        else:
            degenerate += 1
            rles[i] = mask_utils.encode(np.zeros((h, w), dtype=np.uint8, order="F"))
    for objects in polygons.values():
        first = objects[0][0]
        h, w = int(labels.height[first]), int(labels.width[first])
        flat = mask_utils.frPyObjects([p for _, seg in objects for p in seg], h, w)
        at = 0
        for i, seg in objects:
            parts = flat[at : at + len(seg)]
            rles[i] = parts[0] if len(parts) == 1 else mask_utils.merge(parts)
            at += len(seg)
    return rles, missing, degenerate


class ImageIous:
    """The mask IoU of every (prediction, ground truth) pair of each image, as two flat
    tables (with the crowd flags, and without), read by position."""

    def __init__(self, dt: Boxes, gt: Boxes, dt_rles: list[Any], gt_rles: list[Any]) -> None:
        n_images = int(max(dt.image.max(initial=-1), gt.image.max(initial=-1))) + 1
        self.dt_local, dt_order, dt_start = _local(dt.image, n_images)
        self.gt_local, gt_order, gt_start = _local(gt.image, n_images)
        n_dt, n_gt = np.diff(dt_start), np.diff(gt_start)
        self.n_gt = n_gt
        size = n_dt * n_gt
        self.offset = np.concatenate([[0], np.cumsum(size)])[:-1]
        self.crowd_iou = np.zeros(int(size.sum()))
        self.plain_iou = self.crowd_iou
        crowd = gt.crowd.astype(np.uint8)
        if crowd.any():
            self.plain_iou = np.zeros(int(size.sum()))
        for image in np.flatnonzero(size).tolist():
            dts = [dt_rles[j] for j in dt_order[dt_start[image] : dt_start[image + 1]].tolist()]
            g_idx = gt_order[gt_start[image] : gt_start[image + 1]]
            gts = [gt_rles[j] for j in g_idx.tolist()]
            lo, hi = self.offset[image], self.offset[image] + size[image]
            flags = crowd[g_idx]
            self.crowd_iou[lo:hi] = np.asarray(mask_utils.iou(dts, gts, flags)).ravel()
            if flags.any():
                self.plain_iou[lo:hi] = np.asarray(mask_utils.iou(dts, gts, 0 * flags)).ravel()
        self.dt_image = dt.image

    def pairs(self, d: np.ndarray, g: np.ndarray, crowd: bool) -> np.ndarray:
        """IoU of pairs of one image each (``crowd``: crowd regions as the matching scores
        them, intersection over the prediction's area)."""
        image = self.dt_image[d]
        at = self.offset[image] + self.dt_local[d] * self.n_gt[image] + self.gt_local[g]
        return (self.crowd_iou if crowd else self.plain_iou)[at]


def _local(image: np.ndarray, n_images: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each object's position among its image's objects, the objects ordered by image, and
    where each image's objects start in that order."""
    order = np.argsort(image, kind="stable")
    start = np.searchsorted(image[order], np.arange(n_images + 1))
    local = np.empty(len(image), dtype=np.int64)
    local[order] = np.arange(len(image)) - start[image[order]]
    return local, order, start


def mask_similarity(
    gt: Boxes, dt: Boxes, gt_labels: ObjectLabels, dt_labels: ObjectLabels
) -> tuple[PairSimilarity, list[str]]:
    """Mask IoU of pairs, the predictions' mask areas (stored, else computed) and the
    warnings about objects evaluated without a mask."""
    gt_rles, gt_missing, gt_degenerate = object_rles(gt, gt_labels)
    dt_rles, dt_missing, dt_degenerate = object_rles(dt, dt_labels)
    dt_area = dt_labels.mask_area.astype(float).copy()
    unknown = np.flatnonzero(~np.isfinite(dt_area))
    for start in range(0, len(unknown), AREA_CHUNK):
        chunk = unknown[start : start + AREA_CHUNK].tolist()
        dt_area[chunk] = mask_utils.area([dt_rles[i] for i in chunk])
    ious = ImageIous(dt, gt, dt_rles, gt_rles)
    warnings = []
    if gt_missing:
        warnings.append(f"{gt_missing} ground-truth objects have no mask: their box was used")
    if dt_missing:
        warnings.append(f"{dt_missing} predictions have no mask: their box was used")
    if gt_degenerate + dt_degenerate:
        warnings.append(
            f"{gt_degenerate + dt_degenerate} objects have only polygons of at most 2 points: "
            "evaluated as empty masks"
        )
    return PairSimilarity("segm", ious.pairs, dt_area, np.zeros(len(gt), dtype=bool)), warnings
