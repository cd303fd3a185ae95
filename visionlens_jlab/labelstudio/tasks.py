"""A view of a dataset as a Label Studio project: the labelling config and one task per sample.

Each task's image is the sample's URL on the VisionLens server (``…/samples/ID/image``), so
an annotator's browser loads it with their own Jupyter login: Label Studio stores the URL
and never fetches it. The ground truth goes in as the task's annotation, whose region ids
are ``vl-<annotation id>``: Label Studio keeps them while the annotator edits, which is how
:mod:`.changes` tells a moved or relabelled object from a new one. A model's objects go in
as a prediction (with scores) to copy from. ``data.visionlens`` records what was sent
(dataset, sample, and each object's class and box), which becomes each edit's ``expected``
state: an object edited in VisionLens meanwhile is a conflict, not overwritten. A sample's
image labels go as a ``Choices`` result (:mod:`.image_labels`), a keypoint object's points
as ``KeyPointLabels`` regions ``vl-<id>-<k>`` (:mod:`.keypoints`), a mask other than one
polygon ring as a ``BrushLabels`` region (:mod:`.brush`).
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

from ..catalog import GROUND_TRUTH
from ..evaluate.masks import coco_rle
from ..export.view import ExportView
from ..outbound import http_url
from ..records.label_kinds import OBJECT_KINDS
from ..records.masks import mask_answer
from .brush import encode_brush
from .errors import LabelStudioError
from .image_labels import choices_config, choices_result
from .keypoints import KEYPOINT_TYPE, keypoint_config, keypoint_regions, point_names
from .shapes import (
    polygon_value,
    rect_corners,
    rectangle_value,
    rotated_rect,
    single_ring,
)

FROM_NAME = "label"
POLYGON_FROM_NAME = "polygon"
BRUSH_FROM_NAME = "brush"
TO_NAME = "image"
REGION_PREFIX = "vl-"
MAX_TASKS = 100_000
"""Samples one project may receive: Label Studio imports them in one request."""


def label_config(
    class_names: list[str],
    keypoint_names: list[str] | None = None,
    image_classes: list[str] | None = None,
    multiple: bool = False,
) -> str:
    """Label Studio's XML config: an image, one rectangle label (rotatable: rotated boxes),
    one polygon label and one brush label (masks) per class (each name an XML attribute,
    quoted: a class name is data, never markup), the keypoints' names when any are sent and
    the image-label classes as choices (``multiple``: several per image) when the dataset
    has any."""
    if not class_names:
        raise LabelStudioError("the dataset has no classes to label with")
    for name in class_names:
        if name.startswith("$"):  # Label Studio reads "$x" as a reference to task data
            raise LabelStudioError(f"class {name!r}: Label Studio cannot hold a leading '$'")
    labels = "\n".join(f"    <Label value={quoteattr(n)}/>" for n in class_names)
    return (
        "<View>\n"
        f'  <Image name="{TO_NAME}" value="$image" zoom="true"/>\n'
        f'  <RectangleLabels name="{FROM_NAME}" toName="{TO_NAME}" canRotate="true">\n'
        f"{labels}\n  </RectangleLabels>\n"
        f'  <PolygonLabels name="{POLYGON_FROM_NAME}" toName="{TO_NAME}">\n{labels}\n'
        "  </PolygonLabels>\n"
        f'  <BrushLabels name="{BRUSH_FROM_NAME}" toName="{TO_NAME}">\n{labels}\n'
        "  </BrushLabels>\n"
        f"{keypoint_config(keypoint_names or [])}"
        f"{choices_config(image_classes or [], multiple)}</View>"
    )


def image_url(server_url: str, dataset: str, sample_id: int) -> str:
    """The sample's image on the VisionLens server at ``server_url`` (its base URL)."""
    base = server_url if server_url.endswith("/") else server_url + "/"
    name = urllib.parse.quote(dataset, safe="")
    return f"{base}visionlens/api/datasets/{name}/samples/{int(sample_id)}/image"


def region(
    region_id: str, obj: dict[str, Any], width: int, height: int, score: float | None
) -> dict[str, Any]:
    """One object in Label Studio's units (percent of the image): a polygon for an object
    sent as its ring, a brush region for one sent as a mask, a rotated rectangle for a
    rotated box, else its box."""
    if "polygon" in obj:
        kind, value = "polygonlabels", polygon_value(obj["polygon"], width, height)
    elif "mask" in obj:
        kind, value = "brushlabels", {"format": "rle", "rle": obj["brush"]}
    elif "obb" in obj:
        x, y, w, h, rotation = rotated_rect(obj["obb"])
        kind, value = "rectanglelabels", rectangle_value([x, y, w, h], width, height, rotation)
    else:
        kind, value = "rectanglelabels", rectangle_value(obj["box"], width, height)
    out: dict[str, Any] = {
        "id": region_id,
        "from_name": FROM_NAMES[kind],
        "to_name": TO_NAME,
        "type": kind,
        "original_width": width,
        "original_height": height,
        "image_rotation": 0,
        "value": {**value, kind: [obj["label"]]},
    }
    if score is not None:
        out["score"] = score
    return out


