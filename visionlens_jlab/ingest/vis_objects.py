"""The objects of video tracks as an annotation batch (YouTube-VIS / TAO ground truth and
YouTube-VIS results, :mod:`.vis`, :mod:`.vis_predictions`): boxes and COCO masks checked by
the COCO reader's code, a track's second object on one frame reported, and each track's key
turned into a dense ``track_id``."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..records.batches import TRACK_ID_FIELD
from ..records.report import IngestReport
from .base import AnnotationRows, as_number, fast_dumps
from .coco.label_checks import ImageSizes, LabelChecks, with_keypoint_columns
from .coco.policies import check_segmentation
from .coco.rle import segmentation_bbox


class VisObjects:
    """The objects of tracks, checked and buffered: each added with its track's key, which
    :meth:`take` turns into dense ``track_id`` values from ``first_track``."""

    def __init__(
        self,
        report: IngestReport,
        sizes: ImageSizes | None,
        first_track: int,
        *,
        predictions: bool = False,
    ) -> None:
        self.report = report
        self.rows = AnnotationRows()
        self.track_ids: list[int | None] = []
        self.ids: dict[Any, int] = {}
        self.next_track = first_track
        self.seen: set[tuple[int | str, Any]] = set()
        self.predictions = predictions
        self.checks = LabelChecks(report, image_sizes=sizes, predictions=predictions)

    @property
    def tracks(self) -> int:
        """Distinct track identities with at least one object."""
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.rows)

    def add(
        self, frame: int | str, label: str, box: Any, mask: Any, area: Any, crowd: bool,
        track: Any, ann_id: Any, where: str, score: float | None = None,
    ) -> None:  # fmt: skip
        """One object on ``frame`` (a sample index, or a prediction's ``<video>/<N>``)."""
        if track is not None and (frame, track) in self.seen:
            self.report.error(
                "vis_track_repeated_on_frame",
                "objects of a track on a frame that already has one of that track (not ingested)",
                where,
            )
            return
        segmentation = None
        if mask is not None:
            problem = check_segmentation(mask)
            if problem is None:
                segmentation = fast_dumps(mask)
            else:
                self.report.warn("vis_bad_segmentation", "masks that are not COCO RLE or polygons "
                                 "(dropped, box kept)", f"{where}: {problem}")  # fmt: skip
        xywh = _box(box)
        if xywh is None and segmentation is not None:
            xywh = _box(segmentation_bbox(mask))
        if xywh is None:
            if box is not None or segmentation is not None:
                self.report.error(
                    "vis_bad_box", "objects without a usable box or mask (not ingested)",
                    f"{where}: {box!r}" if box is not None else f"{where}: an empty mask",
                )  # fmt: skip
            return
        if track is not None:
            self.seen.add((frame, track))
            if track not in self.ids:
                self.ids[track] = self.next_track
                self.next_track += 1
        index, ref = (None, frame) if isinstance(frame, str) else (frame, None)
        self.rows.add(index, ref, label, *xywh, score=score, area=as_number(area) if area is not None else None,
                      iscrowd=crowd, source_ann_id=None if ann_id is None else str(ann_id),
                      segmentation=segmentation)  # fmt: skip
        self.track_ids.append(None if track is None else self.ids[track])

    def take(self) -> pa.Table | None:
        """The buffered objects with their ``mask_area``, ``area`` (given, else the mask's,
        else the box's) and ``track_id``."""
        table = self.rows.take()
        if table is None:
            return None
        n = table.num_rows
        table = self.checks.finish(with_keypoint_columns(table, [None] * n, [None] * n))
        box_area = pc.multiply(table.column("w"), table.column("h"))
        area = pc.coalesce(table.column("area"), table.column("mask_area"), box_area)
        table = table.set_column(table.schema.get_field_index("area"), "area", area)
        tracks = pa.array(self.track_ids, pa.int64())
        self.track_ids = []
        return table.append_column(TRACK_ID_FIELD, tracks)

    def flush(self) -> None:
        """Add the mask checks' findings to the report (after the last :meth:`take`)."""
        self.checks.flush()


def _box(box: Any) -> tuple[float, float, float, float] | None:
    """``(x, y, w, h)`` of a box with an area, or None."""
    if not isinstance(box, list) or len(box) != 4:
        return None
    values = [as_number(v) for v in box]
    if any(v is None for v in values):
        return None
    x, y, w, h = (float(v) for v in values)  # type: ignore[arg-type]
    return (x, y, w, h) if w > 0 and h > 0 else None
