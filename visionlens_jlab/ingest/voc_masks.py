"""VOC segmentation PNGs: ``SegmentationObject/<id>.png`` (instances) and
``SegmentationClass/<id>.png`` (classes), palette PNGs whose pixel values are indices.

VOC's convention: in SegmentationObject, value ``i`` is the ``i``-th ``<object>`` of the XML
(1-based); in SegmentationClass, value ``c`` is the ``c``-th class of the VOC label map; 0 is
background and 255 the void border around objects (part of no mask). An instance's class is
the SegmentationClass value under most of its pixels. Masks are stored as COCO compressed
RLE (``pycocotools.mask.encode`` on a Fortran-ordered uint8 array), with their pixel area
and bounding box (the box of an object without an XML).

A CVAT / Datumaro export (a ``labelmap.txt`` beside the folders) paints its PNGs in RGB:
SegmentationClass in the labelmap's colours, SegmentationObject in one colour an instance
(:mod:`.voc_instances`), matched to its XML's objects by class and box, not by order.

An image with segmentation PNGs but no XML (segmentation-only trees, listed in
``ImageSets/Segmentation``) gets its objects from the PNGs alone: one per instance of its
SegmentationObject PNG, else one per class of its SegmentationClass PNG (semantic).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, UnidentifiedImageError
from pycocotools import mask as mask_utils

from ..records.batches import dumps_or_none
from ..records.report import IngestReport
from .base import ParsedBase
from .labelmap import LABELMAP_FILE, VOID_COLOR, Labelmap, class_values, color_positions
from .object_rows import ObjectRows
from .voc_instances import (
    MIN_IOU,
    Color,
    drop_classless,
    instance_index,
    match_instances,
    xml_box,
)

OBJECT_DIR, CLASS_DIR = "SegmentationObject", "SegmentationClass"
VOID = 255


@dataclass
class Mask:
    """One mask: COCO RLE JSON text, pixel area, box ``(x, y, w, h)`` and the VOC class
    index it covers most (None when no SegmentationClass PNG says)."""

    rle: str
    area: float
    box: tuple[float, float, float, float]
    class_index: int | None


@dataclass
class ImageMasks:
    """The masks of one image: instances by their index, or per-class semantic masks;
    ``colors``: each instance's colour in an RGB SegmentationObject PNG (empty for a
    palette PNG, whose values are the XML's object positions)."""

    instances: dict[int, Mask]
    semantic: list[Mask]
    colors: dict[int, Color] = field(default_factory=dict)


def has_segmentation(root: str) -> bool:
    """Whether a VOC root holds segmentation PNG folders."""
    return any(os.path.isdir(os.path.join(root, d)) for d in (OBJECT_DIR, CLASS_DIR))


def mask_stems(root: str) -> set[str]:
    """The ids of the images that have a SegmentationObject or SegmentationClass PNG."""
    stems: set[str] = set()
    for folder in (OBJECT_DIR, CLASS_DIR):
        try:
            names = os.listdir(os.path.join(root, folder))
        except OSError:
            continue
        stems.update(n[:-4] for n in names if n.lower().endswith(".png"))
    return stems


def read_image_masks(
    root: str,
    stem: str,
    size: tuple[int, int] | None,
    report: IngestReport,
    labelmap: Labelmap | None = None,
) -> ImageMasks | None:
    """The masks of image ``stem`` of the VOC root ``root`` (image ``size`` = width, height),
    or None when it has no segmentation PNG or one that cannot be used (reported). With the
    root's ``labelmap`` (a CVAT / Datumaro export), SegmentationClass PNGs hold its
    positions, or are RGB PNGs painted in its colours, both read as VOC's class values
    (:func:`.labelmap.class_values`); RGB SegmentationObject PNGs hold one colour an
    instance (:func:`.voc_instances.instance_index`, kept in ``colors``)."""
    object_png = os.path.join(root, OBJECT_DIR, stem + ".png")
    objects = _read_png(object_png, size, report, labelmap, instances=True)
    classes = _read_png(os.path.join(root, CLASS_DIR, stem + ".png"), size, report, labelmap)
    colors: tuple[Color, ...] = ()
    if objects is not None and objects.ndim == 3:  # an export's RGB instances
        name = f"{OBJECT_DIR}/{stem}.png"
        indexed = instance_index(objects, name, report)
        objects, colors = indexed if indexed else (None, ())
        if objects is not None and classes is not None and objects.shape == classes.shape:
            drop_classless(objects, classes, colors, name, report)
    if objects is None and classes is None:
        return None
    if objects is not None and classes is not None and objects.shape != classes.shape:
        report.error(
            "voc_mask_size_mismatch",
            "segmentation PNGs whose size disagrees with the image (masks skipped)",
            f"{stem}: {OBJECT_DIR} {objects.shape[::-1]} vs {CLASS_DIR} {classes.shape[::-1]}",
        )
        return None
    if objects is not None:
        instances = _masks(objects, classes)
        return ImageMasks(instances, [], {v: colors[v - 1] for v in instances if colors})
    assert classes is not None
    return ImageMasks({}, list(_masks(classes, classes).values()))


