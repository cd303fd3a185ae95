"""YOLO segmentation and pose predictions (Ultralytics' ``predict --save-txt --save-conf``):
files written by Ultralytics' own ``Results.save_txt`` are read back to the pixel values
Ultralytics holds, through ``open_predictions`` and the real CLI, with the ground truth's
report rows."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.ingest_fixtures import ingest, ingest_predictions
from tests.yolo_fixtures import H, W, run_ultralytics, stored_rows, yolo_dataset, yolo_row
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.importing.jobs import prediction_maps
from visionlens_jlab.ingest.detect import detect_predictions_format

SEG_YAML = "path: .\ntrain: images/train\nnames: [cat, dog]\n"
POSE_YAML = "path: .\ntrain: images/train\nnames: [person]\nkpt_shape: [5, 3]\n"

SAVE_TXT = """
import json, sys
import numpy as np, torch
from ultralytics.engine.results import Results

job = json.loads(sys.stdin.read())
H, W = job["size"]
image = np.zeros((H, W, 3), dtype=np.uint8)
boxes = torch.tensor(job["boxes"], dtype=torch.float32)  # x1 y1 x2 y2 conf cls
out = {}
if "masks" in job:
    masks = torch.zeros((len(job["masks"]), H, W))
    for i, (x1, y1, x2, y2) in enumerate(job["masks"]):
        masks[i, y1:y2, x1:x2] = 1
    masks[0, 30:40, 40:50] = 0  # a notch: a contour with more than 4 points
    r = Results(image, "a.jpg", {0: "cat", 1: "dog"}, boxes=boxes, masks=masks)
    out["polygons"] = [p.tolist() for p in r.masks.xy]
elif "keypoints" not in job:
    r = Results(image, "a.jpg", {0: "cat", 1: "dog"}, boxes=boxes)
else:
    r = Results(image, "a.jpg", {0: "person"}, boxes=boxes,
                keypoints=torch.tensor(job["keypoints"], dtype=torch.float32))
    out["keypoints"] = r.keypoints.xy.tolist()
    out["keypoint_conf"] = r.keypoints.conf.tolist()
r.save_txt(job["file"], save_conf=True)
out["conf"] = r.boxes.conf.tolist()
out["xyxy"] = r.boxes.xyxy.tolist()
print(json.dumps(out))
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "data") as cat:
        yield cat


def _ground_truth(catalog: Catalog, tmp_path: Path, name: str, yaml_text: str) -> None:
    root = yolo_dataset(tmp_path / name, yaml_text, {"a": "", "b": ""})
    ingest(catalog, name, root)


def test_segmentation_predictions_written_by_ultralytics(catalog: Catalog, tmp_path: Path) -> None:
    _ground_truth(catalog, tmp_path, "seg", SEG_YAML)
    preds = tmp_path / "predict" / "labels"
    preds.mkdir(parents=True)
    job = {
        "size": [H, W],
        "boxes": [[30, 20, 90, 60, 0.9, 0], [100, 50, 180, 90, 0.75, 1]],
        "masks": [[30, 20, 90, 60], [100, 50, 180, 90]],
        "file": str(preds / "a.txt"),
    }
    expected = run_ultralytics(tmp_path, SAVE_TXT, job)
    assert detect_predictions_format(str(preds)) == "yolo-conf-last"
    # the run's folder (runs/segment/predict: images and labels/) reads as its labels/
    s = ingest_predictions(catalog, "seg", "m", preds.parent, **prediction_maps(catalog, "seg"))
    assert s.errors == [] and s.predictions == 2
    assert s.label_types == {
        "boxes": 2,
        "rotated_boxes": 0,
        "polylines": 0,
        "masks": 2,
        "label_maps": 0,
        "keypoints": 0,
        "classifications": 0,
    }
    rows = stored_rows(catalog, "seg", "a", "m")
    assert [r["label"] for r in rows] == ["cat", "dog"]
    assert [r["score"] for r in rows] == pytest.approx(expected["conf"], abs=1e-6)
    for row, polygon in zip(rows, expected["polygons"], strict=True):
        poly = np.array(polygon)
        (stored,) = json.loads(row["segmentation"])
        assert len(poly) > 3 and stored == pytest.approx(poly.ravel().tolist(), abs=2e-3)
        x, y = poly.min(axis=0)
        w, h = poly.max(axis=0) - (x, y)
        assert (row["x"], row["y"], row["w"], row["h"]) == pytest.approx((x, y, w, h), abs=2e-3)
        xs, ys = poly[:, 0], poly[:, 1]
        shoelace = abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2
        assert row["mask_area"] == pytest.approx(shoelace, rel=1e-4)


