"""CVAT for images 1.1 XML: CVAT's own export (``annotations.xml`` beside ``images/``) and
datumaro's ``cvat`` format, streamed element by element.

Each ``<image>`` (``name``, ``width``, ``height``, ``subset`` as the split) is a sample; its
labels:

- ``<box>``: the box (``xtl ytl xbr ybr``; a ``rotation`` is kept as an attribute);
- ``<polygon>``: a mask as a COCO polygon, boxed by its extent, its shoelace area;
- ``<mask>``: CVAT's run lengths over the mask's own box (row by row, background first),
  stored as COCO RLE over the image with its pixel area;
- ``<points>``: the points as keypoints (all visible); ``<skeleton>``: its named points as
  keypoints in the order the label's points are declared in ``<meta>`` (``outside``: not
  labelled, ``occluded``: labelled but not visible), boxed by the labelled ones;
- ``<polyline>``: its points as the object's polyline, boxed by their extent;
- ``<tag>``: an image-level label.

``occluded``, ``z_order``, ``group_id``, ``source`` and the ``<attribute>`` children become the
object's attributes. Ellipses and cuboids are counted in the report and skipped, as
are shapes with an unreadable coordinate. A file of tracks (CVAT for video) is read by
:mod:`.cvat_video`; a track met here, in a file that also has images, is counted and skipped.
Documents with a
DTD are refused before parsing (the billion-laughs / external-entity family).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from ..records.batches import Batch, dumps_or_none
from ..records.report import IngestError
from .base import ANNOTATION_BATCH_ROWS, ParsedBase, SampleRows, as_int, as_number
from .images import flag_bad_name, image_size, join_location
from .object_rows import ObjectRows, classification_rows, polygon_areas
from .prefetch import prefetch
from .xml_text import encoding_hint, xml_text

ROOT_TAG = "<annotations"
SKIPPED_SHAPES = ("ellipse", "cuboid")
_SHAPES = ("box", "polygon", "polyline", "mask", "points", "skeleton", *SKIPPED_SHAPES)
_FLAGS = ("occluded", "z_order", "group_id", "source", "rotation")


def is_cvat_xml(path: str) -> bool:
    """Whether ``path`` is an XML file whose root element is CVAT's ``<annotations>``."""
    try:
        with open(path, "rb") as f:
            # a byte-order mark (Windows editors write one) before the declaration, UTF-16
            head = xml_text(f.read(4096))
    except OSError:
        return False
    start = head.find("<", head.find("?>") + 1 if head.startswith("<?xml") else 0)
    while head.startswith("<!--", start):  # comments before the root
        start = head.find("<", head.find("-->", start) + 3)
    return start >= 0 and head.startswith(ROOT_TAG, start)


def cvat_file(path: str) -> str | None:
    """The CVAT XML of a folder (CVAT's export: one ``annotations.xml``), else None."""
    try:
        xmls = [e for e in os.listdir(path) if e.lower().endswith(".xml")]
    except OSError:
        return None
    if len(xmls) == 1 and is_cvat_xml(os.path.join(path, xmls[0])):
        return os.path.join(path, xmls[0])
    return None


