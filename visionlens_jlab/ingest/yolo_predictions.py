"""A model's predictions as Ultralytics writes them (``predict --save-txt --save-conf``): one
txt file per image, named by its stem, one row per object ending with the confidence.

- detection: ``class x_center y_center width height conf``;
- segmentation: ``class x1 y1 x2 y2 ... conf`` (the mask's contour, at least 3 points);
- pose: ``class x_center y_center width height`` then the K points (``x y`` or ``x y conf``)
  and ``conf``; K is the number of keypoints of the class in the dataset (its ground truth
  named them), so pose rows are told apart from polygons.

With ``obb`` (format ``yolo-obb``: ``yolo predict task=obb save_txt save_conf``) every row
is an OBB row, ``class x1 y1 x2 y2 x3 y3 x4 y4 conf`` (:mod:`.yolo_obb`).

Rows are read by :mod:`.yolo_labels` with the ground truth's report rows; coordinates stay
normalised and the writer scales boxes, polygons, mask areas, keypoints and rotated boxes (with
their areas) by the size of the image each file matches (by stem). Class ids index the dataset's class names.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..records.batches import Batch
from ..records.report import IngestError
from .base import ANNOTATION_BATCH_ROWS, ParsedBase
from .object_rows import ObjectRows
from .prefetch import prefetch
from .txt import list_txt
from .yolo_labels import LabelFileReader
from .yolo_obb import FORMAT as OBB

FORMAT = "yolo-conf-last"


class YoloPredictions(ParsedBase):
    """A folder of Ultralytics prediction txt files (detection, segmentation or pose rows;
    with ``obb``, OBB rows)."""

    def __init__(
        self,
        path: str,
        classes: list[str] | None = None,
        keypoint_classes: dict[str, int] | None = None,
        *,
        obb: bool = False,
    ) -> None:
        path = os.path.abspath(path)
        if not os.path.isdir(path):
            raise IngestError(f"{path}: give the folder that holds one txt file per image")
        super().__init__(OBB if obb else FORMAT, path, "")
        self.files = list_txt(path)
        self.reader = LabelFileReader(
            classes or None,
            None,
            self.report,
            self._ids_as_names,
            scored=True,
            keypoint_classes=keypoint_classes,
            obb=obb,
        )

    def _ids_as_names(self, name: str, cls: int) -> None:
        self.report.warn(
            "yolo_class_ids_without_names",
            "class ids but no class names (the dataset has none): ids used as names",
            name,
        )

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        rows = ObjectRows()
        for name in self.files:
            self.reader.read(os.path.join(self.source, name), rows, ref=name[:-4])
            if len(rows) >= ANNOTATION_BATCH_ROWS:
                yield Batch(annotations=rows.take())
        self.report.counts["files"] = len(self.files)
        self.report.counts.update({f"yolo_{kind}": n for kind, n in self.reader.kinds.items()})
        yield Batch(annotations=rows.take())
