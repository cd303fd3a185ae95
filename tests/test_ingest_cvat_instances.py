"""A CVAT "Segmentation mask 1.1" export's RGB ``SegmentationObject`` PNGs, each instance
painted in an arbitrary colour of its own, ingested as instance masks: classed by the
SegmentationClass PNG (painted in the labelmap's colours), matched to the XML objects by
class and box where the export has ``Annotations/*.xml``, objects of their own without."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from tests.ingest_fixtures import ingest
from visionlens_jlab.catalog import Catalog

W, H = 60, 40
LABELMAP = (
    "# label:color_rgb:parts:actions\nbackground:0,0,0::\ncar:250,50,83::\nperson:0,0,255::\n"
)
CLASS_RGB = {"car": (250, 50, 83), "person": (0, 0, 255)}
VOID = (224, 224, 192)
# instance colour -> (class, box x0, y0, x1, y1); the person is painted first, so the order
# of first appearance is neither the XML's nor the colours'
INSTANCES = {
    (12, 200, 7): ("person", 30, 2, 45, 30),
    (90, 10, 140): ("car", 2, 20, 22, 35),
    (200, 200, 3): ("car", 5, 5, 20, 15),
    (33, 33, 33): ("car", 48, 30, 58, 38),  # no XML object: an object of its own
}
CLASSLESS = (111, 77, 5)  # painted in SegmentationObject only: no class


def _paint() -> tuple[np.ndarray, np.ndarray]:
    objects = np.zeros((H, W, 3), np.uint8)
    classes = np.zeros((H, W, 3), np.uint8)
    for color, (cls, x0, y0, x1, y1) in INSTANCES.items():
        objects[y0:y1, x0:x1] = color
        classes[y0:y1, x0:x1] = CLASS_RGB[cls]
        # VOC's void border below each instance, in both PNGs: part of no mask
        objects[y1, x0:x1] = VOID
        classes[y1, x0:x1] = VOID
    classes[2:5, 30:45] = CLASS_RGB["car"]  # 45 of the person's pixels painted car
    objects[36:39, 2:6] = CLASSLESS
    return objects, classes


def _export(root: Path, xml: bool) -> Path:
    """The export as CVAT writes it, with ``Annotations/*.xml`` or without."""
    for d in ("ImageSets/Segmentation", "SegmentationClass", "SegmentationObject", "JPEGImages"):
        (root / d).mkdir(parents=True)
    (root / "labelmap.txt").write_text(LABELMAP, encoding="utf-8")
    (root / "ImageSets" / "Segmentation" / "default.txt").write_text("frame_000000\n")
    objects, classes = _paint()
    Image.fromarray(objects, mode="RGB").save(root / "SegmentationObject" / "frame_000000.png")
    Image.fromarray(classes, mode="RGB").save(root / "SegmentationClass" / "frame_000000.png")
    Image.new("RGB", (W, H), (90, 90, 90)).save(root / "JPEGImages" / "frame_000000.jpg")
    if xml:
        # CVAT's order: a box-only object, a person boxed exactly as the last car (another
        # class: not its object), then the masks' objects in no colour order
        listed = [("car", (40, 32, 47, 36)), ("person", (48, 30, 58, 38))] + [
            (cls, box) for cls, *box in (INSTANCES[c] for c in list(INSTANCES)[2::-1])
        ]
        body = "".join(
            f"<object><name>{n}</name><bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin>"
            f"<xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
            for n, b in listed
        )
        (root / "Annotations").mkdir()
        (root / "Annotations" / "frame_000000.xml").write_text(
            f"<annotation><filename>frame_000000.jpg</filename><size><width>{W}</width>"
            f"<height>{H}</height><depth>3</depth></size>{body}</annotation>"
        )
    return root


def _rows(catalog: Catalog) -> list[dict[str, Any]]:
    with catalog.cursor() as cur:
        cur.execute(
            "SELECT label, x, y, w, h, segmentation, mask_area, attributes FROM annotations"
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _decode(segmentation: str) -> np.ndarray:
    rle = json.loads(segmentation)
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()})


@pytest.mark.parametrize("xml", [True, False], ids=["with_xml", "without_xml"])
def test_rgb_instance_masks_are_read_pixel_for_pixel(tmp_path: Path, xml: bool) -> None:
    root = _export(tmp_path / "cvat", xml)
    objects, _ = _paint()
    with Catalog(tmp_path / "data") as catalog:
        summary = ingest(catalog, "seg", root)
        rows = _rows(catalog)
    assert summary.errors == []
    masked = [r for r in rows if r["segmentation"] is not None]
    assert len(masked) == len(INSTANCES)
    for color, (cls, x0, y0, x1, y1) in INSTANCES.items():
        painted = np.all(objects == color, axis=2).astype(np.uint8)
        (row,) = [r for r in masked if np.array_equal(_decode(r["segmentation"]), painted)]
        assert row["label"] == cls
        assert row["mask_area"] == painted.sum()
        # the XML box of the object of its class it overlaps (the two cars' XML order is
        # not their colours'), or the box of its pixels: both the painted rectangle
        assert (row["x"], row["y"], row["w"], row["h"]) == (x0, y0, x1 - x0, y1 - y0), color
        if not xml or color == (33, 33, 33):  # an object of its own names its colour
            assert json.loads(row["attributes"])["color"] == ",".join(map(str, color))
    if xml:  # the box-only XML objects: no mask
        unmasked = sorted((r["label"], r["segmentation"]) for r in rows if r not in masked)
        assert unmasked == [("car", None), ("person", None)]
    warnings = {w["code"]: w for w in summary.warnings}
    assert warnings["voc_instance_without_class"]["examples"] == [
        "SegmentationObject/frame_000000.png: instance 111,77,5"
    ]
    mixed = warnings["voc_instance_mixed_classes"]
    assert mixed["count"] == 1
    assert mixed["examples"] == [
        "SegmentationObject/frame_000000.png: instance 12,200,7: 45 of 420 pixels"
    ]
    unmatched = warnings.get("voc_instance_without_object")
    if xml:
        assert unmatched is not None and unmatched["count"] == 1
        assert unmatched["examples"] == ["frame_000000.xml: instance 33,33,33 (car)"]
    else:
        assert unmatched is None


def test_more_instance_colours_than_a_mask_numbers_is_reported(tmp_path: Path) -> None:
    root = _export(tmp_path / "cvat", xml=False)
    objects = np.zeros((H, W, 3), np.uint8)
    objects.reshape(-1, 3)[:300] = [(1 + i % 200, 1 + i // 200, 9) for i in range(300)]
    Image.fromarray(objects, mode="RGB").save(root / "SegmentationObject" / "frame_000000.png")
    with Catalog(tmp_path / "data") as catalog:
        summary = ingest(catalog, "seg", root)
        rows = _rows(catalog)
    (error,) = summary.errors
    assert error["code"] == "voc_mask_too_many_instances"
    assert error["examples"] == ["SegmentationObject/frame_000000.png: 300 colours"]
    # the class PNG still gives the image its per-class masks
    assert sorted(r["label"] for r in rows) == ["car", "person"]
