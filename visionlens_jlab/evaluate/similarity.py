"""What the COCO protocol compares: a pair similarity (box IoU, mask IoU or OKS) and areas.

The matching, accumulation and per-box outcomes (:mod:`.coco`, :mod:`.analysis`) are the
same for every COCO iou type; only three things differ, and a :class:`PairSimilarity`
carries them:

* the similarity of candidate (prediction, ground truth) pairs, with COCOeval's treatment
  of crowd regions (box and mask IoU: intersection over the prediction's area);
* the predictions' areas the area ranges use (COCOeval's ``d['area']``: ``w*h`` of a box,
  the mask's pixel area, the keypoints' extent);
* which ground truth is ignored besides crowd regions and the area range (keypoints:
  objects without a labelled point).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..records.label_kinds import IOU_KINDS
from .boxes import Boxes, pair_iou

PairScores = Callable[[np.ndarray, np.ndarray, bool], np.ndarray]
"""``(prediction indices, ground-truth indices, crowd)`` -> one similarity per pair;
``crowd``: score crowd regions as the matching does (False: every pair as a plain one)."""

IOU_TYPES = tuple(IOU_KINDS)
"""How objects are compared: by box, mask or keypoints (the label kinds' iou types)."""


@dataclass(frozen=True)
class PairSimilarity:
    """How one COCO iou type scores pairs, and the areas and ignore flags it ranges by."""

    iou_type: str
    pairs: PairScores
    dt_area: np.ndarray  # (n_dt,) the area each prediction's area range is decided by
    gt_ignore: np.ndarray  # (n_gt,) bool: ignored besides crowd regions and area ranges


def box_similarity(gt: Boxes, dt: Boxes, *, plus_one: bool = False) -> PairSimilarity:
    """Box IoU (pycocotools' ``bbIou``, or the VOC "+1 pixel" IoU with ``plus_one``)."""

    def pairs(d: np.ndarray, g: np.ndarray, crowd: bool) -> np.ndarray:
        return pair_iou(dt, gt, d, g, plus_one=plus_one, crowd=gt.crowd if crowd else None)

    return PairSimilarity("bbox", pairs, dt.w * dt.h, np.zeros(len(gt), dtype=bool))
