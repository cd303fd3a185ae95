"""A model's oriented detections as DOTA's Task1 results: one txt file per class.

DOTA's devkit evaluates them, and mmrotate (``DOTAMetric``'s ``format_only``) and
Ultralytics (``yolo obb val ... save_json``: ``predictions_txt/``) write them: a folder of
``Task1_<class>.txt`` files, each line ``image_id score x1 y1 x2 y2 x3 y3 x4 y4`` in pixels,
``image_id`` being the image's stem. A folder of ``<class>.txt`` files is read the same way
when the first line of each has those 10 fields.

Each detection is stored as the ground truth's (:mod:`.dota`): the corners as its rotated box
(``obb``), their axis-aligned hull as its box and the quadrilateral's area as ``area``. A line
that cannot be read (field count, a non-number, NaN) is a report row, as is a bow-tie (corners
out of order, so that two edges cross: skipped, ``dota_self_intersecting``, as in the ground
truth; either winding is read); an empty class file is a class the model did not find.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import NamedTuple

from ..records.batches import Batch
from ..records.report import IngestError
from .base import ANNOTATION_BATCH_ROWS, ParsedBase
from .coco.mask_geometry import self_intersecting
from .dota import BOW_TIE, FORMAT, hull, quad_area, read_corners, read_lines
from .object_rows import ObjectRows
from .prefetch import prefetch
from .txt import list_txt

TASK1 = "Task1_"
"""The name prefix of DOTA's oriented-box result files (Task2_ files hold upright boxes)."""
FIELDS = 10
_LAYOUT = "image score x1 y1 x2 y2 x3 y3 x4 y4"


def task1_files(names: list[str]) -> list[str]:
    """The ``Task1_<class>.txt`` files among txt file names."""
    return [n for n in names if n.startswith(TASK1) and len(n) > len(TASK1) + 4]


class DotaPredictions(ParsedBase):
    """A folder of DOTA Task1 result files (``Task1_<class>.txt``, or ``<class>.txt``)."""

    def __init__(self, path: str) -> None:
        path = os.path.abspath(path)
        if not os.path.isdir(path):
            raise IngestError(f"{path}: give the folder of DOTA Task1_<class>.txt files")
        super().__init__(FORMAT, path, "")
        names = list_txt(path)
        self.files = task1_files(names)
        if self.files:
            for name in sorted(set(names) - set(self.files)):
                self.report.warn(
                    "dota_not_task1",
                    "txt files beside the Task1_<class>.txt files: skipped",
                    name,
                )
            self.classes = [n[len(TASK1) : -4] for n in self.files]
        else:
            self.files = names
            self.classes = [n[:-4] for n in names]
            self._check_class_files()

    def _check_class_files(self) -> None:
        """Refuse a folder that is not ``<class>.txt`` results: no txt files, or one whose
        first line has not the 10 fields (a folder of per-image txt files, say)."""
        if not self.files:
            raise IngestError(f"{self.source} holds no Task1_<class>.txt files")
        for name in self.files:
            first = _first_line(os.path.join(self.source, name))
            if first and len(first.split()) != FIELDS:
                raise IngestError(
                    f"{self.source}: {name} is no DOTA Task1 results file (lines of "
                    f"{_LAYOUT}); give the folder of Task1_<class>.txt files"
                )

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        rows = ObjectRows()
        for name, label in zip(self.files, self.classes, strict=True):
            pending: list[Detection] = []
            for i, line in enumerate(read_lines(self.source, name, self.report) or [], 1):
                detection = self._detection(line, f"{name}:{i}")
                if detection is not None:
                    pending.append(detection)
                if len(pending) >= ANNOTATION_BATCH_ROWS:
                    self._add(pending, label, rows)
                    yield Batch(annotations=rows.take())
            self._add(pending, label, rows)
            if len(rows) >= ANNOTATION_BATCH_ROWS:
                yield Batch(annotations=rows.take())
        self.report.counts["files"] = len(self.files)
        yield Batch(annotations=rows.take())

    def _add(self, pending: list[Detection], label: str, rows: ObjectRows) -> None:
        """Append the readable detections of one class to ``rows``, emptying ``pending``; a
        bow-tie is skipped with a report row, as the ground truth's are."""
        # one vectorised test per chunk of a file: a bow-tie (two corners swapped) has no
        # inside, refused as the ground truth's reader (.dota) refuses one
        crossed = self_intersecting([[d.corners] for d in pending])
        for d, bad in zip(pending, crossed, strict=True):
            if bad:
                self.report.error("dota_self_intersecting", BOW_TIE, f"{d.where}: {d.line!r}")
                continue
            x, y, w, h = hull(d.corners)
            rows.add(None, d.image, label, x, y, w, h, score=d.score, area=quad_area(d.corners))
            rows.set_labels(obb=d.corners)
        pending.clear()

    def _detection(self, line: str, where: str) -> Detection | None:
        """A result line's detection; None for a blank line or a line skipped with a report
        row."""
        parts = line.split()
        if not parts:
            return None
        report = self.report
        if len(parts) != FIELDS:
            report.error(
                "dota_bad_line",
                f"Unexpected field count {len(parts)} (expected {FIELDS}: {_LAYOUT}): line skipped",
                f"{where}: {line.strip()!r}",
            )
            return None
        try:
            score = float(parts[1])
        except ValueError:
            report.error("dota_bad_value", "non-numeric score: line skipped",
                         f"{where}: {line.strip()!r}")  # fmt: skip
            return None
        if not math.isfinite(score):
            report.error("dota_bad_value", "NaN or infinite score: line skipped", where)
            return None
        corners = read_corners(parts[2:], line, where, report)
        if corners is None:
            return None
        _, _, w, h = hull(corners)
        if w <= 0 or h <= 0:
            report.warn("dota_empty_box", "rotated box with no area: skipped", where)
            return None
        return Detection(where, line.strip(), parts[0], score, corners)


class Detection(NamedTuple):
    """One readable result line, before the bow-tie check."""

    where: str
    line: str
    image: str
    score: float
    corners: list[float]


def _first_line(path: str) -> str:
    """The first non-blank line of a file ("" for none, or for a file that cannot be read:
    reading it reports that)."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            return next((line for line in f if line.strip()), "")
    except (OSError, UnicodeDecodeError):
        return ""
