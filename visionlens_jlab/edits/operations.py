"""The operations a batch of edits may hold, checked for shape before the catalog is read.

An operation is a JSON object (what the CLI's ``--ops`` file, the REST body and
``ds.edit([...])`` carry):

* ``{"op": "add", "sample_id", "label", "bbox": [x, y, w, h]}``, optionally ``"source"``
  (default ``ground_truth``; a model's name adds a prediction, with ``"score"``),
  ``"attributes"`` and ``"segmentation"`` (a mask, :mod:`.mask_ops`: its extent is the box
  when no ``bbox`` is given), or ``"obb"`` / ``"polyline"`` (a rotated box's four corners
  or a line's points, ``[x1, y1, x2, ...]``: the box is their extent), and ``"keypoints"``
  (COCO's flat ``[x1, y1, v1, ...]``, as many points as the class's skeleton names: with
  no ``bbox``, the box is the labelled points' extent);
* ``{"op": "delete", "annotation_id"}``;
* ``{"op": "relabel", "annotation_id", "label"}``;
* ``{"op": "move", "annotation_id", "bbox"}`` (boxes only: an object with a mask or
  keypoints cannot be moved here);
* ``{"op": "mask", "annotation_id", "segmentation"}``: the object's mask becomes this one
  (its box stays: the mask of a drawn box, e.g. from click-to-mask);
* ``{"op": "reshape", "annotation_id", "segmentation"}``: the mask becomes this one and the
  box its extent (a polygon's vertices dragged, added or deleted; a mask brushed or erased);
  with ``"obb"`` or ``"polyline"`` instead (the point kinds' columns, ``[x1, y1, x2, ...]``),
  the rotated box's corners or the line's points become these and the box their extent;
* ``{"op": "keypoints", "annotation_id", "keypoints": [x1, y1, v1, ...]}``: the object's
  keypoints, one for one (dragged, or their visibility ``v`` toggled: 0, 1 or 2);
* ``{"op": "accept", "annotation_id"}``: a prediction becomes a new ground-truth object
  (optionally with another ``"label"``);
* ``{"op": "tag" | "untag", "annotation_id", "tag"}``;
* ``{"op": "classify", "sample_id", "label"}`` (or ``"labels": [...]``, a multi-label
  image): the sample's ground-truth image-level labels become exactly these (any it had
  and is not given go);
* ``{"op": "unclassify", "sample_id"}``: the sample's ground-truth image labels go; with
  ``"label"``, only that one (the sample must have it).

An image-label operation may carry ``"expected": {"labels": [...]}``: the sample's
ground-truth image labels as the caller last saw them (any order); if they changed since,
the batch is refused with a conflict. A model's image labels are its predictions: they
change by importing the model again, not here.

Every object operation but ``add``, ``move``, ``mask``, ``reshape`` and ``keypoints`` also takes ``"annotation_ids": [...]`` (a bulk
form: the same change on each). An operation on one object may carry ``"expected"``: the
object as the caller last saw it (any of ``label``, ``bbox``, ``tags``, ``keypoints``: COCO's
flat ``[x1, y1, v1, ...]``, or null for none); if it changed
since, the batch is refused with a conflict instead of overwriting it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..catalog import GROUND_TRUTH
from ..records.label_kinds import OBJECT_KINDS
from .errors import EditError
from .image_label_names import checked_label
from .mask_ops import parse_segmentation

POINT_COLUMNS = tuple(
    column.name for kind in OBJECT_KINDS for column in kind.columns if column.points == "xy"
)
"""The object kinds whose shape is a list of points ``[x1, y1, x2, ...]`` (a rotated box's
corners, a polyline's points): what a ``reshape`` may give instead of a mask."""

OPS = (
    "add", "delete", "relabel", "move", "mask", "reshape", "keypoints", "accept", "tag",
    "untag", "classify", "unclassify",
)  # fmt: skip
IMAGE_LABEL_OPS = ("classify", "unclassify")
"""The operations on a sample's image-level labels (no object: ``sample_id``, ``labels``)."""
_ALLOWED = {
    "add": {
        "sample_id",
        "label",
        "bbox",
        "source",
        "score",
        "attributes",
        "segmentation",
        "keypoints",
        *POINT_COLUMNS,
    },  # fmt: skip
    "delete": {"annotation_id", "annotation_ids", "expected"},
    "relabel": {"annotation_id", "annotation_ids", "label", "expected"},
    "move": {"annotation_id", "bbox", "expected"},
    "mask": {"annotation_id", "segmentation", "expected"},
    "reshape": {"annotation_id", "segmentation", *POINT_COLUMNS, "expected"},
    "keypoints": {"annotation_id", "keypoints", "expected"},
    "accept": {"annotation_id", "annotation_ids", "label", "expected"},
    "tag": {"annotation_id", "annotation_ids", "tag", "expected"},
    "untag": {"annotation_id", "annotation_ids", "tag", "expected"},
    "classify": {"sample_id", "label", "labels", "expected"},
    "unclassify": {"sample_id", "label", "expected"},
}
_REQUIRED = {
    "add": ("sample_id", "label"),
    "relabel": ("label",),
    "move": ("bbox",),
    "mask": ("segmentation",),
    "keypoints": ("keypoints",),
    "tag": ("tag",),
    "untag": ("tag",),
    "classify": ("sample_id",),
    "unclassify": ("sample_id",),
}
_EXPECTED_KEYS = {"label", "bbox", "tags", "keypoints"}
MAX_TAG_LENGTH = 200
MAX_IMAGE_LABELS = 1_000
"""Image labels one ``classify`` may give a sample (as many as a sample may carry tags)."""
MAX_OPERATIONS = 5_000_000


@dataclass(frozen=True)
class Operation:
    """One checked operation: ``index`` is its position in the caller's list."""

    index: int
    op: str
    ann_ids: tuple[int, ...] = ()
    sample_id: int | None = None
    label: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    source: str = GROUND_TRUTH
    score: float | None = None
    attributes: Mapping[str, Any] | None = None
    tag: str | None = None
    expected: Mapping[str, Any] | None = None
    segmentation: Any = None
    """A mask (:func:`~.mask_ops.parse_segmentation`: an RLE dict or a list of polygons)."""
    keypoints: tuple[float, ...] | None = None
    """COCO's flat ``[x1, y1, v1, x2, ...]``."""
    points: tuple[str, tuple[float, ...]] | None = None
    """A reshape's new points: the column (``obb``, ``polyline``) and ``[x1, y1, ...]``."""
    labels: tuple[str, ...] | None = None
    """A ``classify``'s image labels (sorted, distinct); an ``unclassify``'s expected ones
    are in ``expected["labels"]``."""


def parse_operations(raw: Any) -> list[Operation]:
    """Check the shape of every operation of ``raw`` (a list); the first problem raises
    :class:`EditError` with its index."""
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise EditError("the operations must be a JSON list of objects")
    if not raw:
        raise EditError("the list of operations is empty")
    if len(raw) > MAX_OPERATIONS:
        raise EditError(f"at most {MAX_OPERATIONS} operations in one batch, got {len(raw)}")
    return [_parse(i, item) for i, item in enumerate(raw)]


def _parse(index: int, item: Any) -> Operation:
    if not isinstance(item, Mapping):
        raise EditError("expected an object with an 'op'", index)
    op = item.get("op")
    if op not in OPS:
        raise EditError(f"'op' must be one of {', '.join(OPS)}, got {op!r}", index)
    unknown = set(item) - _ALLOWED[op] - {"op"}
    if unknown:
        raise EditError(f"{op}: unknown keys {sorted(unknown)}", index)
    for key in _REQUIRED.get(op, ()):
        if key not in item:
            raise EditError(f"{op}: {key!r} is required", index)
    if op in IMAGE_LABEL_OPS:
        return _image_label_op(index, op, item)
    fields: dict[str, Any] = {}
    if op == "add":
        shapes = [key for key in POINT_COLUMNS if key in item]
        if len(shapes) > 1 or (shapes and item.get("segmentation") is not None):
            raise EditError(f"add: give one shape, not {', '.join(shapes)} and a mask", index)
        if shapes and "keypoints" in item:
            raise EditError(f"add: keypoints belong to a box or a mask, not to {shapes[0]}", index)
        takes_box_from = shapes or item.get("segmentation") is not None or "keypoints" in item
        if "bbox" not in item and not takes_box_from:
            raise EditError(
                "add: 'bbox' is required (or a 'segmentation', 'obb', 'polyline' or "
                "'keypoints' to take it from)",
                index,
            )
        if shapes:
            fields["points"] = (shapes[0], _points(item[shapes[0]], shapes[0], index))
        fields["sample_id"] = _integer(item["sample_id"], "sample_id", index)
        fields["source"] = _text(item.get("source", GROUND_TRUTH), "source", index)
        if item.get("score") is not None:
            fields["score"] = item["score"]  # checked with the box, against the source
        if item.get("attributes") is not None:
            fields["attributes"] = _attributes(item["attributes"], index)
    else:
        fields["ann_ids"] = _ann_ids(op, item, index)
    if "label" in item:
        fields["label"] = _text(item["label"], "label", index)
    if "bbox" in item:
        fields["bbox"] = _bbox(item["bbox"], index)
    if op == "reshape":
        shapes = [key for key in ("segmentation", *POINT_COLUMNS) if key in item]
        if len(shapes) != 1:
            raise EditError(
                f"reshape: give the new shape as one of {', '.join(('segmentation', *POINT_COLUMNS))}",
                index,
            )
        if shapes[0] != "segmentation":
            fields["points"] = (shapes[0], _points(item[shapes[0]], shapes[0], index))
    if (
        item.get("segmentation") is not None
        or op == "mask"
        or (op == "reshape" and "points" not in fields)
    ):
        fields["segmentation"] = parse_segmentation(item["segmentation"], index)
    if op == "keypoints" or (op == "add" and "keypoints" in item):
        fields["keypoints"] = _keypoints(item["keypoints"], index)
    if "tag" in item:
        tag = _text(item["tag"], "tag", index)
        if len(tag) > MAX_TAG_LENGTH:
            raise EditError(f"a tag has at most {MAX_TAG_LENGTH} characters", index)
        fields["tag"] = tag
    if item.get("expected") is not None:
        fields["expected"] = _expected(item["expected"], fields["ann_ids"], index)
    return Operation(index, op, **fields)


def _image_label_op(index: int, op: str, item: Mapping[str, Any]) -> Operation:
    """A ``classify`` or ``unclassify`` (ground truth only, see the module docstring)."""
    fields: dict[str, Any] = {"sample_id": _integer(item["sample_id"], "sample_id", index)}
    if op == "classify":
        if ("label" in item) == ("labels" in item):
            raise EditError(
                "classify: give 'label' or 'labels' (one of them); to remove every image "
                "label use 'unclassify'",
                index,
            )
        fields["labels"] = _labels(item["labels"] if "labels" in item else [item["label"]],
                                   index)  # fmt: skip
    elif "label" in item:
        fields["label"] = _text(item["label"], "label", index)
    if item.get("expected") is not None:
        expected = item["expected"]
        if not isinstance(expected, Mapping) or set(expected) != {"labels"}:
            raise EditError(
                f"{op}: 'expected' must be {{'labels': [...]}}, the sample's image labels "
                f"as last seen, got {expected!r}",
                index,
            )
        labels = expected["labels"]
        if (
            not isinstance(labels, Sequence)
            or isinstance(labels, str | bytes)
            or not all(isinstance(v, str) for v in labels)
        ):
            raise EditError("'expected.labels' must be a list of strings", index)
        fields["expected"] = {"labels": sorted(labels)}
    return Operation(index, op, **fields)


def _labels(value: Any, index: int) -> tuple[str, ...]:
    """A ``classify``'s labels: a non-empty list of distinct strings, each a class name
    :func:`.image_label_names.checked_label` allows."""
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or not value:
        raise EditError(
            "classify: 'labels' must be a non-empty list of strings; to remove every image "
            "label use 'unclassify'",
            index,
        )
    labels = [checked_label(_text(v, "label", index), index) for v in value]
    if len(set(labels)) != len(labels):
        raise EditError("classify: 'labels' lists a label twice", index)
    if len(labels) > MAX_IMAGE_LABELS:
        raise EditError(f"classify: at most {MAX_IMAGE_LABELS} labels per sample", index)
    return tuple(sorted(labels))


def _ann_ids(op: str, item: Mapping[str, Any], index: int) -> tuple[int, ...]:
    if ("annotation_id" in item) == ("annotation_ids" in item):
        raise EditError(f"{op}: give 'annotation_id' or 'annotation_ids' (one of them)", index)
    if "annotation_id" in item:
        return (_integer(item["annotation_id"], "annotation_id", index),)
    ids = item["annotation_ids"]
    if not isinstance(ids, Sequence) or isinstance(ids, str | bytes) or not ids:
        raise EditError(f"{op}: 'annotation_ids' must be a non-empty list of ids", index)
    out = tuple(_integer(v, "annotation_ids", index) for v in ids)
    if len(set(out)) != len(out):
        raise EditError(f"{op}: 'annotation_ids' lists an object twice", index)
    return out


def _integer(value: Any, name: str, index: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise EditError(f"{name!r} must be a non-negative integer id, got {value!r}", index)
    return int(value)


def _attributes(value: Any, index: int) -> Mapping[str, Any]:
    """An object storable as JSON (no NaN or infinity, which JSON cannot hold, and no lone
    surrogate, which the catalog's JSON column refused mid-batch)."""
    if not isinstance(value, Mapping):
        raise EditError("'attributes' must be an object", index)
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise EditError(f"'attributes' cannot be stored as JSON: {exc}", index) from None
    except RecursionError:  # nested past Python's recursion limit (the notebook's dicts)
        raise EditError("'attributes' are nested too deeply to store", index) from None
    return value


def _text(value: Any, name: str, index: int) -> str:
    if not isinstance(value, str) or not value:
        raise EditError(f"{name!r} must be a non-empty string, got {value!r}", index)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # a lone surrogate, which a JSON \uXXXX escape can carry: no column can store it
        # (the write failed with an encoding traceback, a 500 over REST)
        raise EditError(f"{name!r} is not valid Unicode text, got {value!r}", index) from None
    return value


def _keypoints(value: Any, index: int) -> tuple[float, ...]:
    """COCO's flat ``[x1, y1, v1, x2, ...]``, or ``[[x1, y1, v1], ...]``: finite numbers."""
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or not value:
        raise EditError("'keypoints' must be a non-empty list [x1, y1, v1, x2, ...]", index)
    nested = all(isinstance(p, Sequence) and not isinstance(p, str | bytes) for p in value)
    flat = [v for p in value for v in p] if nested else list(value)
    if len(flat) % 3 or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in flat
    ):
        raise EditError(
            "'keypoints' must be finite numbers in threes: [x1, y1, v1, x2, y2, v2, ...]", index
        )
    return tuple(float(v) for v in flat)


def _points(value: Any, name: str, index: int) -> tuple[float, ...]:
    """A flat ``[x1, y1, x2, y2, ...]`` of finite numbers."""
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str | bytes)
        or len(value) < 4
        or len(value) % 2
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in value
        )
    ):
        raise EditError(f"{name!r} must be finite numbers in pairs: [x1, y1, x2, y2, ...]", index)
    return tuple(float(v) for v in value)


