"""A Label Studio project's annotations back as label edits: the diff a user accepts.

For each task VisionLens sent (``data.visionlens``), the latest submitted annotation is
compared with what was sent: a region ``vl-<id>`` is the object ``id`` (relabelled when its
class differs; moved when its box does, reshaped when a rotated box's corners or a
polygon's points do, beyond float noise of the percent round trip, or a brush region's
painted pixels), a sent object with no region left was deleted, any other region is a new
object (a box, a rotated box, a polygon or a mask). A region with no ``vl-`` id (an
annotation started afresh) that equals a sent object exactly is that object. Each operation carries the sent state as ``expected``, so an
object edited in VisionLens since it was sent makes the whole batch a conflict instead of
being overwritten. What cannot become an edit (a box turned into a rotated one, a task from
elsewhere, an object with a mask moved by its box) is listed in ``skipped`` with the
reason. Image labels (:mod:`.image_labels`) become a ``classify`` or ``unclassify``, a
keypoint object's points (:mod:`.keypoints`) a ``keypoints`` operation, with the sent state
as ``expected`` too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..records.masks import mask_answer
from .brush import decode_brush
from .image_labels import image_label_changes
from .keypoints import keypoint_changes
from .shapes import rect_corners, ring_of, same_points, settled
from .tasks import BRUSH_FROM_NAME, FROM_NAME, POLYGON_FROM_NAME, REGION_PREFIX

KINDS = {"add": "added", "delete": "deleted", "relabel": "relabelled", "move": "moved",
         "reshape": "reshaped", "keypoints": "keypoints_changed", "classify": "classified",
         "unclassify": "unclassified"}  # fmt: skip
REGION_KINDS = {(FROM_NAME, "rectanglelabels"), (POLYGON_FROM_NAME, "polygonlabels"),
                (BRUSH_FROM_NAME, "brushlabels")}  # fmt: skip
"""The regions VisionLens sends and reads back: rectangles (rotated: rotated boxes),
polygons and brush masks."""
NOUNS = {"bbox": "box", "obb": "rotated box", "segmentation": "polygon", "mask": "mask"}


@dataclass
class Changes:
    """The operations (:mod:`visionlens_jlab.edits.operations`) and what was left out."""

    operations: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    tasks: int = 0
    annotated: int = 0
    sent: set[int] = field(default_factory=set)
    """Every object sent (its annotation id)."""

    def counts(self) -> dict[str, int]:
        """Operations per kind: ``added``, ``deleted``, ``relabelled``, ``moved``,
        ``reshaped``, ``keypoints_changed``, ``classified``, ``unclassified``."""
        out = dict.fromkeys(KINDS.values(), 0)
        for op in self.operations:
            out[KINDS[op["op"]]] += 1
        return out


def read_changes(
    dataset: str,
    tasks: list[dict[str, Any]],
    image_classes: set[str] | None = None,
    keypoint_classes: dict[str, list[str]] | None = None,
) -> Changes:
    """The edits that make ``dataset``'s ground truth what the annotators left in ``tasks``
    (a project's tasks with their annotations); ``image_classes``: the dataset's image-label
    classes (an image label outside them is skipped; None: not checked);
    ``keypoint_classes``: the point names of its keypoint classes (a new object of one takes
    the points drawn with it)."""
    changes = Changes()
    for task in tasks:
        sent = (task.get("data") or {}).get("visionlens")
        if not isinstance(sent, dict) or sent.get("dataset") != dataset:
            changes.skipped.append({"task": task.get("id"), "reason": f"not sent from {dataset!r}"})
            continue
        changes.tasks += 1
        annotation = _latest(task.get("annotations") or [])
        if annotation is None:
            continue
        changes.annotated += 1
        added = _task_changes(task.get("id"), sent, annotation, changes)
        result = annotation.get("result") or []
        gone = {str(op["annotation_id"]) for op in changes.operations if op["op"] == "delete"}
        for ops, skipped in (
            keypoint_changes(task.get("id"), sent, result, gone, added, keypoint_classes or {}),
            image_label_changes(task.get("id"), sent, result, image_classes),
        ):
            changes.operations += ops
            changes.skipped += skipped
    return changes


def _latest(annotations: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most recently updated annotation that was not skipped."""
    kept = [a for a in annotations if not a.get("was_cancelled")]
    return max(kept, key=lambda a: (a.get("updated_at") or "", a.get("id") or 0), default=None)


def _task_changes(
    task_id: Any, sent: dict[str, Any], annotation: dict[str, Any], changes: Changes
) -> dict[str, dict[str, Any]]:
    """Adds the task's operations to ``changes``; answers its ``add`` operations by the id
    of the region each comes from (the keypoints drawn with a new object join it)."""
    sample_id, width, height = int(sent["sample_id"]), sent["width"], sent["height"]
    objects: dict[str, dict[str, Any]] = dict(sent.get("sent") or {})
    changes.sent.update(int(a) for a in objects)
    kept: set[str] = set()
    fresh: list[tuple[str, str, Shape]] = []
    for r in annotation.get("result") or []:
        if (r.get("from_name"), r.get("type")) not in REGION_KINDS:
            continue
        shape_label = _shape(r, width, height)
        if isinstance(shape_label, str):
            changes.skipped.append({"task": task_id, "region": r.get("id"), "reason": shape_label})
            continue
        label, shape = shape_label
        rid = str(r.get("id") or "")
        ann = rid[len(REGION_PREFIX) :] if rid.startswith(REGION_PREFIX) else None
        if ann is None or ann not in objects or ann in kept:
            fresh.append((rid, label, shape))
            continue
        kept.add(ann)
        _object_changes(task_id, int(ann), objects[ann], label, shape, changes)
    added: dict[str, dict[str, Any]] = {}
    for rid, label, shape in fresh:
        same = next(
            (a for a, o in objects.items()
             if a not in kept and o["label"] == label and _same_shape(o, shape)),
            None,
        )  # fmt: skip
        if same is not None:
            kept.add(same)
        else:
            (key, points), add = next(iter(shape.items())), {"op": "add", "sample_id": sample_id}
            add["label"] = label
            if key == "mask":  # a mask's add takes its extent as the box
                add["segmentation"] = points
            else:
                add[key] = [points] if key == "segmentation" else points
            changes.operations.append(add)
            if rid:
                added[rid] = add
    for ann, o in objects.items():
        if ann not in kept:
            changes.operations.append(
                {"op": "delete", "annotation_id": int(ann),
                 "expected": {"label": o["label"], "bbox": o["bbox"]}}
            )  # fmt: skip
    return added


def _object_changes(
    task_id: Any, ann: int, sent: dict[str, Any], label: str, shape: Shape, changes: Changes
) -> None:
    if label != sent["label"]:
        changes.operations.append(
            {"op": "relabel", "annotation_id": ann, "label": label,
             "expected": {"label": sent["label"]}}
        )  # fmt: skip
    key = _kind(sent)
    if key not in shape and not (key == "obb" and "bbox" in shape):
        changes.skipped.append(
            {"task": task_id, "region": f"{REGION_PREFIX}{ann}",
             "reason": f"the object is a {NOUNS[key]}, the region a {NOUNS[next(iter(shape))]}"}
        )  # fmt: skip
        return
    if key == "bbox":
        bbox = settled(sent["bbox"], shape["bbox"])
        if bbox == sent["bbox"]:
            return
        if sent.get("shaped"):
            changes.skipped.append(
                {"task": task_id, "region": f"{REGION_PREFIX}{ann}",
                 "reason": "the object has labels beyond its box (keypoints, a mask or a "
                           "polyline): its box is not moved alone"}
            )  # fmt: skip
            return
        changes.operations.append(
            {"op": "move", "annotation_id": ann, "bbox": bbox, "expected": {"bbox": sent["bbox"]}}
        )
        return
    if key == "mask":  # the same pixels encode to the same text
        if shape["mask"] != sent["mask"]:
            changes.operations.append(
                {"op": "reshape", "annotation_id": ann, "segmentation": shape["mask"],
                 "expected": {"bbox": sent["bbox"]}}
            )  # fmt: skip
        return
    was = sent["obb" if key == "obb" else "polygon"]
    got = shape.get(key) or rect_corners(shape["bbox"], 0.0)  # a rotated box turned upright
    points = settled(was, got)
    if points != was:
        new = {"obb": points} if key == "obb" else {"segmentation": [points]}
        changes.operations.append(
            {"op": "reshape", "annotation_id": ann, **new, "expected": {"bbox": sent["bbox"]}}
        )


Shape = dict[str, Any]
"""A region's geometry in pixels: ``{"bbox": [x, y, w, h]}``, ``{"obb": corners}``,
``{"segmentation": ring}`` or ``{"mask": compressed COCO RLE}``."""


def _kind(sent: dict[str, Any]) -> str:
    """Which shape an object was sent as: ``obb``, ``segmentation`` (a polygon), ``mask``
    or ``bbox``."""
    for key, held in (("obb", "obb"), ("segmentation", "polygon"), ("mask", "mask")):
        if held in sent:
            return key
    return "bbox"


def _same_shape(sent: dict[str, Any], shape: Shape) -> bool:
    key = _kind(sent)
    if key not in shape:
        return False
    if key == "mask":
        return bool(sent["mask"] == shape["mask"])
    was = sent["bbox"] if key == "bbox" else sent["obb" if key == "obb" else "polygon"]
    return same_points(was, shape[key])


def _shape(r: dict[str, Any], width: float, height: float) -> tuple[str, Shape] | str:
    """A region as (class, geometry in pixels), or why it is not one."""
    value = r.get("value") or {}
    kind = str(r.get("type"))
    labels = value.get(kind) or []
    noun = {"polygonlabels": "polygon", "brushlabels": "brush mask"}.get(kind, "rectangle")
    if len(labels) != 1:
        return f"a {noun} needs exactly one class, it has {len(labels)}"
    if kind == "brushlabels":
        mask = decode_brush(value.get("rle"), int(width), int(height))
        if isinstance(mask, str):
            return mask
        answer = mask_answer(mask)
        if not answer["area"]:
            return "a brush mask with no pixel painted"
        return str(labels[0]), {"mask": answer["mask"]}
    if kind == "polygonlabels":
        ring = ring_of(value.get("points"), width, height)
        return ring if isinstance(ring, str) else (str(labels[0]), {"segmentation": ring})
    try:
        pct = [float(value[k]) for k in ("x", "y", "width", "height")]
        rotation = float(value.get("rotation") or 0.0)
    except (KeyError, TypeError, ValueError):
        return "a rectangle without x, y, width and height"
    if not all(math.isfinite(v) for v in [*pct, rotation]):
        return "a rectangle with a non-finite coordinate"
    scale = (width, height, width, height)
    box = [v / 100.0 * s for v, s in zip(pct, scale, strict=True)]
    if abs(rotation % 360.0) <= 1e-9:
        return str(labels[0]), {"bbox": box}
    return str(labels[0]), {"obb": rect_corners(box, rotation)}
