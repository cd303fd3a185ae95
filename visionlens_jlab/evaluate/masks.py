"""Mask IoU for COCO ``segm`` evaluation, through ``pycocotools.mask`` (its C RLE code).

Masks become RLEs exactly as ``COCO.annToRLE`` makes them: polygons rasterised at the
image's size and merged, an uncompressed RLE (``counts`` a list, COCO's crowd regions)
compressed, a compressed RLE used as is. The IoU of candidate pairs is computed image by
image, one ``pycocotools.mask.iou`` call per image (all its predictions against all its
ground truth, crowd flags as ``COCOeval.computeIoU`` passes them), so the number of C calls
grows with the images, not with the pairs.
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


def object_rles(boxes: Boxes, labels: ObjectLabels) -> tuple[list[dict[str, Any]], int]:
    """Every object's RLE and how many objects had no mask (their box is used as one, the
    polygon ``COCO.loadRes`` gives box results)."""
    rles = []
    missing = 0
    for i, text in enumerate(labels.segmentation):
        h, w = int(labels.height[i]), int(labels.width[i])
        seg = orjson.loads(text) if text is not None else None
        if not seg:
            missing += 1
            x1, y1 = float(boxes.x[i]), float(boxes.y[i])
            x2, y2 = x1 + float(boxes.w[i]), y1 + float(boxes.h[i])
            seg = [[x1, y1, x1, y2, x2, y2, x2, y1]]
        rles.append(coco_rle(seg, h, w))
    return rles, missing


def mask_similarity(
    gt: Boxes, dt: Boxes, gt_labels: ObjectLabels, dt_labels: ObjectLabels
) -> tuple[PairSimilarity, list[str]]:
    """Mask IoU of pairs, the predictions' mask areas (stored, else computed) and the
    warnings about objects evaluated without a mask."""
    gt_rles, gt_missing = object_rles(gt, gt_labels)
    dt_rles, dt_missing = object_rles(dt, dt_labels)
    dt_area = dt_labels.mask_area.astype(float).copy()
    unknown = np.flatnonzero(~np.isfinite(dt_area))
    for start in range(0, len(unknown), AREA_CHUNK):
        chunk = unknown[start : start + AREA_CHUNK].tolist()
        dt_area[chunk] = mask_utils.area([dt_rles[i] for i in chunk])
    crowd = gt.crowd.astype(np.uint8)
    no_crowd = np.zeros(len(gt), dtype=np.uint8)

    def pairs(d: np.ndarray, g: np.ndarray, use_crowd: bool) -> np.ndarray:
        out = np.zeros(len(d))
        if not len(d):
            return out
        flags = crowd if use_crowd else no_crowd
        image = dt.image[d]
        order = np.argsort(image, kind="stable")
        bounds = np.flatnonzero(np.diff(image[order])) + 1
        for sel in np.split(order, bounds):
            dts, d_at = np.unique(d[sel], return_inverse=True)
            gts, g_at = np.unique(g[sel], return_inverse=True)
            ious = mask_utils.iou(
                [dt_rles[i] for i in dts.tolist()], [gt_rles[j] for j in gts.tolist()], flags[gts]
            )
            out[sel] = np.asarray(ious).reshape(len(dts), len(gts))[d_at, g_at]
        return out

    warnings = []
    if gt_missing:
        warnings.append(f"{gt_missing} ground-truth objects have no mask: their box was used")
    if dt_missing:
        warnings.append(f"{dt_missing} predictions have no mask: their box was used")
    return PairSimilarity("segm", pairs, dt_area, np.zeros(len(gt), dtype=bool)), warnings
