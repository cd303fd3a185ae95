"""YOLO txt ground truth: Ultralytics (data.yaml; images/<split> + labels/<split>), a flat
images/ + labels/ pair with classes.txt, or the darknet/CVAT layout (obj.data, obj.names,
train.txt, obj_train_data/).

Rows are detection boxes, YOLO-seg polygons or pose rows (``kpt_shape`` in the data.yaml),
or with ``obb`` (format ``yolo-obb``) Ultralytics OBB rows (:mod:`.yolo_obb`), all normalised
to the image size (:mod:`.yolo_labels` reads them). Sizes come from the image headers, so
everything is stored in pixels.

Policies: an empty label file is an image without boxes; CRLF, tabs and a BOM are fine; bad
rows are reported by :mod:`.yolo_labels`; an image without a label file is kept without
boxes (warning); a label file without an image is skipped (warning: its boxes cannot be
placed without the image size).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..records.batches import Batch
from ..records.report import IngestError
from .base import ANNOTATION_BATCH_ROWS, ParsedBase, SampleRows
from .images import image_size
from .object_rows import ObjectRows
from .prefetch import prefetch
from .yolo_labels import LabelFileReader
from .yolo_layout import find_layout
from .yolo_obb import FORMAT as OBB


class YoloDataset(ParsedBase):
    """A YOLO dataset as a :class:`~visionlens_jlab.records.parsed.ParsedSource`; with
    ``obb``, one of Ultralytics OBB rows (format ``yolo-obb``)."""

    def __init__(
        self,
        path: str,
        images_root: str | None = None,
        split: str | None = None,
        classes: list[str] | None = None,
        *,
        obb: bool = False,
    ) -> None:
        super().__init__(OBB if obb else "yolo", path, "")
        self.obb = obb
        self.layout = find_layout(path, images_root, self.report)
        self.media_root = self.layout.media_root
        self.names = classes or self.layout.names
        self.split = split
        items = self.layout.items
        splits = {i.split for i in items if i.split}
        if split and splits:
            if split not in splits:
                raise IngestError(
                    f"split {split!r} not found (available: {', '.join(sorted(splits))})"
                )
            items = [i for i in items if i.split == split]
        if not items:
            problems = "; ".join(
                f"{e['message']} ({', '.join(e['examples'][:2])})" for e in self.report.errors
            )
            raise IngestError(
                f"no YOLO images or label files found under {path}"
                + (
                    f": {problems}"
                    if problems
                    else ": looked for data.yaml, obj.data, "
                    "images/ + labels/ (optionally with split subfolders) and obj_*_data/"
                )
            )
        self.items = items
        self.pose = None if obb else self.layout.pose  # an OBB row has no keypoints
        for cls, name in enumerate(self.names or []):
            self._declare(name, cls)
        if self.names is None:
            self.report.warn(
                "yolo_no_class_names",
                "no data.yaml names, classes.txt or obj.names "
                "found: classes are named by their ids",
                path,
            )

    def _declare(self, name: str, cls: int) -> None:
        """Declare class ``name`` (id ``cls``), with its keypoint names in a pose dataset
        (``kpt_names``, else the point indices) and the dataset's ``kpt_oks_sigmas``."""
        if self.pose is None:
            self.add_class(name)
            return
        points = self.pose.names.get(cls) or [str(i) for i in range(self.pose.points)]
        self.add_class(name, keypoint_names=points, keypoint_sigmas=self.pose.sigmas)

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        report = self.report
        samples, boxes = SampleRows(), ObjectRows()
        reader = LabelFileReader(self.names, self.pose, report, self._declare, obb=self.obb)
        empty = 0
        for item in self.items:
            if item.location is None or (
                not item.location.startswith("gs://") and not os.path.isfile(item.location)
            ):
                if item.label:
                    report.warn(
                        "yolo_label_without_image",
                        "label files without an image (skipped: boxes need the image size)",
                        item.label,
                    )
                continue
            size = image_size(item.location, report)
            if size is None:
                report.error(
                    "image_unreadable",
                    "images whose header could not be read (skipped)",
                    item.location,
                )
                continue
            idx = samples.add(
                item.file_name or item.stem,
                item.location,
                size[0],
                size[1],
                item.split or self.split,
                item.stem,
            )
            if item.label is None:
                report.warn(
                    "yolo_image_without_label",
                    "images without a label file (kept without boxes)",
                    item.file_name,
                )
            elif not reader.read(item.label, boxes, idx=idx, size=size):
                empty += 1
            if len(samples) >= ANNOTATION_BATCH_ROWS or len(boxes) >= ANNOTATION_BATCH_ROWS:
                yield Batch(samples=samples.take(), annotations=boxes.take())
        report.counts["label_files_without_boxes"] = empty
        report.counts.update({f"yolo_{kind}": n for kind, n in reader.kinds.items()})
        yield Batch(samples=samples.take(), annotations=boxes.take())


__all__ = ["YoloDataset", "find_layout"]
