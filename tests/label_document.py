"""A small dataset of labels beyond the box, for the server and UI tests of drawing them.

:func:`label_document` lays out, for each image it is given, one object of each mask form
(COCO polygons, compressed RLE from ``pycocotools.mask.encode``, uncompressed RLE run
lengths), keypoints with every visibility flag, and an image-level class. The document is
JSON; :class:`LabelDocumentSource` turns it into the catalog writer's batches (the optional
annotation columns and the classifications table of schema step 6), so it ingests through the
real writer before any built-in format parses keypoints. The UI tests load it as the folder
plugin format ``ui-labels`` (``ui-tests/folder-plugins.js``, :func:`labels_format`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from pycocotools import mask as mask_utils

from visionlens_jlab.ingest.base import ParsedBase
from visionlens_jlab.plugins.api import IngestFormat
from visionlens_jlab.records.batches import (
    ANNOTATION_LABEL_FIELDS,
    ANNOTATION_SCHEMA,
    CLASSIFICATION_SCHEMA,
    SAMPLE_SCHEMA,
    Batch,
    ColumnBuffer,
)

SUFFIX = ".vllabels.json"
KEYPOINT_NAMES = ["head", "left_hand", "right_hand", "hip", "foot"]
SKELETON = [[1, 2], [1, 3], [1, 4], [4, 5]]  # COCO: 1-based
IMAGE_CLASSES = ["indoor", "outdoor"]


def polygon_mask(w: int, h: int) -> list[list[float]]:
    """A square in the left half of a ``w`` x ``h`` image, as one COCO polygon."""
    x0, y0, x1, y1 = 0.1 * w, 0.2 * h, 0.45 * w, 0.8 * h
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


def rle_bitmap(w: int, h: int) -> np.ndarray:
    """An ellipse in the right half of the image, as an ``h`` x ``w`` uint8 bitmap."""
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy, rx, ry = 0.75 * w, 0.5 * h, 0.18 * w, 0.3 * h
    return (((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1).astype(np.uint8)


def uncompressed_rle(bitmap: np.ndarray) -> dict[str, Any]:
    """COCO's uncompressed RLE of ``bitmap``: column-major run lengths, zeros first."""
    flat = np.asfortranarray(bitmap).ravel(order="F")
    edges = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], edges, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs = [0, *runs]
    return {"size": [int(bitmap.shape[0]), int(bitmap.shape[1])], "counts": runs}


def person_keypoints(w: int, h: int) -> list[float]:
    """Five keypoints over the polygon: visible, visible, labelled hidden, not labelled,
    visible (COCO's v = 2, 2, 1, 0, 2)."""
    points = [(0.27, 0.25, 2), (0.15, 0.45, 2), (0.4, 0.45, 1), (0.27, 0.6, 0), (0.27, 0.75, 2)]
    return [v for x, y, f in points for v in (x * w if f else 0, y * h if f else 0, f)]


def label_document(images: list[dict[str, Any]]) -> dict[str, Any]:
    """The document of the module docstring over ``images`` (``file_name``, ``width``,
    ``height``, ``location``); image ``i`` alternates the mask form (``i % 3``) and the class."""
    objects: list[dict[str, Any]] = []
    classifications = []
    for i, image in enumerate(images):
        w, h = int(image["width"]), int(image["height"])
        x0, y0, x1, y1 = 0.1 * w, 0.2 * h, 0.45 * w, 0.8 * h
        objects.append(
            {
                "image": i,
                "label": "person",
                "bbox": [x0, y0, x1 - x0, y1 - y0],
                "segmentation": polygon_mask(w, h),
                "mask_area": (x1 - x0) * (y1 - y0),
                "keypoints": person_keypoints(w, h),
            }
        )
        bitmap = rle_bitmap(w, h)
        if i % 2 == 0:
            rle = mask_utils.encode(np.asfortranarray(bitmap))
            seg: dict[str, Any] = {"size": rle["size"], "counts": rle["counts"].decode()}
        else:
            seg = uncompressed_rle(bitmap)
        bx, by, bw, bh = mask_utils.toBbox(mask_utils.encode(np.asfortranarray(bitmap))).tolist()
        objects.append(
            {
                "image": i,
                "label": "blob",
                "bbox": [bx, by, bw, bh],
                "segmentation": seg,
                "mask_area": float(bitmap.sum()),
            }
        )
        classifications.append({"image": i, "label": IMAGE_CLASSES[i % 2]})
    return {
        "images": images,
        "categories": [
            {"name": "person", "keypoint_names": KEYPOINT_NAMES, "skeleton": SKELETON},
            {"name": "blob"},
        ],
        "objects": objects,
        "classifications": classifications,
    }


