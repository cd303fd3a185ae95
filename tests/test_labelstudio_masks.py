"""Masks through a real Label Studio (issue #51): an object whose mask is not one polygon ring
(an RLE, several rings) goes as a ``BrushLabels`` region packed in Label Studio's RLE, the
annotator paints and erases with Label Studio's own codec (its SDK, in its interpreter), and
the pull makes each changed mask a ``reshape`` and each new brush region an ``add``, applied
as one undoable batch."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.evaluate.masks import coco_rle
from visionlens_jlab.labelstudio import LabelStudioClient

from .labelstudio_fixtures import LabelStudioServer
from .test_labelstudio import annotate, cli

pytestmark = pytest.mark.timeout(900)
W, H = 200, 100
TWO_RINGS = [[10.0, 70.0, 40.0, 70.0, 40.0, 95.0, 10.0, 95.0],
             [150.0, 70.0, 190.0, 70.0, 190.0, 95.0, 150.0, 95.0]]  # fmt: skip
TRIANGLE = [[100.0, 20.0, 140.0, 20.0, 120.0, 50.0]]


def block(rows: slice, columns: slice) -> np.ndarray:
    """A boolean ``H`` x ``W`` mask set on ``rows`` x ``columns``."""
    out = np.zeros((H, W), bool)
    out[rows, columns] = True
    return out


def cells_data(tmp_path: Path) -> Path:
    """A COCO dataset ``cells``, one 200 x 100 image: a cell whose mask is a compressed RLE
    (rows 20-59, columns 30-89), one whose mask is two polygon rings and a nucleus whose
    mask is one ring (it goes as a polygon)."""
    from PIL import Image

    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
    from visionlens_jlab.ingest.open import open_dataset

    root = tmp_path / "coco"
    (root / "images").mkdir(parents=True)
    Image.new("RGB", (W, H), "gray").save(root / "images" / "one.png")
    rle = mask_utils.encode(np.asfortranarray(block(slice(20, 60), slice(30, 90)), np.uint8))
    common = {"image_id": 1, "iscrowd": 0}
    doc = {
        "images": [{"id": 1, "file_name": "one.png", "width": W, "height": H}],
        "categories": [{"id": 1, "name": "cell"}, {"id": 2, "name": "nucleus"}],
        "annotations": [
            {**common, "id": 1, "category_id": 1, "bbox": [30.0, 20.0, 60.0, 40.0],
             "area": 2400.0, "segmentation": {"size": [H, W],
                                              "counts": rle["counts"].decode("ascii")}},
            {**common, "id": 2, "category_id": 1, "bbox": [10.0, 70.0, 180.0, 25.0],
             "area": 1750.0, "segmentation": TWO_RINGS},
            {**common, "id": 3, "category_id": 2, "bbox": [100.0, 20.0, 40.0, 30.0],
             "area": 600.0, "segmentation": TRIANGLE},
        ],
    }  # fmt: skip
    (root / "annotations.json").write_text(json.dumps(doc))
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        write_dataset(catalog, "cells", open_dataset(str(root / "annotations.json")))
    return data


def masks(data: Path) -> dict[int, tuple[str, list[float], np.ndarray]]:
    """Each ground-truth object: id to (class, box, its mask as pixels)."""
    with Catalog(data) as catalog, catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT ann_id, label, x, y, w, h, segmentation FROM annotations "
            "WHERE source = 'ground_truth' ORDER BY ann_id"
        ).fetchall()
    return {
        ann: (label, [x, y, w, h], mask_utils.decode(coco_rle(json.loads(seg), H, W)) > 0)
        for ann, label, x, y, w, h, seg in rows
    }


def label_studio_reads(server: LabelStudioServer, rle: list[int]) -> np.ndarray:
    """A brush region's mask as Label Studio's SDK decodes it (its alpha channel)."""
    code = (
        "import json, sys\nfrom label_studio_sdk.converter.brush import decode_rle\n"
        f"out = decode_rle(bytes(json.load(sys.stdin))).reshape({H}, {W}, 4)\n"
        "print(json.dumps((out[:, :, 3] > 0).astype(int).tolist()))"
    )
    done = subprocess.run([server.python, "-c", code], input=json.dumps(rle),
                          capture_output=True, text=True, check=True, timeout=120)  # fmt: skip
    return np.array(json.loads(done.stdout), dtype=bool)


def same(before: dict[int, Any], after: dict[int, Any]) -> bool:
    return before.keys() == after.keys() and all(
        before[a][:2] == after[a][:2] and np.array_equal(before[a][2], after[a][2]) for a in before
    )


def test_masks_go_as_brush_regions_and_painting_erasing_and_drawing_come_back(
    label_studio: LabelStudioServer, tmp_path: Path
) -> None:
    data = cells_data(tmp_path)
    before = masks(data)
    rle_cell, rings, nucleus = sorted(before)
    sent = cli(data, label_studio, "labelstudio-send", "cells", "--server-url", "http://h/")
    project = sent["project"]
    client = LabelStudioClient(label_studio.url, label_studio.token)
    config = client.project(project)["label_config"]
    assert '<BrushLabels name="brush" toName="image">' in config
    (task,) = client.tasks(project)
    result = {r["id"]: r for r in task["annotations"][0]["result"]}
    kinds = {rid: r["type"] for rid, r in result.items()}
    assert kinds == {f"vl-{rle_cell}": "brushlabels", f"vl-{rings}": "brushlabels",
                     f"vl-{nucleus}": "polygonlabels"}  # fmt: skip
    for ann in (rle_cell, rings):  # Label Studio's own decoder reads the pixels sent
        region = result[f"vl-{ann}"]
        assert region["value"]["brushlabels"] == ["cell"] and region["value"]["format"] == "rle"
        assert np.array_equal(
            label_studio_reads(label_studio, region["value"]["rle"]), before[ann][2]
        )
    annotate(label_studio, project, [
        {"sample_id": task["data"]["visionlens"]["sample_id"], **change}
        for change in (
            {"paint": f"vl-{rle_cell}", "rect": [30, 60, 40, 70]},  # grown 10 rows down
            {"paint": f"vl-{rings}", "rect": [150, 60, 170, 100], "erase": True},
            {"brush": [100, 60, 120, 80], "label": "nucleus"},
        )
    ])  # fmt: skip
    pulled = cli(data, label_studio, "labelstudio-pull", "cells", "--project", str(project))
    assert pulled["edits"] == {"added": 1, "deleted": 0, "relabelled": 0, "moved": 0,
                               "reshaped": 2, "keypoints_changed": 0, "classified": 0,
                               "unclassified": 0}  # fmt: skip
    assert pulled["skipped"] == []
    assert same(masks(data), before)  # the diff alone writes nothing
    applied = cli(data, label_studio, "labelstudio-pull", "cells", "--project", str(project),
                  "--apply")  # fmt: skip
    assert applied["applied"] == 3
    after = masks(data)
    assert np.array_equal(
        after[rle_cell][2], before[rle_cell][2] | block(slice(60, 70), slice(30, 40))
    )
    assert after[rle_cell][1] == [30.0, 20.0, 60.0, 50.0]  # the box follows the mask
    assert np.array_equal(
        after[rings][2], before[rings][2] & ~block(slice(60, 100), slice(150, 170))
    )
    assert same({nucleus: after[nucleus]}, {nucleus: before[nucleus]})
    (new,) = set(after) - set(before)
    assert after[new][0] == "nucleus" and after[new][1] == [100.0, 60.0, 20.0, 20.0]
    assert np.array_equal(after[new][2], block(slice(60, 80), slice(100, 120)))
    again = cli(data, label_studio, "labelstudio-pull", "cells", "--project", str(project))
    assert sum(again["edits"].values()) == 0  # applied once, the masks now equal
    cli(data, label_studio, "undo", "cells")
    assert same(masks(data), before)
