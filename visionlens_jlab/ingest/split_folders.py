"""A dataset exported as one labelled part per split, read as one dataset:

- Roboflow's COCO export: ``train/_annotations.coco.json`` beside that split's images, the
  same for ``valid/`` and ``test/``; its VOC export: each split folder holding its images and
  their ``.xml`` files;
- Hugging Face's ``imagefolder``: ``train/metadata.csv`` (file, label) beside that split's
  images;
- COCO's own layout, ``annotations/instances_<subset>.json`` with the images in ``<subset>/``
  (COCO 2017) or ``images/<subset>/`` (datumaro's and CVAT's COCO exports; a lone subset is
  ``default``, which means no split).

Each part is read by the format's own parser in turn and its batches are renumbered into one
dataset: sample indices run on across the parts, file names gain the part's image folder
(``valid/img.jpg``, relative to the dataset's media root, so that images with one name in
two splits stay apart), and with several parts the image ids gain the split (``val/12``:
every split's COCO file numbers its images from the start, so a bare id would match an
image of each split; ``visionlens predictions --split val`` matches a results file made
against one split's file by its bare ids). The part's name gives the split (:data:`~.base.SPLIT_FOLDERS`: ``valid`` and
``validation`` are stored as ``val``, as the class tree and YOLO's ``data.yaml`` do), unless
an image has its own ``split`` key. Classes are matched by name across the parts, the first
declaration kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from ..records.batches import Batch
from ..records.parsed import ParsedSource
from ..records.report import IngestError
from .base import SPLIT_FOLDERS, ParsedBase
from .class_table import TABLE_EXTENSIONS

COCO_SPLIT_FILE = "_annotations.coco.json"
"""The COCO file Roboflow writes in each split folder."""
COCO_FILE_PREFIXES = ("instances_", "person_keypoints_")
"""The ground-truth files of COCO's ``annotations/`` folder, in the order one is chosen for a
subset that has both (the instances file holds every object)."""
NO_SUBSET = "default"
"""The subset name datumaro and CVAT give a dataset without subsets."""

OpenPart = Callable[[str, str, str | None], ParsedSource]
"""Opens one part: ``(its source, its images folder, its split)`` (a parser class)."""


class SplitPart(NamedTuple):
    """One part: its name (the split), its labels, its images folder under the root."""

    name: str
    source: str
    images: str


def _subfolders(path: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(path) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []


def split_name(name: str) -> str | None:
    """The split a part's samples get: :data:`SPLIT_FOLDERS`' name, none for
    :data:`NO_SUBSET`, else the part's name."""
    return None if name == NO_SUBSET else SPLIT_FOLDERS.get(name.lower(), name)


def folder_split(path: str) -> str | None:
    """The split a folder's own name means, recognised as the split subfolders are
    (:data:`SPLIT_FOLDERS`, the whole name: ``valid`` is ``val``, ``validation_images`` no
    split): a split folder given as the source itself gets the split it would get were its
    parent given."""
    return SPLIT_FOLDERS.get(os.path.basename(os.path.normpath(path)).lower())


def split_coco_file(path: str) -> str | None:
    """The COCO file of folder ``path`` read as one split part (:func:`coco_split_files`):
    its :data:`COCO_SPLIT_FILE` or, named like a split, its only .json file; else None."""
    if os.path.isfile(os.path.join(path, COCO_SPLIT_FILE)):
        return os.path.join(path, COCO_SPLIT_FILE)
    if folder_split(path) is None:
        return None
    try:
        jsons = [e for e in os.listdir(path) if e.lower().endswith(".json")]
    except OSError:
        return None
    return os.path.join(path, jsons[0]) if len(jsons) == 1 else None


def _in_split_order(parts: list[SplitPart]) -> list[SplitPart] | None:
    order = list(dict.fromkeys(SPLIT_FOLDERS.values()))  # train, val, test, then the others

    def rank(part: SplitPart) -> tuple[int, str]:
        split = split_name(part.name)
        return (order.index(split) if split in order else len(order), part.name)

    return sorted(parts, key=rank) or None


def coco_split_files(path: str) -> list[SplitPart] | None:
    """The parts of a folder whose subfolders hold :data:`COCO_SPLIT_FILE` or, named like a
    split, exactly one .json file beside their images; None when there is none."""
    found = []
    for folder in _subfolders(path):
        file = split_coco_file(os.path.join(path, folder))
        if file is not None:
            found.append(SplitPart(folder, file, folder))
    return _in_split_order(found)


def coco_annotation_files(path: str) -> list[SplitPart] | None:
    """The parts of COCO's own layout: one per subset of ``annotations/instances_<subset>.json``
    (or ``person_keypoints_``), its images in ``images/<subset>/``, ``<subset>/`` or
    ``images/``; None when ``path`` has no such file."""
    folder = os.path.join(path, "annotations")
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    files: dict[str, str] = {}
    for prefix in COCO_FILE_PREFIXES:
        for name in names:
            if name.startswith(prefix) and name.endswith(".json"):
                files.setdefault(name[len(prefix) : -len(".json")], os.path.join(folder, name))
    parts = []
    for subset, file in files.items():
        candidates = (f"images/{subset}", subset, "images")
        images = next((c for c in candidates if os.path.isdir(os.path.join(path, c))), subset)
        parts.append(SplitPart(subset, file, images))
    return _in_split_order(parts)


