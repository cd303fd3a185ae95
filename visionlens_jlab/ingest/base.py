"""Shared pieces of the format parsers: the ParsedSource base class and fast row buffers."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from ..records.batches import ANNOTATION_SCHEMA, SAMPLE_SCHEMA, Batch
from ..records.report import IngestReport
from .images import image_size, join_location


def fast_dumps(value: Any) -> str:
    """Compact JSON text of a value straight from a JSON parser (always serialisable).

    orjson is ~10x faster than json for float-heavy segmentations. Its ``bytes`` result is
    decoded on purpose: each one keeps orjson's 4 KB write buffer, so 100K retained results
    cost 389 MB of RSS as ``bytes`` and 11 MB as ``str`` (measured with orjson 3.13).
    """
    return orjson.dumps(value).decode()


def to_json(value: Any) -> str:
    """Compact JSON text of any value (``str()`` for what JSON cannot hold)."""
    try:
        return fast_dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":"), default=str)


SAMPLE_BATCH_ROWS = 10_000
SPLIT_FOLDERS = {
    "train": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
}
"""Folder names that mean a split, and the split each is stored as (Roboflow and FiftyOne
write ``valid``/``validation`` where YOLO's data.yaml says ``val``)."""
ANNOTATION_BATCH_ROWS = 10_000


class ParsedBase:
    """Common state of every parser: what :class:`~visionlens_jlab.records.parsed.ParsedSource` asks for."""

    format: str
    source: str
    media_root: str
    json_checked: bool = False
    """Whether the JSON columns of this parser's batches typed ``arrow.json`` are text it
    serialised itself (the catalog writer then skips DuckDB's validation of them). True only
    for parsers of this package that say so; plugin formats are always validated."""

    def __init__(self, fmt: str, source: str, media_root: str) -> None:
        self.format = fmt
        self.source = source
        self.media_root = media_root
        self.report = IngestReport()
        self._classes: dict[str, tuple[Any, ...]] = {}

    def add_class(
        self,
        name: str,
        supercategory: str | None = None,
        source_id: int | None = None,
        *,
        keypoint_names: list[str] | None = None,
        skeleton: list[list[int]] | None = None,
        keypoint_sigmas: list[float] | None = None,
        frequency: str | None = None,
    ) -> None:
        """Declare a class name (first declaration wins; order is kept), with the point
        names, skeleton (COCO's 1-based index pairs) and OKS sigmas (one per point) of a
        keypoint class, and an LVIS class's frequency group (r, c or f)."""
        if name not in self._classes:
            self._classes[name] = (
                supercategory,
                source_id,
                keypoint_names,
                skeleton,
                keypoint_sigmas,
                frequency,
            )

    def categories(self) -> list[tuple[Any, ...]]:
        """``(name, supercategory, source category id, keypoint names, skeleton, keypoint
        sigmas, frequency)`` in the order they were declared."""
        return [(name, *rest) for name, rest in self._classes.items()]

    def add_image(self, file_name: str, split: str | None, samples: SampleRows) -> int:
        """Add an image of the source by its path under the media root, with its header's
        size (an unreadable one is kept without a size, and reported); returns its index."""
        location = join_location(self.media_root, file_name)
        size = image_size(location, self.report)
        if size is None:
            self.report.warn(
                "image_unreadable", "images missing or unreadable (kept without a size)", file_name
            )
        stem = os.path.splitext(os.path.basename(file_name))[0]
        return samples.add(
            file_name, location, size[0] if size else None, size[1] if size else None, split, stem
        )

    def batches(self) -> Iterator[Batch]:  # pragma: no cover - abstract
        raise NotImplementedError


def add_unannotated_images(
    parsed: ParsedBase,
    samples: SampleRows,
    by_stem: dict[str, str],
    seen: set[str] | dict[str, Any],
    what: str,
) -> None:
    """Keep the images of ``by_stem`` (stem -> file name) that no annotation file named (not in
    ``seen``) as samples without boxes, reporting them as ``image_without_annotation``."""
    split = getattr(parsed, "split", None)
    for stem, file_name in by_stem.items():
        if stem in seen:
            continue
        parsed.report.warn(
            "image_without_annotation",
            f"images without {what} (ingested without boxes)",
            file_name,
        )
        location = join_location(parsed.media_root, file_name)
        size = image_size(location, parsed.report)
        samples.add(
            file_name,
            location,
            size[0] if size else None,
            size[1] if size else None,
            split,
            stem,
        )


class SampleRows:
    """Column lists for samples; :meth:`take` turns them into an Arrow table."""

    __slots__ = ("file_name", "fields", "height", "location", "next_index", "sid", "split", "width")

    def __init__(self) -> None:
        self.next_index = 0
        self._reset()

    def _reset(self) -> None:
        self.file_name: list[str] = []
        self.location: list[str] = []
        self.width: list[int | None] = []
        self.height: list[int | None] = []
        self.split: list[str | None] = []
        self.sid: list[str | None] = []
        self.fields: list[Any] = []

    def add(
        self,
        file_name: str,
        location: str,
        width: int | None,
        height: int | None,
        split: str | None,
        source_image_id: str | None,
        fields: Any = None,
    ) -> int:
        """Append one sample and return its ``sample_index``."""
        self.file_name.append(file_name)
        self.location.append(location)
        self.width.append(width)
        self.height.append(height)
        self.split.append(split)
        self.sid.append(source_image_id)
        self.fields.append(fields)
        self.next_index += 1
        return self.next_index - 1

    def __len__(self) -> int:
        return len(self.file_name)

    def take(self) -> pa.Table | None:
        n = len(self.file_name)
        if not n:
            return None
        first = self.next_index - n
        table = pa.Table.from_arrays(
            [
                pa.array(range(first, first + n), pa.int64()),
                pa.array(self.file_name, pa.string()),
                pa.array(self.location, pa.string()),
                pa.array(self.width, pa.int32()),
                pa.array(self.height, pa.int32()),
                pa.array(self.split, pa.string()),
                pa.array(self.sid, pa.string()),
                pa.array(self.fields, pa.string()),
            ],
            schema=SAMPLE_SCHEMA,
        )
        self._reset()
        return table


class AnnotationRows:
    """Column lists for boxes; :meth:`take` turns them into an Arrow table."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.sample_index: list[int | None] = []
        self.image_ref: list[str | None] = []
        self.label: list[str] = []
        self.x: list[float] = []
        self.y: list[float] = []
        self.w: list[float] = []
        self.h: list[float] = []
        self.score: list[float | None] = []
        self.area: list[float | None] = []
        self.iscrowd: list[bool] = []
        self.difficult: list[bool] = []
        self.source_ann_id: list[str | None] = []
        self.segmentation: list[Any] = []
        self.attributes: list[Any] = []
        self.normalized: list[bool] = []

    def add(
        self,
        sample_index: int | None,
        image_ref: str | None,
        label: str,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        score: float | None = None,
        area: float | None = None,
        iscrowd: bool = False,
        difficult: bool = False,
        source_ann_id: str | None = None,
        segmentation: Any = None,
        attributes: Any = None,
        normalized: bool = False,
    ) -> None:
        """Append one box (``segmentation``/``attributes`` already JSON text, or None)."""
        self.sample_index.append(sample_index)
        self.image_ref.append(image_ref)
        self.label.append(label)
        self.x.append(x)
        self.y.append(y)
        self.w.append(w)
        self.h.append(h)
        self.score.append(score)
        self.area.append(area)
        self.iscrowd.append(iscrowd)
        self.difficult.append(difficult)
        self.source_ann_id.append(source_ann_id)
        self.segmentation.append(segmentation)
        self.attributes.append(attributes)
        self.normalized.append(normalized)

    def __len__(self) -> int:
        return len(self.label)

    def take(self) -> pa.Table | None:
        """The buffered rows as a table, or None. A column left empty while ``label`` has
        rows is filled with its default (null, or False for the flags), so hot loops can
        skip appending constant columns."""
        n = len(self.label)
        if not n:
            return None
        arrays = []
        for fld in ANNOTATION_SCHEMA:
            values = getattr(self, fld.name)
            if len(values) == n:
                arrays.append(_column(values, fld.type))
            elif not values and fld.type == pa.bool_():
                arrays.append(pa.array(np.zeros(n, dtype=bool)))
            elif not values:
                arrays.append(pa.nulls(n, fld.type))
            else:  # pragma: no cover - a parser bug, not bad input
                raise ValueError(f"column {fld.name} has {len(values)} rows, expected {n}")
        table = pa.Table.from_arrays(arrays, schema=ANNOTATION_SCHEMA)
        self._reset()
        return table


def as_number(value: Any) -> float | None:
    """``value`` as a float if it is a JSON/XML number (bools are not numbers), else None."""
    if value.__class__ in (int, float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if number == number and abs(number) != float("inf") else None
    return None


def as_int(value: Any) -> int | None:
    """``value`` as an int if it is an integral number (``5``, ``5.0``, ``"5"``), else None."""
    if value.__class__ is int:
        return int(value)
    number = as_number(value)
    if number is None or number != int(number):
        return None
    return int(number)


def _column(values: list[Any], type_: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type_)
    except pa.ArrowInvalid:
        if type_ != pa.float64():
            raise
        # a JSON integer beyond 2**53: the nearest double, as the SQL path's cast gives it
        return pa.array([None if v is None else float(v) for v in values], type_)
