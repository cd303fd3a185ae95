"""One txt file per image, one box per line: the Cartucho / Padilla / YOLO-with-confidence
encodings, for ground truth (no confidence) and predictions (with one).

Format names (``fmt``):

- ``txt``: ``class [conf] left top right bottom`` in pixels (Cartucho; default). Ground
  truth may end with the word ``difficult``.
- ``txt-xywh``: ``class [conf] left top width height`` in pixels (Padilla ``abs_xywh``).
- ``yolo`` / ``txt-rel``: ``class [conf] x_center y_center width height`` normalised.

Ultralytics' own prediction files (the confidence last, with segmentation and pose rows) are
read by :mod:`.yolo_predictions`.

The class token is a name, or an integer id mapped through ``classes`` (a names list, e.g.
``voc.names``). The image is the txt file's stem.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..records.batches import Batch
from ..records.report import IngestError, IngestReport
from .base import (
    ANNOTATION_BATCH_ROWS,
    AnnotationRows,
    ParsedBase,
    SampleRows,
    add_unannotated_images,
    as_int,
)
from .class_names import NAME_FILES
from .images import image_size, join_location, list_images

TXT_FORMATS = ("txt", "txt-xywh", "yolo", "txt-rel")
NOTE_NAMES = ("README", "LICENSE", "LICENCE")
"""Text files exporters put beside the labels, by their name up to its first dot
(Roboflow's ``README.roboflow.txt``...)."""


def list_txt(folder: str) -> list[str]:
    """The annotation txt files of a folder (names files such as classes.txt excluded)."""
    try:
        names = os.listdir(folder)
    except OSError as exc:
        raise IngestError(f"cannot list {folder}: {exc.strerror or exc}") from exc
    skip = {*NAME_FILES, "train.txt", "val.txt", "test.txt", "valid.txt"}
    return sorted(
        n
        for n in names
        if n.endswith(".txt") and n not in skip and n.split(".", 1)[0].upper() not in NOTE_NAMES
    )


class LineParser:
    """Turns one line of a txt encoding into ``(label, x, y, w, h, score, difficult, norm)``."""

    def __init__(
        self,
        fmt: str,
        scored: bool,
        classes: list[str] | None,
        report: IngestReport,
        owner: ParsedBase,
    ) -> None:
        if fmt not in TXT_FORMATS:
            raise IngestError(f"unknown txt format {fmt!r} (known: {', '.join(TXT_FORMATS)})")
        self.fmt, self.scored, self.classes = fmt, scored, classes
        self.report, self.owner = report, owner
        self.normalized = fmt in ("yolo", "txt-rel")
        self.warned_ids = False

    def parse(
        self, line: str, where: str
    ) -> tuple[str, float, float, float, float, float | None, bool] | None:
        parts = line.split()
        report = self.report
        want = 6 if self.scored else 5
        difficult = False
        if not self.scored and len(parts) == 6 and parts[5].lower() == "difficult":
            difficult = True
            parts = parts[:5]
        if len(parts) != want:
            report.error(
                "txt_bad_line",
                f"Unexpected field count {len(parts)} (expected {want}"
                f" for format {self.fmt}): line skipped",
                f"{where}: {line.strip()!r}",
            )
            return None
        label = self._label(parts[0], where)
        if label is None:
            return None
        nums = parts[1:]
        try:
            values = [float(v) for v in nums]
        except ValueError:
            report.error(
                "txt_bad_value", "non-numeric field: line skipped", f"{where}: {line.strip()!r}"
            )
            return None
        if any(v != v or v in (float("inf"), float("-inf")) for v in values):
            report.error("txt_bad_value", "NaN or infinite value: line skipped", where)
            return None
        score = None
        if self.scored:
            score, values = values[0], values[1:]
        a, b, c, d = values
        if self.fmt == "txt":
            x, y, w, h = a, b, c - a, d - b
        elif self.fmt == "txt-xywh":
            x, y, w, h = a, b, c, d
        else:
            x, y, w, h = a - c / 2, b - d / 2, c, d
        if w < 0 or h < 0:
            report.error(
                "txt_bad_box",
                "box with negative width/height (right < left?): line skipped",
                f"{where}: {line.strip()!r}",
            )
            return None
        return label, x, y, w, h, score, difficult

    def _label(self, token: str, where: str) -> str | None:
        cid = as_int(token) if token[:1].isdigit() else None
        if cid is None or (self.classes is None and not token.isdigit()):
            return token
        if self.classes is None:
            if not self.warned_ids:
                self.warned_ids = True
                self.report.warn(
                    "txt_class_ids_without_names",
                    "class ids but no class names "
                    "given (pass classes=, e.g. from a names file): ids used as names",
                    token,
                )
            return token
        if cid >= len(self.classes):
            self.report.error(
                "txt_unknown_class",
                f"class id not in the {len(self.classes)} class names: line skipped",
                f"{where}: id {cid}",
            )
            return None
        return self.classes[cid]


class TxtSource(ParsedBase):
    """A folder of per-image txt files (ground truth or predictions)."""

    def __init__(
        self,
        path: str,
        fmt: str = "txt",
        *,
        predictions: bool = False,
        classes: list[str] | None = None,
        images_root: str | None = None,
        split: str | None = None,
    ) -> None:
        path = os.path.abspath(path)
        if not os.path.isdir(path):
            raise IngestError(f"{path}: give the folder that holds one txt file per image")
        super().__init__(fmt, path, images_root or "")
        self.files = list_txt(path)
        self.predictions = predictions
        self.split = split
        self.parser = LineParser(fmt, predictions, classes, self.report, self)
        for name in classes or []:
            if not predictions:
                self.add_class(name)
        if not predictions:
            self.media_root = _images_dir(path, images_root)

    def batches(self) -> Iterator[Batch]:
        return self._predictions() if self.predictions else self._ground_truth()

    def _lines(self, name: str) -> list[str] | None:
        try:
            with open(os.path.join(self.source, name), "rb") as f:
                return f.read().decode("utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            self.report.error("txt_bad_file", "files that could not be read", f"{name}: {exc}")
            return None

    def _predictions(self) -> Iterator[Batch]:
        boxes = AnnotationRows()
        norm = self.parser.normalized
        for name in self.files:
            lines = self._lines(name)
            stem = name[:-4]
            for i, line in enumerate(lines or [], 1):
                if not line.strip():
                    continue
                row = self.parser.parse(line, f"{name}:{i}")
                if row is None:
                    continue
                label, x, y, w, h, score, _ = row
                boxes.add(None, stem, label, x, y, w, h, score=score, normalized=norm)
            if len(boxes) >= ANNOTATION_BATCH_ROWS:
                yield Batch(annotations=boxes.take())
        self.report.counts["files"] = len(self.files)
        yield Batch(annotations=boxes.take())

    def _ground_truth(self) -> Iterator[Batch]:
        report = self.report
        samples, boxes = SampleRows(), AnnotationRows()
        disk = list_images(self.media_root, report) if "://" not in self.media_root else []
        by_stem = {os.path.splitext(n)[0]: n for n in disk}
        if not disk:
            report.warn(
                "images_not_found",
                "no images found; pass images= with their folder",
                self.media_root,
            )
        seen = set()
        for name in self.files:
            stem = name[:-4]
            seen.add(stem)
            file_name = by_stem.get(stem) or stem + ".jpg"
            location = join_location(self.media_root, file_name)
            size = image_size(location, report) if stem in by_stem or "://" in location else None
            if size is None:
                report.warn(
                    "image_size_unknown", "images not found or unreadable (size unknown)", file_name
                )
                if self.parser.normalized:
                    report.error(
                        "txt_needs_image",
                        "normalised boxes need the image size: file skipped",
                        name,
                    )
                    continue
            idx = samples.add(
                file_name,
                location,
                size[0] if size else None,
                size[1] if size else None,
                self.split,
                stem,
            )
            for i, line in enumerate(self._lines(name) or [], 1):
                if not line.strip():
                    continue
                row = self.parser.parse(line, f"{name}:{i}")
                if row is None:
                    continue
                label, x, y, w, h, _, difficult = row
                if self.parser.normalized and size:
                    x, y, w, h = x * size[0], y * size[1], w * size[0], h * size[1]
                self.add_class(label)
                boxes.add(
                    idx,
                    None,
                    label,
                    x,
                    y,
                    w,
                    h,
                    difficult=difficult,
                    attributes='{"difficult":true}' if difficult else None,
                )
            if len(samples) >= ANNOTATION_BATCH_ROWS or len(boxes) >= ANNOTATION_BATCH_ROWS:
                yield Batch(samples=samples.take(), annotations=boxes.take())
        add_unannotated_images(self, samples, by_stem, seen, "a txt file")
        yield Batch(samples=samples.take(), annotations=boxes.take())


def _images_dir(path: str, images: str | None) -> str:
    if images:
        return images if "://" in images else os.path.abspath(images)
    for cand in (
        os.path.join(path, "images"),
        os.path.join(path, "..", "images"),
        os.path.join(path, "..", "images-optional"),
        os.path.join(path, "..", "..", "images"),
    ):
        if os.path.isdir(cand):
            return os.path.normpath(cand)
    return path
