"""The demo's labels beyond the box: masks, keypoints and image-level classifications.

Predicted masks and keypoints are the ground-truth geometry mapped from the object's box onto
the predicted box (:attr:`~.model.Prediction.frame`), so they are jittered, misplaced and
confused exactly like the boxes, plus a little per-point noise for keypoints. Background
detections get the outline of their predicted class drawn inside their box.

The image-level label is the class of the image's largest object; a simulated classifier
predicts it with per-class scores, right less often on hard images (night, fog, a small
dominant object) and, like the detector, apt to call a diamond a square.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .model import SMALL_AREA, Box, Prediction
from .shapes import CLASSES, KEYPOINT_CLASS, Point, Shape, polygon_rle, ring_rle

KEYPOINT_SIGMA = 0.06  # per-point noise, as a fraction of the object's radius
CLASSIFIER_ACCURACY = {"day": 0.93, "dusk": 0.82, "night": 0.62}
FOG_FACTOR = 0.85
SMALL_FACTOR = 0.8
P_DIAMOND_AS_SQUARE = 0.35  # diamond images called square, on top of the random errors


def ground_truth_keypoints(shape: Shape, later: list[Box]) -> list[float] | None:
    """COCO ``keypoints`` of a star (``None`` for other classes): every tip labelled, hidden
    (v=1) where a shape drawn after it covers it, else visible (v=2)."""
    if shape.label != KEYPOINT_CLASS:
        return None
    out: list[float] = []
    for x, y in shape.tips():
        hidden = any(b[0] <= x <= b[0] + b[2] and b[1] <= y <= b[1] + b[3] for b in later)
        out += [round(x, 2), round(y, 2), 1 if hidden else 2]
    return out


def _mapper(src: Box, dst: Box) -> Any:
    sx, sy = dst[2] / max(src[2], 1e-9), dst[3] / max(src[3], 1e-9)
    return lambda p: (dst[0] + (p[0] - src[0]) * sx, dst[1] + (p[1] - src[1]) * sy)


def _drawn_in(rng: np.random.Generator, category: int, box: Box) -> Shape:
    """A shape of class ``category`` filling ``box`` (a background detection's outline)."""
    r = min(box[2], box[3]) / 2
    return Shape(
        CLASSES[category], box[0] + box[2] / 2, box[1] + box[3] / 2, r, rng.uniform(0, 360)
    )


def predicted_geometry(
    rng: np.random.Generator,
    pred: Prediction,
    shapes: list[Shape],
    boxes: list[Box],
    height: int,
    width: int,
) -> tuple[dict[str, object], list[float] | None]:
    """The compressed-RLE mask of ``pred`` and, for a star prediction, its keypoints."""
    if pred.source is None:
        shape, frame = _drawn_in(rng, pred.category, pred.frame), None
    else:
        shape, frame = shapes[pred.source], _mapper(boxes[pred.source], pred.frame)
    move = frame if frame is not None else (lambda p: p)
    outline: list[Point] = [move(p) for p in shape.outline()]
    if shape.label == "ring":
        mask = ring_rle(outline, [move(p) for p in shape.inner_outline()], height, width)
    else:
        mask = polygon_rle(outline, height, width)
    if CLASSES[pred.category] != KEYPOINT_CLASS:
        return mask, None
    if shape.label != KEYPOINT_CLASS:  # a star predicted on something else: a star's tips
        shape = _drawn_in(rng, pred.category, pred.frame)
        move = lambda p: p  # noqa: E731 - the identity, in place of the box mapping
    noise = KEYPOINT_SIGMA * shape.r
    keypoints: list[float] = []
    for p in shape.tips():
        x, y = move(p)
        keypoints += [round(x + rng.normal(0, noise), 2), round(y + rng.normal(0, noise), 2), 2]
    return mask, keypoints


def image_label(shapes: list[Shape]) -> str:
    """The image's ground-truth label: the class of its largest object."""
    return max(shapes, key=lambda s: s.area()).label


def classify(
    rng: np.random.Generator, label: str, scene: str, weather: str, area: float
) -> dict[str, float]:
    """The simulated classifier's per-class scores for an image whose true label is
    ``label`` (its largest object of ``area`` pixels): the arg-max is its prediction."""
    p = CLASSIFIER_ACCURACY[scene]
    if weather == "fog":
        p *= FOG_FACTOR
    if area < SMALL_AREA:
        p *= SMALL_FACTOR
    predicted = label
    if rng.random() >= p:
        others = [c for c in CLASSES if c != label]
        predicted = others[int(rng.integers(len(others)))]
    if label == "diamond" and rng.random() < P_DIAMOND_AS_SQUARE:
        predicted = "square"
    # confidence in [0.5, 1): higher on easy images, so that scores carry information
    confidence = 0.5 + 0.49 * float(rng.beta(1 + 8 * p, 1 + 8 * (1 - p)))
    rest = rng.dirichlet(np.ones(len(CLASSES) - 1)) * (1 - confidence)
    scores: dict[str, float] = {}
    others_iter = iter(rest)
    for name in CLASSES:
        value = confidence if name == predicted else float(next(others_iter))
        scores[name] = math.floor(value * 1e4) / 1e4
    return scores