def write_label_document(path: Path, images: list[dict[str, Any]]) -> Path:
    """Write :func:`label_document` of ``images`` to ``path`` (ending in :data:`SUFFIX`)."""
    path.write_text(json.dumps(label_document(images)))
    return path


# keypoints and mask areas, no keypoint count: the writer counts the labelled points itself
ANNOTATION_WITH_LABELS = pa.schema(
    [*ANNOTATION_SCHEMA, *(f for f in ANNOTATION_LABEL_FIELDS if f.name != "num_keypoints")]
)


class LabelDocumentSource(ParsedBase):
    """The parser of a label document: one batch of samples, objects and classifications."""

    def __init__(self, path: str) -> None:
        doc = json.loads(Path(path).read_text())
        # the images' folder: the image server reads files under the media root only
        folders = [os.path.dirname(image["location"]) for image in doc["images"]]
        super().__init__("ui-labels", path, os.path.commonpath(folders) if folders else "")
        self._doc = doc

    def batches(self) -> Iterator[Batch]:
        doc = self._doc
        for category in doc["categories"]:
            self.add_class(
                category["name"],
                keypoint_names=category.get("keypoint_names"),
                skeleton=category.get("skeleton"),
            )
        samples = ColumnBuffer(SAMPLE_SCHEMA)
        for i, image in enumerate(doc["images"]):
            samples.append(
                sample_index=i,
                file_name=image["file_name"],
                location=image["location"],
                width=image["width"],
                height=image["height"],
            )
        objects = ColumnBuffer(ANNOTATION_WITH_LABELS)
        for obj in doc["objects"]:
            x, y, w, h = obj["bbox"]
            objects.append(
                sample_index=obj["image"],
                label=obj["label"],
                x=x,
                y=y,
                w=w,
                h=h,
                area=w * h,
                segmentation=json.dumps(obj["segmentation"]),
                mask_area=obj.get("mask_area"),
                keypoints=obj.get("keypoints"),
            )
        labels = ColumnBuffer(CLASSIFICATION_SCHEMA)
        for c in doc["classifications"]:
            labels.append(sample_index=c["image"], label=c["label"])
        yield Batch(samples.take(), objects.take(), labels.take())


class ClassificationPredictions(ParsedBase):
    """A model's image-level predictions: ``(image_ref, label, score)`` rows."""

    def __init__(self, rows: list[tuple[str, str, float]]) -> None:
        super().__init__("ui-labels", "predictions", "")
        self._rows = rows

    def batches(self) -> Iterator[Batch]:
        labels = ColumnBuffer(CLASSIFICATION_SCHEMA)
        for ref, label, score in self._rows:
            labels.append(image_ref=ref, label=label, score=score)
        yield Batch(classifications=labels.take())


def labels_format() -> IngestFormat:
    """The ``ui-labels`` ingest format: files named ``*.vllabels.json``."""
    return IngestFormat(
        name="ui-labels",
        detect=lambda path: str(path).endswith(SUFFIX),
        open=lambda *, context: LabelDocumentSource(context.source),
        description="Label documents of tests/label_document.py",
    )
