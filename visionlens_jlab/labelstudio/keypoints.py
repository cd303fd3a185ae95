"""Keypoint objects through Label Studio: one ``KeyPointLabels`` region per labelled point.

Label Studio has no object made of points: a keypoint is a region of its own, labelled with
one name. The mapping that keeps a skeleton's points together:

* point ``k`` (0-based, its place in the class's skeleton) of object ``A`` goes as the
  region ``vl-A-k`` (Label Studio keeps a region's id while the annotator edits it),
  labelled with the point's name (the class's ``keypoint_names[k]``, else ``point k+1``);
  every labelled point goes, hidden ones (COCO ``v = 1``) too: their place is data;
* ``data.visionlens`` records each object's points as sent (``sent[A]["keypoints"]``, COCO's
  flat ``[x, y, v, ...]``) and each sent class's point names (``keypoint_names``).

Back, per object: a region ``vl-A-k`` is point ``k`` where it now is (its visibility kept:
a hidden point stays hidden), a sent point with no region left is unlabelled (``0, 0, 0``,
COCO's convention), and a point the annotator drew (another id) named ``n`` joins the
object its ``parentID`` names (``vl-A`` or ``vl-A-j``), else the one sent object whose box
holds it and whose class has an unlabelled point ``n``: it becomes that point, visible
(``v = 2``). A new object (a region the annotator drew, its class a keypoint class) takes
the points drawn with it the same way: those whose ``parentID`` is its region, else those
inside its box that no other object can take; its ``add`` carries them as ``keypoints``
(every point of its class, the undrawn ones unlabelled). A drawn point that fits no object,
or several, is listed in ``skipped``. An object whose points changed becomes one
``keypoints`` operation, the sent points its ``expected`` state (points dragged in
VisionLens since make the batch a conflict).
"""

from __future__ import annotations

import math
import re
from typing import Any
from xml.sax.saxutils import quoteattr

from .errors import LabelStudioError
from .shapes import TOLERANCE_PX

KEYPOINT_FROM_NAME = "keypoint"
KEYPOINT_TYPE = "keypointlabels"
POINT_WIDTH = 0.5
"""The dot's size Label Studio draws (percent of the image's width): display only."""
_SENT_POINT = re.compile(r"^vl-(\d+)-(\d+)$")
_PARENT = re.compile(r"^vl-(\d+)(?:-\d+)?$")


def point_names(names: list[str] | None, count: int) -> list[str]:
    """The names of an object's ``count`` points: its class's, else ``point 1``, ...."""
    if names and len(names) == count:
        return [str(n) for n in names]
    return [f"point {k + 1}" for k in range(count)]


