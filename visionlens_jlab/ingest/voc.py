"""Pascal VOC XML: a VOC root (Annotations/, JPEGImages/, ImageSets/Main/*.txt, optionally
SegmentationObject/ and SegmentationClass/ PNGs, read by :mod:`.voc_masks`, with
ImageSets/Segmentation/*.txt), FiftyOne's VOC export (labels/ + data/) or a folder of XML
files (:mod:`.voc_layout` finds the parts).

XML is read by tag, never by position (``2010_004175.xml`` in the Padilla toy set has its
``bndbox`` children in the order xmax, xmin, ymax, ymin). Only direct children of
``<object>`` count, so a ``<part>``'s own ``<name>``/``<bndbox>`` is not mistaken for the
object's. Documents with a DTD or entity declarations are rejected before parsing (the
billion-laughs / external-entity family), as ``defusedxml`` would.

Policies: an object without ``name`` or ``bndbox`` or one of its four coordinates, or with a
non-numeric coordinate, is skipped (error, naming the field); ``difficult``/``truncated``/
``occluded`` must be 0/1 or true/false (otherwise a warning, taken as 0, raw text kept in
attributes); ``pose`` and any ``<attributes><attribute><name/><value/>`` pairs are kept as attributes; a
missing or invalid ``<size>`` is read from the image header; a class name that is not one of
the 20 PASCAL VOC classes is accepted but listed (warning), so typos show up. Masks: object
``i`` of the XML gets value ``i`` of its SegmentationObject PNG (an export's RGB instances:
the object of their class whose box overlaps theirs); a mask value without an
object becomes an object of its SegmentationClass class (warning); an image with only a
SegmentationClass PNG gets one object per class present, marked ``"semantic": true``; an
image with segmentation PNGs and no XML gets its objects from the PNGs, boxed by their
extents, its split from ImageSets/Segmentation (then Main).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from ..records.batches import Batch, dumps_or_none
from ..records.report import IngestError
from .base import (
    ANNOTATION_BATCH_ROWS,
    ParsedBase,
    SampleRows,
    add_unannotated_images,
    as_int,
    as_number,
)
from .images import flag_bad_name, image_size, join_location, list_images
from .labelmap import class_values
from .object_rows import ObjectRows
from .prefetch import prefetch
from .voc_layout import default_images, export_labelmap, is_fiftyone_voc, read_splits
from .voc_masks import (
    Mask,
    add_mask_objects,
    has_segmentation,
    mask_stems,
    object_masks,
    read_image_masks,
)
from .xml_text import xml_text

VOC_CLASS_LIST = tuple(
    "aeroplane bicycle bird boat bottle bus car cat chair cow diningtable dog horse motorbike "
    "person pottedplant sheep sofa train tvmonitor".split()
)
"""The PASCAL VOC label map in its canonical order (``voc.names``; class ids index it)."""
VOC_CLASSES = frozenset(VOC_CLASS_LIST)
_FLAGS = ("difficult", "truncated", "occluded")
_BOOL_WORDS = {"true": 1, "false": 0}


def parse_xml_bytes(data: bytes) -> ET.Element:
    """Parse untrusted XML, refusing DTDs and entity declarations (ValueError)."""
    text = xml_text(data).lower()  # UTF-16 too: its markup is not its bytes
    if "<!doctype" in text[:4096] or "<!entity" in text:
        raise ValueError("XML with a DTD or entity declarations is refused")
    return ET.fromstring(data)


class VocDataset(ParsedBase):
    """A VOC root or a folder of VOC XML files as a :class:`~visionlens_jlab.records.parsed.ParsedSource`."""

    def __init__(self, path: str, images_root: str | None = None, split: str | None = None) -> None:
        path = os.path.abspath(path)
        if os.path.isfile(path):
            raise IngestError(f"{path}: give the folder that holds the VOC XML files")
        ann_dir = os.path.join(path, "Annotations")
        self.is_root = os.path.isdir(ann_dir) or has_segmentation(path)
        exported = not self.is_root and is_fiftyone_voc(path)
        self.ann_dir = (
            ann_dir if self.is_root else os.path.join(path, "labels") if exported else path
        )
        if images_root:
            root = images_root if "://" in images_root else os.path.abspath(images_root)
        else:
            root = default_images(path, self.is_root, exported)
        super().__init__("voc", path, root)
        self.split = split
        names = os.listdir(self.ann_dir) if os.path.isdir(self.ann_dir) else []
        self.xml_names = sorted(n for n in names if n.lower().endswith(".xml"))
        self.segmented = self.is_root and has_segmentation(path)
        xml_stems = {os.path.splitext(n)[0] for n in self.xml_names}
        self.mask_only = sorted(mask_stems(path) - xml_stems) if self.segmented else []
        self.labelmap = export_labelmap(path) if self.segmented else None
        # the classes a SegmentationClass value names: the export's labelmap's, else VOC's
        self.mask_classes = class_values(self.labelmap)[0] if self.labelmap else VOC_CLASS_LIST
        if not self.xml_names and not self.mask_only:
            raise IngestError(f"no .xml files in {self.ann_dir}")
        self.splits = read_splits(path) if self.is_root else {}
        self.mask_splits = read_splits(path, "Segmentation") if self.segmented else {}
        available = set(self.splits.values()) | set(self.mask_splits.values())
        if split and available and split not in available:
            raise IngestError(
                f"split {split!r} not found in {path}/ImageSets/Main or Segmentation "
                f"(available: {', '.join(sorted(available))})"
            )

    def categories(self) -> list[tuple[str, str | None, int | None]]:
        """The 20 VOC classes in canonical order when every label is one (so class ids of
        predictions line up with ``voc.names``), else the labels in order of appearance; a
        CVAT / Datumaro export's labelmap classes first, in its order."""
        if self.labelmap is not None:
            others = [c for c in super().categories() if c[0] not in self.mask_classes]
            return [(name, None, None) for name in self.mask_classes] + others
        if self._classes and set(self._classes) <= VOC_CLASSES:
            return [(name, None, None) for name in VOC_CLASS_LIST]
        return super().categories()

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        report = self.report
        samples, boxes = SampleRows(), ObjectRows()
        disk_images = [] if "://" in self.media_root else list_images(self.media_root, report)
        by_stem = {os.path.splitext(n)[0]: n for n in disk_images}
        self._disk_names = set(disk_images)
        if not disk_images and "://" not in self.media_root:
            report.warn(
                "images_not_found",
                "no images found in the images folder; pass "
                "images= (--images) with the folder that holds them",
                self.media_root,
            )
        seen: set[str] = set()
        for xml_name in self.xml_names:
            stem = os.path.splitext(xml_name)[0]
            split = self.splits.get(stem) if self.splits else self.split
            if self.splits and split is None:
                if self.split:
                    continue
                report.warn(
                    "voc_not_in_split_lists",
                    "XML files not listed in ImageSets/Main/*.txt (ingested with no split)",
                    xml_name,
                )
            if self.split and self.splits and split != self.split:
                continue
            seen.add(stem)
            self._one(xml_name, stem, split, by_stem, samples, boxes)
            if len(boxes) >= ANNOTATION_BATCH_ROWS or len(samples) >= ANNOTATION_BATCH_ROWS:
                yield Batch(samples=samples.take(), annotations=boxes.take())
        report.counts["xml_files"] = len(seen)
        for stem in self.mask_only:
            lists = self.mask_splits or self.splits
            split = (self.mask_splits.get(stem) or self.splits.get(stem)) if lists else self.split
            if lists and split is None:
                if self.split:
                    continue
                report.warn(
                    "voc_mask_image_not_in_split_lists",
                    "images with segmentation PNGs and no XML, not listed in "
                    "ImageSets/Segmentation or Main (ingested with no split)",
                    stem,
                )
            if self.split and lists and split != self.split:
                continue
            seen.add(stem)
            self._mask_image(stem, split, by_stem, samples, boxes)
            if len(boxes) >= ANNOTATION_BATCH_ROWS or len(samples) >= ANNOTATION_BATCH_ROWS:
                yield Batch(samples=samples.take(), annotations=boxes.take())
        report.counts["mask_only_images"] = len(seen) - report.counts["xml_files"]
        for kind, lists in (("Main", self.splits), ("Segmentation", self.mask_splits)):
            missing = [s for s in lists if s not in seen and not self.split]
            if missing:
                report.error(
                    "voc_missing_xml",
                    f"ids listed in ImageSets/{kind} have no Annotations/<id>.xml"
                    + (" and no segmentation PNG" if self.segmented else ""),
                    count=len(missing),
                    examples=missing,
                )
        if not self.splits and not self.mask_splits:
            add_unannotated_images(self, samples, by_stem, seen, "an XML file")
        yield Batch(samples=samples.take(), annotations=boxes.take())

    def _mask_image(
        self,
        stem: str,
        split: str | None,
        by_stem: dict[str, str],
        samples: SampleRows,
        boxes: ObjectRows,
    ) -> None:
        """An image with segmentation PNGs and no XML: its objects from the PNGs alone."""
        file_name = by_stem.get(stem) or stem + ".jpg"
        location = join_location(self.media_root, file_name)
        size = image_size(location, self.report)
        if size is None:
            self.report.warn(
                "image_unreadable", "images missing or unreadable (kept without a size)", file_name
            )
        width, height = size or (None, None)
        sample_index = samples.add(file_name, location, width, height, split, stem)
        masks = read_image_masks(self.source, stem, size, self.report, self.labelmap)
        if masks:
            add_mask_objects(self, masks, stem, sample_index, boxes, self.mask_classes,
                             has_xml=False)  # fmt: skip

    def _one(
        self,
        xml_name: str,
        stem: str,
        split: str | None,
        by_stem: dict[str, str],
        samples: SampleRows,
        boxes: ObjectRows,
    ) -> None:
        report = self.report
        try:
            with open(os.path.join(self.ann_dir, xml_name), "rb") as f:
                root = parse_xml_bytes(f.read())
        except (OSError, ET.ParseError, ValueError) as exc:
            report.error(
                "voc_bad_xml", "XML files that could not be read (skipped)", f"{xml_name}: {exc}"
            )
            return
        if root.tag != "annotation":
            report.error(
                "voc_bad_xml",
                "XML files that could not be read (skipped)",
                f"{xml_name}: root element is <{root.tag}>, not <annotation>",
            )
            return
        file_name = (_text(root, "filename") or "").strip()
        if by_stem and file_name not in self._disk_names:
            alt = by_stem.get(stem)
            if alt:
                if file_name:
                    report.warn(
                        "voc_filename_mismatch",
                        "<filename> not found on disk: the image named like the XML file was used",
                        f"{xml_name}: {file_name}",
                    )
                file_name = alt
        if not file_name:
            file_name = stem + ".jpg"
        location = join_location(self.media_root, file_name)
        flag_bad_name(report, file_name, location)
        width = height = None
        size = root.find("size")
        if size is not None:
            width, height = as_int(_text(size, "width")), as_int(_text(size, "height"))
            for key, value in (("width", width), ("height", height)):
                if value is None or value <= 0:
                    report.warn(
                        "voc_bad_size",
                        f"<size>/<{key}> missing or not a positive integer: read from the image",
                        f"{xml_name}: {_text(size, key)!r}",
                    )
        if not width or not height or width <= 0 or height <= 0:
            got = image_size(location, report)
            width, height = got if got else (None, None)
            if got is None:
                report.warn(
                    "voc_size_unknown",
                    "image size unknown (no valid <size>, image unreadable)",
                    xml_name,
                )
        fields = {k: _text(root, k) for k in ("folder", "segmented") if root.find(k) is not None}
        sample_index = samples.add(
            file_name, location, width, height, split, stem, dumps_or_none(fields)
        )
        size_known = (width, height) if width and height else None
        masks = (
            read_image_masks(self.source, stem, size_known, report, self.labelmap)
            if self.segmented
            else None
        )
        objects = root.findall("object")
        claimed = object_masks(masks, objects, self.mask_classes, xml_name, report)
        for i, (obj, mask) in enumerate(zip(objects, claimed, strict=True)):
            self._object(obj, f"{xml_name} object {i + 1}", sample_index, boxes, mask)
        if masks:
            add_mask_objects(self, masks, xml_name, sample_index, boxes, self.mask_classes)

    def _object(
        self,
        obj: ET.Element,
        where: str,
        sample_index: int,
        boxes: ObjectRows,
        mask: Mask | None = None,
    ) -> None:
        report = self.report
        name = (_text(obj, "name") or "").strip()
        if not name:
            report.error("voc_missing_field", "object without <name> skipped", f"{where}: name")
            return
        bnd = obj.find("bndbox")
        if bnd is None:
            report.error(
                "voc_missing_field",
                "object without <bndbox> skipped (not localized)",
                f"{where}: bndbox",
            )
            return
        coords: dict[str, float] = {}
        for key in ("xmin", "ymin", "xmax", "ymax"):
            raw = _text(bnd, key)
            if raw is None:
                report.error(
                    "voc_missing_field",
                    f"object without <bndbox>/<{key}> skipped",
                    f"{where}: {key}",
                )
                return
            value = as_number(raw)
            if value is None:
                report.error(
                    "voc_invalid_field",
                    f"object with a non-numeric <{key}> skipped",
                    f"{where}: {key}={raw!r}",
                )
                return
            coords[key] = value
        w, h = coords["xmax"] - coords["xmin"], coords["ymax"] - coords["ymin"]
        if w < 0 or h < 0:
            report.error("voc_bad_bbox", "object with xmax < xmin or ymax < ymin skipped", where)
            return
        attrs: dict[str, Any] = {}
        flags = {}
        for flag in _FLAGS:
            raw = _text(obj, flag)
            if raw is None:
                continue
            # FiftyOne's exporter writes Python booleans: True / False
            value = _BOOL_WORDS.get(raw.strip().lower(), as_int(raw))
            if value not in (0, 1):
                report.warn(
                    "voc_invalid_field",
                    f"<{flag}> is not 0, 1, true or false: taken as 0 (raw text kept)",
                    f"{where}: {flag}={raw!r}",
                )
                attrs[f"{flag}_raw"] = raw
                value = 0
            flags[flag] = bool(value)
            attrs[flag] = bool(value)
        pose = _text(obj, "pose")
        if pose is not None:
            attrs["pose"] = pose.strip()
        extra = obj.find("attributes")
        if extra is not None:
            for attr in extra.findall("attribute"):
                attr_name = _text(attr, "name")
                if attr_name:
                    attrs[attr_name.strip()] = (_text(attr, "value") or "").strip()
        if name not in VOC_CLASSES:
            report.warn(
                "voc_nonstandard_label",
                "class names that are not PASCAL VOC classes (fine for a custom dataset)",
                name,
            )
        classes = self.mask_classes
        if mask is not None and mask.class_index and mask.class_index <= len(classes):
            if classes[mask.class_index - 1] != name:
                report.warn(
                    "voc_mask_class_mismatch",
                    "objects whose SegmentationClass class differs from the XML name "
                    "(the XML name is kept)",
                    f"{where}: {name} vs {classes[mask.class_index - 1]}",
                )
        self.add_class(name)
        boxes.add(
            sample_index,
            None,
            name,
            coords["xmin"],
            coords["ymin"],
            w,
            h,
            difficult=flags.get("difficult", False),
            attributes=dumps_or_none(attrs),
            segmentation=mask.rle if mask else None,
        )
        if mask is not None:
            boxes.set_labels(mask_area=mask.area)


def _text(el: ET.Element, tag: str) -> str | None:
    child = el.find(tag)
    return None if child is None or child.text is None else child.text
