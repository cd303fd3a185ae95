"""COCO panoptic files as Cityscapes and detectron2 write them: cityscapesScripts'
``cityscapes_panoptic_val.json`` names its images without their city folder, with text
image ids; a detectron2 result numbers its segments 1..n and names its PNGs after the
images. The samples find their images, and PQ is exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.semantic_fixtures import run_cli
from visionlens_jlab.catalog import Catalog


def _save_ids(ids: np.ndarray, path: Path) -> None:
    rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], axis=-1).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb, mode="RGB").save(path)


def _segments(ids: np.ndarray, category: dict[int, int]) -> list[dict[str, Any]]:
    return [
        {"id": s, "category_id": category[s], "iscrowd": 0, "area": int((ids == s).sum())}
        for s in np.unique(ids).tolist()
        if s
    ]


def test_cityscapes_panoptic_images_are_found_in_their_city_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, data = tmp_path / "cityscapes", str(tmp_path / "data")
    cats = [
        {"id": 7, "name": "road", "isthing": 0, "supercategory": "flat", "color": [128, 64, 128]},
        {"id": 26, "name": "car", "isthing": 1, "supercategory": "vehicle", "color": [0, 0, 142]},
    ]
    images, annotations, preds = [], [], []
    for city in ("frankfurt", "lindau"):
        stem = f"{city}_000000_000019"
        ids = np.full((8, 12), 7, np.int64)  # stuff ids are the label id, things id * 1000 + k
        ids[2:6, 3:9], ids[0] = 26000, 0  # one car; a void row
        Image.new("RGB", (12, 8)).save(
            _mkdir(root / "leftImg8bit/val" / city) / f"{stem}_leftImg8bit.png"
        )
        _save_ids(ids, root / "gtFine/cityscapes_panoptic_val" / f"{stem}_gtFine_panoptic.png")
        images.append(
            {"id": stem, "file_name": f"{stem}_leftImg8bit.png", "width": 12, "height": 8}
        )
        annotations.append(
            {"image_id": stem, "file_name": f"{stem}_gtFine_panoptic.png",
             "segments_info": _segments(ids, {7: 7, 26000: 26})}
        )  # fmt: skip
        pred = np.where(ids == 26000, 2, 1)  # detectron2: segments 1..n, void filled
        pred[2:6, 8] = 1  # the car a column narrower: IoU 20/24
        _save_ids(pred, tmp_path / "d2" / "panoptic_seg" / f"{stem}_leftImg8bit.png")
        preds.append(
            {"image_id": stem, "file_name": f"{stem}_leftImg8bit.png",
             "segments_info": [{"id": 1, "category_id": 7, "isthing": False},
                               {"id": 2, "category_id": 26, "isthing": True, "score": 0.9}]}
        )  # fmt: skip
    gt_json = root / "gtFine" / "cityscapes_panoptic_val.json"
    gt_json.write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": cats})
    )
    pred_json = tmp_path / "d2" / "predictions.json"
    pred_json.write_text(json.dumps({"annotations": preds}))
    code, out = run_cli(
        capsys, "panoptic-ingest", str(gt_json), "--images", str(root / "leftImg8bit" / "val"),
        "--name", "cs", "--data-dir", data,
    )  # fmt: skip
    assert code == 0 and out["samples"] == 2 and out["warnings"] == [], out
    with Catalog(Path(data)) as catalog, catalog.cursor() as cur:
        located = [
            row[0] for row in cur.execute("SELECT location FROM samples ORDER BY 1").fetchall()
        ]
    assert [Path(p).relative_to(root).as_posix() for p in located] == [
        f"leftImg8bit/val/{city}/{city}_000000_000019_leftImg8bit.png"
        for city in ("frankfurt", "lindau")
    ]
    masks = str(tmp_path / "d2" / "panoptic_seg")
    args = ("--model", "d2", "--data-dir", data)
    assert (
        run_cli(capsys, "panoptic-predictions", "cs", str(pred_json), "--masks", masks, *args)[0]
        == 0
    )
    code, out = run_cli(capsys, "evaluate", "cs", *args)
    assert code == 0
    road_gt, road_pred = 12 * 7 - 24, 12 * 8 - 20  # the road's ground truth and prediction
    road_iou = (road_gt) / (road_pred - 12)  # the void row left out of the union
    car = out["panoptic"]["per_class"]["car"]
    assert (car["tp"], car["fp"], car["fn"]) == (2, 0, 0)
    assert car["pq"] == pytest.approx(20 / 24)
    assert out["panoptic"]["per_class"]["road"]["pq"] == pytest.approx(road_iou)


def test_an_image_under_no_folder_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An image neither at ``images/<file_name>`` nor anywhere below is counted by name."""
    ids = np.full((4, 4), 1000, np.int64)
    _save_ids(ids, tmp_path / "panoptic" / "a.png")
    (tmp_path / "images").mkdir()
    (tmp_path / "panoptic.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}],
        "annotations": [{"image_id": 1, "file_name": "a.png",
                         "segments_info": _segments(ids, {1000: 5})}],
        "categories": [{"id": 5, "name": "sky", "isthing": 0}],
    }))  # fmt: skip
    code, out = run_cli(
        capsys, "panoptic-ingest", str(tmp_path / "panoptic.json"), "--name", "p",
        "--data-dir", str(tmp_path / "data"),
    )  # fmt: skip
    assert code == 0
    (warning,) = out["warnings"]
    assert warning["code"] == "panoptic_image_not_found" and warning["examples"] == ["a.jpg"]


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
