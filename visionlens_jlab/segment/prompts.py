"""A click-to-mask prompt: positive and negative points and an optional box, in image pixels.

Checked before any model runs: a point or box outside the image, or no point and no box,
is refused with a sentence saying which (:class:`SegmentError`, a bad request).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..predict.base import PredictError

MAX_POINTS = 64
"""Clicks of one prompt: far past what a person refines one mask with."""


class SegmentError(PredictError):
    """A click-to-mask request that cannot be answered, with a message meant for the user."""


@dataclass(frozen=True)
class Prompt:
    """Points ``(x, y)`` with their labels (1: the object, 0: not the object) and a box
    ``(x, y, w, h)``, in the pixels of the image as the catalog and the lab show it."""

    points: tuple[tuple[float, float], ...] = ()
    labels: tuple[int, ...] = ()
    box: tuple[float, float, float, float] | None = None

    def corners(self) -> tuple[float, float, float, float] | None:
        """The box as SAM takes it: ``(x1, y1, x2, y2)``."""
        if self.box is None:
            return None
        x, y, w, h = self.box
        return x, y, x + w, y + h


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SegmentError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def parse_prompt(points: Any, box: Any) -> Prompt:
    """The prompt of a request's ``points`` (``[{"x", "y", "label"}]``, label 1 or 0) and
    ``box`` (``[x, y, w, h]`` or None), its shape checked (the image's bounds are
    :func:`check_inside`'s)."""
    points = points or []
    if not isinstance(points, Sequence) or isinstance(points, str | bytes):
        raise SegmentError("'points' must be a list of {x, y, label}")
    if len(points) > MAX_POINTS:
        raise SegmentError(f"at most {MAX_POINTS} points in one prompt, got {len(points)}")
    xy: list[tuple[float, float]] = []
    labels: list[int] = []
    for i, point in enumerate(points):
        if not isinstance(point, Mapping) or set(point) - {"x", "y", "label"}:
            raise SegmentError(f"point {i} must be an object {{x, y, label}}")
        label = point.get("label", 1)
        if label not in (0, 1) or isinstance(label, bool):
            raise SegmentError(f"point {i}: label must be 1 (the object) or 0 (not it)")
        xy.append(
            (_number(point.get("x"), f"point {i}: x"), _number(point.get("y"), f"point {i}: y"))
        )
        labels.append(int(label))
    corners = None
    if box is not None:
        if not isinstance(box, Sequence) or isinstance(box, str | bytes) or len(box) != 4:
            raise SegmentError(f"'box' must be [x, y, w, h], got {box!r}")
        x, y, w, h = (_number(v, "a box value") for v in box)
        if w <= 0 or h <= 0:
            raise SegmentError(f"the box must have a positive width and height, got {w:g}x{h:g}")
        corners = (x, y, w, h)
    if not xy and corners is None:
        raise SegmentError("the prompt is empty: click a point on the object or draw a box")
    return Prompt(tuple(xy), tuple(labels), corners)


def check_inside(prompt: Prompt, width: int, height: int) -> None:
    """Refuse a prompt that reaches outside a ``width`` x ``height`` image."""
    for i, (x, y) in enumerate(prompt.points):
        if not (0 <= x <= width and 0 <= y <= height):
            raise SegmentError(f"point {i} ({x:g}, {y:g}) lies outside the {width}x{height} image")
    corners = prompt.corners()
    if corners is not None:
        x1, y1, x2, y2 = corners
        if x1 < 0 or y1 < 0 or x2 > width or y2 > height:
            raise SegmentError(f"the box reaches outside the {width}x{height} image")