def keypoint_regions(
    ann: int,
    keypoints: list[float],
    names: list[str],
    width: int,
    height: int,
    prefix: str = "vl-",
) -> list[dict[str, Any]]:
    """The Label Studio regions ``<prefix><ann>-<k>`` of one object's labelled points
    (percent of the image; ``prefix`` ``vl-`` for the ground truth, whose ids come back)."""
    out = []
    for k in range(len(keypoints) // 3):
        x, y, v = keypoints[3 * k : 3 * k + 3]
        if not v:
            continue
        out.append(
            {
                "id": f"{prefix}{ann}-{k}",
                "from_name": KEYPOINT_FROM_NAME,
                "to_name": "image",
                "type": KEYPOINT_TYPE,
                "original_width": width,
                "original_height": height,
                "image_rotation": 0,
                "value": {"x": x / width * 100.0, "y": y / height * 100.0,
                          "width": POINT_WIDTH, KEYPOINT_TYPE: [names[k]]},
            }
        )  # fmt: skip
    return out


def keypoint_config(names: list[str]) -> str:
    """The ``KeyPointLabels`` control of the config ('' when no keypoint class is sent)."""
    if not names:
        return ""
    for name in names:
        if name.startswith("$"):
            raise LabelStudioError(f"keypoint {name!r}: Label Studio cannot hold a leading '$'")
    labels = "\n".join(f"    <Label value={quoteattr(n)}/>" for n in names)
    return (
        f'  <KeyPointLabels name="{KEYPOINT_FROM_NAME}" toName="image">\n{labels}\n'
        "  </KeyPointLabels>\n"
    )


def keypoint_changes(
    task_id: Any,
    sent: dict[str, Any],
    result: list[dict[str, Any]],
    gone: set[str],
    added: dict[str, dict[str, Any]] | None = None,
    classes: dict[str, list[str]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``keypoints`` operations and the skipped rows of one task's ``result`` (the
    objects of ``gone`` were deleted: their points go with them); ``added``: the task's
    ``add`` operations by their region's id, given the points drawn with them; ``classes``:
    the point names of the dataset's keypoint classes."""
    width, height = sent["width"], sent["height"]
    objects = {a: o for a, o in (sent.get("sent") or {}).items()
               if "keypoints" in o and a not in gone}  # fmt: skip
    names_of = {**(classes or {}), **(sent.get("keypoint_names") or {})}
    now = {a: [0.0] * len(o["keypoints"]) for a, o in objects.items()}
    new = {rid: op for rid, op in (added or {}).items()
           if names_of.get(op["label"]) and ("bbox" in op or "segmentation" in op)}  # fmt: skip
    holders = {**objects, **{rid: {"label": op["label"], "bbox": _extent(op)}
                             for rid, op in new.items()}}  # fmt: skip
    now.update({rid: [0.0] * 3 * len(names_of[op["label"]]) for rid, op in new.items()})
    skipped: list[dict[str, Any]] = []
    drawn = []
    for r in result:
        if r.get("type") != KEYPOINT_TYPE or r.get("from_name") != KEYPOINT_FROM_NAME:
            continue
        point = _point(r, width, height)
        if isinstance(point, str):
            skipped.append({"task": task_id, "region": r.get("id"), "reason": point})
            continue
        match = _SENT_POINT.match(str(r.get("id") or ""))
        if match and match[1] in gone:
            continue  # a point of a deleted object: it goes with it
        if match and match[1] in objects and 3 * int(match[2]) < len(now[match[1]]):
            ann, k = match[1], int(match[2])
            names = names_of.get(objects[ann]["label"]) or []
            if k >= len(names) or names[k] != point[0]:
                drawn.append((r, point))  # renamed: the point of its new name
            elif now[ann][3 * k + 2]:
                skipped.append({"task": task_id, "region": r.get("id"),
                                "reason": "the same point twice"})  # fmt: skip
            else:
                v = objects[ann]["keypoints"][3 * k + 2] or 2.0
                now[ann][3 * k : 3 * k + 3] = [*_settled(objects[ann], k, point[1:]), v]
            continue
        drawn.append((r, point))
    for r, (name, x, y) in drawn:
        ann_k = _owner(r, name, x, y, holders, names_of, now)
        if isinstance(ann_k, str):
            skipped.append({"task": task_id, "region": r.get("id"), "reason": ann_k})
            continue
        ann, k = ann_k
        now[ann][3 * k : 3 * k + 3] = [x, y, 2.0]
    ops = [
        {"op": "keypoints", "annotation_id": int(a), "keypoints": now[a],
         "expected": {"keypoints": objects[a]["keypoints"]}}
        for a in objects if now[a] != objects[a]["keypoints"]
    ]  # fmt: skip
    for rid, op in new.items():
        if any(now[rid][2::3]):
            op["keypoints"] = now[rid]
    return ops, skipped


def _extent(add: dict[str, Any]) -> list[float]:
    """The box of a new object's ``add``: its ``bbox``, else its mask's extent (a polygon's,
    or a brush region's compressed RLE's)."""
    if "bbox" in add:
        return list(add["bbox"])
    if isinstance(add["segmentation"], dict):
        from pycocotools import mask as mask_utils

        return [float(v) for v in mask_utils.toBbox(add["segmentation"])]
    ring = add["segmentation"][0]
    xs, ys = ring[0::2], ring[1::2]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def _settled(sent: dict[str, Any], k: int, got: tuple[float, float]) -> list[float]:
    """Point ``k`` as it came back, each coordinate within float noise of the sent one the
    sent one."""
    was = sent["keypoints"][3 * k : 3 * k + 2]
    return [w if abs(w - g) <= TOLERANCE_PX else g for w, g in zip(was, got, strict=True)]


def _owner(
    r: dict[str, Any],
    name: str,
    x: float,
    y: float,
    objects: dict[str, dict[str, Any]],
    names_of: dict[str, list[str]],
    now: dict[str, list[float]],
) -> tuple[str, int] | str:
    """The object and point index a drawn point becomes, or why there is none."""
    parent_id = str(r.get("parentID") or "")
    parent = _PARENT.match(parent_id)
    if parent and parent[1] in objects:
        candidates = [parent[1]]
    elif parent_id in objects:  # a new object's region
        candidates = [parent_id]
    else:
        candidates = [a for a, o in objects.items() if _inside(o["bbox"], x, y)]
    fits = []
    for ann in candidates:
        names = names_of.get(objects[ann]["label"]) or []
        free = [k for k, n in enumerate(names) if n == name and not now[ann][3 * k + 2]]
        if free:
            fits.append((ann, free[0]))
    if len(fits) == 1:
        return fits[0]
    if not fits:
        return (f"a point {name!r} that no keypoint object lacks here: draw its object's box "
                "and the point with the box selected")  # fmt: skip
    return f"a point {name!r} inside {len(fits)} keypoint objects that lack it: which one?"


def _inside(box: list[float], x: float, y: float) -> bool:
    bx, by, bw, bh = box
    return bx <= x <= bx + bw and by <= y <= by + bh


def _point(r: dict[str, Any], width: float, height: float) -> tuple[str, float, float] | str:
    """A keypoint region as (name, x, y) in pixels, or why it is not one."""
    value = r.get("value") or {}
    labels = value.get(KEYPOINT_TYPE) or []
    if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
        return f"a keypoint needs exactly one name, it has {labels!r}"
    try:
        x, y = float(value["x"]) / 100.0 * width, float(value["y"]) / 100.0 * height
    except (KeyError, TypeError, ValueError):
        return "a keypoint without x and y"
    if not (math.isfinite(x) and math.isfinite(y)):
        return "a keypoint with a non-finite coordinate"
    return labels[0], x, y
