"""A Label Studio project's annotations back as label edits: the diff a user accepts.

For each task VisionLens sent (``data.visionlens``), the latest submitted annotation is
compared with what was sent: a region ``vl-<id>`` is the object ``id`` (relabelled when its
class differs, moved when its box does, beyond float noise of the percent round trip), a
sent object with no region left was deleted, any other region is a new object. A region with
no ``vl-`` id (an annotation started afresh) that equals a sent object exactly is that object.
Each operation carries the sent state as ``expected``, so an object edited in VisionLens
since it was sent makes the whole batch a conflict instead of being overwritten. What cannot
become an edit (a rotated box, a task from elsewhere, an object with a mask moved) is listed
in ``skipped`` with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .tasks import FROM_NAME, REGION_PREFIX

MOVE_TOLERANCE_PX = 1e-6
"""A box that came back within this of what was sent is unchanged (percent round trip)."""
KINDS = {"add": "added", "delete": "deleted", "relabel": "relabelled", "move": "moved"}


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
        """Operations per kind: ``added``, ``deleted``, ``relabelled``, ``moved``."""
        out = dict.fromkeys(KINDS.values(), 0)
        for op in self.operations:
            out[KINDS[op["op"]]] += 1
        return out


def read_changes(dataset: str, tasks: list[dict[str, Any]]) -> Changes:
    """The edits that make ``dataset``'s ground truth what the annotators left in ``tasks``
    (a project's tasks with their annotations)."""
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
        _task_changes(task.get("id"), sent, annotation, changes)
    return changes


def _latest(annotations: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most recently updated annotation that was not skipped."""
    kept = [a for a in annotations if not a.get("was_cancelled")]
    return max(kept, key=lambda a: (a.get("updated_at") or "", a.get("id") or 0), default=None)


def _task_changes(
    task_id: Any, sent: dict[str, Any], annotation: dict[str, Any], changes: Changes
) -> None:
    sample_id, width, height = int(sent["sample_id"]), sent["width"], sent["height"]
    objects: dict[str, dict[str, Any]] = dict(sent.get("sent") or {})
    changes.sent.update(int(a) for a in objects)
    kept: set[str] = set()
    fresh: list[tuple[str, list[float]]] = []
    for r in annotation.get("result") or []:
        if r.get("from_name") != FROM_NAME or r.get("type") != "rectanglelabels":
            continue
        box_label = _box(r, width, height)
        if isinstance(box_label, str):
            changes.skipped.append({"task": task_id, "region": r.get("id"), "reason": box_label})
            continue
        label, bbox = box_label
        rid = str(r.get("id") or "")
        ann = rid[len(REGION_PREFIX) :] if rid.startswith(REGION_PREFIX) else None
        if ann is None or ann not in objects or ann in kept:
            fresh.append((label, bbox))
            continue
        kept.add(ann)
        _object_changes(task_id, int(ann), objects[ann], label, bbox, changes)
    for label, bbox in fresh:
        same = next(
            (a for a, o in objects.items()
             if a not in kept and o["label"] == label and _same_box(o["bbox"], bbox)),
            None,
        )  # fmt: skip
        if same is not None:
            kept.add(same)
        else:
            changes.operations.append(
                {"op": "add", "sample_id": sample_id, "label": label, "bbox": bbox}
            )
    for ann, o in objects.items():
        if ann not in kept:
            changes.operations.append(
                {"op": "delete", "annotation_id": int(ann),
                 "expected": {"label": o["label"], "bbox": o["bbox"]}}
            )  # fmt: skip


def _object_changes(
    task_id: Any, ann: int, sent: dict[str, Any], label: str, bbox: list[float], changes: Changes
) -> None:
    # coordinates the annotator left alone come back through percent with float noise
    bbox = [
        s if abs(s - v) <= MOVE_TOLERANCE_PX else v for s, v in zip(sent["bbox"], bbox, strict=True)
    ]
    if label != sent["label"]:
        changes.operations.append(
            {"op": "relabel", "annotation_id": ann, "label": label,
             "expected": {"label": sent["label"]}}
        )  # fmt: skip
    if bbox != sent["bbox"]:
        if sent.get("shaped"):
            changes.skipped.append(
                {"task": task_id, "region": f"{REGION_PREFIX}{ann}",
                 "reason": "the object has a mask or keypoints: its box is not moved alone"}
            )  # fmt: skip
        else:
            changes.operations.append(
                {"op": "move", "annotation_id": ann, "bbox": bbox,
                 "expected": {"bbox": sent["bbox"]}}
            )  # fmt: skip


def _box(r: dict[str, Any], width: float, height: float) -> tuple[str, list[float]] | str:
    """A region as (class, box in pixels), or why it is not one."""
    value = r.get("value") or {}
    labels = value.get("rectanglelabels") or []
    if len(labels) != 1:
        return f"a rectangle needs exactly one class, it has {len(labels)}"
    if abs(float(value.get("rotation") or 0.0)) > 1e-9:
        return "a rotated rectangle: VisionLens boxes are axis-aligned"
    try:
        pct = [float(value[k]) for k in ("x", "y", "width", "height")]
    except (KeyError, TypeError, ValueError):
        return "a rectangle without x, y, width and height"
    if not all(math.isfinite(v) for v in pct):
        return "a rectangle with a non-finite coordinate"
    scale = (width, height, width, height)
    return str(labels[0]), [v / 100.0 * s for v, s in zip(pct, scale, strict=True)]


def _same_box(a: list[float], b: list[float]) -> bool:
    return all(abs(x - y) <= MOVE_TOLERANCE_PX for x, y in zip(a, b, strict=True))
