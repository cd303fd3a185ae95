"""A CVAT "Segmentation mask 1.1" export ingested as a dataset: its ``labelmap.txt`` gives
each label its colour, and its ``SegmentationClass`` RGB PNGs painted in those colours
become one mask per class, named by the labelmap (VOC's void border colour: no class); a
labelmap giving two labels one colour is refused naming its line, and a mask painted in a
colour the labelmap lacks is reported."""

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
from visionlens_jlab.ingest.detect import detect_dataset_format
from visionlens_jlab.records.report import IngestError

W, H = 60, 40
HEADER = "# label:color_rgb:parts:actions\n"
LABELS = [("background", (0, 0, 0)), ("car", (255, 0, 0)), ("person", (0, 0, 255))]
VOID = (224, 224, 192)  # VOC's void border colour, which no label of LABELS has


def _labelmap(labels: list[tuple[str, tuple[int, int, int]]]) -> str:
    return HEADER + "".join(f"{name}:{','.join(map(str, rgb))}::\n" for name, rgb in labels)


def _painted() -> np.ndarray:
    """Label positions 0..2 of one frame: a car and a person on background."""
    positions = np.zeros((H, W), np.uint8)
    positions[5:15, 5:20] = 1
    positions[20:30, 30:50] = 2
    positions[2:4, 40:58] = 1  # a second car region: one mask per class, as CVAT paints
    return positions


def _export(root: Path, labelmap: str, colors: list[tuple[int, int, int]]) -> Path:
    """The export as CVAT writes it: labelmap.txt, ImageSets/Segmentation/default.txt, RGB
    SegmentationClass PNGs and JPEGImages."""
    (root / "ImageSets" / "Segmentation").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    (root / "JPEGImages").mkdir()
    (root / "labelmap.txt").write_text(labelmap, encoding="utf-8")
    (root / "ImageSets" / "Segmentation" / "default.txt").write_text("frame_000000\n")
    rgb = np.asarray(colors, np.uint8)[_painted()]
    rgb[4, 5:20] = VOID  # a VOC void border above the car: no class's pixels
    Image.fromarray(rgb, mode="RGB").save(root / "SegmentationClass" / "frame_000000.png")
    Image.new("RGB", (W, H), (90, 90, 90)).save(root / "JPEGImages" / "frame_000000.jpg")
    return root


def _masks(catalog: Catalog) -> dict[str, Any]:
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT label, segmentation, mask_area FROM annotations ORDER BY ann_id"
        ).fetchall()
    out = {}
    for label, segmentation, area in rows:
        rle = json.loads(segmentation)
        out[label] = (mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()}),
                      area)  # fmt: skip
    return out


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 0, 1]], ids=["background_first", "person_first"])
def test_a_cvat_segmentation_export_ingests_by_its_labelmaps_colours(
    tmp_path: Path, order: list[int]
) -> None:
    labels = [LABELS[i] for i in order]
    root = _export(tmp_path / "cvat", _labelmap(labels), [rgb for _, rgb in LABELS])
    assert detect_dataset_format(str(root)) == "voc"
    with Catalog(tmp_path / "data") as catalog:
        summary = ingest(catalog, "seg", root)
        masks = _masks(catalog)
        categories = catalog.get_dataset("seg")["categories"]
    assert summary.errors == []
    assert sorted(masks) == ["car", "person"]
    for position, name in ((1, "car"), (2, "person")):
        drawn = (_painted() == position).astype(np.uint8)
        assert np.array_equal(masks[name][0], drawn), name
        assert masks[name][1] == drawn.sum()
    assert categories == [name for name, _ in labels if name != "background"]


def test_a_labelmap_giving_two_labels_one_colour_is_refused(tmp_path: Path) -> None:
    labelmap = _labelmap([*LABELS, ("truck", (255, 0, 0))])
    root = _export(tmp_path / "cvat", labelmap, [rgb for _, rgb in LABELS])
    with Catalog(tmp_path / "data") as catalog, pytest.raises(IngestError) as refused:
        ingest(catalog, "seg", root)
    message = str(refused.value)
    assert f"{root / 'labelmap.txt'}:5: 'truck:255,0,0::'" in message
    assert "colour 255,0,0 is 'car'" in message


def test_a_colour_the_labelmap_lacks_is_reported_not_guessed(tmp_path: Path) -> None:
    colors = [(0, 0, 0), (255, 0, 0), (0, 255, 0)]  # the person painted green
    root = _export(tmp_path / "cvat", _labelmap(LABELS), colors)
    with Catalog(tmp_path / "data") as catalog:
        summary = ingest(catalog, "seg", root)
        assert _masks(catalog) == {}
    (error,) = summary.errors
    assert error["code"] == "voc_mask_unknown_color"
    assert error["examples"] == ["SegmentationClass/frame_000000.png: 0,255,0"]
