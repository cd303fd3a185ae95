"""DOTA: oriented boxes, one txt file per image (``labelTxt/``) beside ``images/``.

Each line is ``x1 y1 x2 y2 x3 y3 x4 y4 category difficult`` in pixels: a box's four corners,
clockwise from the object's "head" as DOTA annotates them, stored as the object's rotated
box (``obb``, the corners in the file's order) with their axis-aligned hull as its box and
the quadrilateral's area as ``area``. The optional header lines ``imagesource:...`` and
``gsd:...`` (DOTA v1.0) are skipped; the image's ``gsd`` (ground sample distance, metres
per pixel) becomes a sample field. ``difficult`` (1) is kept like VOC's.

Layouts: a folder with ``labelTxt/`` (or ``labelTxt-v1.0/``, ``labelTxt-v1.5/``,
``labelTxt-v2.0/``) and ``images/`` (DOTA's own ``train/`` and ``val/``), or the label
folder itself with ``images=``. A line that cannot be read (field count, a non-number, a
corner outside the image by more than a pixel is kept as given with a warning) is a report
row, as is a bow-tie (corners out of order, so that two edges cross: skipped); corners in
either winding, clockwise as DOTA writes them or counter-clockwise, are read. A model's
DOTA results (``Task1_<class>.txt``) are read by :mod:`.dota_predictions`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

from ..records.batches import Batch, dumps_or_none
from ..records.report import IngestError, IngestReport
from .base import ANNOTATION_BATCH_ROWS, ParsedBase, SampleRows, add_unannotated_images
from .coco.mask_geometry import self_intersecting
from .images import image_size, join_location, list_images
from .object_rows import ObjectRows
from .txt import list_txt

FORMAT = "dota"
LABEL_FOLDERS = ("labelTxt", "labelTxt-v1.0", "labelTxt-v1.5", "labelTxt-v2.0")
"""The label folder names of DOTA's releases."""
_HEADERS = ("imagesource:", "gsd:")
BOW_TIE = (
    "rotated boxes whose corners cross (a bow-tie: two corners swapped; write them in order "
    "around the box, clockwise as DOTA does or counter-clockwise): line skipped"
)


def label_folder(path: str) -> str | None:
    """The DOTA label folder of a dataset root, else None."""
    for name in LABEL_FOLDERS:
        folder = os.path.join(path, name)
        if os.path.isdir(folder):
            return folder
    return None


def quad_area(corners: list[float]) -> float:
    """The shoelace area of a quadrilateral given as ``[x1, y1, ..., x4, y4]``."""
    xs, ys = corners[0::2], corners[1::2]
    return abs(sum(xs[i] * ys[i - 3] - xs[i - 3] * ys[i] for i in range(4))) / 2.0


