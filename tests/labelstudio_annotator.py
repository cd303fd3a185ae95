"""An annotator's work on a Label Studio project, through ``label-studio-sdk``.

Run by the tests with Label Studio's own interpreter (the SDK's pins keep it out of the
VisionLens environment): ``python tests/labelstudio_annotator.py URL TOKEN PROJECT`` with a
JSON list of changes on stdin, each for the task of one VisionLens sample:

* ``{"sample_id", "move": REGION, "dx": PERCENT}``: shift a region right;
* ``{"sample_id", "rotate": REGION, "degrees": D}``: turn a rectangle further clockwise;
* ``{"sample_id", "point": REGION, "index": I, "dx": PERCENT}``: shift a polygon's point;
* ``{"sample_id", "polygon": [[x, y], ...] (percent), "label": CLASS}``: draw a polygon;
* ``{"sample_id", "relabel": REGION, "label": CLASS}``;
* ``{"sample_id", "delete": REGION}``;
* ``{"sample_id", "add": {"x", "y", "width", "height"} (percent), "label": CLASS}``,
  optionally ``"id"``: the new region's (a keypoint's ``parent``);
* ``{"sample_id", "choose": [CLASS, ...]}``: the image labels become these (none: the
  choices result goes);
* ``{"sample_id", "keypoint": {"x", "y"} (percent), "name": NAME}``: draw a keypoint,
  optionally with ``"parent"``: the region selected while drawing it (its ``parentID``); a
  ``move`` or ``delete`` of a keypoint region works as for any region;
* ``{"sample_id", "paint": REGION, "rect": [x0, y0, x1, y1], "erase": bool}``: paint (or
  erase) a pixel rectangle of a brush region, through Label Studio's own RLE codec, in the
  colour its editor paints a label with (opaque red);
* ``{"sample_id", "brush": [x0, y0, x1, y1], "label": CLASS}``: paint a new brush region;
* ``{"sample_id", "fresh": true}``: a second annotation made from scratch with the same
  regions under new ids (what an annotator who ignores the pre-annotation leaves).

Each task's first annotation is updated in place, as the Label Studio editor does. Prints
``{"updated": N}``.
"""

from __future__ import annotations

import copy
import json
import sys
import uuid

import numpy as np
from label_studio_sdk import LabelStudio
from label_studio_sdk.converter.brush import decode_rle, encode_rle

PAINT = (255, 0, 0, 255)


def painted(
    rle: list[int] | None, width: int, height: int, rect: list[int], erase: bool
) -> list[int]:
    """A brush region's RLE with a pixel rectangle painted or erased."""
    image = np.zeros((height, width, 4), dtype=np.uint8)
    if rle is not None:
        image = decode_rle(bytes(rle)).reshape(height, width, 4).copy()
    x0, y0, x1, y1 = rect
    image[y0:y1, x0:x1] = (0, 0, 0, 0) if erase else PAINT
    return encode_rle(image.ravel())


def main(url: str, token: str, project: int) -> None:
    changes = json.load(sys.stdin)
    ls = LabelStudio(base_url=url, api_key=token)
    tasks = {
        t.data["visionlens"]["sample_id"]: t for t in ls.tasks.list(project=project, fields="all")
    }
    results: dict[int, list[dict]] = {}
    for change in changes:
        task = tasks[change["sample_id"]]
        if change.get("fresh"):
            sent = task.annotations[0]["result"]
            fresh = [{**r, "id": uuid.uuid4().hex[:10]} for r in sent]
            ls.annotations.create(id=task.id, result=fresh)
            continue
        result = results.setdefault(task.id, copy.deepcopy(task.annotations[0]["result"]))
        regions = {r["id"]: r for r in result}
        if "move" in change:
            regions[change["move"]]["value"]["x"] += change["dx"]
        elif "rotate" in change:
            regions[change["rotate"]]["value"]["rotation"] += change["degrees"]
        elif "point" in change:
            regions[change["point"]]["value"]["points"][change["index"]][0] += change["dx"]
        elif "polygon" in change:
            sized = result[0]
            result.append(
                {
                    "id": uuid.uuid4().hex[:10],
                    "from_name": "polygon",
                    "to_name": "image",
                    "type": "polygonlabels",
                    "original_width": sized["original_width"],
                    "original_height": sized["original_height"],
                    "value": {"points": change["polygon"], "closed": True,
                              "polygonlabels": [change["label"]]},
                }
            )  # fmt: skip
        elif "choose" in change:
            result[:] = [r for r in result if r["type"] != "choices"]
            if change["choose"]:
                result.append({"id": uuid.uuid4().hex[:10], "from_name": "image_labels",
                               "to_name": "image", "type": "choices",
                               "value": {"choices": change["choose"]}})  # fmt: skip
        elif "keypoint" in change:
            sized = next(r for r in result if "original_width" in r)
            parent = {"parentID": change["parent"]} if "parent" in change else {}
            result.append(
                {
                    **parent,
                    "id": uuid.uuid4().hex[:10],
                    "from_name": "keypoint",
                    "to_name": "image",
                    "type": "keypointlabels",
                    "original_width": sized["original_width"],
                    "original_height": sized["original_height"],
                    "value": {**change["keypoint"], "width": 0.5,
                              "keypointlabels": [change["name"]]},
                }
            )  # fmt: skip
        elif "paint" in change:
            region = regions[change["paint"]]
            w, h = region["original_width"], region["original_height"]
            region["value"]["rle"] = painted(region["value"]["rle"], w, h, change["rect"],
                                             bool(change.get("erase")))  # fmt: skip
        elif "brush" in change:
            sized = next(r for r in result if "original_width" in r)
            w, h = sized["original_width"], sized["original_height"]
            result.append(
                {
                    "id": uuid.uuid4().hex[:10],
                    "from_name": "brush",
                    "to_name": "image",
                    "type": "brushlabels",
                    "original_width": w,
                    "original_height": h,
                    "value": {"format": "rle", "rle": painted(None, w, h, change["brush"], False),
                              "brushlabels": [change["label"]]},
                }
            )  # fmt: skip
        elif "relabel" in change:
            region = regions[change["relabel"]]
            region["value"][region["type"]] = [change["label"]]
        elif "delete" in change:
            result.remove(regions[change["delete"]])
        elif "add" in change:
            first = result[0] if result else None
            result.append(
                {
                    "id": change.get("id") or uuid.uuid4().hex[:10],
                    "from_name": "label",
                    "to_name": "image",
                    "type": "rectanglelabels",
                    "original_width": first["original_width"] if first else 100,
                    "original_height": first["original_height"] if first else 100,
                    "value": {**change["add"], "rotation": 0, "rectanglelabels": [change["label"]]},
                }
            )
    updated = 0
    for task_id, result in results.items():
        annotation = next(t for t in tasks.values() if t.id == task_id).annotations[0]
        ls.annotations.update(id=annotation["id"], result=result)
        updated += 1
    print(json.dumps({"updated": updated}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
