"""Random datasets with masks, keypoints and image-level labels, written through the catalog
writer from in-memory parsed sources carrying the optional label columns.

Masks come in the three COCO forms (polygons, uncompressed RLE, compressed RLE) with their
area from pycocotools; keypoints as COCO's flat (x, y, v) lists, without a count (the writer
counts the labelled points); classifications as ground truth (0 to 2 labels per image) and
one model's (one label and score per image, some images left out).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
from pycocotools import mask as mask_utils

from visionlens_jlab.records.batches import (
    ANNOTATION_LABEL_FIELDS,
    ANNOTATION_SCHEMA,
    CLASSIFICATION_SCHEMA,
    SAMPLE_SCHEMA,
    Batch,
)
from visionlens_jlab.records.report import IngestReport

LABEL_SCHEMA = pa.schema(
    [*ANNOTATION_SCHEMA, *(f for f in ANNOTATION_LABEL_FIELDS if f.name != "num_keypoints")]
)
"""Boxes with keypoints and mask areas, no keypoint count: the writer counts them."""
CLASSES = ["cat", "dog", "person", "car"]
SCENES = ["indoor", "outdoor", "night"]
NUM_POINTS = 5


def _polygon(rnd: random.Random, w: int, h: int) -> list[list[float]]:
    x, y = rnd.uniform(0, w / 2), rnd.uniform(0, h / 2)
    dx, dy = rnd.uniform(2, w / 2), rnd.uniform(2, h / 2)
    return [[x, y, x + dx, y + dy * 0.3, x + dx * 0.6, y + dy, x, y + dy * 0.8]]


def _mask(rnd: random.Random, w: int, h: int) -> Any:
    """A mask in one of COCO's three forms."""
    poly = _polygon(rnd, w, h)
    form = rnd.randrange(3)
    if form == 0:
        return poly
    rle = mask_utils.merge(mask_utils.frPyObjects(poly, h, w))
    if form == 1:
        return {"size": rle["size"], "counts": rle["counts"].decode()}
    dense = mask_utils.decode(rle)  # uncompressed: run lengths in column-major order
    flat = dense.flatten(order="F")
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat[0] == 1:
        counts = [0, *counts]
    return {"size": [h, w], "counts": counts}


def mask_area(segmentation: Any, w: int, h: int) -> float:
    """The pixel area of a COCO segmentation, from pycocotools."""
    if isinstance(segmentation, list):
        rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, h, w))
    elif isinstance(segmentation["counts"], list):
        rle = mask_utils.frPyObjects(segmentation, h, w)
    else:
        rle = {"size": segmentation["size"], "counts": segmentation["counts"].encode()}
    return float(mask_utils.area(rle))


def _object(rnd: random.Random, w: int, h: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "label": rnd.choice(CLASSES),
        "x": rnd.uniform(0, w / 2),
        "y": rnd.uniform(0, h / 2),
        "w": rnd.uniform(1, w / 2),
        "h": rnd.uniform(1, h / 2),
    }
    row["area"] = row["w"] * row["h"]
    if rnd.random() < 0.5:
        row["segmentation"] = _mask(rnd, w, h)
        row["mask_area"] = mask_area(row["segmentation"], w, h)
    if rnd.random() < 0.4:
        points: list[float] = []
        for _ in range(NUM_POINTS):
            v = rnd.choice([0, 1, 2, 2])
            points += [rnd.uniform(0, w), rnd.uniform(0, h), v] if v else [0.0, 0.0, 0]
        row["keypoints"] = points
    return row


def label_rows(seed: int, n: int) -> dict[str, Any]:
    """Samples, ground-truth objects, predictions of model ``m1`` (boxes with masks), and
    ground-truth and model ``clf`` classifications, as plain rows."""
    rnd = random.Random(seed)
    samples, objects, preds, gt_cls, model_cls = [], [], [], [], []
    for i in range(n):
        w, h = rnd.choice([(64, 48), (80, 80), (50, 70)])
        samples.append({"sample_index": i, "file_name": f"img{i}.jpg", "width": w, "height": h,
                        "source_image_id": str(i), "split": rnd.choice(["train", "val"]),
                        "location": f"/data/images/img{i}.jpg"})  # fmt: skip
        for _ in range(rnd.randrange(4)):
            objects.append({"sample_index": i, **_object(rnd, w, h)})
        for _ in range(rnd.randrange(3)):
            pred = _object(rnd, w, h)
            pred.pop("keypoints", None)
            preds.append({"image_ref": str(i), "score": round(rnd.random(), 2), **pred})
        for label in rnd.sample(SCENES, rnd.randrange(3)):
            gt_cls.append({"sample_index": i, "label": label})
        if rnd.random() < 0.8:
            model_cls.append({"image_ref": str(i), "label": rnd.choice(SCENES),
                              "score": round(rnd.random(), 2)})  # fmt: skip
    return {"samples": samples, "objects": objects, "preds": preds,
            "gt_cls": gt_cls, "model_cls": model_cls}  # fmt: skip


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for row in rows:
        for name in schema.names:
            value = row.get(name)
            if name == "segmentation" and value is not None:
                value = json.dumps(value)
            columns[name].append(value)
    return pa.table(columns, schema=schema)


class LabelSource:
    """A parsed dataset of :func:`label_rows`: samples, objects and image-level labels."""

    format = "coco"
    source = "/data/labels.json"
    media_root = "/data/images"
    json_checked = False

    def __init__(self, rows: dict[str, Any]) -> None:
        self.report = IngestReport()
        self._rows = rows

    def batches(self) -> Iterator[Batch]:
        yield Batch(
            _table(self._rows["samples"], SAMPLE_SCHEMA),
            _table(self._rows["objects"], LABEL_SCHEMA),
            _table(self._rows["gt_cls"], CLASSIFICATION_SCHEMA),
        )

    def categories(self) -> list[tuple[Any, ...]]:
        return [(name, None, i + 1) for i, name in enumerate(CLASSES)]


class LabelPredictions(LabelSource):
    """One model's predictions: boxes with masks and/or image-level labels."""

    def __init__(self, boxes: list[dict[str, Any]], labels: list[dict[str, Any]]) -> None:
        super().__init__({})
        self._boxes, self._labels = boxes, labels

    def batches(self) -> Iterator[Batch]:
        boxes = _table(self._boxes, LABEL_SCHEMA) if self._boxes else None
        labels = _table(self._labels, CLASSIFICATION_SCHEMA) if self._labels else None
        yield Batch(None, boxes, labels)
