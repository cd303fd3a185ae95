"""The masks the segm evaluation compares are pycocotools' own (``COCO.annToRLE``) for every
shape a segmentation takes, the short paths included: a compressed RLE used as parsed, one
polygon rasterised without a merge; and the odd shapes that leave them (a size of floats,
an uncompressed RLE, a degenerate first polygon, several polygons, no mask)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from tests.evaluate_label_fixtures import label_input, synthetic_segm
from visionlens_jlab.evaluate.masks import MaskCounts, object_rles


def _odd_shapes(gt: dict[str, Any]) -> None:
    """Give a few ground-truth objects the shapes the short paths leave to the long one."""
    plain = [a for a in gt["annotations"] if isinstance(a["segmentation"], list)]
    x, y = plain[0]["bbox"][:2]
    square = [x, y, x + 9, y, x + 9, y + 9, x, y + 9]
    plain[0]["segmentation"] = [[x, y, x + 1, y + 1], square]  # degenerate first
    plain[1]["segmentation"] = [square, [v + 12 for v in square]]  # two parts
    for a in (plain[2], plain[3]):
        im = next(i for i in gt["images"] if i["id"] == a["image_id"])
        size = [im["height"], im["width"]]
        a["segmentation"] = {
            "size": size,
            "counts": mask_utils.encode(
                np.asfortranarray(np.eye(size[0], size[1], dtype=np.uint8))
            )["counts"].decode(),
        }
    plain[3]["segmentation"]["size"] = [float(v) for v in plain[3]["segmentation"]["size"]]


def test_object_rles_are_pycocotools_masks_for_every_shape() -> None:
    gt, dets = synthetic_segm(4)
    _odd_shapes(gt)
    inp = label_input(gt, dets, "segm")
    assert inp.gt_labels is not None and inp.dt_labels is not None
    coco = COCO()
    coco.dataset = json.loads(json.dumps(gt))
    coco.createIndex()
    kinds = set()
    for boxes, labels, anns in (
        (inp.gt, inp.gt_labels, gt["annotations"]),
        (inp.dt, inp.dt_labels, dets),
    ):
        index = np.arange(len(anns))
        got = object_rles(boxes, labels, index, labels.texts(index), MaskCounts())
        for rle, ann in zip(got, anns, strict=True):
            seg = ann["segmentation"]
            kinds.add(f"{type(seg).__name__}{len(seg) if isinstance(seg, list) else ''}")
            if isinstance(seg, list):  # pycocotools fails on a degenerate first polygon
                seg = sorted(seg, key=lambda p: len(p) <= 4)
            want = coco.annToRLE({**ann, "segmentation": json.loads(json.dumps(seg))})
            if isinstance(seg, dict) and isinstance(seg["size"][0], float):
                want = {"size": [int(v) for v in seg["size"]], "counts": seg["counts"]}
            np.testing.assert_array_equal(mask_utils.decode(rle), mask_utils.decode(want))
    assert {"dict", "list1", "list2"} <= kinds
