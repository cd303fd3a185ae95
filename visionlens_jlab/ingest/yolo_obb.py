"""Ultralytics OBB rows (format ``yolo-obb``): the oriented boxes ``yolo11n-obb`` trains on.

A row is ``class x1 y1 x2 y2 x3 y3 x4 y4``, the box's four corners normalised to the image
size; ``yolo predict task=obb save_txt save_conf`` writes the same with the confidence last.
Eight coordinates also make a 4-point YOLO-seg polygon, so OBB is never guessed: the format is
chosen, and :class:`.yolo_labels.LabelFileReader` reads the rows here when given ``obb``
(the YOLO layout, splits, class names and image matching are the YOLO reader's).

Each object is stored as DOTA's are (:mod:`.dota`): the corners, in the file's order, as its
rotated box (``obb``), their axis-aligned hull as its box and the quadrilateral's area as
``area``. Ground truth is stored in pixels; predictions stay normalised and the writer scales
the corners, the box and the area by the matched image's size. A row of another field count
is skipped (error), as is a bow-tie (corners out of order, so that two edges cross: error
``yolo_self_intersecting``, the check DOTA's reader makes; either winding is read), corners
outside [0, 1] are clamped to the image (warning), and a box with nothing inside the image is
skipped (warning).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..records.report import IngestReport
from .coco.mask_geometry import self_intersecting
from .dota import BOW_TIE, hull, quad_area
from .object_rows import ObjectRows

if TYPE_CHECKING:
    from .yolo_labels import LabelRow, LabelTarget

FORMAT = "yolo-obb"
COORDINATES = 8
"""The numbers of an OBB row after its class (the confidence left out)."""
TOLERANCE = 1e-5  # yolo_labels.TOLERANCE (it imports this module): 6-decimal rounding slack
_LAYOUT = "class x1 y1 x2 y2 x3 y3 x4 y4"


def obb_shape_ok(count: int, scored: bool, where: str, line: str, report: IngestReport) -> bool:
    """Whether a row has the 8 corner coordinates (``count``: its numbers after the class,
    the confidence of a ``scored`` row left out); otherwise a ``yolo_bad_line`` report row."""
    if count == COORDINATES:
        return True
    conf = " conf" if scored else ""
    report.error(
        "yolo_bad_line",
        f"Unexpected field count (expected {COORDINATES + 1 + scored}: an OBB row is "
        f"{_LAYOUT}{conf}, normalised): line skipped",
        f"{where}: {line.strip()!r}",
    )
    return False


def add_rotated_boxes(
    file_rows: list[LabelRow], target: LabelTarget, rows: ObjectRows, report: IngestReport
) -> int:
    """Append the rotated boxes of a file's OBB rows to ``rows`` (:func:`add_rotated_box`),
    skipping a bow-tie with a ``yolo_self_intersecting`` report row. Returns how many were
    added."""
    # one vectorised test per file, on the corners as written (crossing edges do not depend
    # on the image size): a bow-tie has no inside, refused as DOTA's reader refuses one
    crossed = self_intersecting([[row.values] for row in file_rows])
    added = 0
    for row, bad in zip(file_rows, crossed, strict=True):
        if bad:
            report.error("yolo_self_intersecting", BOW_TIE, f"{row.where}: {row.line.strip()!r}")
            continue
        added += add_rotated_box(row, target, rows, report)
    return added


def add_rotated_box(
    row: LabelRow, target: LabelTarget, rows: ObjectRows, report: IngestReport
) -> int:
    """Append the rotated box of OBB row ``row`` to ``rows``, its corners clamped to the image
    (reported): in pixels rounded to 3 decimals (ground truth), or normalised (predictions:
    the writer scales them). Returns 1, or 0 when nothing of it is inside (reported)."""
    corners = np.array(row.values)
    if corners.min() < -TOLERANCE or corners.max() > 1 + TOLERANCE:
        report.warn(
            "yolo_clamped",
            "coordinates outside [0, 1] were clamped to the image",
            f"{row.where}: {row.line.strip()!r}",
        )
    corners = np.clip(corners, 0.0, 1.0)
    if not target.normalized:
        corners = np.round(corners * np.tile(target.size, 4), 3)
    values = corners.tolist()
    x, y, w, h = hull(values)
    if w <= 0 or h <= 0:
        report.warn(
            "yolo_empty_box", "rotated box with no area inside the image: skipped", row.where
        )
        return 0
    rows.add(target.idx, target.ref, row.label, x, y, w, h, score=row.score,
             area=quad_area(values), normalized=target.normalized)  # fmt: skip
    rows.set_labels(obb=values)
    return 1