def cvat_xml_path(path: str, what: str) -> str:
    """The CVAT XML file ``path`` names (a folder: its ``annotations.xml`` or only XML),
    absolute; refused: a folder without one, and XML with a DTD (entity expansion)."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        found = cvat_file(path)
        if found is None:
            raise IngestError(f"{path} holds no {what} (annotations.xml)")
        path = found
    with open(path, "rb") as f:
        if "<!doctype" in xml_text(f.read(1 << 16)).lower():  # before its root, if at all
            raise IngestError(f"{path}: XML with a DTD is refused")
    return path


def task_meta(path: str) -> tuple[dict[str, str], list[str]]:
    """A CVAT for video file's task: its own ``name``, ``source`` and frames
    (``start_frame``, ``stop_frame``, ``frame_filter``) from ``<meta><task>``, CVAT 2.x's
    job export's ``<meta><job>`` (which has no name: a label's ``<name>`` is no task's) or
    a project export's only task; and the names of a project export's tasks
    (``<meta><project><tasks>``)."""
    meta = None
    with open(path, "rb") as f:
        for _event, el in ET.iterparse(f, events=("end",)):
            if el.tag == "meta":
                meta = el
            if el.tag in ("meta", "track", "tag"):
                break
    if meta is None:
        return {}, []
    tasks = meta.findall("project/tasks/task")
    names = [(t.findtext("name") or t.findtext("id") or "").strip() for t in tasks]
    owners = [meta.find("task"), meta.find("job"), *tasks[:1]]
    owner = next((o for o in owners if o is not None), meta)
    keys = ("name", "source", "start_frame", "stop_frame", "frame_filter")
    found = {k: (owner.findtext(k) or meta.findtext(k) or "").strip() for k in keys}
    return {k: v for k, v in found.items() if v}, names


class CvatDataset(ParsedBase):
    """A CVAT for images XML file as a :class:`~visionlens_jlab.records.parsed.ParsedSource`."""

    def __init__(self, path: str, images_root: str | None = None, split: str | None = None) -> None:
        path = cvat_xml_path(path, "CVAT for images XML")
        if not is_cvat_xml(path):
            raise IngestError(f"{path} is not CVAT for images XML (no <annotations> root)")
        here = os.path.dirname(path)
        beside = os.path.join(here, "images")
        root = images_root or (beside if os.path.isdir(beside) else here)
        super().__init__("cvat", path, root if "://" in root else os.path.abspath(root))
        self.split = split
        self.points_of: dict[str, list[str]] = {}  # skeleton label -> its point names

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        samples, objects, tags = SampleRows(), ObjectRows(), classification_rows()
        index: int | None = None
        size: tuple[int, int] | None = None
        shape: ET.Element | None = None  # the shape being read: its inner points are its own
        for event, el in self._elements():
            if event == "start":
                if el.tag == "image":
                    index, size = self._image(el, samples)
                elif shape is None and index is not None and el.tag in (*_SHAPES, "tag"):
                    shape = el
                continue
            if el.tag == "label" and index is None and el.find("name") is not None:
                self._declare(el)
            elif el is shape:
                shape = None
                if el.tag == "tag":
                    self._tag(el, index, tags)
                elif el.tag in SKIPPED_SHAPES:
                    self.report.warn(
                        "cvat_shape_skipped",
                        "ellipses and cuboids (not stored: no label type holds them)",
                        el.tag,
                    )
                else:
                    self._shape(el, index, size, objects)
            elif el.tag == "track":  # CVAT for video: shapes per frame, no <image>
                self.report.warn(
                    "cvat_track_skipped",
                    "tracks (CVAT for video) are not read: export the task as CVAT for images",
                    el.get("label"),
                )
                el.clear()
            elif el.tag == "image":
                index = None
                el.clear()
                if len(objects) >= ANNOTATION_BATCH_ROWS or len(samples) >= ANNOTATION_BATCH_ROWS:
                    yield Batch(
                        samples=samples.take(),
                        annotations=objects.take(),
                        classifications=tags.take(),
                    )
        self.report.counts["images"] = samples.next_index
        yield Batch(samples=samples.take(), annotations=objects.take(), classifications=tags.take())

    def _elements(self) -> Iterator[tuple[str, ET.Element]]:
        with open(self.source, "rb") as f:
            try:
                yield from ET.iterparse(f, events=("start", "end"))
            except ET.ParseError as exc:
                raise IngestError(
                    f"{self.source} is not well-formed XML: {exc}{encoding_hint(self.source)}"
                ) from exc

    def _declare(self, label: ET.Element) -> None:
        """A ``<meta>`` label: a class, or a point of a skeleton (``<parent>``)."""
        name = (label.findtext("name") or "").strip()
        parent = (label.findtext("parent") or "").strip()
        if parent:
            self.points_of.setdefault(parent, []).append(name)
        elif name:
            self.add_class(name)

    def _image(
        self, el: ET.Element, samples: SampleRows
    ) -> tuple[int | None, tuple[int, int] | None]:
        name = el.get("name")
        if not name:
            self.report.error(
                "cvat_bad_image", "images without a name (skipped with their shapes)", el.attrib
            )
            return None, None
        location = join_location(self.media_root, name)
        flag_bad_name(self.report, name, location)
        width, height = as_int(el.get("width")), as_int(el.get("height"))
        if not width or not height or width <= 0 or height <= 0:
            found = image_size(location, self.report)
            width, height = found if found else (None, None)
            self.report.warn(
                "cvat_image_size_missing",
                "images without a width and height (read from the file where it was found)",
                name,
            )
        split = el.get("subset") or self.split
        index = samples.add(name, location, width, height, split, el.get("id"))
        return index, (width, height) if width and height else None

    def _shape(
        self, el: ET.Element, index: int | None, size: tuple[int, int] | None, rows: ObjectRows
    ) -> None:
        label = el.get("label")
        if not label:
            self.report.error("cvat_bad_shape", "shapes without a label (skipped)", el.tag)
            return
        self.add_class(label)
        attributes: dict[str, Any] = {k: el.get(k) for k in _FLAGS if el.get(k) is not None}
        for child in el.findall("attribute"):
            attributes[child.get("name") or ""] = child.text or ""
        try:
            shape = read_shape(el, size, self.points_of.get(label))
        except (ValueError, TypeError, KeyError) as exc:
            self.report.error(
                "cvat_bad_shape", "shapes with unreadable coordinates (skipped)", f"{el.tag}: {exc}"
            )
            return
        x, y, w, h, segmentation, area, keypoints = shape
        if el.tag == "polyline":  # its points: the extent is the box, a line has no area
            rows.add(index, None, label, x, y, w, h, attributes=dumps_or_none(attributes))
            rows.set_labels(polyline=keypoints)
            return
        rows.add(
            index, None, label, x, y, w, h,
            iscrowd=False, area=area,
            segmentation=dumps_or_none(segmentation),
            attributes=dumps_or_none(attributes),
        )  # fmt: skip
        if segmentation is not None:
            rows.set_labels(mask_area=area)
        if keypoints is not None:
            labelled = sum(1 for v in keypoints[2::3] if v > 0)
            rows.set_labels(keypoints=keypoints, num_keypoints=labelled)

    def _tag(self, el: ET.Element, index: int | None, tags: Any) -> None:
        label = el.get("label")
        if not label:
            self.report.error("cvat_bad_tag", "tags without a label (skipped)", el.attrib)
            return
        self.add_class(label)
        tags.append(sample_index=index, label=label)


Shape = tuple[float, float, float, float, Any, float | None, list[float] | None]


def read_shape(el: ET.Element, size: tuple[int, int] | None, names: list[str] | None) -> Shape:
    """``(x, y, w, h, COCO segmentation, area, keypoints)`` of a shape element (a polyline's
    flat ``[x1, y1, ...]`` in the keypoints' place)."""
    if el.tag == "box":
        x1, y1, x2, y2 = (_number(el.get(k)) for k in ("xtl", "ytl", "xbr", "ybr"))
        return x1, y1, x2 - x1, y2 - y1, None, (x2 - x1) * (y2 - y1), None
    if el.tag == "polygon":
        flat = _points(el.get("points"))
        if len(flat) < 6:
            raise ValueError("a polygon needs 3 points")
        xs, ys = flat[0::2], flat[1::2]
        area = float(polygon_areas([np.asarray(flat)])[0])
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys), [flat], area, None
    if el.tag == "mask":
        return _mask(el, size)
    if el.tag == "polyline":  # its flat points in the last place
        flat = _points(el.get("points"))
        if len(flat) < 4:
            raise ValueError("a polyline needs 2 points")
        xs, ys = flat[0::2], flat[1::2]
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys), None, None, flat
    if el.tag == "points":
        flat = _points(el.get("points"))
        keypoints = [v for x, y in zip(flat[0::2], flat[1::2], strict=True) for v in (x, y, 2.0)]
        return (*_extent(keypoints), None, None, keypoints)
    points = {p.get("label") or "": p for p in el.findall("points")}  # a skeleton
    order = names or list(points)
    keypoints = []
    for name in order:
        point = points.get(name)
        if point is None or point.get("outside") == "1":
            keypoints += [0.0, 0.0, 0.0]
            continue
        x, y = _points(point.get("points"))[:2]
        keypoints += [x, y, 1.0 if point.get("occluded") == "1" else 2.0]
    return (*_extent(keypoints), None, None, keypoints)


