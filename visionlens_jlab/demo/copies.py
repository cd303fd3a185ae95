"""Planted copies in the demo: a few images are near-copies of an earlier image.

A copy re-draws its source's scene (the same content random stream, so the same objects)
and then changes it the way copies drift in real datasets: re-encoded at a lower JPEG
quality, resized, or slightly cropped. Its labels are the source's objects moved with the
pixels; its split and its simulated predictions are its own, so some copies land in the
other split (a train/val leak). Whether image ``i`` is a copy, and of which image, depends
only on ``(seed, i)``: the plan does not change when the demo grows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from .shapes import Shape

COPY_FRACTION = 0.02
"""Share of the images (after the first :data:`FIRST_COPY`) that are copies."""
FIRST_COPY = 10
TRANSFORMS = ("reencode", "resize", "crop")
REENCODE_QUALITY = 50
RESIZE_SCALE = 0.75
CROP_FRACTION = 0.02
"""At most this share of each side is cropped, never cutting into an object."""


@dataclass(frozen=True)
class CopyPlan:
    """Image ``index`` is a ``transform`` copy of image ``source`` (an original)."""

    index: int
    source: int
    transform: str


def copy_plan(seed: int, index: int) -> CopyPlan | None:
    """The plan of image ``index`` if it is a planted copy, else None."""
    if index < FIRST_COPY:
        return None
    rng = np.random.default_rng([seed, index, 4])
    if rng.random() >= COPY_FRACTION:
        return None
    source = int(rng.integers(index))
    transform = TRANSFORMS[int(rng.integers(len(TRANSFORMS)))]
    # a copy of a copy is a copy of the same original
    earlier = copy_plan(seed, source)
    return CopyPlan(index, earlier.source if earlier else source, transform)


def planted_copies(seed: int, images: int) -> list[CopyPlan]:
    """Every planted copy among the first ``images`` images of the demo of ``seed``."""
    plans = (copy_plan(seed, i) for i in range(images))
    return [p for p in plans if p is not None]


def apply_copy(
    image: Image.Image, shapes: list[Shape], transform: str, quality: int
) -> tuple[Image.Image, list[Shape], int]:
    """The copied image, its objects moved with the pixels, and its JPEG quality."""
    if transform == "reencode":
        return image, shapes, REENCODE_QUALITY
    if transform == "resize":
        size = (round(image.width * RESIZE_SCALE), round(image.height * RESIZE_SCALE))
        moved = [
            replace(s, cx=s.cx * RESIZE_SCALE, cy=s.cy * RESIZE_SCALE, r=s.r * RESIZE_SCALE)
            for s in shapes
        ]
        return image.resize(size, Image.Resampling.LANCZOS), moved, quality
    if transform == "crop":
        left, top, right, bottom = _crop_box(image.width, image.height, shapes)
        moved = [replace(s, cx=s.cx - left, cy=s.cy - top) for s in shapes]
        return image.crop((left, top, right, bottom)), moved, quality
    raise ValueError(f"unknown copy transform {transform!r}")


def _crop_box(width: int, height: int, shapes: list[Shape]) -> tuple[int, int, int, int]:
    """Up to :data:`CROP_FRACTION` off each side, stopping a pixel short of every object."""
    boxes = [s.bbox() for s in shapes]
    free_left = min(b[0] for b in boxes)
    free_top = min(b[1] for b in boxes)
    free_right = width - max(b[0] + b[2] for b in boxes)
    free_bottom = height - max(b[1] + b[3] for b in boxes)

    def cut(free: float, side: int) -> int:
        return max(0, min(int(CROP_FRACTION * side), math.floor(free) - 1))

    return (
        cut(free_left, width),
        cut(free_top, height),
        width - cut(free_right, width),
        height - cut(free_bottom, height),
    )
