"""A model's oriented detections as DOTA's Task1 results: one txt file per class.

DOTA's devkit evaluates them, and mmrotate (``DOTAMetric``'s ``format_only``) and
Ultralytics (``yolo obb val ... save_json``: ``predictions_txt/``) write them: a folder of
``Task1_<class>.txt`` files, each line ``image_id score x1 y1 x2 y2 x3 y3 x4 y4`` in pixels,
``image_id`` being the image's stem. A folder of ``<class>.txt`` files is read the same way
when the first line of each has those 10 fields.

Each detection is stored as the ground truth's (:mod:`.dota`): the corners as its rotated box
(``obb``), their axis-aligned hull as its box and the quadrilateral's area as ``area``. A line
that cannot be read (field count, a non-number, NaN) is a report row; an empty class file is
a class the model did not find.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

from ..records.batches import Batch
from ..records.report import IngestError
from .base import ANNOTATION_BATCH_ROWS, ParsedBase, prefetch
from .dota import FORMAT, hull, quad_area, read_corners, read_lines
from .object_rows import ObjectRows
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
            for i, line in enumerate(read_lines(self.source, name, self.report) or [], 1):
                self._detection(line, f"{name}:{i}", label, rows)
                if len(rows) >= ANNOTATION_BATCH_ROWS:
                    yield Batch(annotations=rows.take())
        self.report.counts["files"] = len(self.files)
        yield Batch(annotations=rows.take())

    def _detection(self, line: str, where: str, label: str, rows: ObjectRows) -> None:
        parts = line.split()
        if not parts:
            return
        report = self.report
        if len(parts) != FIELDS:
            report.error(
                "dota_bad_line",
                f"Unexpected field count {len(parts)} (expected {FIELDS}: {_LAYOUT}): line skipped",
                f"{where}: {line.strip()!r}",
            )
            return
        try:
            score = float(parts[1])
        except ValueError:
            report.error("dota_bad_value", "non-numeric score: line skipped",
                         f"{where}: {line.strip()!r}")  # fmt: skip
            return
        if not math.isfinite(score):
            report.error("dota_bad_value", "NaN or infinite score: line skipped", where)
            return
        corners = read_corners(parts[2:], line, where, report)
        if corners is None:
            return
        x, y, w, h = hull(corners)
        if w <= 0 or h <= 0:
            report.warn("dota_empty_box", "rotated box with no area: skipped", where)
            return
        rows.add(None, parts[0], label, x, y, w, h, score=score, area=quad_area(corners))
        rows.set_labels(obb=corners)


def _first_line(path: str) -> str:
    """The first non-blank line of a file ("" for none, or for a file that cannot be read:
    reading it reports that)."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            return next((line for line in f if line.strip()), "")
    except (OSError, UnicodeDecodeError):
        return ""