def _mask(el: ET.Element, size: tuple[int, int] | None) -> Shape:
    if size is None:
        raise ValueError("a mask needs the image's width and height")
    left, top, width, height = (int(_number(el.get(k))) for k in ("left", "top", "width", "height"))
    runs = [int(c) for c in (el.get("rle") or "").split(",")]
    if sum(runs) != width * height or min(runs, default=0) < 0:
        raise ValueError(f"mask runs cover {sum(runs)} pixels, not {width}x{height}")
    values = np.arange(len(runs)) % 2  # background first
    box = np.repeat(values.astype(np.uint8), runs).reshape(height, width)
    canvas = np.zeros((size[1], size[0]), np.uint8, order="F")
    canvas[top : top + height, left : left + width] = box[: size[1] - top, : size[0] - left]
    rle = mask_utils.encode(canvas)
    rle["counts"] = rle["counts"].decode()
    area = float(mask_utils.area(rle))
    x, y, w, h = (float(v) for v in mask_utils.toBbox(rle))
    return x, y, w, h, rle, area, None


def _extent(keypoints: list[float]) -> tuple[float, float, float, float]:
    labelled = [(x, y) for x, y, v in zip(*[iter(keypoints)] * 3, strict=True) if v > 0]
    if not labelled:
        return 0.0, 0.0, 0.0, 0.0
    xs, ys = [p[0] for p in labelled], [p[1] for p in labelled]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _points(text: str | None) -> list[float]:
    """``"x1,y1;x2,y2"`` as ``[x1, y1, x2, y2]``."""
    if not text:
        raise ValueError("no points")
    return [_number(v) for pair in text.split(";") for v in pair.split(",")]


def _number(text: str | None) -> float:
    value = as_number(text)
    if value is None:
        raise ValueError(f"not a number: {text!r}")
    return value