FROM_NAMES = {"rectanglelabels": FROM_NAME, "polygonlabels": POLYGON_FROM_NAME,
              "brushlabels": BRUSH_FROM_NAME}  # fmt: skip
"""The control of each region type VisionLens sends."""


def build_tasks(
    server_url: str,
    truth: ExportView,
    predictions: ExportView | None,
    image_labels: bool = False,
) -> list[dict[str, Any]]:
    """One task per sample of ``truth`` (the ground truth of the view), with ``predictions``
    (a model's objects on the same samples) when given, and each sample's image labels
    when ``image_labels``. ``server_url`` must be an http(s) URL: each task's image is a
    link under it that annotators open."""
    try:
        http_url(server_url, "the VisionLens server URL (server_url)")
    except ValueError as exc:
        raise LabelStudioError(str(exc)) from exc
    if truth.num_samples > MAX_TASKS:
        raise LabelStudioError(
            f"the view holds {truth.num_samples} samples; send at most {MAX_TASKS} at a time "
            "(narrow it with a filter)"
        )
    sizes = dict(
        zip(
            truth.samples["sample_id"],
            zip(truth.samples["width"], truth.samples["height"], strict=True),
            strict=True,
        )
    )
    missing = [sid for sid, (w, h) in sizes.items() if not w or not h]
    if missing:
        raise LabelStudioError(
            f"{len(missing)} samples have no known image size (e.g. sample {missing[0]}): "
            "Label Studio's boxes are in percent of it"
        )
    sent = _objects(truth, sizes, GROUND_TRUTH)
    skeletons = {c["name"]: c.get("keypoint_names") for c in truth.categories}
    classified = truth.classifications.table
    labels_of: dict[int, list[str]] = {}
    for sid, label in zip(classified["sample_id"].to_pylist(), classified["label"].to_pylist(),
                          strict=True):  # fmt: skip
        labels_of.setdefault(sid, []).append(label)
    predicted = _objects(predictions, sizes, predictions.source) if predictions else {}
    tasks = []
    for sid in truth.samples["sample_id"]:
        width, height = sizes[sid]
        objects = sent.get(sid, [])
        names = {o["label"]: point_names(skeletons.get(o["label"]), len(o["keypoints"]) // 3)
                 for o in objects if "keypoints" in o}  # fmt: skip
        result = [region(f"{REGION_PREFIX}{o['id']}", o, width, height, None) for o in objects]
        for o in objects:
            if "keypoints" in o:
                result += keypoint_regions(o["id"], o["keypoints"], names[o["label"]], width,
                                           height)  # fmt: skip
        task: dict[str, Any] = {
            "data": {
                "image": image_url(server_url, truth.dataset, sid),
                "visionlens": {
                    "dataset": truth.dataset,
                    "sample_id": sid,
                    "width": width,
                    "height": height,
                    "sent": {str(o["id"]): sent_state(o) for o in objects},
                },
            },
            "annotations": [{"result": result}],
        }
        if names:
            task["data"]["visionlens"]["keypoint_names"] = names
        if image_labels:
            sample_labels = sorted(labels_of.get(sid, []))
            task["data"]["visionlens"]["image_labels"] = sample_labels
            result += choices_result(sample_labels)
        if predictions is not None:
            guesses = predicted.get(sid, [])
            shown = [region(f"p{o['id']}", o, width, height, o["score"]) for o in guesses]
            for o in guesses:  # a model's points, to copy from as its boxes are
                if "keypoints" in o:
                    named = point_names(skeletons.get(o["label"]), len(o["keypoints"]) // 3)
                    shown += keypoint_regions(o["id"], o["keypoints"], named, width, height,
                                              prefix="p")  # fmt: skip
            task["predictions"] = [{"model_version": predictions.source, "result": shown}]
        tasks.append(task)
    return tasks


def offered_point_names(
    tasks: list[dict[str, Any]], category_keypoints: dict[str, Any], classes: list[str]
) -> list[str]:
    """The point names the config offers: those of the points sent (the ground truth's and
    a model's), then those of the offered ``classes`` that are keypoint classes
    (``category_keypoints``: the dataset's), so that an annotator can draw a keypoint
    object where none was sent."""
    found = [
        region["value"][KEYPOINT_TYPE][0]
        for task in tasks
        for part in [*task.get("annotations", []), *task.get("predictions", [])]
        for region in part["result"]
        if region["type"] == KEYPOINT_TYPE
    ]
    for name in classes:
        found += (category_keypoints.get(name) or {}).get("keypoint_names") or []
    return list(dict.fromkeys(found))


def sent_state(obj: dict[str, Any]) -> dict[str, Any]:
    """What ``data.visionlens`` records of an object sent: its class and box, whether it has
    a shape the box does not move (``shaped``), and a rotated box's corners, a polygon's
    ring or a mask (compressed COCO RLE) as Label Studio holds them (what comes back
    unchanged), and its keypoints."""
    out = {"label": obj["label"], "bbox": obj["box"], "shaped": obj["shaped"]}
    if "obb" in obj:
        x, y, w, h, rotation = rotated_rect(obj["obb"])
        out["obb"] = rect_corners([x, y, w, h], rotation)
    if "polygon" in obj:
        out["polygon"] = obj["polygon"]
    if "mask" in obj:
        out["mask"] = obj["mask"]
    if "keypoints" in obj:
        out["keypoints"] = obj["keypoints"]
    return out


def _objects(
    view: ExportView, sizes: dict[int, tuple[int, int]], source: str
) -> dict[int, list[dict[str, Any]]]:
    """Each sample's objects of ``view``: ``{"id", "label", "box", "score", "shaped"}``,
    with ``obb`` (a rotated box's corners), ``polygon`` (a mask's one ring) or ``mask``
    (any other mask, as compressed COCO RLE, with ``brush``: its brush bytes), and
    ``keypoints`` (COCO's flat list) when it has them. Label Studio's regions are one
    shape each: an object with keypoints keeps its mask out, and one with a label a moved
    box would leave behind (keypoints, a polyline, a mask beside keypoints) is ``shaped``:
    its box is not moved alone."""
    columns = ["ann_id", "label", "x", "y", "w", "h", "score", *HELD]
    out: dict[int, list[dict[str, Any]]] = {}
    for _, _, labels in view.objects.batches(columns):
        cols = {name: labels.column(name) for name in ["sample_id", *columns]}
        for i, sid in enumerate(cols["sample_id"]):
            if cols["x"][i] is None:  # a classification-only object, or points all unlabelled
                continue
            obj: dict[str, Any] = {
                "id": cols["ann_id"][i],
                "label": cols["label"][i],
                "box": [cols["x"][i], cols["y"][i], cols["w"][i], cols["h"][i]],
                "score": cols["score"][i] if source != GROUND_TRUTH else None,
            }
            held = {column: cols[column][i] for column in HELD if cols[column][i] is not None}
            obj.update(_shape(held, *sizes[sid]))
            # what a moved box would leave behind: the server refuses the move (keypoints
            # go as regions of their own, yet do not follow the box either)
            shown = {"segmentation" for k in ("polygon", "mask") if k in obj} | (
                {"obb"} if "obb" in obj else set()
            )
            obj["shaped"] = bool(set(held) - shown)
            out.setdefault(sid, []).append(obj)
    return out


HELD = tuple(kind.presence for kind in OBJECT_KINDS if kind.presence)
"""The columns of the labels an object may hold beyond its box (a rotated box's corners,
a polyline, a mask, keypoints): the label-kind declarations'."""


def _shape(held: dict[str, Any], width: int, height: int) -> dict[str, Any]:
    """What an object sends beside its box: its keypoints, and one shape (a mask's one
    ring as ``polygon``, another mask as ``mask``, else a rotated box's ``obb``)."""
    out: dict[str, Any] = {}
    if "keypoints" in held:
        out["keypoints"] = [float(v) for v in held["keypoints"]]
    segmentation = _json(held.get("segmentation"))
    ring = single_ring(segmentation)
    if segmentation is not None and "keypoints" not in held:
        if ring is not None:
            return {**out, "polygon": ring}
        mask = _mask(segmentation, width, height)
        if mask is not None:
            return {**out, "mask": mask[0], "brush": mask[1]}
    if held.get("obb") is not None and len(held["obb"]) == 8:
        out["obb"] = [float(v) for v in held["obb"]]
    return out


def _mask(segmentation: Any, width: int, height: int) -> tuple[dict[str, Any], list[int]] | None:
    """A stored mask (RLE, several rings) as compressed COCO RLE text (what the pull
    compares with) and as Label Studio's brush bytes, its pixels decoded once; None when
    pycocotools cannot read it at the image's size, or it covers no pixel (the object goes
    as its box)."""
    try:
        rle = coco_rle(segmentation, height, width)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None
    if [int(v) for v in rle["size"]] != [height, width]:
        return None
    from pycocotools import mask as mask_utils

    pixels = np.asarray(mask_utils.decode(rle), dtype=bool)
    if not pixels.any():
        return None
    return mask_answer(pixels)["mask"], encode_brush(pixels)


def _json(value: Any) -> Any:
    """A segmentation column's value as JSON data (stored as text)."""
    return json.loads(value) if isinstance(value, str) else value
