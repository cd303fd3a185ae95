"""A dataset exported as one labelled folder per split, as Roboflow exports COCO
(``train/_annotations.coco.json`` beside that split's images, the same for ``valid/`` and
``test/``) and Pascal VOC (each split folder holding its images and their ``.xml`` files).

Each split folder is read by the format's own parser in turn and its batches are
renumbered into one dataset: sample indices run on across the splits, file names gain the
split folder (``valid/img.jpg``, so that images with one name in two splits stay apart), and
so do the image ids (``valid/12``: every split's COCO file numbers its images from the
start, so a bare id would match an image of each split). The folder's name gives the split
(:data:`~.base.SPLIT_FOLDERS`: ``valid`` and ``validation`` are stored as ``val``, as the
class tree and YOLO's ``data.yaml`` do), unless an image has its own ``split`` key. Classes
are matched by name across the parts, the first declaration kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ..records.batches import Batch
from ..records.parsed import ParsedSource
from ..records.report import IngestError
from .base import SPLIT_FOLDERS, ParsedBase

COCO_SPLIT_FILE = "_annotations.coco.json"
"""The COCO file Roboflow writes in each split folder."""

OpenPart = Callable[[str, str, str], ParsedSource]
"""Opens one part: ``(its source, its images folder, its split)`` (a parser class)."""


def _subfolders(path: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(path) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []


def split_name(folder: str) -> str:
    """The split a folder's samples get: :data:`SPLIT_FOLDERS`' name, else the folder's."""
    return SPLIT_FOLDERS.get(folder.lower(), folder)


def _in_split_order(parts: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    order = list(dict.fromkeys(SPLIT_FOLDERS.values()))  # train, val, test, then the others

    def rank(part: tuple[str, str]) -> tuple[int, str]:
        split = split_name(part[0])
        return (order.index(split) if split in order else len(order), part[0])

    return sorted(parts, key=rank) or None


def coco_split_files(path: str) -> list[tuple[str, str]] | None:
    """``(split folder, its COCO file)`` for each subfolder of ``path`` that holds
    :data:`COCO_SPLIT_FILE`, or, named like a split, exactly one .json file; None when
    there is none."""
    found = []
    for folder in _subfolders(path):
        sub = os.path.join(path, folder)
        if os.path.isfile(os.path.join(sub, COCO_SPLIT_FILE)):
            found.append((folder, os.path.join(sub, COCO_SPLIT_FILE)))
        elif folder.lower() in SPLIT_FOLDERS:
            jsons = [e for e in os.listdir(sub) if e.lower().endswith(".json")]
            if len(jsons) == 1:
                found.append((folder, os.path.join(sub, jsons[0])))
    return _in_split_order(found)


def voc_split_folders(path: str) -> list[tuple[str, str]] | None:
    """``(split folder, the folder)`` for each subfolder of ``path`` named like a split that
    holds VOC ``.xml`` files; None when there is none, or when ``path`` is a VOC folder
    itself (``Annotations/`` or .xml files of its own)."""
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
            found.append((folder, sub))
    return _in_split_order(found)


class SplitFolders(ParsedBase):
    """The parts of a folder's split subfolders as one
    :class:`~visionlens_jlab.records.parsed.ParsedSource`."""

    def __init__(
        self,
        fmt: str,
        path: str,
        parts: list[tuple[str, str]],
        open_part: OpenPart,
        images_root: str | None = None,
        split: str | None = None,
    ) -> None:
        path = os.path.abspath(path)
        remote = images_root if images_root and "://" in images_root else None
        super().__init__(fmt, path, remote or os.path.abspath(images_root or path))
        if split:
            chosen = [p for p in parts if split in (split_name(p[0]), p[0])]
            if not chosen:
                known = ", ".join(sorted({split_name(f) for f, _ in parts}))
                raise IngestError(f"{path} has no split {split!r}; its splits: {known}")
            parts = chosen
        self.parts = parts
        self.open_part = open_part
        self.json_checked = bool(getattr(open_part, "json_checked", False))

    def batches(self) -> Iterator[Batch]:
        offset = 0
        for folder, source in self.parts:
            root = f"{self.media_root.rstrip('/')}/{folder}"
            part = self.open_part(source, root, split_name(folder))
            rows = 0
            for batch in part.batches():
                if batch.samples is not None:
                    rows += batch.samples.num_rows
                yield _renumbered(batch, offset, folder)
            self.report.merge(part.report)
            for name, *rest in part.categories():
                self.add_class(name, *rest[:2], **dict(zip(_POINT_KEYS, rest[2:], strict=False)))
            offset += rows


_POINT_KEYS = ("keypoint_names", "skeleton", "keypoint_sigmas")


def _renumbered(batch: Batch, offset: int, folder: str) -> Batch:
    """``batch`` with its sample indices moved by ``offset``, and its samples' relative file
    names and image ids under ``folder``."""
    samples = batch.samples
    if samples is not None:
        samples = _shifted(samples, offset)
        for column in ("file_name", "source_image_id"):
            values = [_under(folder, v) for v in samples.column(column).to_pylist()]
            i = samples.schema.get_field_index(column)
            samples = samples.set_column(i, column, pa.array(values, pa.string()))
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
