"""COCO: ``labels.json`` beside ``data/`` (FiftyOne's COCO layout, which ``visionlens ingest``
detects), streamed with orjson one image and one object at a time.

Masks are written as the catalog keeps them (polygons or RLE, the stored JSON text passed
through untouched), keypoints with ``num_keypoints``, categories with their keypoint names,
skeleton and sigmas. Ids come back as the source had them (image, object and category ids)
when every one is an integer and unique, else they are numbered from 1. What an annotation
holds of each kind of label is one hook per kind (:data:`KINDS`); rotated boxes and
polylines have no COCO field and are left out (their object's box is written).

A model's labels are written as a COCO dataset whose annotations carry ``score``: the same
file is a dataset ``pycocotools.coco.COCO`` loads (its ``dataset["annotations"]`` go to
``loadRes`` as results) and a predictions file ``visionlens predictions`` imports, matching
classes by name through its own ``categories``, where a bare results list would need the
ground truth's category ids beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ExportError
from .kind_hooks import KindHooks
from .staging import image_name, unique_names
from .view import ExportView

LABELS_FILE = "labels.json"
IMAGES_FOLDER = "data"
CHUNK = 4096  # objects encoded per write


def write_coco(
    view: ExportView, root: Path, splits: dict[int, str | None]
) -> tuple[int, list[tuple[str, Path]]]:
    """Write ``labels.json`` under ``root``; returns the object count and the images to
    place (location, destination)."""
    s = view.samples
    names = [image_name(f) for f in s["file_name"]]
    unique_names(names, "image")
    image_ids = _ids(s["source_image_id"])
    category_ids = _ids([c["source_category_id"] for c in view.categories])
    first_extra = max(category_ids, default=0) + 1  # a model's classes outside the list
    category_ids += range(first_extra, first_extra + len(view.class_names) - len(category_ids))
    class_id = dict(zip(view.class_names, category_ids, strict=True))
    (root / IMAGES_FOLDER).mkdir()
    with open(root / LABELS_FILE, "wb") as f:
        f.write(b'{"info":' + orjson.dumps({"description": f"VisionLens export of {view.dataset}"}))
        f.write(b',"licenses":[],"categories":')
        f.write(orjson.dumps(_categories(view, class_id)))
        f.write(b',"images":[')
        _write_all(f, _images(view, names, image_ids, splits))
        f.write(b'],"annotations":[')
        written = _write_all(
            f, _objects(view, dict(zip(s["sample_id"], image_ids, strict=True)), class_id)
        )
        f.write(b"]}")
    pairs = [
        (loc, root / IMAGES_FOLDER / name) for loc, name in zip(s["location"], names, strict=True)
    ]
    return written, pairs


def _write_all(f: Any, items: Any) -> int:
    """Write ``items`` comma-separated, ``CHUNK`` at a time; returns how many."""
    dumps, count, chunk = orjson.dumps, 0, []
    for item in items:
        chunk.append(dumps(item))
        if len(chunk) == CHUNK:
            f.write((b"," if count else b"") + b",".join(chunk))
            count += len(chunk)
            chunk = []
    if chunk:
        f.write((b"," if count else b"") + b",".join(chunk))
        count += len(chunk)
    return count


def _ids(values: list[Any]) -> list[int]:
    """The source's ids as integers when each is one and they are unique, else 1..n."""
    try:
        ids = [int(v) for v in values]
    except (TypeError, ValueError):
        return list(range(1, len(values) + 1))
    if len(set(ids)) != len(ids) or any(str(i) != str(v) for i, v in zip(ids, values, strict=True)):
        return list(range(1, len(values) + 1))
    return ids


