"""RGB ``SegmentationObject`` PNGs of a CVAT "Segmentation mask 1.1" export (and Datumaro's
export for CVAT): each instance painted in a colour of its own, which no labelmap gives.

Each distinct colour other than black (background) and VOC's void colour is one instance,
numbered 1, 2, ... in the order its first pixel appears (row by row), as VOC's palette
index would number it; its class is the one the SegmentationClass PNG gives most of its
pixels. CVAT's instance colours follow no XML order, so an export that has
``Annotations/*.xml`` gets each instance matched to the XML object of its class whose box
overlaps the instance's box best (:func:`match_instances`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from ..records.report import IngestReport
from .base import as_number
from .labelmap import VOID_COLOR

Color = tuple[int, int, int]
Box = tuple[float, float, float, float]
VOID = 255
MIN_IOU = 0.5
"""The least box overlap for an instance to be an XML object's mask: CVAT writes each
object's box around its mask, so a true pair overlaps nearly fully."""


def instance_index(
    rgb: np.ndarray, name: str, report: IngestReport
) -> tuple[np.ndarray, tuple[Color, ...]] | None:
    """The instance number of each pixel of an RGB SegmentationObject PNG ``name`` (0
    background, 255 void, as VOC's palette PNGs hold them) and the colour of each instance
    (number ``i`` is ``colors[i - 1]``); None (reported) for more instances than an 8-bit
    mask numbers."""
    keys = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
    found, first, inverse = np.unique(keys.ravel(), return_index=True, return_inverse=True)
    void = (VOID_COLOR[0] << 16) | (VOID_COLOR[1] << 8) | VOID_COLOR[2]
    painted = [k for k in np.argsort(first, kind="stable") if found[k] not in (0, void)]
    if len(painted) > VOID - 1:
        report.error(
            "voc_mask_too_many_instances",
            f"SegmentationObject PNGs with more than {VOID - 1} instance colours (masks "
            "skipped: split the image's instances over fewer colours)",
            f"{name}: {len(painted)} colours",
        )
        return None
    table = np.zeros(len(found), np.uint8)
    table[found == void] = VOID
    table[painted] = np.arange(1, len(painted) + 1, dtype=np.uint8)
    colors = tuple((int(k) >> 16, (int(k) >> 8) & 255, int(k) & 255) for k in found[painted])
    return table[inverse].reshape(keys.shape), colors


def drop_classless(
    index: np.ndarray, classes: np.ndarray, colors: tuple[Color, ...], name: str,
    report: IngestReport,
) -> None:  # fmt: skip
    """Clear (to background) the instances of ``index`` whose pixels are all background or
    void in the class mask ``classes``, reported: no class to name them. Instances whose
    pixels have several classes keep the majority's, counted in the report."""
    joint = np.bincount(
        index.astype(np.int64).ravel() * 256 + classes.ravel(), minlength=256 * 256
    ).reshape(256, 256)
    joint[:, [0, VOID]] = 0
    empty, mixed = [], []
    for value, color in enumerate(colors, start=1):
        hits = np.flatnonzero(joint[value])
        where = f"{name}: instance {','.join(map(str, color))}"
        if not len(hits):
            empty.append(where)
            index[index == value] = 0
        elif len(hits) > 1:
            under = joint[value]
            mixed.append(f"{where}: {under.sum() - under.max()} of {under.sum()} pixels")
    if empty:
        report.warn(
            "voc_instance_without_class",
            "instances whose pixels are background or void in their SegmentationClass PNG "
            "(skipped: no class to name them; repaint their class in the export)",
            count=len(empty),
            examples=empty,
        )
    if mixed:
        report.warn(
            "voc_instance_mixed_classes",
            "instances whose SegmentationClass pixels are of several classes (named by the "
            "class most of their pixels have; the pixels of other classes counted)",
            count=len(mixed),
            examples=mixed,
        )


def xml_box(obj: ET.Element) -> tuple[str, Box] | None:
    """An XML ``<object>``'s name and ``(xmin, ymin, xmax, ymax)``, None where it lacks
    either (the object's own reader reports it)."""
    name = (obj.findtext("name") or "").strip()
    coords = [
        as_number(obj.findtext(f"bndbox/{k}") or "") for k in ("xmin", "ymin", "xmax", "ymax")
    ]
    if not name or any(c is None for c in coords):
        return None
    xmin, ymin, xmax, ymax = (float(c) for c in coords if c is not None)
    return name, (xmin, ymin, xmax, ymax)


def match_instances(
    instances: dict[int, tuple[str | None, Box]], objects: list[tuple[str, Box] | None]
) -> dict[int, int]:
    """``{object position: instance number}``: each instance (its class name, None where no
    class PNG says, and its ``(x, y, w, h)`` box) paired with the object of its class whose
    box overlaps it best, at least :data:`MIN_IOU`, best pairs first, each used once."""
    pairs = []
    for value, (cls, (x, y, w, h)) in instances.items():
        for position, obj in enumerate(objects):
            if obj is None or (cls is not None and obj[0] != cls):
                continue
            iou = _iou((x, y, x + w, y + h), obj[1])
            if iou >= MIN_IOU:
                pairs.append((-iou, position, value))
    matched: dict[int, int] = {}
    for _, position, value in sorted(pairs):
        if position not in matched and value not in matched.values():
            matched[position] = value
    return matched


def _iou(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0.0) * max(h, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