def read_lines(folder: str, name: str, report: IngestReport) -> list[str] | None:
    """The lines of text file ``name`` of ``folder``, or None with a ``dota_bad_file`` report
    row."""
    try:
        with open(os.path.join(folder, name), "rb") as f:
            return f.read().decode("utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        report.error("dota_bad_file", "files that could not be read", f"{name}: {exc}")
        return None


def read_corners(
    fields: list[str], line: str, where: str, report: IngestReport
) -> list[float] | None:
    """The eight corner numbers of a line's fields, or None with a ``dota_bad_value`` report
    row (a non-number, NaN or infinity)."""
    try:
        corners = [float(v) for v in fields]
    except ValueError:
        report.error("dota_bad_value", "non-numeric corner: line skipped",
                     f"{where}: {line.strip()!r}")  # fmt: skip
        return None
    if not all(map(math.isfinite, corners)):
        report.error("dota_bad_value", "NaN or infinite corner: line skipped", where)
        return None
    return corners


def hull(corners: list[float]) -> tuple[float, float, float, float]:
    """The axis-aligned hull ``(x, y, w, h)`` of ``[x1, y1, ..., x4, y4]``."""
    xs, ys = corners[0::2], corners[1::2]
    x, y = min(xs), min(ys)
    return x, y, max(xs) - x, max(ys) - y


class DotaSource(ParsedBase):
    """A DOTA folder (ground truth)."""

    def __init__(self, path: str, images: str | None = None, split: str | None = None) -> None:
        path = os.path.abspath(path)
        labels = label_folder(path) or path
        if not os.path.isdir(labels) or not list_txt(labels):
            raise IngestError(
                f"{path}: give a DOTA folder (labelTxt/ beside images/) or its label folder"
            )
        super().__init__(FORMAT, labels, "")
        self.split = split
        self.files = list_txt(labels)
        if images:
            self.media_root = images if "://" in images else os.path.abspath(images)
        else:
            self.media_root = os.path.join(os.path.dirname(labels), "images")

    def batches(self) -> Iterator[Batch]:
        report = self.report
        samples, objects = SampleRows(), ObjectRows()
        disk = list_images(self.media_root, report) if "://" not in self.media_root else []
        by_stem = {os.path.splitext(n)[0]: n for n in disk}
        if not disk:
            report.warn("images_not_found", "no images found; pass images= with their folder",
                        self.media_root)  # fmt: skip
        seen = set()
        for name in self.files:
            stem = name[:-4]
            seen.add(stem)
            file_name = by_stem.get(stem) or stem + ".png"
            location = join_location(self.media_root, file_name)
            size = image_size(location, report) if stem in by_stem or "://" in location else None
            lines = read_lines(self.source, name, self.report)
            if lines is None:
                continue
            gsd = _gsd(lines)
            idx = samples.add(file_name, location, size[0] if size else None,
                              size[1] if size else None, self.split, stem,
                              dumps_or_none({"gsd": gsd} if gsd is not None else None))  # fmt: skip
            quads = [
                (f"{name}:{i}", line, quad)
                for i, line in enumerate(lines, 1)
                if (quad := self._quad(line, f"{name}:{i}", size)) is not None
            ]
            # one vectorised test per file: a bow-tie (two corners swapped) has no inside,
            # refused as the editor refuses one (edits.object_changes.new_points)
            crossed = self_intersecting([[quad[-1]] for _, _, quad in quads])
            for (where, line, quad), bad in zip(quads, crossed, strict=True):
                if bad:
                    self.report.error("dota_self_intersecting", BOW_TIE,
                                      f"{where}: {line.strip()!r}")  # fmt: skip
                    continue
                self._add(idx, *quad, objects)
            if len(samples) >= ANNOTATION_BATCH_ROWS or len(objects) >= ANNOTATION_BATCH_ROWS:
                yield Batch(samples=samples.take(), annotations=objects.take())
        add_unannotated_images(self, samples, by_stem, seen, "a DOTA label file")
        report.counts["files"] = len(self.files)
        yield Batch(samples=samples.take(), annotations=objects.take())

    def _quad(
        self, line: str, where: str, size: tuple[int, int] | None
    ) -> tuple[str, bool, list[float]] | None:
        """A label line's class, difficult flag and corners; None for a header, a blank
        line or a line skipped with a report row."""
        parts = line.split()
        if not parts or parts[0].lower().startswith(_HEADERS):
            return None
        if len(parts) not in (9, 10):
            self.report.error(
                "dota_bad_line",
                f"Unexpected field count {len(parts)} (expected 10: x1 y1 x2 y2 x3 y3 x4 y4 "
                "category difficult): line skipped",
                f"{where}: {line.strip()!r}",
            )
            return None
        corners = read_corners(parts[:8], line, where, self.report)
        if corners is None:
            return None
        x, y, w, h = hull(corners)
        if w <= 0 or h <= 0:
            self.report.warn("dota_empty_box", "rotated box with no area: skipped", where)
            return None
        if size and (x < -1 or y < -1 or x + w > size[0] + 1 or y + h > size[1] + 1):
            self.report.warn("dota_outside_image", "corners outside the image (kept as given)",
                             where)  # fmt: skip
        return parts[8], len(parts) == 10 and parts[9] == "1", corners

    def _add(
        self, idx: int, label: str, difficult: bool, corners: list[float], objects: ObjectRows
    ) -> None:
        x, y, w, h = hull(corners)
        self.add_class(label)
        objects.add(idx, None, label, x, y, w, h, area=quad_area(corners),
                    difficult=difficult,
                    attributes='{"difficult":true}' if difficult else None)  # fmt: skip
        objects.set_labels(obb=corners)


def _gsd(lines: list[str]) -> float | None:
    """The ``gsd:`` header's value, if any (``null`` and junk: none)."""
    for line in lines[:2]:
        if line.lower().startswith("gsd:"):
            try:
                value = float(line.split(":", 1)[1])
            except ValueError:
                return None
            return value if math.isfinite(value) else None
    return None
