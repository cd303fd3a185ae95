"""Reading a COCO panoptic JSON and finding its PNGs: the JSON loaded and checked for
every entry the ingest and the evaluation read (:func:`checked_json`), its PNG folder
(panopticapi's rule) and each annotation's PNG, readable as segment ids where it is there
(the ingest and a model's import leave an annotation whose PNG is missing out,
:func:`missing_pngs`), before anything is written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..records.report import IngestError
from .panoptic_quality import check_pngs


def load_json(path: str) -> dict[str, Any]:
    """The JSON at ``path`` as an object with an ``annotations`` list; else an
    :class:`IngestError` saying why it is no COCO panoptic JSON."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IngestError(f"{path}: not a COCO panoptic JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise IngestError(f"{path}: no 'annotations' list (COCO panoptic JSON)")
    return data


def checked_json(data: dict[str, Any], path: str, truth: bool) -> dict[str, Any]:
    """``data``, once every entry the ingest and the evaluation read is there: each
    annotation's PNG ``file_name`` (and the ground truth's ``image_id``), its
    ``segments_info`` a list of segments with integer ``id`` and ``category_id`` (and the
    ground truth's integer ``area``, its PQ's denominator); the ground truth's categories with
    ``id`` and ``name``, its images with ``id`` and ``file_name``, each id once. Else an
    :class:`IngestError` naming the first entry without, where a ``KeyError`` would come
    mid-ingest or mid-evaluation, after the dataset was written without its masks."""
    annotation = ("file_name", "image_id") if truth else ("file_name",)
    segment = ("id", "category_id", "area") if truth else ("id", "category_id")
    for i, ann in enumerate(data["annotations"]):
        where = f"{path}: annotations[{i}]"
        _require(ann, annotation, where)
        segments = ann.get("segments_info", [])
        if not isinstance(segments, list):
            raise IngestError(f"{where}: 'segments_info' is not a list of segments")
        for k, seg in enumerate(segments):
            # the ground truth's area is summed with pixel counts: "120" would stop the
            # evaluation mid-way
            _require(seg, segment, f"{where}.segments_info[{k}]", segment[:3])
    if truth:
        for key, fields in (("categories", ("id", "name")), ("images", ("id", "file_name"))):
            for i, entry in enumerate(data.get(key) or []):
                _require(
                    entry, fields, f"{path}: {key}[{i}]", ("id",) if key == "categories" else ()
                )
        _unique_ids(data.get("images") or [], path)
    return data


def _unique_ids(images: list[dict[str, Any]], path: str) -> None:
    """Refuse an image id listed twice: each entry would be a sample, and an annotation
    finds its image by id, so one of them would stay without its mask."""
    first: dict[str, int] = {}
    for i, image in enumerate(images):
        key = str(image["id"])  # by its text, as an annotation finds its image
        if key in first:
            raise IngestError(
                f"{path}: images[{first[key]}] and images[{i}] have one id, {image['id']!r} "
                "(an image is listed once: remove or renumber one)"
            )
        first[key] = i


def _require(
    entry: Any, fields: tuple[str, ...], where: str, integers: tuple[str, ...] = ()
) -> None:
    """Refuse an ``entry`` that is not an object with ``fields`` (``integers`` among them
    integers, or their digits, that fit in 32 bits: the catalog keeps class ids so)."""
    if not isinstance(entry, dict):
        raise IngestError(f"{where} is not an object")
    missing = [f"{name!r}" for name in fields if entry.get(name) is None]
    if missing:
        raise IngestError(f"{where} has no {', '.join(missing)}")
    for name in integers:
        try:
            value = int(entry[name])
        except (TypeError, ValueError):
            raise IngestError(f"{where}: {name!r} is {entry[name]!r}, not an integer") from None
        if not -(2**31) <= value < 2**31:
            raise IngestError(f"{where}: {name!r} is {value}, past the 32-bit ids a catalog keeps")


def png_paths(data: dict[str, Any], folder: Path) -> list[str]:
    """The PNG each annotation names (a ``..`` in a name may lead out of the folder)."""
    return [str(folder / str(a.get("file_name"))) for a in data["annotations"]]


def missing_pngs(paths: list[str], folder: Path, json_path: str) -> set[str]:
    """The PNGs of ``paths`` that are not there (the ingest leaves their images out and
    reports them); those there are checked by :func:`~.panoptic_quality.check_pngs`, found
    here, not by an evaluation that stops at the first. None there at all is an
    :class:`IngestError` naming the folder searched: a wrong folder, not a missing file."""
    missing = {p for p in paths if not os.path.isfile(p)}
    if paths and len(missing) == len(paths):
        raise IngestError(
            f"{json_path}: none of its {len(paths)} PNGs is in {folder} (first: {paths[0]}): "
            "give the folder of its panoptic PNGs with --masks"
        )
    check_pngs([p for p in paths if p not in missing])
    return missing


def png_folder(json_path: str, folder: str | None) -> Path:
    """The PNG folder: given, else the JSON's path without ``.json`` (panopticapi's rule)."""
    found = Path(folder) if folder else Path(json_path).with_suffix("")
    if not found.is_dir():
        raise IngestError(f"{found}: no folder of panoptic PNGs (give it with --masks)")
    return found.resolve()


def png_size(location: str) -> tuple[int, int] | None:
    """The ``(width, height)`` of the PNG at ``location`` (its header); None where it cannot
    be read (the evaluation names it then)."""
    from PIL import Image  # as segment_ids: Pillow when a PNG is read

    try:
        with Image.open(location) as image:
            return image.size
    except OSError:
        return None


def is_thing(value: Any) -> bool:
    """A category's ``isthing`` as a boolean: 1 or true, or their text ("1", "true"); the
    text "0" is no thing, where Python's truth would make it one."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "1.0", "true")
    return bool(value)