def _categories(view: ExportView, class_id: dict[str, int]) -> list[dict[str, Any]]:
    by_name = {c["name"]: c for c in view.categories}
    out = []
    for name in view.class_names:
        c = by_name.get(name, {})
        cat: dict[str, Any] = {"id": class_id[name], "name": name}
        if c.get("supercategory") is not None:
            cat["supercategory"] = c["supercategory"]
        if c.get("keypoint_names") is not None:
            cat["keypoints"] = c["keypoint_names"]
            cat["skeleton"] = c.get("skeleton") or []
            if c.get("sigmas") is not None:
                cat["sigmas"] = c["sigmas"]
        out.append(cat)
    return out


def _images(
    view: ExportView, names: list[str], image_ids: list[int], splits: dict[int, str | None]
) -> Any:
    s = view.samples
    for i, sid in enumerate(s["sample_id"]):
        image: dict[str, Any] = orjson.loads(s["fields"][i]) if s["fields"][i] else {}
        image.update(id=image_ids[i], file_name=names[i])
        if s["width"][i] is not None:
            image.update(width=s["width"][i], height=s["height"][i])
        split = splits.get(sid)
        if split is not None:
            image["split"] = split
        yield image


def _objects(view: ExportView, image_id: dict[int, int], class_id: dict[str, int]) -> Any:
    """The view's objects as COCO annotations, a batch of samples at a time."""
    source_ids = view.objects.plain_source_ids()
    loads, writers = orjson.loads, KINDS.in_order()
    predictions = view.predictions
    done = 0
    for _, _, labels in view.objects.batches(_OBJECT_COLUMNS):
        part = labels.table
        rows = part.num_rows
        c = {name: part.column(name).to_pylist() for name in _OBJECT_COLUMNS}
        ids = _source_ids(part) if source_ids else range(done + 1, done + rows + 1)
        for i in range(rows):
            ann: dict[str, Any] = loads(c["attributes"][i]) if c["attributes"][i] else {}
            ann.update(
                id=ids[i], image_id=image_id[c["sample_id"][i]], category_id=class_id[c["label"][i]]
            )
            for write in writers:
                write(ann, c, i)
            if predictions:
                ann["score"] = c["score"][i]
            yield ann
        done += rows


def _box(ann: dict[str, Any], c: dict[str, list[Any]], i: int) -> None:
    """Every object's box, its area (the mask's where the source gave one) and crowd flag."""
    w, h, area = c["w"][i], c["h"][i], c["area"][i]
    ann.update(
        bbox=[c["x"][i], c["y"][i], w, h],
        area=w * h if area is None else area,
        iscrowd=int(c["iscrowd"][i]),
    )


def _mask(ann: dict[str, Any], c: dict[str, list[Any]], i: int) -> None:
    """The mask as stored (polygons or RLE JSON text, passed through)."""
    if c["segmentation"][i] is not None:
        ann["segmentation"] = orjson.Fragment(c["segmentation"][i])


def _keypoints(ann: dict[str, Any], c: dict[str, list[Any]], i: int) -> None:
    """The points (x, y, v triples) and how many are labelled."""
    if c["keypoints"][i] is not None:
        ann["keypoints"] = c["keypoints"][i]
        ann["num_keypoints"] = c["num_keypoints"][i]


KINDS: KindHooks[Callable[[dict[str, Any], dict[str, list[Any]], int], None]] = KindHooks(
    "coco",
    {"box": _box, "mask": _mask, "keypoints": _keypoints},
    left_out=("rotated_box", "polyline"),
)
"""What a COCO annotation holds of each kind of label: ``hook(annotation, columns, row)``."""

_OBJECT_COLUMNS = (
    "sample_id", "source_ann_id", "label", "x", "y", "w", "h", "score", "area", "iscrowd",
    "segmentation", "attributes", "keypoints", "num_keypoints",
)  # fmt: skip


def _source_ids(part: pa.Table) -> list[int]:
    """A batch's objects' ids as the source had them (checked plain and unique over the
    whole view by :meth:`~.view.Objects.plain_source_ids`)."""
    try:
        return list(pc.cast(part.column("source_ann_id"), pa.int64()).to_pylist())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:  # an edit since the check
        raise ExportError("the view's labels changed during the export: run it again") from exc