def object_masks(
    masks: ImageMasks | None,
    objects: list[ET.Element],
    classes: tuple[str, ...],
    where: str,
    report: IngestReport,
) -> list[Mask | None]:
    """The mask of each XML object of an image, taken out of ``masks``: a palette PNG's
    value ``i`` is object ``i``; an RGB PNG's instances are matched by class and box
    (:func:`.voc_instances.match_instances`), those no object claims reported."""
    if masks is None:
        return [None] * len(objects)
    if not masks.colors:
        return [masks.instances.pop(i + 1, None) for i in range(len(objects))]
    named = {
        value: (_class_name(mask.class_index, classes), mask.box)
        for value, mask in masks.instances.items()
    }
    matched = match_instances(named, [xml_box(obj) for obj in objects])
    out = [masks.instances.pop(matched[i]) if i in matched else None for i in range(len(objects))]
    unmatched = [
        f"{where}: instance {','.join(map(str, masks.colors[v]))} ({named[v][0] or 'no class'})"
        for v in sorted(masks.instances)
    ]
    if unmatched:
        report.warn(
            "voc_instance_without_object",
            "SegmentationObject instances matched to no XML object (none of their class "
            f"left whose box overlaps theirs by IoU {MIN_IOU}; kept as objects of their own, "
            "boxed by their pixels)",
            count=len(unmatched),
            examples=unmatched,
        )
    return out


def _class_name(index: int | None, classes: tuple[str, ...]) -> str | None:
    return classes[index - 1] if index is not None and 1 <= index <= len(classes) else None


def add_mask_objects(
    parsed: ParsedBase,
    masks: ImageMasks,
    where: str,
    sample_index: int,
    rows: ObjectRows,
    class_list: tuple[str, ...],
    *,
    has_xml: bool = True,
) -> None:
    """Objects for the masks no XML object claimed: instance values beyond the XML's objects
    (reported; every instance of an image ``where`` without an XML), and the per-class masks
    of a semantic-only image (``"semantic": true``)."""
    extra = [
        (mask, {"instance": value} | _color(masks.colors.get(value)))
        for value, mask in sorted(masks.instances.items())
    ]
    # an RGB PNG's unclaimed instances are reported by object_masks, which matched them
    for _, attributes in extra if has_xml and not masks.colors else []:
        parsed.report.warn(
            "voc_mask_without_object",
            "SegmentationObject values with no XML object (kept with their class's name)",
            f"{where}: value {attributes['instance']}",
        )
    semantic: list[tuple[Mask, dict]] = [(mask, {"semantic": True}) for mask in masks.semantic]
    for mask, attributes in extra + semantic:
        index = mask.class_index
        if index is not None and 1 <= index <= len(class_list):
            name = class_list[index - 1]
        elif index is None:
            name = "object"
            parsed.report.warn(
                "voc_mask_without_class",
                "instance masks with no SegmentationClass PNG to give their class (named 'object')",
                f"{where}: value {attributes.get('instance')}",
            )
        else:
            name = f"class_{index}"
            parsed.report.warn(
                "voc_unknown_mask_class",
                "segmentation values that are not one of the VOC classes (named class_<value>)",
                f"{where}: {index}",
            )
        parsed.add_class(name)
        rows.add(
            sample_index,
            None,
            name,
            *mask.box,
            segmentation=mask.rle,
            attributes=dumps_or_none(attributes),
        )
        rows.set_labels(mask_area=mask.area)


def _color(color: Color | None) -> dict[str, str]:
    return {"color": ",".join(map(str, color))} if color else {}


