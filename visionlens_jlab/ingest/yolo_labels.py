"""One YOLO label file: detection, segmentation and pose rows, told apart per row, or
Ultralytics OBB rows when the format says so (:mod:`.yolo_obb`); ground truth, or a model's
predictions with a trailing confidence (Ultralytics' ``predict --save-txt --save-conf``).

- detection: ``class x_center y_center width height``;
- segmentation (Ultralytics YOLO-seg): ``class x1 y1 x2 y2 ...``, at least 3 points, stored
  as a COCO polygon with its shoelace area as ``mask_area`` (computed for the whole file in
  one vectorised pass) and the polygon's bounding box;
- pose: ``class x_center y_center width height`` then K points of D values, stored as COCO's
  flat ``[x, y, v, ...]``. Ground truth is pose when the data.yaml has ``kpt_shape: [K, D]``
  (every row then is a pose row); a prediction row is pose when the dataset's class has K
  keypoints and the row K points of 2 or 3 values after its box (a box alone is a box).

Ground truth is stored in absolute pixels (its image size is known); predictions stay
normalised (``normalized``) and the writer scales them by the size of the image they match.

Ultralytics reads a 2-value point whose x or y is negative as not labelled (its visibility
mask is 0) and every other one as labelled; COCO says "labelled and visible" with v=2, so a
2-value point becomes v=2, or ``0, 0, 0`` (COCO's "not labelled") when negative. A 3-value
ground-truth point keeps its v, which must be 0, 1 or 2; a 3-value predicted point's third
value is the model's keypoint confidence (Ultralytics writes ``x y conf``), kept as given, as
in COCO keypoint results.

Policies: a row that cannot be read (too few fields: a polygon of fewer than 3 points; an
odd coordinate count; a keypoint count other than kpt_shape's or the class's; a visibility
outside 0-2; a non-numeric value; a class id outside the names) is skipped (error);
coordinates outside [0, 1] are clamped for boxes and polygons (warning); a labelled keypoint
outside the image is kept as given (warning).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np

from ..records.batches import dumps_or_none
from ..records.report import IngestReport
from .base import as_int
from .coco.mask_geometry import self_intersecting
from .object_rows import ObjectRows, polygon_areas
from .yolo_layout import PoseConfig
from .yolo_obb import add_rotated_boxes, obb_shape_ok
from .yolo_rows import FLAT_AREA_FRACTION, TOLERANCE, LabelRow, LabelTarget

KEYPOINT_TOLERANCE = 0.01  # Ultralytics' own slack for points outside the image
_FIELDS = ("bbox center x", "bbox center y", "bbox width", "bbox height")


class LabelFileReader:
    """Reads label files into an :class:`ObjectRows` buffer, reporting bad rows.

    ``pose``: the data.yaml's keypoint settings (ground truth). ``scored``: rows end with a
    confidence (predictions); ``keypoint_classes``: ``{class: K}`` of the dataset's keypoint
    classes, which tells a prediction's pose rows apart; ``obb``: every row is an OBB row."""

    def __init__(
        self,
        names: list[str] | None,
        pose: PoseConfig | None,
        report: IngestReport,
        declare: Callable[[str, int], None],
        *,
        scored: bool = False,
        keypoint_classes: dict[str, int] | None = None,
        obb: bool = False,
    ) -> None:
        self.names, self.pose, self.report, self.declare = names, pose, report, declare
        self.scored, self.keypoint_classes, self.obb = scored, keypoint_classes or {}, obb
        self.kinds = {"rotated_boxes": 0} if obb else {"boxes": 0, "polygons": 0, "poses": 0}

    def read(
        self,
        path: str,
        rows: ObjectRows,
        *,
        idx: int | None = None,
        ref: str | None = None,
        size: tuple[int, int] | None = None,
    ) -> int:
        """Append the objects of label file ``path``: ground truth of sample ``idx`` of
        ``size`` (width, height), or predictions for image ``ref`` (no size: normalised).
        Returns how many objects were read (1 for a file that could not be read)."""
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            self.report.error(
                "yolo_bad_label_file", "label files that could not be read", f"{path}: {exc}"
            )
            return 1
        base = os.path.basename(path)
        target = LabelTarget(idx, ref, size)
        polygons: list[tuple[int, np.ndarray]] = []  # (row in ``rows``, polygon)
        obb_rows: list[LabelRow] = []  # checked for bow-ties per file
        n = 0
        for lineno, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            row = self._row(parts, f"{base}:{lineno}", line)
            if row is None:
                continue
            if self.obb:
                obb_rows.append(row)
            elif row.points:
                n += self._pose(row, target, rows)
            elif len(row.values) == 4:
                n += self._box(row, target, rows, None)
            else:
                polygon = self._polygon(row, target)
                if polygon is not None:
                    polygons.append((len(rows), polygon))
                    self._add_polygon(row, polygon, target, rows)
                    n += 1
        if polygons:
            self._set_areas(polygons, rows, base)
        if obb_rows:
            added = add_rotated_boxes(obb_rows, target, rows, self.report)
            self.kinds["rotated_boxes"] += added
            n += added
        return n

    def _row(self, parts: list[str], where: str, line: str) -> LabelRow | None:
        """The row's class, kind and numbers, or None (reported)."""
        label = self._label(parts, where)
        if label is None:
            return None
        row = LabelRow(label, where, line)
        if not self._shape(row, len(parts) - 1 - self.scored):
            return None
        try:
            values = [float(v) for v in parts[1:]]
        except ValueError:
            bad = next(i for i, v in enumerate(parts[1:]) if not _is_float(v))
            count = len(parts) - 1 - self.scored
            field = (
                "confidence"
                if bad == count
                else _FIELDS[bad]
                if bad < 4 and count == 4
                else f"coordinate {bad + 1}"
            )
            self.report.error(
                "yolo_bad_value", f"non-numeric {field}: line skipped", f"{where}: {line.strip()!r}"
            )
            return None
        if not all(map(math.isfinite, values)):
            self.report.error("yolo_bad_value", "NaN or infinite coordinate: line skipped", where)
            return None
        if self.scored:
            row.score = values.pop()
        row.values = values
        return row

    def _label(self, parts: list[str], where: str) -> str | None:
        report = self.report
        cls = as_int(parts[0])
        if cls is None or cls < 0:
            report.error(
                "yolo_bad_class",
                "class id is not a non-negative integer: line skipped",
                f"{where}: {parts[0]!r}",
            )
            return None
        if self.names is None:
            label = str(cls)
            self.declare(label, cls)
            return label
        if cls >= len(self.names):
            report.error(
                "yolo_unknown_class",
                f"class id not in the {len(self.names)} class names: line skipped",
                f"{where}: id {cls}",
            )
            return None
        return self.names[cls]

    def _shape(self, row: LabelRow, count: int) -> bool:
        """Set a pose row's K and D from its ``count`` numbers (the confidence left out);
        False (reported) when the count fits no row kind."""
        report, where = self.report, row.where
        conf = " and the confidence" if self.scored else ""
        if self.obb:
            return obb_shape_ok(count, self.scored, where, row.line, report)
        if self.pose is not None:
            want = 4 + self.pose.points * self.pose.dims
            if count != want:
                report.error(
                    "yolo_bad_keypoint_count",
                    f"pose rows need class, box and {self.pose.points} points of "
                    f"{self.pose.dims} values ({want + 1} fields, kpt_shape): line skipped",
                    f"{where}: {count + 1} fields",
                )
                return False
            row.points, row.dims = self.pose.points, self.pose.dims
            return True
        points = self.keypoint_classes.get(row.label)
        if points and count != 4:
            dims = (count - 4) // points
            if count - 4 != dims * points or dims not in (2, 3):
                report.error(
                    "yolo_bad_keypoint_count",
                    f"pose predictions need class, box, the {points} points of the class "
                    f"({row.label}) of 2 or 3 values each{conf}: line skipped",
                    f"{where}: {count + self.scored + 1} fields",
                )
                return False
            row.points, row.dims = points, dims
        elif count < 4:
            report.error(
                "yolo_bad_line",
                f"Unexpected field count (expected {5 + self.scored}: class x_center y_center "
                f"width height{conf}, or a polygon: class and at least 3 x y points{conf}): "
                "line skipped",
                f"{where}: {row.line.strip()!r}",
            )
            return False
        elif count != 4 and count % 2:
            report.error(
                "yolo_odd_coordinates",
                "odd number of polygon coordinates (x y pairs expected; a pose row needs "
                "kpt_shape in the data.yaml): line skipped",
                f"{where}: {count} coordinates",
            )
            return False
        return True

    def _box(
        self,
        row: LabelRow,
        target: LabelTarget,
        rows: ObjectRows,
        keypoints: tuple[list[float], int] | None,
    ) -> int:
        """Append the box of a detection or pose row, clamped to the image (reported);
        the hot path of detection datasets, so written out flat."""
        xc, yc, w, h = row.values[:4]
        if w < 0 or h < 0:
            self.report.error("yolo_bad_value", "negative width/height: line skipped", row.where)
            return 0
        x1, y1, x2, y2 = xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2
        if x1 < -TOLERANCE or y1 < -TOLERANCE or x2 > 1 + TOLERANCE or y2 > 1 + TOLERANCE:
            self.report.warn(
                "yolo_clamped",
                "coordinates outside [0, 1] were clamped to the image",
                f"{row.where}: {row.line.strip()!r}",
            )
        c1 = 0.0 if x1 < 0.0 else 1.0 if x1 > 1.0 else x1
        d1 = 0.0 if y1 < 0.0 else 1.0 if y1 > 1.0 else y1
        c2 = 0.0 if x2 < 0.0 else 1.0 if x2 > 1.0 else x2
        d2 = 0.0 if y2 < 0.0 else 1.0 if y2 > 1.0 else y2
        if c2 <= c1 or d2 <= d1:
            self.report.warn(
                "yolo_empty_box", "box with no area inside the image: skipped", row.where
            )
            return 0
        width, height = target.size
        # the file's own width and height where nothing was clamped: (c2 - c1) * width
        # rounds in the last bits (9.000000000000007), enough to tip an IoU of exactly 0.75
        bw = w * width if c1 == x1 and c2 == x2 else (c2 - c1) * width
        bh = h * height if d1 == y1 and d2 == y2 else (d2 - d1) * height
        box = (c1 * width, d1 * height, bw, bh)
        rows.add(
            target.idx, target.ref, row.label, *box, score=row.score, normalized=target.normalized
        )
        if keypoints is None:
            self.kinds["boxes"] += 1
        else:
            self.kinds["poses"] += 1
            rows.set_labels(keypoints=keypoints[0], num_keypoints=keypoints[1])
        return 1

    def _polygon(self, row: LabelRow, target: LabelTarget) -> np.ndarray | None:
        """The polygon, clamped to the image (reported): in pixels rounded to 3 decimals
        (ground truth), or normalised (predictions: the writer scales and rounds it); None
        when nothing of it is inside."""
        values = np.array(row.values)
        if values.min() < -TOLERANCE or values.max() > 1 + TOLERANCE:
            self.report.warn(
                "yolo_clamped",
                "coordinates outside [0, 1] were clamped to the image",
                f"{row.where}: {row.line.strip()!r}",
            )
        values = np.clip(values, 0.0, 1.0)
        xs, ys = values[0::2], values[1::2]
        if xs.max() <= xs.min() or ys.max() <= ys.min():
            self.report.warn(
                "yolo_empty_box", "box with no area inside the image: skipped", row.where
            )
            return None
        if target.normalized:
            return values
        return np.round((values.reshape(-1, 2) * np.array(target.size)).ravel(), 3)

    def _add_polygon(
        self, row: LabelRow, poly: np.ndarray, target: LabelTarget, rows: ObjectRows
    ) -> None:
        xs, ys = poly[0::2], poly[1::2]
        x, y = float(xs.min()), float(ys.min())
        rows.add(
            target.idx,
            target.ref,
            row.label,
            x,
            y,
            float(xs.max()) - x,
            float(ys.max()) - y,
            score=row.score,
            segmentation=dumps_or_none([poly.tolist()]),
            normalized=target.normalized,
        )
        self.kinds["polygons"] += 1

    def _set_areas(
        self, polygons: list[tuple[int, np.ndarray]], rows: ObjectRows, base: str
    ) -> None:
        """The shoelace areas of a file's polygons, in one vectorised pass, into their rows;
        flat polygons (no area for their extent: collinear or repeated points) and polygons
        that cross themselves are counted in report rows, as for COCO."""
        coords = [p for _, p in polygons]
        areas = polygon_areas(coords)
        for (row, _), area in zip(polygons, areas.tolist(), strict=True):
            rows.set_labels(row, mask_area=area)
        extents = np.array([np.ptp(p[0::2]) * np.ptp(p[1::2]) for p in coords])
        # relative to the extent: a straight line of rounded coordinates keeps a tiny area
        flat = int((areas <= FLAT_AREA_FRACTION * extents).sum())
        if flat:
            self.report.warn(
                "yolo_degenerate_polygon",
                "polygons with no area: collinear or repeated points (kept with their box)",
                base,
                count=flat,
            )
        crossed = int(self_intersecting([[p.tolist()] for p in coords]).sum())
        if crossed:
            self.report.warn(
                "yolo_self_intersecting_polygon",
                "polygons that cross themselves (kept)",
                base,
                count=crossed,
            )

    def _pose(self, row: LabelRow, target: LabelTarget, rows: ObjectRows) -> int:
        points = np.array(row.values[4:]).reshape(row.points, row.dims)
        xy = points[:, :2]
        if row.dims == 3:
            vis = points[:, 2]
            if not self.scored and not np.isin(vis, (0.0, 1.0, 2.0)).all():
                self.report.error(
                    "yolo_bad_visibility",
                    "keypoint visibility not 0, 1 or 2: line skipped",
                    f"{row.where}: {sorted(set(vis.tolist()) - {0.0, 1.0, 2.0})}",
                )
                return 0
        else:
            vis = np.where((xy < 0).any(axis=1), 0.0, 2.0)
            xy = np.where(vis[:, None] > 0, xy, 0.0)
        labelled = vis > 0
        outside = labelled & ((xy < -KEYPOINT_TOLERANCE) | (xy > 1 + KEYPOINT_TOLERANCE)).any(
            axis=1
        )
        if outside.any():
            self.report.warn(
                "yolo_keypoint_outside",
                "labelled keypoints outside the image (kept as given)",
                f"{row.where}: points {(np.flatnonzero(outside) + 1).tolist()}",
                count=int(outside.sum()),
            )
        flat = np.column_stack((xy * np.array(target.size), vis)).ravel()
        return self._box(row, target, rows, (flat.tolist(), int(labelled.sum())))


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True
