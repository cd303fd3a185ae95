"""COCO instances JSON (ground truth), streamed: categories, then images, then annotations.

Policies (every one counted in the report, nothing dropped silently):

- ``images``: a missing ``id`` or ``file_name`` (or a wrong type for them) skips the image
  (error), except that an LVIS image without ``file_name`` is named by its ``coco_url``
  (``val2017/000000397133.jpg``, a warning); string ids are accepted with a warning; duplicate ids keep the first image; a
  missing or non-integer width/height is read from the image header when the file exists.
- ``annotations``: an unknown ``image_id`` skips the box (warning, as datumaro now does); an
  undeclared ``category_id``, a missing/invalid ``bbox`` (not 4 numbers, negative size) or a
  wrong-typed ``iscrowd``/``image_id``/``category_id`` skips the box (error). A missing
  ``iscrowd`` defaults to 0, a missing ``id`` is allowed, and an invalid ``segmentation``
  (odd coordinate count, fewer than 3 points, not a list/RLE) is dropped while the box is kept
  (warnings). Polygons and RLE (compressed or not) are kept as JSON, untouched.
- A string ``split`` key on an image sets the sample's split (``split=`` fills the others).
- Extra per-image keys become ``fields``; extra per-annotation keys (and the CVAT-style
  ``attributes`` object, merged) become ``attributes``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from ...media.names import PATH_MAX
from ...records.batches import Batch
from ...records.report import IngestError, IngestReport
from ..base import (
    SAMPLE_BATCH_ROWS,
    ParsedBase,
    SampleRows,
    as_int,
    to_json,
)
from ..images import flag_bad_name, image_size, join_location
from ..prefetch import prefetch
from .annotations import AnnotationReader
from .categories import (
    CocoCategory,
    category_frequency,
    category_keypoints,
    category_sigmas,
    keypoint_counts,
)
from .jsonstream import JsonLayout, iter_array, read_value, scan_layout
from .label_checks import ImageSizes, LabelChecks

TOP_KEYS = ("images", "annotations", "categories")
_IMAGE_KEYS = frozenset({"id", "file_name", "width", "height"})
_COMPONENT = r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,254}"
_PLAIN_NAME = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
"""A relative file name whose location is the root's path, a slash and the name, unchanged
(no ``.``/``..`` component, no backslash, ASCII components of at most 255 bytes): such a name
needs neither ``join_location`` nor ``flag_bad_name`` under a root that passes them itself
(a third of the images' Python time at 100K images)."""


def read_categories(
    layout: JsonLayout, report: IngestReport
) -> tuple[dict[Any, str], list[CocoCategory]]:
    """``{category id: name}`` and the unique categories (by name, first kept), validated."""
    raw = read_value(layout, "categories") if "categories" in layout.offsets else None
    by_id: dict[Any, str] = {}
    ordered: dict[str, CocoCategory] = {}
    if raw is None:
        return by_id, []
    if not isinstance(raw, list):
        report.error("coco_bad_categories", "'categories' is not an array", type(raw).__name__)
        return by_id, []
    for cat in raw:
        if not isinstance(cat, dict):
            report.error("coco_bad_category", "a category is not an object", cat)
            continue
        cid, name = cat.get("id"), cat.get("name")
        if "id" not in cat or "name" not in cat:
            missing = "id" if "id" not in cat else "name"
            report.error("coco_bad_category", f"a category has no '{missing}' and was skipped", cat)
            continue
        if cid.__class__ is not int or not isinstance(name, str) or not name:
            report.error(
                "coco_bad_category",
                "a category's 'id' must be an integer and its 'name' a non-empty string",
                cat,
            )
            continue
        if cid in by_id:
            report.warn("coco_duplicate_category_id", "duplicate category id: first kept", cid)
            continue
        if name in ordered:
            report.warn(
                "coco_duplicate_category_name",
                "two category ids share a name: classes are matched by name, so they merge",
                name,
            )
        by_id[cid] = name
        if name not in ordered:
            sc = cat.get("supercategory")
            names, skeleton = category_keypoints(cat, report)
            sigmas = category_sigmas(cat, names, report)
            ordered[name] = CocoCategory(
                name,
                sc if isinstance(sc, str) and sc else None,
                cid,
                names,
                skeleton,
                sigmas,
                category_frequency(cat, report),
            )
    return by_id, list(ordered.values())


def coco_category_map(path: str) -> dict[int, str]:
    """``{category id: name}`` of a COCO file (to map a bare results list to class names)."""
    layout = scan_layout(path, ("categories",))
    if layout.kind != "object" or "categories" not in layout.offsets:
        raise IngestError(f"{path} has no COCO 'categories' array")
    by_id, _ = read_categories(layout, IngestReport())
    return {int(k): v for k, v in by_id.items()}


class CocoDataset(ParsedBase):
    """A COCO instances file as a :class:`~visionlens_jlab.records.parsed.ParsedSource`."""

    json_checked = True  # the SQL path's JSON columns come from DuckDB or orjson

    def __init__(self, path: str, images_root: str | None = None, split: str | None = None) -> None:
        self.path = os.path.abspath(path)
        self.layout = scan_layout(self.path, TOP_KEYS)
        _check_dataset_layout(self.layout)
        self._explicit_root = images_root
        super().__init__("coco", path, images_root or os.path.dirname(self.path))
        self.split = split

    # ----------------------------------------------------------------------- images
    def _choose_root(self, first_file: str | None) -> str:
        if self._explicit_root:
            return (
                self._explicit_root
                if "://" in self._explicit_root
                else os.path.abspath(self._explicit_root)
            )
        here = os.path.dirname(self.path)
        if first_file and os.path.isabs(first_file):
            # Absolute file names: only their folder is served (pass images= to widen it).
            return os.path.dirname(os.path.normpath(first_file))
        candidates = [here, os.path.join(here, "images"), os.path.join(here, "..", "images")]
        candidates += [os.path.join(here, "..", "..", "images"), os.path.join(here, "..")]
        # LVIS beside COCO: lvis/lvis_v1_val.json and coco/val2017/ (detectron2, mmdetection)
        candidates += [os.path.join(here, "..", "coco"), os.path.join(here, "..", "..", "coco")]
        # COCO's own layout: annotations/instances_val2017.json beside val2017/, or
        # images/val2017/ as datumaro and CVAT write it
        stem = os.path.splitext(os.path.basename(self.path))[0]
        if "_" in stem:
            subset = stem.rsplit("_", 1)[1]
            candidates += [os.path.join(here, "..", subset)]
            candidates += [os.path.join(here, "..", "images", subset)]
        if first_file:
            for root in candidates:
                if os.path.exists(join_location(root, first_file)):
                    return os.path.normpath(root)
        return here

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        report = self.report
        cat_by_id, cats = read_categories(self.layout, report)
        for cat in cats:
            self.add_class(
                cat.name,
                cat.supercategory,
                cat.source_id,
                keypoint_names=cat.keypoint_names,
                skeleton=cat.skeleton,
                keypoint_sigmas=cat.sigmas,
                frequency=cat.frequency,
            )
        images = self._images()
        yield from images
        yield from self._annotations(cat_by_id, cats)

    def _images(self) -> Iterator[Batch]:
        report = self.report
        self.img_index: dict[Any, int] = {}
        self._sizes = ImageSizes()
        rows = SampleRows()
        root: str | None = None
        root_prefix = ""
        plain_room = 0  # longest plain name (_PLAIN_NAME) whose location is the root's + name
        checked = missing = 0
        if self.layout.first_chars.get("images") != "[":
            raise IngestError(f"{self.source}: 'images' is not an array")
        for img in iter_array(self.layout, "images"):
            if not isinstance(img, dict):
                report.error("coco_bad_image", "an image entry is not an object", img)
                continue
            iid, fname = img.get("id"), img.get("file_name")
            from_url = fname is None and isinstance(img.get("coco_url"), str)
            if from_url:
                fname = url_file_name(img["coco_url"])
                report.warn(
                    "coco_file_name_from_url",
                    "image without 'file_name' (an LVIS file): named by its 'coco_url' as "
                    "<split folder>/<name> under the images folder (pass images= / --images "
                    "with the COCO folder that holds train2017/ and val2017/)",
                    fname,
                )
            if iid is None or fname is None:
                field = "id" if iid is None else "file_name"
                report.error("coco_bad_image", f"image without '{field}' skipped", img)
                continue
            if not isinstance(fname, str) or not fname:
                report.error(
                    "coco_bad_image", "image 'file_name' is not a string: image skipped", img
                )
                continue
            if iid.__class__ is not int:
                if not isinstance(iid, str):
                    report.error(
                        "coco_bad_image", "image 'id' is not an integer: image skipped", img
                    )
                    continue
                report.warn(
                    "coco_image_id_not_int",
                    "image 'id' is a string, not an integer (kept; ids are matched as given)",
                    iid,
                )
            if iid in self.img_index:
                report.warn("coco_duplicate_image_id", "duplicate image id: first kept", iid)
                continue
            if root is None:
                root = self._choose_root(fname)
                self.media_root = root
                root_prefix = root.rstrip("/") + "/"
                plain_room = _plain_room(root, root_prefix)
            if from_url and fname.split("/")[0] == os.path.basename(root.rstrip("/")):
                fname = fname.split("/", 1)[1]  # the images folder named is the split's own
            if len(fname) <= plain_room and _PLAIN_NAME.fullmatch(fname):
                location = root_prefix + fname
            else:
                location = join_location(root, fname)
                flag_bad_name(report, fname, location)
            if fname[0] == "/" and "://" not in root and not location.startswith(root_prefix):
                report.warn(
                    "image_outside_media_root",
                    f"absolute file_name outside the images folder {root}: it will not be "
                    "served; pass images= (--images) with a folder that holds every image",
                    fname,
                )
            if checked < 20 and "://" not in location:  # a cheap sample, not 100K stats
                checked += 1
                missing += not os.path.exists(location)
            width, height = as_int(img.get("width")), as_int(img.get("height"))
            if width is None or height is None or width <= 0 or height <= 0:
                size = image_size(location, report)
                if size is None:
                    report.warn(
                        "coco_image_size_missing",
                        "image width/height missing or invalid and the image is unreadable",
                        fname,
                    )
                    width = height = None
                else:
                    report.warn(
                        "coco_image_size_from_file",
                        "image width/height missing or invalid: read from the image header",
                        fname,
                    )
                    width, height = size
            extra = {k: v for k, v in img.items() if k not in _IMAGE_KEYS}
            split = extra.pop("split", None)  # a per-image split key (not COCO, but common)
            if not isinstance(split, str) or not split:
                if split is not None:
                    extra["split"] = split
                split = self.split
            self.img_index[iid] = rows.add(
                fname,
                location,
                width,
                height,
                split,
                str(iid),
                to_json(extra) if extra else None,
            )
            self._sizes.add(width, height)
            if len(rows) >= SAMPLE_BATCH_ROWS:
                yield Batch(samples=rows.take())
        if missing:
            report.warn(
                "images_not_found",
                f"{missing} of the first {checked} images were not found under "
                f"{root}; pass images= (--images) with the folder that holds them",
                root,
            )
        report.counts["images"] = len(self.img_index)
        table = rows.take()
        if table is not None:
            yield Batch(samples=table)

    # ------------------------------------------------------------------ annotations
    def _annotations(self, cat_by_id: dict[Any, str], cats: list[CocoCategory]) -> Iterator[Batch]:
        if "annotations" not in self.layout.offsets:
            self.report.warn(
                "coco_no_annotations", "the file has no 'annotations' array: images only"
            )
            return
        if self.layout.first_chars.get("annotations") != "[":
            raise IngestError(f"{self.source}: 'annotations' is not an array")
        checks = LabelChecks(
            self.report,
            keypoint_counts=keypoint_counts(cats),
            image_sizes=self._sizes,
        )
        reader = AnnotationReader(self.report, cat_by_id, image_index=self.img_index, checks=checks)
        yield from reader.run(self.layout, "annotations")


def url_file_name(url: str) -> str | None:
    """An LVIS image's file name from its ``coco_url``: the URL path's last two parts, the
    COCO split folder and the name (``http://images.cocodataset.org/val2017/000000397133.jpg``:
    ``val2017/000000397133.jpg``; LVIS v1 val holds images of both train2017 and val2017,
    so the folder is needed); None when the URL has no name."""
    parts = [p for p in urlsplit(url).path.split("/") if p not in ("", ".", "..")]
    return "/".join(parts[-2:]) or None


def _plain_room(root: str, prefix: str) -> int:
    """The longest plain file name (:data:`_PLAIN_NAME`) whose location ``join_location`` gives
    as ``prefix`` + the name, and which ``flag_bad_name`` passes: 0 (no name) under a remote or
    unnormalised root, or one no file system can hold."""
    if "://" in root or join_location(root, "a/b") != prefix + "a/b":
        return 0
    report = IngestReport()
    flag_bad_name(report, prefix, prefix + "x")
    if report.warnings:
        return 0
    return PATH_MAX - len(os.fsencode(prefix))


def _check_dataset_layout(layout: JsonLayout) -> None:
    if layout.kind == "empty":
        raise IngestError(f"{layout.path} is empty")
    if layout.kind == "array":
        raise IngestError(
            f"{layout.path} is a JSON array: that is a COCO results (predictions) file, not a "
            "dataset. Ingest the ground truth, then add this file as predictions."
        )
    if layout.kind != "object":
        raise IngestError(f"{layout.path} is not a JSON object (not a COCO file)")
    if "images" not in layout.offsets:
        raise IngestError(
            f"{layout.path} has no top-level 'images' array: not a COCO instances file "
            f"(found keys: {', '.join(sorted(layout.offsets)) or 'none of images/annotations/categories'})"
        )
    if "categories" not in layout.offsets and "annotations" in layout.offsets:
        raise IngestError(
            f"{layout.path} has annotations but no top-level 'categories' array, so no box "
            "can be given a class name"
        )
