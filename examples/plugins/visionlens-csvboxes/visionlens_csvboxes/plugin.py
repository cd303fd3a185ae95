"""An ingest-format plugin: ``csv-boxes``, one box per row of a CSV file.

Columns (header required, any order, extra columns ignored): ``image`` (the file name,
relative to the images folder: ``--images``, else the CSV's folder), ``label``, ``x``,
``y``, ``w``, ``h`` (pixels, top-left corner and size). A row with an image and nothing
else adds the image without boxes. A row whose coordinates are not numbers, or whose box
is empty, is counted in the validation report (``bad_row``, with its line number) and
skipped; its image is still ingested.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator

from visionlens_jlab.plugins.api import (
    AnnotationRows,
    Batch,
    IngestError,
    IngestFormat,
    IngestFormatContext,
    ParsedBase,
    SampleRows,
    SetupContext,
    image_size,
    join_location,
)

COLUMNS = ("image", "label", "x", "y", "w", "h")
FORMAT = "csv-boxes"


def looks_like_csv_boxes(path: str) -> bool:
    """A ``.csv`` file whose header names every column of :data:`COLUMNS`."""
    if not (os.path.isfile(path) and path.lower().endswith(".csv")):
        return False
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            header = next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError):
        return False
    return set(COLUMNS) <= {h.strip().lower() for h in header}


class CsvBoxesSource(ParsedBase):
    """The parser: samples in the order the CSV first names them, one box per valid row."""

    def __init__(self, path: str, images: str | None = None, split: str | None = None) -> None:
        if not looks_like_csv_boxes(path):
            raise IngestError(f"{path} is not a CSV with the columns {', '.join(COLUMNS)}")
        super().__init__(FORMAT, path, images or os.path.dirname(os.path.abspath(path)))
        self.split = split

    def batches(self) -> Iterator[Batch]:
        samples, boxes = SampleRows(), AnnotationRows()
        index: dict[str, int] = {}
        with open(self.source, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
            rows = 0
            for line, row in enumerate(reader, start=2):
                rows += 1
                image = (row.get("image") or "").strip()
                if not image:
                    self.report.error("bad_row", "rows without an image name", f"line {line}")
                    continue
                if image not in index:
                    location = join_location(self.media_root, image)
                    size = image_size(location)
                    if size is None:
                        self.report.warn(
                            "image_unreadable", "images whose size could not be read", image
                        )
                    index[image] = samples.add(
                        image, location, size[0] if size else None, size[1] if size else None,
                        self.split, image,
                    )  # fmt: skip
                label = (row.get("label") or "").strip()
                coords = [(row.get(k) or "").strip() for k in ("x", "y", "w", "h")]
                if not label and not any(coords):
                    continue  # an image without boxes
                box = _box(coords)
                if not label or box is None:
                    self.report.error(
                        "bad_row",
                        "rows with a missing label, non-numeric coordinates or an empty box (skipped)",
                        f"line {line}: {','.join(coords)}",
                    )
                    continue
                self.add_class(label)
                boxes.add(index[image], None, label, *box, source_ann_id=str(line))
        self.report.counts["csv_rows"] = rows
        yield Batch(samples=samples.take(), annotations=boxes.take())


def _box(coords: list[str]) -> tuple[float, float, float, float] | None:
    try:
        x, y, w, h = (float(c) for c in coords)
    except ValueError:
        return None
    return (x, y, w, h) if w > 0 and h > 0 else None


class CsvBoxesPlugin:
    """The ``csvboxes`` plugin (API 1.0)."""

    name = "csvboxes"
    version = "0.1.0"
    api_version = "1.0"

    def ingest_formats(self, *, context: SetupContext) -> list[IngestFormat]:
        def open_source(*, context: IngestFormatContext) -> CsvBoxesSource:
            return CsvBoxesSource(context.source, context.images, context.split)

        return [
            IngestFormat(
                name=FORMAT,
                detect=looks_like_csv_boxes,
                open=open_source,
                description="one box per row: image,label,x,y,w,h (pixels)",
            )
        ]