def table_split_files(path: str) -> list[SplitPart] | None:
    """The parts of a folder whose subfolders, named like a split, each hold one CSV or
    Parquet table of (file, label) beside their images (Hugging Face's ``imagefolder``:
    ``train/metadata.csv``); None when there is none."""
    found = []
    for folder in _subfolders(path):
        sub = os.path.join(path, folder)
        if folder.lower() in SPLIT_FOLDERS:
            tables = [e for e in os.listdir(sub) if e.lower().endswith(TABLE_EXTENSIONS)]
            if len(tables) == 1:
                found.append(SplitPart(folder, os.path.join(sub, tables[0]), folder))
    return _in_split_order(found)


def voc_split_folders(path: str) -> list[SplitPart] | None:
    """The parts of a folder whose subfolders, named like a split, hold VOC ``.xml`` files
    beside their images; None when there is none, or when ``path`` is a VOC folder itself
    (``Annotations/`` or .xml files of its own)."""
    try:
        own = os.listdir(path)
    except OSError:
        return None
    if "Annotations" in own or any(e.lower().endswith(".xml") for e in own):
        return None
    found = []
    for folder in _subfolders(path):
        sub = os.path.join(path, folder)
        if folder.lower() in SPLIT_FOLDERS and any(
            e.lower().endswith(".xml") for e in os.listdir(sub)
        ):
            found.append(SplitPart(folder, sub, folder))
    return _in_split_order(found)


class SplitFolders(ParsedBase):
    """The parts of a dataset's splits as one
    :class:`~visionlens_jlab.records.parsed.ParsedSource`."""

    def __init__(
        self,
        fmt: str,
        path: str,
        parts: list[SplitPart],
        open_part: OpenPart,
        images_root: str | None = None,
        split: str | None = None,
    ) -> None:
        path = os.path.abspath(path)
        remote = images_root if images_root and "://" in images_root else None
        super().__init__(fmt, path, remote or os.path.abspath(images_root or path))
        if split:
            chosen = [p for p in parts if split in (split_name(p.name), p.name)]
            if not chosen:
                known = ", ".join(sorted({str(split_name(p.name)) for p in parts}))
                raise IngestError(f"{path} has no split {split!r}; its splits: {known}")
            parts = chosen
        # every part opened now: a damaged file of the last split fails before any write
        root = self.media_root.rstrip("/")
        self.parts = [
            (part, open_part(part.source, f"{root}/{part.images}", split_name(part.name)))
            for part in parts
        ]
        self.json_checked = all(parsed.json_checked for _, parsed in self.parts)

    def batches(self) -> Iterator[Batch]:
        offset = 0
        for part, parsed in self.parts:
            ids = (split_name(part.name) or part.name) if len(self.parts) > 1 else None
            rows = 0
            for batch in parsed.batches():
                if batch.samples is not None:
                    rows += batch.samples.num_rows
                yield _renumbered(batch, offset, part.images, ids)
            self.report.merge(parsed.report)
            for name, *rest in parsed.categories():
                self.add_class(name, *rest[:2], **dict(zip(_POINT_KEYS, rest[2:], strict=False)))
            offset += rows


_POINT_KEYS = ("keypoint_names", "skeleton", "keypoint_sigmas", "frequency")


def _renumbered(batch: Batch, offset: int, images: str, ids: str | None) -> Batch:
    """``batch`` with its sample indices moved by ``offset``, its samples' relative file
    names under ``images`` and, given ``ids``, their image ids under it."""
    samples = batch.samples
    if samples is not None:
        samples = _shifted(samples, offset)
        for column, folder in (("file_name", images), ("source_image_id", ids)):
            if folder is not None:
                i = samples.schema.get_field_index(column)
                samples = samples.set_column(i, column, _under(folder, samples.column(i)))
    return Batch(
        samples=samples,
        annotations=None if batch.annotations is None else _shifted(batch.annotations, offset),
        classifications=None
        if batch.classifications is None
        else _shifted(batch.classifications, offset),
    )


def _under(folder: str, values: pa.ChunkedArray) -> pa.ChunkedArray:
    """``folder/value`` for each relative value; absolute paths, URIs and nulls as they are."""
    kept = pc.or_(pc.starts_with(values, "/"), pc.match_substring(values, "://"))
    return pc.if_else(kept, values, pc.binary_join_element_wise(folder, values, "/"))


def _shifted(table: pa.Table, offset: int) -> pa.Table:
    if not offset:
        return table
    i = table.schema.get_field_index("sample_index")
    return table.set_column(i, "sample_index", pc.add(table.column(i), offset))
