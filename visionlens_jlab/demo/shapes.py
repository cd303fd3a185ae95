"""The demo's object classes: geometry (polygon, box, area) and drawing with PIL.

Some classes are deliberately alike so that a model has something plausible to confuse:
``diamond`` is an upright rhombus (a square standing on a corner, slightly narrowed) and
``ring`` is a ``circle`` with a hole. Shapes are always drawn fully inside the image, so the
ground-truth box is the tight box of the geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

CLASSES: tuple[str, ...] = (
    "circle",
    "ring",
    "square",
    "diamond",
    "triangle",
    "hexagon",
    "star",
    "cross",
)
"""Class names in category-id order (COCO id = position + 1)."""

SUPERCATEGORY: dict[str, str] = {
    "circle": "round",
    "ring": "round",
    "square": "polygon",
    "diamond": "polygon",
    "triangle": "polygon",
    "hexagon": "polygon",
    "star": "symbol",
    "cross": "symbol",
}

Point = tuple[float, float]

KEYPOINT_CLASS = "star"
"""The class whose objects carry keypoints: a star's five tips."""
KEYPOINT_NAMES: tuple[str, ...] = ("tip_1", "tip_2", "tip_3", "tip_4", "tip_5")
SKELETON: list[list[int]] = [[1, 3], [3, 5], [5, 2], [2, 4], [4, 1]]
"""COCO's 1-based pairs: the pentagram through the tips."""


@dataclass(frozen=True)
class Shape:
    """One object: class, centre, radius ``r`` (half extent) and rotation in degrees."""

    label: str
    cx: float
    cy: float
    r: float
    rotation: float

    def outline(self) -> list[Point]:
        """The polygon outline (for circle and ring: a 24-gon approximating the disc)."""
        return _outline(self.label, self.cx, self.cy, self.r, self.rotation)

    def ring_width(self) -> float:
        """Stroke width of a ring, in pixels."""
        return max(2.0, 0.32 * self.r)

    def bbox(self) -> tuple[float, float, float, float]:
        """Tight box ``[x, y, w, h]`` in absolute pixels."""
        if self.label in ("circle", "ring"):
            return (self.cx - self.r, self.cy - self.r, 2 * self.r, 2 * self.r)
        xs = [p[0] for p in self.outline()]
        ys = [p[1] for p in self.outline()]
        return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))

    def area(self) -> float:
        """Area of the object's pixels (COCO's ``area``: the mask area, not the box's)."""
        if self.label == "circle":
            return math.pi * self.r**2
        if self.label == "ring":
            inner = self.r - self.ring_width()
            return math.pi * (self.r**2 - inner**2)
        return _polygon_area(self.outline())

    def inner_outline(self) -> list[Point]:
        """A ring's hole (a 24-gon); empty for every other class."""
        if self.label != "ring":
            return []
        return _regular(self.cx, self.cy, [self.r - self.ring_width()] * 24, 0.0)

    def tips(self) -> list[Point]:
        """The keypoints of a star (its five tips, in outline order); empty otherwise."""
        return self.outline()[::2] if self.label == KEYPOINT_CLASS else []

    def segmentation(self, height: int, width: int) -> list[list[float]] | dict[str, object]:
        """COCO segmentation: a polygon, or for a ring (a polygon cannot hold its hole) a
        compressed RLE of the disc minus the hole."""
        if self.label == "ring":
            return ring_rle(self.outline(), self.inner_outline(), height, width)
        return [[round(v, 1) for p in self.outline() for v in p]]

    def draw(self, draw: ImageDraw.ImageDraw, fill: tuple[int, ...]) -> None:
        """Draw the object filled with ``fill``."""
        if self.label == "circle":
            draw.ellipse(_circle_box(self), fill=fill)
        elif self.label == "ring":
            draw.ellipse(_circle_box(self), outline=fill, width=round(self.ring_width()))
        else:
            draw.polygon(self.outline(), fill=fill)


def ring_rle(outer: list[Point], inner: list[Point], height: int, width: int) -> dict[str, object]:
    """Compressed COCO RLE of the polygon ``outer`` minus the polygon ``inner``."""
    from pycocotools import mask as mask_utils

    # drawn with PIL (a pycocotools decode warns under numpy 2), then encoded by pycocotools
    canvas = Image.new("L", (width, height), 0)
    pen = ImageDraw.Draw(canvas)
    pen.polygon(outer, fill=1)
    pen.polygon(inner, fill=0)
    rle = mask_utils.encode(np.asfortranarray(np.asarray(canvas, dtype=np.uint8)))
    return {"size": [height, width], "counts": rle["counts"].decode("ascii")}


def polygon_rle(points: list[Point], height: int, width: int) -> dict[str, object]:
    """Compressed COCO RLE of one polygon (a predicted mask, as COCO results write them)."""
    from pycocotools import mask as mask_utils

    flat = [float(v) for p in points for v in p]
    rle = mask_utils.frPyObjects([flat], height, width)[0]
    return {"size": [height, width], "counts": rle["counts"].decode("ascii")}


def _circle_box(shape: Shape) -> tuple[float, float, float, float]:
    return (shape.cx - shape.r, shape.cy - shape.r, shape.cx + shape.r, shape.cy + shape.r)


def _regular(cx: float, cy: float, radii: list[float], start: float) -> list[Point]:
    """Points at equal angles from ``start`` (degrees), with per-point radius."""
    n = len(radii)
    return [
        (
            cx + radius * math.cos(math.radians(start + 360.0 * i / n)),
            cy + radius * math.sin(math.radians(start + 360.0 * i / n)),
        )
        for i, radius in enumerate(radii)
    ]


def _rotate(points: list[Point], cx: float, cy: float, degrees: float) -> list[Point]:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return [(cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c) for x, y in points]


def _outline(label: str, cx: float, cy: float, r: float, rot: float) -> list[Point]:
    if label in ("circle", "ring"):
        return _regular(cx, cy, [r] * 24, 0.0)
    if label == "square":
        # r is the half side; corners sit at r * sqrt(2)
        return _regular(cx, cy, [r * math.sqrt(2)] * 4, 45.0 + rot)
    if label == "diamond":
        pts = [(cx, cy - r), (cx + 0.8 * r, cy), (cx, cy + r), (cx - 0.8 * r, cy)]
        return _rotate(pts, cx, cy, rot)
    if label == "triangle":
        return _regular(cx, cy, [r] * 3, -90.0 + rot)
    if label == "hexagon":
        return _regular(cx, cy, [r] * 6, rot)
    if label == "star":
        return _regular(cx, cy, [r, 0.45 * r] * 5, -90.0 + rot)
    if label == "cross":
        a = 0.33 * r  # arm half width
        pts = [
            (cx - a, cy - r), (cx + a, cy - r), (cx + a, cy - a), (cx + r, cy - a),
            (cx + r, cy + a), (cx + a, cy + a), (cx + a, cy + r), (cx - a, cy + r),
            (cx - a, cy + a), (cx - r, cy + a), (cx - r, cy - a), (cx - a, cy - a),
        ]  # fmt: skip
        return _rotate(pts, cx, cy, rot)
    raise ValueError(f"unknown demo class {label!r}")


def _polygon_area(points: list[Point]) -> float:
    """Shoelace formula."""
    total = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        total += x0 * y1 - x1 * y0
    return abs(total) / 2.0
