"""The COCO protocol's parameters per iou type (``COCOeval.Params`` for bbox, segm, keypoints)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .coco import AREA_RANGES, BBOX_STATS, MAX_DETS, StatSpec
from .keypoints import (
    KEYPOINT_AREA_RANGES,
    KEYPOINT_MAX_DETS,
    KEYPOINT_STATS,
    keypoint_similarity,
)
from .labels import ObjectLabels
from .load import EvalInput
from .rotated import rotated_similarity
from .similarity import PairSimilarity, box_similarity


@dataclass
class CocoParams:
    """What one iou type evaluates with: the pair similarity, the area ranges, maxDets and
    the summary numbers, plus the warnings building the similarity gave."""

    similarity: PairSimilarity
    area_ranges: dict[str, tuple[float, float]] = field(default_factory=lambda: AREA_RANGES)
    max_dets: tuple[int, ...] = MAX_DETS
    stats: tuple[StatSpec, ...] = BBOX_STATS
    warnings: list[str] = field(default_factory=list)


def coco_params(
    inp: EvalInput, *, plus_one: bool = False, sigmas: Sequence[float] | None = None
) -> CocoParams:
    """The parameters of ``inp.iou_type`` (bbox: box IoU with ``plus_one``; keypoints: OKS
    with ``sigmas`` where they fit the skeleton)."""
    gt, dt = inp.gt, inp.dt
    if inp.iou_type == "bbox":
        return CocoParams(box_similarity(gt, dt, plus_one=plus_one))
    gt_labels = inp.gt_labels or ObjectLabels.empty(len(gt))
    dt_labels = inp.dt_labels or ObjectLabels.empty(len(dt))
    if inp.iou_type == "segm":
        # pycocotools (~10 ms to import) only here: a bbox evaluation never reads a mask
        from .masks import mask_similarity

        sim, warnings = mask_similarity(gt, dt, gt_labels, dt_labels)
        return CocoParams(sim, warnings=warnings)
    if inp.iou_type == "rotated":
        return CocoParams(rotated_similarity(gt, dt, gt_labels, dt_labels))
    if inp.iou_type != "keypoints":
        raise ValueError(f"unknown iou type {inp.iou_type!r}")
    sim, warnings = keypoint_similarity(gt, dt, gt_labels, dt_labels, sigmas)
    without = int((dt_labels.points() == 0).sum())
    if without:
        warnings.append(f"{without} predictions have no keypoints: they score 0 with every object")
    return CocoParams(sim, KEYPOINT_AREA_RANGES, KEYPOINT_MAX_DETS, KEYPOINT_STATS, warnings)
