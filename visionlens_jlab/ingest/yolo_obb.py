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
outside [0, 1] are clamped to the image (warning), a box with nothing inside the image is
skipped (warning), and so is one that crosses once clamped (error
``yolo_clamped_self_intersecting``): the corners stored are checked, not only those written.
"""

from __future__ import annotations

import numpy as np

from ..records.report import IngestReport
from .coco.mask_geometry import self_intersecting
from .dota import BOW_TIE, hull, quad_area
from .object_rows import ObjectRows
from .yolo_rows import FLAT_AREA_FRACTION, TOLERANCE, LabelRow, LabelTarget

FORMAT = "yolo-obb"
COORDINATES = 8
"""The numbers of an OBB row after its class (the confidence left out)."""
CLAMPED_BOW_TIE = (
    "rotated boxes whose corners cross once clamped to the image (corners outside [0, 1] moved "
    "onto its edges past another edge): line skipped; keep the corners inside the image"
)
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
    """Append the rotated boxes of a file's OBB rows to ``rows``, their corners clamped to the
    image (:func:`clamped_corners`), skipping a bow-tie as written (``yolo_self_intersecting``)
    and one that clamping made (``yolo_clamped_self_intersecting``). Returns how many were
    added."""
    # one vectorised test per file, on the corners as written (crossing edges do not depend
    # on the image size): a bow-tie has no inside, refused as DOTA's reader refuses one
    crossed = self_intersecting([[row.values] for row in file_rows])
    kept: list[tuple[LabelRow, list[float]]] = []
    for row, bad in zip(file_rows, crossed, strict=True):
        if bad:
            report.error("yolo_self_intersecting", BOW_TIE, f"{row.where}: {row.line.strip()!r}")
            continue
        corners = clamped_corners(row, target, report)
        if corners is not None:
            kept.append((row, corners))
    # clamping moves each corner onto the image on its own, so a concave quadrilateral in
    # order as written can cross once clamped: the corners stored are tested again
    crossed = self_intersecting([[corners] for _, corners in kept])
    for (row, corners), bad in zip(kept, crossed, strict=True):
        if bad:
            report.error("yolo_clamped_self_intersecting", CLAMPED_BOW_TIE,
                         f"{row.where}: {row.line.strip()!r}")  # fmt: skip
            continue
        rows.add(target.idx, target.ref, row.label, *hull(corners), score=row.score,
                 area=quad_area(corners), normalized=target.normalized)  # fmt: skip
        rows.set_labels(obb=corners)
    return len(kept) - int(crossed.sum())


def clamped_corners(row: LabelRow, target: LabelTarget, report: IngestReport) -> list[float] | None:
    """The corners of OBB row ``row`` clamped to the image (reported): in pixels rounded to 3
    decimals (ground truth), or normalised (predictions: the writer scales them); None when
    nothing of it is inside, or clamping left it no area (reported)."""
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
    _, _, w, h = hull(values)
    # corners clamped onto the image's edges can keep an extent but lose the area between them
    if w <= 0 or h <= 0 or quad_area(values) <= FLAT_AREA_FRACTION * w * h:
        report.warn(
            "yolo_empty_box", "rotated box with no area inside the image: skipped", row.where
        )
        return None
    return values
