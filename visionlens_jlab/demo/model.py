"""A simulated detector with deliberate, documented blind spots.

The demo needs predictions whose failures are *known*, so that evaluation, slicing and the
agent have something true to find. Every blind spot below is a parameter of
:class:`ModelParams`; ``docs/demo.md`` lists them and ``blind_spots.json`` (written next to
the data) records each one's expected signature and the value measured on the generated data.

Outside the blind spots the model is calibrated: a detection with score ``s`` is correct
(right class, IoU well above 0.5) with probability ``s``; otherwise it is either a wrong class
or a badly placed box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .shapes import CLASSES

SMALL_AREA = 32.0**2
MEDIUM_AREA = 96.0**2
"""COCO's area ranges, applied to the annotation's ``area`` field."""


def size_class(area: float) -> str:
    """``small``, ``medium`` or ``large`` by COCO's convention on the ``area`` field."""
    if area < SMALL_AREA:
        return "small"
    return "medium" if area < MEDIUM_AREA else "large"


@dataclass(frozen=True)
class ModelParams:
    """Knobs of the simulated model; the defaults are what the demo documents."""

    # probability that a ground-truth object is detected at all, by scene and size.
    # Blind spot (a): small objects at night are mostly missed.
    p_detect: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "day": {"small": 0.97, "medium": 0.97, "large": 0.98},
            "dusk": {"small": 0.75, "medium": 0.96, "large": 0.98},
            "night": {"small": 0.12, "medium": 0.92, "large": 0.96},
        }
    )
    # Blind spot (f): occluded objects are found less often (multiplies p_detect)
    occluded_factor: float = 0.6
    # score of a detection ~ Beta(a, b); correct with probability = score (calibration)
    score_beta: tuple[float, float] = (15.0, 1.2)
    # Blind spot (b): diamonds are labelled "square" far more often than chance
    p_diamond_as_square: float = 0.45
    p_square_as_diamond: float = 0.04
    # Blind spot (c): box jitter (fraction of the box size) on textured backgrounds
    loc_sigma: float = 0.04
    loc_sigma_texture: float = 0.15
    # Blind spot (d): background detections per image (Poisson mean), confident on gradients
    fp_rate: dict[str, float] = field(
        default_factory=lambda: {"plain": 0.2, "gradient": 1.6, "texture": 0.2}
    )
    fp_score_beta_gradient: tuple[float, float] = (5.0, 2.5)
    fp_confident_on_gradient: bool = True  # False: gradients get the low scores too
    fp_score_range: tuple[float, float] = (0.02, 0.2)

    @classmethod
    def without_blind_spots(cls) -> ModelParams:
        """The same model with every blind spot switched off: detection does not depend on
        scene, size or occlusion, no systematic confusion, the same box jitter and the same
        (low-scored) background detections everywhere. Whatever a tool finds on it is false."""
        flat = {"small": 0.95, "medium": 0.95, "large": 0.95}
        return cls(
            p_detect={scene: dict(flat) for scene in ("day", "dusk", "night")},
            occluded_factor=1.0,
            p_diamond_as_square=0.0,
            p_square_as_diamond=0.0,
            loc_sigma_texture=cls.loc_sigma,
            fp_rate={"plain": 0.2, "gradient": 0.2, "texture": 0.2},
            fp_confident_on_gradient=False,
        )

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON form, recorded in ``blind_spots.json``."""
        return {
            "p_detect": self.p_detect,
            "occluded_factor": self.occluded_factor,
            "score_beta": list(self.score_beta),
            "p_diamond_as_square": self.p_diamond_as_square,
            "p_square_as_diamond": self.p_square_as_diamond,
            "loc_sigma": self.loc_sigma,
            "loc_sigma_texture": self.loc_sigma_texture,
            "fp_rate": self.fp_rate,
            "fp_score_beta_gradient": list(self.fp_score_beta_gradient),
            "fp_confident_on_gradient": self.fp_confident_on_gradient,
            "fp_score_range": list(self.fp_score_range),
        }


DEFAULT_PARAMS = ModelParams()

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class GroundTruth:
    """What the model 'sees' of one object."""

    category: int  # 0-based index into CLASSES
    bbox: Box
    area: float
    occluded: bool


@dataclass(frozen=True)
class Prediction:
    """One simulated detection, in absolute pixels.

    ``frame`` is the box before clipping to the image: the object's geometry (mask outline,
    keypoints) mapped from its ground-truth box onto ``frame`` is the predicted geometry, so
    masks and keypoints are jittered and misplaced exactly like the box. ``source`` is the
    index of the ground-truth object it comes from, None for a background detection."""

    category: int
    bbox: Box
    score: float
    frame: Box
    source: int | None


def predict(
    rng: np.random.Generator,
    objects: list[GroundTruth],
    *,
    scene: str,
    background: str,
    width: int,
    height: int,
    params: ModelParams = DEFAULT_PARAMS,
) -> list[Prediction]:
    """Simulate the model on one image."""
    out: list[Prediction] = []
    sigma = params.loc_sigma_texture if background == "texture" else params.loc_sigma
    diamond, square = CLASSES.index("diamond"), CLASSES.index("square")
    for index, obj in enumerate(objects):
        p = params.p_detect[scene][size_class(obj.area)]
        if obj.occluded:
            p *= params.occluded_factor
        if rng.random() >= p:
            continue
        score = float(rng.beta(*params.score_beta))
        category = obj.category
        if rng.random() < score:
            bbox = _jitter(rng, obj.bbox, sigma)
        elif rng.random() < 0.5:
            category = int(rng.choice([c for c in range(len(CLASSES)) if c != category]))
            bbox = _jitter(rng, obj.bbox, sigma)
        else:
            bbox = _misplace(rng, obj.bbox)
        # the systematic confusion comes on top of the calibrated errors
        if category == diamond and rng.random() < params.p_diamond_as_square:
            category = square
        elif category == square and rng.random() < params.p_square_as_diamond:
            category = diamond
        out.append(Prediction(category, _clip(bbox, width, height), score, bbox, index))
    n_fp = int(rng.poisson(params.fp_rate[background]))
    for _ in range(n_fp):
        free = _free_box(rng, objects, width, height)
        if free is None:
            continue
        if background == "gradient" and params.fp_confident_on_gradient:
            score = float(rng.beta(*params.fp_score_beta_gradient))
        else:
            score = float(rng.uniform(*params.fp_score_range))
        out.append(Prediction(int(rng.integers(len(CLASSES))), free, score, free, None))
    return out


def _jitter(rng: np.random.Generator, box: Box, sigma: float) -> Box:
    x, y, w, h = box
    cx = x + w / 2 + rng.normal(0, sigma) * w
    cy = y + h / 2 + rng.normal(0, sigma) * h
    w2 = w * math.exp(rng.normal(0, sigma))
    h2 = h * math.exp(rng.normal(0, sigma))
    return (cx - w2 / 2, cy - h2 / 2, w2, h2)


def _misplace(rng: np.random.Generator, box: Box) -> Box:
    """A box shifted by most of its size: overlaps the object, but with IoU < 0.3."""
    x, y, w, h = box
    angle = rng.uniform(0, 2 * math.pi)
    shift = rng.uniform(0.7, 1.0)
    return (x + math.cos(angle) * shift * w, y + math.sin(angle) * shift * h, w, h)


def _clip(box: Box, width: int, height: int) -> Box:
    x, y, w, h = box
    x0, y0 = max(0.0, x), max(0.0, y)
    x1, y1 = min(float(width), x + w), min(float(height), y + h)
    # a box pushed entirely off the image keeps a 1-pixel sliver at the border
    x0, y0 = min(x0, width - 1.0), min(y0, height - 1.0)
    return (x0, y0, max(1.0, x1 - x0), max(1.0, y1 - y0))


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``[x, y, w, h]`` boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _free_box(
    rng: np.random.Generator, objects: list[GroundTruth], width: int, height: int
) -> Box | None:
    """A box on the background (IoU < 0.05 with every object), or None after a few tries."""
    for _ in range(8):
        w, h = rng.uniform(12, 60), rng.uniform(12, 60)
        box = (rng.uniform(0, width - w), rng.uniform(0, height - h), w, h)
        if all(iou(box, o.bbox) < 0.05 for o in objects):
            return box
    return None
