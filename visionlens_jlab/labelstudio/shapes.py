"""Label Studio's region geometry and VisionLens' shapes, both ways, in pixels.

Label Studio keeps a rectangle as its first corner ``x, y``, its ``width`` and ``height``
(each in percent of the image's width or height) and a ``rotation`` in degrees, clockwise
on the screen, about that corner; a polygon as ``points``, ``[x, y]`` pairs in percent. A
VisionLens rotated box is its four corners in order, a polygon one ring of a COCO
segmentation (``[x1, y1, x2, ...]``), all in pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

TOLERANCE_PX = 1e-6
"""Coordinates that came back within this of what was sent are unchanged (the percent and
degree round trip adds float noise)."""


def rotated_rect(corners: Sequence[float]) -> tuple[float, float, float, float, float]:
    """``(x, y, width, height, rotation)`` in pixels and degrees of the rectangle on a
    rotated box's first corner, along its first edge, as tall as its last corner is far
    from that edge (a quadrilateral that is not a rectangle becomes the nearest one)."""
    x0, y0, x1, y1 = corners[0], corners[1], corners[2], corners[3]
    x3, y3 = corners[6], corners[7]
    width = math.hypot(x1 - x0, y1 - y0)
    angle = math.atan2(y1 - y0, x1 - x0)
    # the last corner's distance from the first edge, along the edge's normal
    height = (x3 - x0) * -math.sin(angle) + (y3 - y0) * math.cos(angle)
    if height < 0:  # corners listed counterclockwise: the same rectangle from the other end
        return rotated_rect([*corners[6:8], *corners[4:6], *corners[2:4], *corners[0:2]])
    return x0, y0, width, height, math.degrees(angle) % 360.0


def rect_corners(box: Sequence[float], rotation: float) -> list[float]:
    """The four corners (pixels) of Label Studio's rectangle ``x, y, w, h`` turned by
    ``rotation`` degrees about its first corner, from that corner, clockwise."""
    x, y, w, h = box
    angle = math.radians(rotation)
    ux, uy = math.cos(angle), math.sin(angle)
    vx, vy = -uy, ux
    points = [(x, y), (x + w * ux, y + w * uy), (x + w * ux + h * vx, y + w * uy + h * vy),
              (x + h * vx, y + h * vy)]  # fmt: skip
    return [float(c) for p in points for c in p]


def rectangle_value(
    box: Sequence[float], width: int, height: int, rotation: float = 0.0
) -> dict[str, float]:
    """A rectangle's ``value`` in percent from ``x, y, w, h`` in pixels."""
    x, y, w, h = box
    return {"x": x / width * 100.0, "y": y / height * 100.0, "width": w / width * 100.0,
            "height": h / height * 100.0, "rotation": rotation}  # fmt: skip


def polygon_value(ring: Sequence[float], width: int, height: int) -> dict[str, Any]:
    """A polygon's ``value`` in percent from ``[x1, y1, x2, ...]`` in pixels."""
    return {
        "points": [[ring[i] / width * 100.0, ring[i + 1] / height * 100.0]
                   for i in range(0, len(ring), 2)],
        "closed": True,
    }  # fmt: skip


def ring_of(points: Any, width: float, height: float) -> list[float] | str:
    """A polygon region's ``points`` (percent) as a ring in pixels, or why it is not one."""
    if not isinstance(points, list) or len(points) < 3:
        return "a polygon needs at least 3 points"
    ring: list[float] = []
    for point in points:
        try:
            px, py = float(point[0]), float(point[1])
        except (TypeError, ValueError, IndexError):
            return "a polygon point is not a pair of numbers"
        if not (math.isfinite(px) and math.isfinite(py)):
            return "a polygon with a non-finite coordinate"
        ring += [px / 100.0 * width, py / 100.0 * height]
    return ring


def single_ring(segmentation: Any) -> list[float] | None:
    """The one ring of a COCO polygon segmentation, or None (RLE, several rings, none)."""
    if isinstance(segmentation, list) and len(segmentation) == 1:
        ring = segmentation[0]
        if isinstance(ring, list) and len(ring) >= 6 and len(ring) % 2 == 0:
            return [float(v) for v in ring]
    return None


def same_points(sent: Sequence[float], got: Sequence[float]) -> bool:
    """Whether two point lists are the same within :data:`TOLERANCE_PX`."""
    return len(sent) == len(got) and all(
        abs(a - b) <= TOLERANCE_PX for a, b in zip(sent, got, strict=True)
    )


def settled(sent: Sequence[float], got: Sequence[float]) -> list[float]:
    """``got`` with each coordinate that came back within the tolerance of ``sent`` set to
    the sent one (an annotator who moved one corner changed only that corner)."""
    if len(sent) != len(got):
        return list(got)
    return [s if abs(s - g) <= TOLERANCE_PX else g for s, g in zip(sent, got, strict=True)]