def _read_png(
    path: str,
    size: tuple[int, int] | None,
    report: IngestReport,
    labelmap: Labelmap | None = None,
    *,
    instances: bool = False,
) -> np.ndarray | None:
    if not os.path.isfile(path):
        return None
    name = os.path.join(os.path.basename(os.path.dirname(path)), os.path.basename(path))
    try:
        with Image.open(path) as img:
            if img.format != "PNG":
                # a JPEG renamed .png: its smeared edges would be read as other instances
                report.error(
                    "voc_mask_not_png",
                    "segmentation files that are not PNGs whatever their name (a JPEG's "
                    "compression changes the values along every edge; masks skipped: save "
                    "them as PNG from their source)",
                    f"{name}: {img.format}",
                )
                return None
            if labelmap is not None and img.mode == "RGB":
                if instances:  # each instance its own colour: read by voc_instances
                    return _sized(np.asarray(img, dtype=np.uint8), name, size, report)
                return _painted(np.asarray(img, dtype=np.uint8), name, size, labelmap, report)
            if img.mode not in ("P", "L"):
                report.error(
                    "voc_mask_not_indexed",
                    "segmentation PNGs that are not palette or greyscale index images "
                    "(masks skipped)",
                    f"{name}: mode {img.mode}",
                )
                return None
            pixels = np.asarray(img, dtype=np.uint8)
            if labelmap is not None and not instances:  # a class PNG's labelmap positions
                pixels = class_values(labelmap)[1][pixels]
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
        report.error("voc_bad_mask", "segmentation PNGs that could not be read", f"{name}: {exc}")
        return None
    return _sized(pixels, name, size, report)


def _sized(
    pixels: np.ndarray, name: str, size: tuple[int, int] | None, report: IngestReport
) -> np.ndarray | None:
    """``pixels``, or None (reported) where their size is not the image's."""
    if size is not None and pixels.shape[:2] != (size[1], size[0]):
        report.error(
            "voc_mask_size_mismatch",
            "segmentation PNGs whose size disagrees with the image (masks skipped)",
            f"{name}: {pixels.shape[1]}x{pixels.shape[0]}, image {size[0]}x{size[1]}",
        )
        return None
    return pixels


def _painted(
    rgb: np.ndarray, name: str, size: tuple[int, int] | None, labelmap: Labelmap,
    report: IngestReport,
) -> np.ndarray | None:  # fmt: skip
    """An RGB SegmentationClass PNG painted in ``labelmap``'s colours (CVAT's export) as
    VOC's class values; None (reported) for a colour the labelmap does not give, whose
    pixels would otherwise be lost or taken for another class."""
    if _sized(rgb, name, size, report) is None:
        return None
    # VOC's void border colour is void where no label has it, as the semantic ingest reads it
    void = len(labelmap.colors) if VOID_COLOR not in labelmap.colors else None
    colors = labelmap.colors if void is None else (*labelmap.colors, VOID_COLOR)
    positions, unknown = color_positions(rgb, colors)
    if unknown:
        report.error(
            "voc_mask_unknown_color",
            f"segmentation PNGs painted in colours {LABELMAP_FILE} gives no label (masks "
            f"skipped: add each colour to {LABELMAP_FILE} as name:r,g,b::)",
            f"{name}: " + ", ".join(",".join(map(str, c)) for c in unknown[:3]),
        )
        return None
    values = class_values(labelmap)[1][positions]
    if void is not None:
        values[positions == void] = VOID
    return values


def _masks(index: np.ndarray, classes: np.ndarray | None) -> dict[int, Mask]:
    """One mask per value of ``index`` other than background and void, all encoded in one
    call, each with the class value most of its pixels have in ``classes``."""
    counts = np.bincount(index.ravel(), minlength=256)
    values = [v for v in np.flatnonzero(counts) if v not in (0, VOID)]
    if not values:
        return {}
    stack = np.asfortranarray(
        (index[:, :, None] == np.array(values, dtype=np.uint8)[None, None, :]).astype(np.uint8)
    )
    rles = mask_utils.encode(stack)
    areas = mask_utils.area(rles)
    boxes = mask_utils.toBbox(rles)
    out = {}
    for k, value in enumerate(values):
        rle = rles[k]
        text = dumps_or_none({"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")})
        assert text is not None
        cls = None
        if classes is not None:
            under = np.bincount(classes[index == value], minlength=256)
            under[[0, VOID]] = 0
            cls = int(under.argmax()) if under.any() else None
        box = tuple(float(v) for v in boxes[k])
        out[int(value)] = Mask(text, float(areas[k]), box, cls)  # type: ignore[arg-type]
    return out
