"""The metrics a slice is compared on, each as one value per unit clustered by image.

Every metric is the mean of a unit value ``y`` (a rate for 0/1 values), so one vectorised
engine tests all of them. Two are shown differently from what is tested: localisation
shows the median IoU (tested on the mean, whose clustered variance has a closed form) and
calibration shows the ECE (tested on the mean of ``score - correct``, i.e. overconfidence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .candidates import Attribute
from .stats import expected_calibration_error
from .units import FP_SCORE, Units

OBJECT_COUNT_EDGES = (1, 2, 3, 4, 6, 9)
"""Strata of images by ground-truth objects: per-image metrics (FPs per image, precision,
calibration) move mechanically with the number of objects, so effects are tested within
images of similar counts (and the count is not itself a slicing attribute)."""

MIN_EFFECT = {
    "recall": 0.05,
    "precision": 0.05,
    "confusion": 0.05,
    "localisation": 0.05,
    "fp_per_image": 0.2,
    "calibration": 0.05,
}
"""Smallest effect worth a finding (absolute, in the metric's unit): a significant but
negligible difference is not a blind spot."""

LOCALISATION_MIN_IOU = 0.1


@dataclass
class Metric:
    """One metric's units: value ``y`` per unit, its image, its strata and ids."""

    name: str
    level: str  # "object" | "prediction" | "image": which attributes apply
    worse: int  # +1: higher is worse; -1: lower is worse
    binary: bool
    unit_index: np.ndarray  # index into the level's base arrays (gt / predictions / images)
    y: np.ndarray
    img: np.ndarray
    strata: dict[str, np.ndarray]  # stratum codes by the attribute they stand for
    ids: np.ndarray  # ann ids (objects, predictions) or sample ids (images)
    score: np.ndarray | None = None  # predictions: for the ECE shown

    def display(self, inside: np.ndarray) -> float:
        """The value shown for the units selected by boolean ``inside``."""
        if not inside.any():
            return float("nan")
        if self.name == "localisation":
            return float(np.median(self.y[inside]))
        if self.name == "calibration" and self.score is not None:
            correct = self.score[inside] - self.y[inside]
            return expected_calibration_error(self.score[inside], correct)
        return float(self.y[inside].mean())


def count_bins(gt_count: np.ndarray) -> np.ndarray:
    """Stratum code of each image by its number of ground-truth objects."""
    return np.searchsorted(np.asarray(OBJECT_COUNT_EDGES), gt_count, side="right").astype(np.int32)


def build_metrics(units: Units, attrs: list[Attribute]) -> list[Metric]:
    """The six metrics of one evaluation."""
    by_name = {(a.level, a.name): a for a in attrs}
    size = by_name.get(("object", "object.size"))
    cls = by_name.get(("object", "object.class"))
    pred_cls = by_name.get(("prediction", "prediction.class"))
    count = count_bins(units.gt_count)

    def gt_metric(name: str, worse: int, binary: bool, mask: np.ndarray, y: np.ndarray) -> Metric:
        idx = np.flatnonzero(mask)
        strata = {}
        if size is not None:
            strata[size.name] = np.maximum(size.codes[idx], 0)
        if cls is not None:
            strata[cls.name] = np.maximum(cls.codes[idx], 0)
        return Metric(
            name, "object", worse, binary, idx, y[idx], units.gt_img[idx], strata,
            units.gt_ann[idx],
        )  # fmt: skip

    n_gt = len(units.gt_found)
    metrics = [
        gt_metric("recall", -1, True, np.ones(n_gt, bool), units.gt_found.astype(float)),
        gt_metric("confusion", +1, True, units.gt_located, units.gt_confused.astype(float)),
        gt_metric(
            "localisation", -1, False, units.gt_iou >= LOCALISATION_MIN_IOU,
            np.nan_to_num(units.gt_iou),
        ),
    ]  # fmt: skip
    pr_strata = {"objects": count[units.pr_img]}
    if pred_cls is not None:
        pr_strata[pred_cls.name] = np.maximum(pred_cls.codes, 0)
    confident = units.pr_score >= FP_SCORE
    idx = np.flatnonzero(confident)
    metrics.append(
        Metric(
            "precision", "prediction", -1, True, idx, units.pr_tp[idx].astype(float),
            units.pr_img[idx], {k: v[idx] for k, v in pr_strata.items()}, units.pr_ann[idx],
        )
    )  # fmt: skip
    all_pr = np.arange(len(units.pr_tp))
    metrics.append(
        Metric(
            "calibration", "prediction", +1, False, all_pr,
            units.pr_score - units.pr_tp.astype(float), units.pr_img, pr_strata,
            units.pr_ann, score=units.pr_score,
        )
    )  # fmt: skip
    fp_count = np.bincount(
        units.pr_img[confident & ~units.pr_tp], minlength=len(units.sample_id)
    ).astype(float)
    images = np.arange(len(units.sample_id))
    metrics.append(
        Metric(
            "fp_per_image", "image", +1, False, images, fp_count, images,
            {"objects": count}, units.sample_id,
        )
    )  # fmt: skip
    return metrics


def attribute_codes(metric: Metric, attr: Attribute) -> np.ndarray:
    """Codes of ``attr`` on ``metric``'s units (image attributes through the unit's image)."""
    if attr.level == "image":
        return attr.codes[metric.img]
    return attr.codes[metric.unit_index]


def applies(metric: Metric, attr: Attribute) -> bool:
    """Whether ``attr`` can slice ``metric``'s units."""
    return attr.level == "image" or attr.level == metric.level