def test_detection_predictions_written_by_ultralytics(catalog: Catalog, tmp_path: Path) -> None:
    """Boxes with the confidence last are told from Padilla's ``class conf xc yc w h``."""
    _ground_truth(catalog, tmp_path, "det", SEG_YAML)
    preds = tmp_path / "labels"
    preds.mkdir()
    boxes = [[30, 20, 90, 60, 0.9, 0], [100, 50, 180, 90, 0.75, 1], [0, 0, 200, 100, 0.3, 0]]
    job = {"size": [H, W], "boxes": boxes, "file": str(preds / "a.txt")}
    expected = run_ultralytics(tmp_path, SAVE_TXT, job)
    assert detect_predictions_format(str(preds)) == "yolo-conf-last"
    s = ingest_predictions(catalog, "det", "m", preds, **prediction_maps(catalog, "det"))
    assert s.errors == [] and s.warnings == []
    rows = stored_rows(catalog, "det", "a", "m")
    assert [r["label"] for r in rows] == ["cat", "dog", "cat"]
    for row, (x1, y1, x2, y2), conf in zip(rows, expected["xyxy"], expected["conf"], strict=True):
        assert (row["x"], row["y"], row["w"], row["h"]) == pytest.approx(
            (x1, y1, x2 - x1, y2 - y1), abs=2e-3
        )
        assert row["score"] == pytest.approx(conf, abs=1e-6)
    # Padilla's relative layout (the confidence first) stays "yolo"
    (preds / "a.txt").write_text("0 0.9 0.3 0.4 0.3 0.4\n1 0.75 0.7 0.7 0.4 0.4\n")
    assert detect_predictions_format(str(preds)) == "yolo"


def test_pose_predictions_written_by_ultralytics(catalog: Catalog, tmp_path: Path) -> None:
    _ground_truth(catalog, tmp_path, "pose", POSE_YAML)
    preds = tmp_path / "labels"
    preds.mkdir()
    rng = np.random.default_rng(5)
    points = np.column_stack(
        (rng.uniform(1, W - 1, 10), rng.uniform(1, H - 1, 10), rng.uniform(0, 1, 10))
    ).reshape(2, 5, 3)
    job = {
        "size": [H, W],
        "boxes": [[20, 10, 120, 90, 0.8, 0], [60, 5, 190, 95, 0.6, 0]],
        "keypoints": points.tolist(),
        "file": str(preds / "a.txt"),
    }
    expected = run_ultralytics(tmp_path, SAVE_TXT, job)
    assert detect_predictions_format(str(preds)) == "yolo-conf-last"
    maps = prediction_maps(catalog, "pose")
    assert maps["keypoint_classes"] == {"person": 5}
    s = ingest_predictions(catalog, "pose", "m", preds, **maps)
    assert s.errors == [] and (s.label_types or {})["keypoints"] == 2
    rows = stored_rows(catalog, "pose", "a", "m")
    for i, row in enumerate(rows):
        # Ultralytics' own view: x y in pixels (zeroed below 0.5 confidence), then conf
        want = np.column_stack((expected["keypoints"][i], expected["keypoint_conf"][i]))
        assert row["keypoints"] == pytest.approx(want.ravel().tolist(), abs=2e-3)
        assert row["num_keypoints"] == int((want[:, 2] > 0).sum())
        x1, y1, x2, y2 = expected["xyxy"][i]
        box = (row["x"], row["y"], row["w"], row["h"])
        assert box == pytest.approx((x1, y1, x2 - x1, y2 - y1), abs=2e-3)
        assert row["score"] == pytest.approx(expected["conf"][i], abs=1e-6)


