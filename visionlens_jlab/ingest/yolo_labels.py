"""One YOLO label file: detection, segmentation and pose rows, told apart per row.

- detection: ``class x_center y_center width height``;
- segmentation (Ultralytics YOLO-seg): ``class x1 y1 x2 y2 ...``, at least 3 points, stored
  as a COCO polygon in absolute pixels with its shoelace area as ``mask_area`` (computed for
  the whole file in one vectorised pass) and the polygon's bounding box;
- pose (when the data.yaml has ``kpt_shape: [K, D]``): ``class x_center y_center width height``
  then K points of D values, stored as COCO's flat absolute ``[x, y, v, ...]``.

Ultralytics reads a 2-value point whose x or y is negative as not labelled (its visibility
mask is 0) and every other one as labelled; COCO says "labelled and visible" with v=2, so a
2-value point becomes v=2, or ``0, 0, 0`` (COCO's "not labelled") when negative. A 3-value
point keeps its v, which must be 0, 1 or 2.

Policies: a row that cannot be read (too few fields: a polygon of fewer than 3 points; an
odd coordinate count; a keypoint count other than kpt_shape's; a visibility outside 0-2; a
non-numeric value; a class id outside the names) is skipped (error); coordinates outside [0, 1] are clamped for
boxes and polygons (warning); a labelled keypoint outside the image is kept as given
(warning).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np

from ..records.batches import dumps_or_none
from ..records.report import IngestReport
from .base import as_int
from .object_rows import ObjectRows, polygon_areas
from .yolo_layout import PoseConfig

TOLERANCE = 1e-5  # 6-decimal labels overshoot [0, 1] by rounding: clamp those silently
KEYPOINT_TOLERANCE = 0.01  # Ultralytics' own slack for points outside the image
_FIELDS = ("bbox center x", "bbox center y", "bbox width", "bbox height")


class LabelFileReader:
    """Reads label files into an :class:`ObjectRows` buffer, reporting bad rows."""

    def __init__(
        self,
        names: list[str] | None,
        pose: PoseConfig | None,
        report: IngestReport,
        declare: Callable[[str, int], None],
    ) -> None:
        self.names, self.pose, self.report, self.declare = names, pose, report, declare
        self.kinds = {"boxes": 0, "polygons": 0, "poses": 0}

    def read(self, path: str, idx: int, size: tuple[int, int], rows: ObjectRows) -> int:
        """Append the objects of label file ``path`` for sample ``idx`` of ``size``
        (width, height); returns how many were read."""
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            self.report.error(
                "yolo_bad_label_file", "label files that could not be read", f"{path}: {exc}"
            )
            return 1
        base = os.path.basename(path)
        polygons: list[tuple[int, np.ndarray]] = []  # (row in ``rows``, absolute polygon)
        n = 0
        for lineno, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            where = f"{base}:{lineno}"
            label = self._label(parts, where)
            if label is None:
                continue
            values = self._values(parts, where, line)
            if values is None:
                continue
            if self.pose is not None:
                n += self._pose(label, values, where, line, size, idx, rows)
            elif len(values) == 4:
                n += self._box(label, values, where, line, size, idx, rows, None)
            else:
                polygon = self._polygon(np.array(values), where, line, size)
                if polygon is not None:
                    polygons.append((len(rows), polygon))
                    self._add_polygon(label, polygon, idx, rows)
                    n += 1
        if polygons:
            self._set_areas(polygons, rows, base)
        return n

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

    def _values(self, parts: list[str], where: str, line: str) -> list[float] | None:
        """The numbers of a row (Python floats: a box row is the hot path, and NumPy's
        per-call cost is larger than the work on 4 values)."""
        report = self.report
        count = len(parts) - 1
        if self.pose is not None:
            want = 4 + self.pose.points * self.pose.dims
            if count != want:
                report.error(
                    "yolo_bad_keypoint_count",
                    f"pose rows need class, box and {self.pose.points} points of "
                    f"{self.pose.dims} values ({want + 1} fields, kpt_shape): line skipped",
                    f"{where}: {count + 1} fields",
                )
                return None
        elif count < 4:
            report.error(
                "yolo_bad_line",
                "Unexpected field count (expected 5: class x_center y_center width height, "
                "or a polygon: class and at least 3 x y points): line skipped",
                f"{where}: {line.strip()!r}",
            )
            return None
        elif count != 4 and count % 2:
            report.error(
                "yolo_odd_coordinates",
                "odd number of polygon coordinates (x y pairs expected; a pose row needs "
                "kpt_shape in the data.yaml): line skipped",
                f"{where}: {count} coordinates",
            )
            return None
        try:
            values = [float(v) for v in parts[1:]]
        except ValueError:
            bad = next(i for i, v in enumerate(parts[1:]) if not _is_float(v))
            field = _FIELDS[bad] if bad < 4 and count == 4 else f"coordinate {bad + 1}"
            report.error(
                "yolo_bad_value", f"non-numeric {field}: line skipped", f"{where}: {line.strip()!r}"
            )
            return None
        if not all(map(math.isfinite, values)):
            report.error("yolo_bad_value", "NaN or infinite coordinate: line skipped", where)
            return None
        return values

    def _box(
        self,
        label: str,
        values: list[float],
        where: str,
        line: str,
        size: tuple[int, int],
        idx: int,
        rows: ObjectRows,
        keypoints: tuple[list[float], int] | None,
    ) -> int:
        """Append the box of a detection or pose row, clamped to the image (reported);
        the hot path of detection datasets, so written out flat."""
        xc, yc, w, h = values[:4]
        if w < 0 or h < 0:
            self.report.error("yolo_bad_value", "negative width/height: line skipped", where)
            return 0
        x1, y1, x2, y2 = xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2
        if x1 < -TOLERANCE or y1 < -TOLERANCE or x2 > 1 + TOLERANCE or y2 > 1 + TOLERANCE:
            self.report.warn(
                "yolo_clamped",
                "coordinates outside [0, 1] were clamped to the image",
                f"{where}: {line.strip()!r}",
            )
        c1 = 0.0 if x1 < 0.0 else 1.0 if x1 > 1.0 else x1
        d1 = 0.0 if y1 < 0.0 else 1.0 if y1 > 1.0 else y1
        c2 = 0.0 if x2 < 0.0 else 1.0 if x2 > 1.0 else x2
        d2 = 0.0 if y2 < 0.0 else 1.0 if y2 > 1.0 else y2
        if c2 <= c1 or d2 <= d1:
            self.report.warn("yolo_empty_box", "box with no area inside the image: skipped", where)
            return 0
        width, height = size
        box = (c1 * width, d1 * height, (c2 - c1) * width, (d2 - d1) * height)
        rows.add(idx, None, label, *box)
        if keypoints is None:
            self.kinds["boxes"] += 1
        else:
            self.kinds["poses"] += 1
            rows.set_labels(keypoints=keypoints[0], num_keypoints=keypoints[1])
        return 1

    def _polygon(
        self, values: np.ndarray, where: str, line: str, size: tuple[int, int]
    ) -> np.ndarray | None:
        """The polygon in absolute pixels, clamped to the image (reported); None when
        nothing of it is inside."""
        if values.min() < -TOLERANCE or values.max() > 1 + TOLERANCE:
            self.report.warn(
                "yolo_clamped",
                "coordinates outside [0, 1] were clamped to the image",
                f"{where}: {line.strip()!r}",
            )
        values = np.clip(values, 0.0, 1.0)
        xs, ys = values[0::2], values[1::2]
        if xs.max() <= xs.min() or ys.max() <= ys.min():
            self.report.warn("yolo_empty_box", "box with no area inside the image: skipped", where)
            return None
        return np.round((values.reshape(-1, 2) * np.array(size, dtype=np.float64)).ravel(), 3)

    def _add_polygon(self, label: str, poly: np.ndarray, idx: int, rows: ObjectRows) -> None:
        xs, ys = poly[0::2], poly[1::2]
        x, y = float(xs.min()), float(ys.min())
        rows.add(
            idx,
            None,
            label,
            x,
            y,
            float(xs.max()) - x,
            float(ys.max()) - y,
            segmentation=dumps_or_none([poly.tolist()]),
        )
        self.kinds["polygons"] += 1

    def _set_areas(
        self, polygons: list[tuple[int, np.ndarray]], rows: ObjectRows, base: str
    ) -> None:
        """The shoelace areas of a file's polygons, in one vectorised pass, into their rows."""
        areas = polygon_areas([p for _, p in polygons])
        for (row, _), area in zip(polygons, areas.tolist(), strict=True):
            rows.set_labels(row, mask_area=area)
        zero = int((areas == 0).sum())
        if zero:
            self.report.warn(
                "yolo_degenerate_polygon",
                "polygons with zero area (kept with their box)",
                base,
                count=zero,
            )

    def _pose(
        self,
        label: str,
        values: list[float],
        where: str,
        line: str,
        size: tuple[int, int],
        idx: int,
        rows: ObjectRows,
    ) -> int:
        pose = self.pose
        assert pose is not None
        points = np.array(values[4:]).reshape(pose.points, pose.dims)
        xy = points[:, :2]
        if pose.dims == 3:
            vis = points[:, 2]
            if not np.isin(vis, (0.0, 1.0, 2.0)).all():
                self.report.error(
                    "yolo_bad_visibility",
                    "keypoint visibility not 0, 1 or 2: line skipped",
                    f"{where}: {sorted(set(vis.tolist()) - {0.0, 1.0, 2.0})}",
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
                f"{where}: points {(np.flatnonzero(outside) + 1).tolist()}",
                count=int(outside.sum()),
            )
        flat = np.column_stack((xy * np.array(size, dtype=np.float64), vis)).ravel()
        keypoints = (flat.tolist(), int(labelled.sum()))
        return self._box(label, values, where, line, size, idx, rows, keypoints)


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True
