"""YOLO txt ground truth: Ultralytics (data.yaml; images/<split> + labels/<split>), a flat
images/ + labels/ pair with classes.txt, or the darknet/CVAT layout (obj.data, obj.names,
train.txt, obj_train_data/).

Lines are ``class x_center y_center width height`` normalised to the image size (or a
YOLO-seg polygon ``class x1 y1 x2 y2 ...``, whose bounding box is used and whose polygon is
kept as the segmentation). Sizes come from the image headers, so boxes are stored in pixels.

Policies: an empty label file is an image without boxes; CRLF, tabs and a BOM are fine;
coordinates outside [0, 1] are clamped (warning); an unexpected field count, a non-numeric
field (named: "bbox center x", ...) or a class id outside the names list skips the line
(error); an image without a label file is kept without boxes (warning); a label file without
an image is skipped (warning: its boxes cannot be placed without the image size).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..records.batches import Batch, dumps_or_none
from ..records.report import IngestError
from .base import ANNOTATION_BATCH_ROWS, AnnotationRows, ParsedBase, SampleRows, as_int, prefetch
from .images import image_size
from .yolo_layout import find_layout, read_names

_TOLERANCE = 1e-5  # 6-decimal labels overshoot [0, 1] by rounding: clamp those silently
_FIELDS = ("bbox center x", "bbox center y", "bbox width", "bbox height")


class YoloDataset(ParsedBase):
    """A YOLO dataset as a :class:`~visionlens_jlab.records.parsed.ParsedSource`."""

    def __init__(
        self,
        path: str,
        images_root: str | None = None,
        split: str | None = None,
        classes: list[str] | None = None,
    ) -> None:
        super().__init__("yolo", path, "")
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
        for name in self.names or []:
            self.add_class(name)
        if self.names is None:
            self.report.warn(
                "yolo_no_class_names",
                "no data.yaml names, classes.txt or obj.names "
                "found: classes are named by their ids",
                path,
            )

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        report = self.report
        samples, boxes = SampleRows(), AnnotationRows()
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
            size = image_size(item.location)
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
            elif not self._labels(item.label, idx, size, boxes):
                empty += 1
            if len(samples) >= ANNOTATION_BATCH_ROWS or len(boxes) >= ANNOTATION_BATCH_ROWS:
                yield Batch(samples=samples.take(), annotations=boxes.take())
        report.counts["label_files_without_boxes"] = empty
        yield Batch(samples=samples.take(), annotations=boxes.take())

    def _labels(self, path: str, idx: int, size: tuple[int, int], boxes: AnnotationRows) -> int:
        report = self.report
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            report.error(
                "yolo_bad_label_file", "label files that could not be read", f"{path}: {exc}"
            )
            return 1
        n = 0
        width, height = size
        names = self.names
        for lineno, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            where = f"{os.path.basename(path)}:{lineno}"
            if len(parts) != 5 and (len(parts) < 7 or len(parts) % 2 == 0):
                report.error(
                    "yolo_bad_line",
                    "Unexpected field count (expected 5: class "
                    "x_center y_center width height): line skipped",
                    f"{where}: {line.strip()!r}",
                )
                continue
            cls = as_int(parts[0])
            if cls is None or cls < 0:
                report.error(
                    "yolo_bad_class",
                    "class id is not a non-negative integer: line skipped",
                    f"{where}: {parts[0]!r}",
                )
                continue
            try:
                values = [float(v) for v in parts[1:]]
            except ValueError:
                bad = next(i for i, v in enumerate(parts[1:]) if not _is_float(v))
                field = _FIELDS[bad] if len(parts) == 5 else f"polygon coordinate {bad + 1}"
                report.error(
                    "yolo_bad_value",
                    f"non-numeric {field}: line skipped",
                    f"{where}: {line.strip()!r}",
                )
                continue
            if any(v != v or v in (float("inf"), float("-inf")) for v in values):
                report.error("yolo_bad_value", "NaN or infinite coordinate: line skipped", where)
                continue
            if names is not None:
                if cls >= len(names):
                    report.error(
                        "yolo_unknown_class",
                        f"class id not in the {len(names)} class names: line skipped",
                        f"{where}: id {cls}",
                    )
                    continue
                label = names[cls]
            else:
                label = str(cls)
                self.add_class(label)
            seg = None
            if len(parts) == 5:
                xc, yc, w, h = values
                if w < 0 or h < 0:
                    report.error("yolo_bad_value", "negative width/height: line skipped", where)
                    continue
                x1, y1, x2, y2 = xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2
            else:
                xs, ys = values[0::2], values[1::2]
                x1, y1, x2, y2 = min(xs), min(ys), max(xs), max(ys)
                seg = dumps_or_none(
                    [
                        [
                            round(v * (width if i % 2 == 0 else height), 3)
                            for i, v in enumerate(values)
                        ]
                    ]
                )
            c1, d1, c2, d2 = (min(max(v, 0.0), 1.0) for v in (x1, y1, x2, y2))
            if min(x1, y1) < -_TOLERANCE or max(x2, y2) > 1 + _TOLERANCE:
                report.warn(
                    "yolo_clamped",
                    "coordinates outside [0, 1] were clamped to the image",
                    f"{where}: {line.strip()!r}",
                )
            if c2 <= c1 or d2 <= d1:
                report.warn("yolo_empty_box", "box with no area inside the image: skipped", where)
                continue
            boxes.add(
                idx,
                None,
                label,
                c1 * width,
                d1 * height,
                (c2 - c1) * width,
                (d2 - d1) * height,
                segmentation=seg,
            )
            n += 1
        return n


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


__all__ = ["YoloDataset", "find_layout", "read_names"]
