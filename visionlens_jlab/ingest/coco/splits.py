"""A dataset exported as one COCO file per split folder, as Roboflow exports COCO:
``train/_annotations.coco.json`` beside that split's images, the same for ``valid/`` and
``test/``.

Each split's file is read by :class:`~.dataset.CocoDataset` in turn and its batches are
renumbered into one dataset: sample indices run on across the splits, file names gain the
split folder (``valid/img.jpg``, so that images with one name in two splits stay apart), and
so do the image ids (``valid/12``: every split's file numbers its images from the start, so a
bare id would match an image of each split). The folder's name gives the split (``valid`` and
``validation`` are stored as ``val``, as the class tree and YOLO's ``data.yaml`` do), unless an
image has its own ``split`` key. Classes are matched by name across the files, the first
declaration kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ...records.batches import Batch
from ...records.report import IngestError
from ..base import SPLIT_FOLDERS, ParsedBase
from .dataset import CocoDataset

SPLIT_FILE = "_annotations.coco.json"
"""The COCO file Roboflow writes in each split folder."""


def split_files(path: str) -> list[tuple[str, str]] | None:
    """``(split folder, its COCO file)`` for each subfolder of ``path`` that holds
    :data:`SPLIT_FILE`, or, named like a split (``train``, ``val``, ``valid``, ``test``...),
    exactly one .json file; None when there is none."""
    try:
        folders = sorted(
            e.name for e in os.scandir(path) if e.is_dir() and not e.name.startswith(".")
        )
    except OSError:
        return None
    found: list[tuple[str, str]] = []
    for folder in folders:
        sub = os.path.join(path, folder)
        if os.path.isfile(os.path.join(sub, SPLIT_FILE)):
            found.append((folder, os.path.join(sub, SPLIT_FILE)))
        elif folder.lower() in SPLIT_FOLDERS:
            jsons = [e for e in os.listdir(sub) if e.lower().endswith(".json")]
            if len(jsons) == 1:
                found.append((folder, os.path.join(sub, jsons[0])))
    order = list(dict.fromkeys(SPLIT_FOLDERS.values()))  # train, val, test, then the others
    found.sort(key=lambda part: (_rank(order, split_name(part[0])), part[0]))
    return found or None


def _rank(order: list[str], split: str) -> int:
    return order.index(split) if split in order else len(order)


def split_name(folder: str) -> str:
    """The split a folder's samples get: :data:`SPLIT_FOLDERS`' name, else the folder's."""
    return SPLIT_FOLDERS.get(folder.lower(), folder)


class CocoSplits(ParsedBase):
    """The COCO files of a folder's split subfolders as one
    :class:`~visionlens_jlab.records.parsed.ParsedSource`."""

    json_checked = True  # every part is a CocoDataset

    def __init__(self, path: str, images_root: str | None = None, split: str | None = None) -> None:
        path = os.path.abspath(path)
        root = images_root if images_root and "://" in images_root else None
        root = root or os.path.abspath(images_root or path)
        super().__init__("coco", path, root)
        parts = split_files(path)
        if parts is None:
            raise IngestError(
                f"{path} has no split folders holding a COCO file ({SPLIT_FILE}, or one .json "
                "in train/ val/ valid/ test/): pass the COCO .json file itself"
            )
        if split:
            chosen = [p for p in parts if split_name(p[0]) == split or p[0] == split]
            if not chosen:
                known = ", ".join(sorted({split_name(f) for f, _ in parts}))
                raise IngestError(f"{path} has no split {split!r}; its splits: {known}")
            parts = chosen
        self.parts = parts

    def batches(self) -> Iterator[Batch]:
        offset = 0
        totals = {"images": 0, "annotation_records": 0}
        for folder, file in self.parts:
            part = CocoDataset(file, f"{self.media_root.rstrip('/')}/{folder}", split_name(folder))
            part.report = self.report  # one report: its entries count over every split
            rows = 0
            for batch in part.batches():
                if batch.samples is not None:
                    rows += batch.samples.num_rows
                yield _renumbered(batch, offset, folder)
            for key in totals:
                totals[key] += self.report.counts.pop(key, 0)
            for name, *rest in part.categories():
                supercategory, source_id, points, skeleton, sigmas = rest
                self.add_class(
                    name,
                    supercategory,
                    source_id,
                    keypoint_names=points,
                    skeleton=skeleton,
                    keypoint_sigmas=sigmas,
                )
            offset += rows
        self.report.counts.update(totals)


def _renumbered(batch: Batch, offset: int, folder: str) -> Batch:
    """``batch`` with its sample indices moved by ``offset``, and its samples' relative file
    names and image ids under ``folder``."""
    samples = batch.samples
    if samples is not None:
        samples = _shifted(samples, offset)
        for column in ("file_name", "source_image_id"):
            samples = samples.set_column(
                samples.schema.get_field_index(column),
                column,
                pa.array(
                    [_under(folder, v) for v in samples.column(column).to_pylist()], pa.string()
                ),
            )
    return Batch(
        samples=samples,
        annotations=None if batch.annotations is None else _shifted(batch.annotations, offset),
        classifications=None
        if batch.classifications is None
        else _shifted(batch.classifications, offset),
    )


def _under(folder: str, value: str | None) -> str | None:
    if value is None or value.startswith("/") or "://" in value:
        return value
    return f"{folder}/{value}"


def _shifted(table: pa.Table, offset: int) -> pa.Table:
    if not offset:
        return table
    i = table.schema.get_field_index("sample_index")
    return table.set_column(i, "sample_index", pc.add(table.column(i), offset))