def _bbox(value: Any, index: int) -> tuple[float, float, float, float]:
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str | bytes)
        or len(value) != 4
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in value
        )
    ):
        raise EditError(f"'bbox' must be [x, y, w, h], four finite numbers, got {value!r}", index)
    x, y, w, h = (float(v) for v in value)
    return (x, y, w, h)


def _expected(value: Any, ann_ids: tuple[int, ...], index: int) -> Mapping[str, Any]:
    if len(ann_ids) != 1:
        raise EditError("'expected' goes with one 'annotation_id', not a bulk list", index)
    if not isinstance(value, Mapping) or not set(value) <= _EXPECTED_KEYS:
        raise EditError(f"'expected' may hold {sorted(_EXPECTED_KEYS)}, got {value!r}", index)
    out = dict(value)
    if "bbox" in out:
        out["bbox"] = list(_bbox(out["bbox"], index))
    if "label" in out and not isinstance(out["label"], str):
        # compared as it is, any other value was a conflict: "the object changed"
        raise EditError(f"'expected.label' must be a string, got {out['label']!r}", index)
    if "tags" in out:
        tags = out["tags"]
        if (
            not isinstance(tags, Sequence)
            or isinstance(tags, str | bytes)  # "ab" was the tags "a" and "b"
            or not all(isinstance(t, str) for t in tags)
        ):
            raise EditError("'expected.tags' must be a list of strings", index)
        out["tags"] = sorted(set(tags))
    if out.get("keypoints") is not None:
        out["keypoints"] = list(_keypoints(out["keypoints"], index))
    return out
