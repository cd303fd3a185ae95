"""Model predictions: COCO results (a bare list, or a dataset dict with ``score``) and the
per-image txt encodings of :mod:`..txt`.

Results of every COCO kind: ``bbox``; ``segm`` (RLE masks: the box from the RLE when the
record has none, ``mask_area`` and, without ``area``, the area from pycocotools, as
``COCO.loadRes`` gives them); ``keypoints`` (the box and area of a record without ``bbox``
from the extent of all its points, as ``COCO.loadRes`` computes them).

Predictions never create samples: each row names its image by ``image_ref`` and the writer
matches it to the dataset's samples (source image id, file name, base name or stem). Classes
are matched by name: COCO category ids go through the file's own ``categories`` (dataset
dict) or the ``categories`` mapping the caller gives (bare results list, usually the ground
truth's COCO categories, see :func:`~.dataset.coco_category_map`); on a dataset whose
classes have no COCO ids, a bare list's ids are positions in its class list
(:mod:`.class_ids`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ...records.batches import Batch
from ...records.report import IngestError
from ..base import ParsedBase
from ..prefetch import prefetch
from .annotations import AnnotationReader
from .categories import CocoCategory, keypoint_counts
from .class_ids import positional_category_ids
from .dataset import TOP_KEYS, read_categories
from .jsonstream import iter_array, scan_layout
from .label_checks import LabelChecks


class CocoPredictions(ParsedBase):
    """A COCO results list or a COCO dataset dict whose annotations carry ``score``."""

    def __init__(
        self, path: str, categories: dict[int, str] | None = None, classes: list[str] | None = None
    ) -> None:
        path = os.path.abspath(path)
        super().__init__("coco", path, "")
        self.layout = layout = scan_layout(path, TOP_KEYS)
        self.cat_by_id: dict[Any, str] = {}
        self.cats: list[CocoCategory] = []  # the file's own categories (a dataset dict)
        if layout.kind == "empty":
            raise IngestError(f"{path} is empty")
        if layout.kind == "array":
            if categories:
                self.cat_by_id = dict(categories)
            elif classes:
                self.cat_by_id = positional_category_ids(path, classes, self.report)
            else:
                raise IngestError(
                    f"{path} is a COCO results list: its category ids need the categories of "
                    "the ground truth (pass categories=, e.g. coco_category_map(gt_json))"
                )
            self.key: str | None = None
        elif layout.kind == "object":
            if "annotations" not in layout.offsets:
                raise IngestError(
                    f"{path} is a JSON object without an 'annotations' array: not COCO predictions"
                )
            if "categories" in layout.offsets:
                self.cat_by_id, self.cats = read_categories(layout, self.report)
            elif categories:
                self.cat_by_id = dict(categories)
            else:
                raise IngestError(f"{path} has no 'categories': pass categories=")
            self.key = "annotations"
        else:
            raise IngestError(f"{path} is not JSON (expected a COCO results list)")

    def _image_refs(self) -> dict[Any, str] | None:
        """Dataset dicts name images by their own ids: map them to file names."""
        if self.key is None or "images" not in self.layout.offsets:
            return None
        refs: dict[Any, str] = {}
        for img in iter_array(self.layout, "images"):
            if isinstance(img, dict) and isinstance(img.get("file_name"), str) and "id" in img:
                refs.setdefault(img["id"], img["file_name"])
            else:
                self.report.error("coco_bad_image", "image entries without id/file_name", img)
        return refs

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        refs = self._image_refs()
        checks = LabelChecks(
            self.report, keypoint_counts=keypoint_counts(self.cats), predictions=True
        )
        reader = AnnotationReader(
            self.report, self.cat_by_id, image_refs=refs, predictions=True, checks=checks
        )
        yield from reader.run(self.layout, self.key)
        declared = {c.name: c for c in self.cats}
        for name in sorted(set(self.cat_by_id.values())):
            cat = declared.get(name)
            if cat is None:
                self.add_class(name)
            else:
                self.add_class(name, keypoint_names=cat.keypoint_names, skeleton=cat.skeleton)