def test_prediction_rows_get_the_ground_truths_report_rows(
    catalog: Catalog, tmp_path: Path
) -> None:
    triangle = [0.1, 0.2, 0.5, 0.2, 0.3, 0.8]
    _ground_truth(catalog, tmp_path, "seg", SEG_YAML)
    preds = tmp_path / "p"
    preds.mkdir()
    (preds / "a.txt").write_text(
        f"{yolo_row([*triangle, 0.9])}\n"  # a polygon
        f"{yolo_row([0.5, 0.5, 0.2, 0.2, 0.8], 1)}\n"  # a box
        f"{yolo_row([-0.2, 0.5, 0.4, 0.5, 0.4, 0.9, 0.7])}\n"  # clamped
        "0 0.1 0.1 0.2 0.2 0.3 0.5\n"  # 5 coordinates and the confidence: odd
        "0 0.5 0.5 0.9\n"  # too few fields
        "7 0.5 0.5 0.2 0.2 0.9\n"  # no class 7
        "0 0.5 0.5 0.2 0.2 high\n"  # a word for the confidence
    )
    (preds / "nowhere.txt").write_text(f"{yolo_row([0.5, 0.5, 0.2, 0.2, 0.8])}\n")
    s = ingest_predictions(catalog, "seg", "m", preds, fmt="yolo-conf-last", classes=["cat", "dog"])
    assert {e["code"]: e["count"] for e in s.errors} == {
        "yolo_odd_coordinates": 1,
        "yolo_bad_line": 1,
        "yolo_unknown_class": 1,
        "yolo_bad_value": 1,
    }
    (bad_value,) = [e for e in s.errors if e["code"] == "yolo_bad_value"]
    assert bad_value["message"] == "non-numeric confidence: line skipped"
    warnings = {w["code"]: w["count"] for w in s.warnings}
    assert warnings["yolo_clamped"] == 1 and warnings["prediction_unknown_image"] == 1
    first, box, clamped = stored_rows(catalog, "seg", "a", "m")
    pixels = [v * (W if i % 2 == 0 else H) for i, v in enumerate(triangle)]
    assert json.loads(first["segmentation"]) == [pytest.approx(pixels)]
    assert (first["score"], box["score"], box["segmentation"]) == (0.9, 0.8, None)
    assert (box["x"], box["y"], box["w"], box["h"]) == pytest.approx((80, 40, 40, 20))
    assert json.loads(clamped["segmentation"]) == [pytest.approx([0, 50, 80, 50, 80, 90])]
    # the same rows read as ground truth store the same polygons
    gt = yolo_dataset(tmp_path / "gt", SEG_YAML, {"a": f"{yolo_row(triangle)}\n"})
    ingest(catalog, "gt", gt)
    ingest_predictions(catalog, "gt", "m", preds, fmt="yolo-conf-last", classes=["cat", "dog"])
    (truth,) = stored_rows(catalog, "gt", "a")
    predicted = stored_rows(catalog, "gt", "a", "m")[0]
    assert json.loads(truth["segmentation"]) == json.loads(predicted["segmentation"])
    assert predicted["mask_area"] == pytest.approx(truth["mask_area"], rel=1e-6)


def test_pose_prediction_with_the_wrong_point_count_is_reported(
    catalog: Catalog, tmp_path: Path
) -> None:
    _ground_truth(catalog, tmp_path, "pose", POSE_YAML)
    preds = tmp_path / "p"
    preds.mkdir()
    (preds / "a.txt").write_text(
        f"{yolo_row([0.5, 0.5, 0.2, 0.2, *[0.5, 0.5] * 4, 0.9])}\n"  # 4 points of 5
        f"{yolo_row([0.5, 0.5, 0.2, 0.2, *[0.4, 0.6] * 5, 0.9])}\n"  # 5 points of x y
        f"{yolo_row([0.5, 0.5, 0.2, 0.2, 0.7])}\n"  # a box of a detection model
    )
    s = ingest_predictions(catalog, "pose", "m", preds, **prediction_maps(catalog, "pose"))
    assert [(e["code"], e["count"]) for e in s.errors] == [("yolo_bad_keypoint_count", 1)]
    pose, box = stored_rows(catalog, "pose", "a", "m")
    assert pose["keypoints"] == pytest.approx([80, 60, 2] * 5)
    assert box["keypoints"] is None and box["score"] == 0.7


def test_cli_reads_yolo_predictions(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        _ground_truth(catalog, tmp_path, "pose", POSE_YAML)
    preds = tmp_path / "p"
    preds.mkdir()
    (preds / "b.txt").write_text(f"{yolo_row([0.5, 0.5, 0.2, 0.2, *[0.4, 0.6, 0.9] * 5, 0.9])}\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "visionlens_jlab.cli",
            "predictions",
            "pose",
            str(preds),
            "--model",
            "m",
            "--data-dir",
            str(data),
            "--json",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["predictions"] == 1 and result["label_types"]["keypoints"] == 1
    with Catalog(data) as reopened:
        (row,) = stored_rows(reopened, "pose", "b", "m")
    assert row["keypoints"] == pytest.approx([80, 60, 0.9] * 5)


async def test_rest_reads_yolo_predictions(
    vl_app: Any, api: Any, wait_job: Any, tmp_path: Path
) -> None:
    """The server's job (a worker process) gets the dataset's keypoint classes too."""
    _ground_truth(vl_app.catalog, tmp_path, "pose", POSE_YAML)
    preds = tmp_path / "p"
    preds.mkdir()
    (preds / "a.txt").write_text(f"{yolo_row([0.5, 0.5, 0.2, 0.2, *[0.4, 0.6] * 5, 0.8])}\n")
    status, body = await api(
        "POST", "datasets/pose/predictions", {"source": str(preds), "model": "m"}
    )
    assert status == 202, body
    job = await wait_job(body["job"])
    assert job["status"] == "done", job
    assert job["result"]["label_types"]["keypoints"] == 1
    (row,) = stored_rows(vl_app.catalog, "pose", "a", "m")
    assert row["keypoints"] == pytest.approx([80, 60, 2] * 5) and row["score"] == 0.8
