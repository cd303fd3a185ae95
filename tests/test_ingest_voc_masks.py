"""VOC SegmentationObject / SegmentationClass PNGs: instance masks matched to the XML's
objects, semantic masks, images with PNGs and no XML, and the report rows of PNGs that cannot
be used."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from tests.ingest_fixtures import ingest, tiny_jpeg
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.detect import detect_dataset_format
from visionlens_jlab.ingest.voc import VOC_CLASS_LIST

W, H = 40, 30
CAT, DOG, PERSON = (VOC_CLASS_LIST.index(n) + 1 for n in ("cat", "dog", "person"))


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "data") as cat:
        yield cat


def _xml(stem: str, objects: list[tuple[str, tuple[int, int, int, int]]]) -> str:
    body = "".join(
        f"<object><name>{name}</name><difficult>0</difficult><bndbox><xmin>{b[0]}</xmin>"
        f"<ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
        for name, b in objects
    )
    return (
        f"<annotation><filename>{stem}.jpg</filename><size><width>{W}</width>"
        f"<height>{H}</height><depth>3</depth></size><segmented>1</segmented>{body}</annotation>"
    )


def _png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(pixels.astype(np.uint8))
    img.putpalette([v for i in range(256) for v in (i, 255 - i, (i * 7) % 256)])
    assert img.mode == "P"
    img.save(path)


def _image(root: Path, stem: str, objects: list, obj_png: Any, cls_png: Any) -> None:
    (root / "Annotations").mkdir(parents=True, exist_ok=True)
    (root / "JPEGImages").mkdir(parents=True, exist_ok=True)
    (root / "Annotations" / f"{stem}.xml").write_text(_xml(stem, objects))
    (root / "JPEGImages" / f"{stem}.jpg").write_bytes(tiny_jpeg(W, H))
    if obj_png is not None:
        _png(root / "SegmentationObject" / f"{stem}.png", obj_png)
    if cls_png is not None:
        _png(root / "SegmentationClass" / f"{stem}.png", cls_png)


def _rect(value: int, x0: int, y0: int, x1: int, y1: int, into: np.ndarray) -> np.ndarray:
    into[y0:y1, x0:x1] = value
    into[y0 - 1, x0:x1] = 255  # VOC's void border: part of no mask
    return into


def _rows(catalog: Catalog, stem: str) -> list[dict[str, Any]]:
    with catalog.cursor() as cur:
        cur.execute(
            "SELECT a.label, a.x, a.y, a.w, a.h, a.segmentation, a.mask_area, a.attributes "
            "FROM annotations a JOIN samples s USING (sample_id) "
            "WHERE s.source_image_id = ? ORDER BY a.ann_id",
            [stem],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _decode(segmentation: str) -> np.ndarray:
    rle = json.loads(segmentation)
    assert isinstance(rle["counts"], str)  # compressed RLE
    assert rle["size"] == [H, W]
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()})


def test_instance_and_semantic_masks(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "voc"
    objects = np.zeros((H, W), np.uint8)
    _rect(1, 2, 3, 12, 20, objects)
    _rect(2, 15, 5, 30, 25, objects)
    _rect(3, 32, 10, 38, 28, objects)  # a value no XML object claims
    classes = np.where(objects == 1, CAT, np.where(objects == 2, DOG, 0))
    classes[objects == 3] = PERSON
    classes[objects == 255] = 255
    _image(root, "inst", [("cat", (2, 3, 12, 20)), ("dog", (15, 5, 30, 25))], objects, classes)
    semantic = np.zeros((H, W), np.uint8)
    _rect(CAT, 1, 1, 10, 10, semantic)
    _rect(PERSON, 20, 12, 35, 29, semantic)
    _image(root, "sem", [], None, semantic)
    _image(root, "plain", [("dog", (1, 1, 5, 5))], None, None)
    s = ingest(catalog, "voc", root)
    inst = _rows(catalog, "inst")
    assert [r["label"] for r in inst] == ["cat", "dog", "person"]
    for row, value in zip(inst, (1, 2, 3), strict=True):
        drawn = (objects == value).astype(np.uint8)
        assert np.array_equal(_decode(row["segmentation"]), drawn)
        assert row["mask_area"] == drawn.sum()
    assert (inst[0]["x"], inst[0]["w"]) == (2, 10)  # the XML's box is kept
    ys, xs = np.nonzero(objects == 3)
    assert (inst[2]["x"], inst[2]["y"], inst[2]["w"], inst[2]["h"]) == (
        xs.min(),
        ys.min(),
        xs.max() - xs.min() + 1,
        ys.max() - ys.min() + 1,
    )
    assert json.loads(inst[2]["attributes"]) == {"instance": 3}
    sem = _rows(catalog, "sem")
    assert [r["label"] for r in sem] == ["cat", "person"]
    for row, value in zip(sem, (CAT, PERSON), strict=True):
        assert np.array_equal(_decode(row["segmentation"]), (semantic == value).astype(np.uint8))
        assert json.loads(row["attributes"]) == {"semantic": True}
    (plain,) = _rows(catalog, "plain")
    assert plain["segmentation"] is None and plain["mask_area"] is None
    warnings = {w["code"]: w for w in s.warnings}
    assert warnings["voc_mask_without_object"]["examples"] == ["inst.xml: value 3"]
    assert s.errors == []


def test_bad_segmentation_pngs_are_reported(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "voc"
    small = np.ones((H // 2, W // 2), np.uint8)
    _image(root, "size", [("cat", (1, 1, 5, 5))], small, None)
    objects = _rect(1, 2, 3, 12, 20, np.zeros((H, W), np.uint8))
    classes = np.where(objects == 1, CAT, 0)
    _image(root, "swap", [("dog", (2, 3, 12, 20))], objects, classes)
    (root / "SegmentationObject" / "rgb.png").parent.mkdir(exist_ok=True)
    Image.new("RGB", (W, H)).save(root / "SegmentationObject" / "rgb.png")
    _image(root, "rgb", [("cat", (1, 1, 5, 5))], None, None)
    _image(root, "odd", [], None, _rect(77, 2, 3, 12, 20, np.zeros((H, W), np.uint8)))
    s = ingest(catalog, "bad", root)
    errors = {e["code"]: e for e in s.errors}
    assert errors["voc_mask_size_mismatch"]["examples"] == [
        f"SegmentationObject/size.png: {W // 2}x{H // 2}, image {W}x{H}"
    ]
    assert errors["voc_mask_not_indexed"]["count"] == 1
    warnings = {w["code"]: w for w in s.warnings}
    assert warnings["voc_mask_class_mismatch"]["examples"] == ["swap.xml object 1: dog vs cat"]
    assert warnings["voc_unknown_mask_class"]["examples"] == ["odd.xml: 77"]
    (size,) = _rows(catalog, "size")
    assert size["segmentation"] is None  # the box stays, without a mask
    (swap,) = _rows(catalog, "swap")
    assert swap["label"] == "dog" and swap["mask_area"] == (objects == 1).sum()
    assert [r["label"] for r in _rows(catalog, "odd")] == ["class_77"]


def test_a_jpeg_named_png_is_reported_not_read(catalog: Catalog, tmp_path: Path) -> None:
    """A SegmentationObject "PNG" that is a JPEG (renamed): its smeared edges hold values
    1, 2, ... around the one instance, each read as an instance of its own; it is an
    error row and the object keeps its box, without a mask."""
    root = tmp_path / "voc"
    objects = _rect(1, 2, 3, 30, 25, np.zeros((H, W), np.uint8))
    objects[objects == 1] = 40  # a bright instance, as a grey JPEG of ids would be
    _image(root, "smear", [("cat", (2, 3, 30, 25))], None, None)
    path = root / "SegmentationObject" / "smear.png"
    path.parent.mkdir(exist_ok=True)
    Image.fromarray(objects).save(path, format="JPEG")
    with Image.open(path) as image:  # what made it wrong: values between 0 and 40
        assert len(set(np.unique(np.asarray(image)).tolist()) - {0, 40, 255}) > 2
    s = ingest(catalog, "smear", root)
    errors = {e["code"]: e for e in s.errors}
    assert errors["voc_mask_not_png"]["examples"] == ["SegmentationObject/smear.png: JPEG"]
    (row,) = _rows(catalog, "smear")
    assert row["label"] == "cat" and row["segmentation"] is None


def _mask_image(root: Path, stem: str, obj_png: Any, cls_png: Any) -> None:
    """An image with segmentation PNGs and no XML."""
    (root / "JPEGImages").mkdir(parents=True, exist_ok=True)
    (root / "JPEGImages" / f"{stem}.jpg").write_bytes(tiny_jpeg(W, H))
    if obj_png is not None:
        _png(root / "SegmentationObject" / f"{stem}.png", obj_png)
    if cls_png is not None:
        _png(root / "SegmentationClass" / f"{stem}.png", cls_png)


def _extent(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1


def _box(row: dict[str, Any]) -> tuple[float, float, float, float]:
    return row["x"], row["y"], row["w"], row["h"]


def test_masks_of_images_without_xml(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "seg"
    objects = np.zeros((H, W), np.uint8)
    _rect(1, 2, 3, 12, 20, objects)
    _rect(2, 15, 5, 30, 25, objects)
    _rect(3, 32, 10, 38, 28, objects)  # a second cat
    classes = np.where(np.isin(objects, (1, 3)), CAT, np.where(objects == 2, DOG, 0))
    classes[objects == 255] = 255
    _mask_image(root, "inst", objects, classes)
    semantic = _rect(PERSON, 20, 12, 35, 29, _rect(CAT, 1, 1, 10, 10, np.zeros((H, W), np.uint8)))
    _mask_image(root, "sem", None, semantic)
    _mask_image(root, "noclass", _rect(1, 5, 5, 9, 9, np.zeros((H, W), np.uint8)), None)
    sets = root / "ImageSets" / "Segmentation"
    sets.mkdir(parents=True)
    (sets / "train.txt").write_text("inst\nnoclass\n")
    (sets / "val.txt").write_text("sem\nghost\n")  # ghost: no PNG, no XML
    assert detect_dataset_format(str(root)) == "voc"  # no Annotations/ at all
    s = ingest(catalog, "seg", root)

    inst = _rows(catalog, "inst")
    assert [r["label"] for r in inst] == ["cat", "dog", "cat"]  # VOC: the class under it
    for row, value in zip(inst, (1, 2, 3), strict=True):
        drawn = (objects == value).astype(np.uint8)
        assert np.array_equal(_decode(row["segmentation"]), drawn)
        assert row["mask_area"] == drawn.sum()
        assert _box(row) == _extent(drawn)  # no XML: the mask's extent
        assert json.loads(row["attributes"]) == {"instance": value}
    sem = _rows(catalog, "sem")
    assert [r["label"] for r in sem] == ["cat", "person"]
    for row, value in zip(sem, (CAT, PERSON), strict=True):
        drawn = (semantic == value).astype(np.uint8)
        assert np.array_equal(_decode(row["segmentation"]), drawn)
        assert _box(row) == _extent(drawn)
        assert json.loads(row["attributes"]) == {"semantic": True}
    assert [r["label"] for r in _rows(catalog, "noclass")] == ["object"]
    with catalog.cursor() as cur:
        splits = dict(cur.execute("SELECT source_image_id, split FROM samples").fetchall())
    assert splits == {"inst": "train", "noclass": "train", "sem": "val"}
    assert {e["code"]: e["examples"] for e in s.errors} == {"voc_missing_xml": ["ghost"]}
    warnings = {w["code"]: w for w in s.warnings}
    assert warnings["voc_mask_without_class"]["examples"] == ["noclass: value 1"]
    assert "voc_mask_without_object" not in warnings
    counts = catalog.get_dataset("seg")["report"]["counts"]
    assert (counts["xml_files"], counts["mask_only_images"]) == (0, 3)
    only_val = ingest(catalog, "val", root, split="val")
    assert only_val.samples == 1 and only_val.errors == []


def test_images_with_and_without_xml_side_by_side(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "voc"
    objects = _rect(1, 2, 3, 12, 20, np.zeros((H, W), np.uint8))
    classes = np.where(objects == 1, DOG, 0)
    _image(root, "xml", [("dog", (1, 2, 13, 21))], objects, classes)
    _mask_image(root, "bare", objects, classes)
    _mask_image(root, "unlisted", objects, classes)
    sets = root / "ImageSets" / "Segmentation"
    sets.mkdir(parents=True)
    (sets / "val.txt").write_text("xml\nbare\n")
    s = ingest(catalog, "voc", root)
    assert s.errors == [] and s.samples == 3
    (unlisted,) = [w for w in s.warnings if w["code"] == "voc_mask_image_not_in_split_lists"]
    assert unlisted["examples"] == ["unlisted"]
    (with_xml,) = _rows(catalog, "xml")
    (bare,) = _rows(catalog, "bare")
    assert _box(with_xml) == (1, 2, 12, 19)  # the XML's box
    assert _box(bare) == _extent(objects == 1)
    assert with_xml["segmentation"] == bare["segmentation"] and bare["label"] == "dog"
