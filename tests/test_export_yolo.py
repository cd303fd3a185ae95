"""YOLO export, proven by Ultralytics and by ingesting it again: detection, segmentation
and pose trees pass Ultralytics' own dataset check and label reader with every instance,
keep the dataset's class order and splits, and ``visionlens ingest OUT`` gives back the
same labels to within 1e-6 pixel (the coordinates are normalised, written as exact reprs).
Splits re-drawn from ratios are stratified and the same for the same seed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.export_fixtures import (
    coco_source,
    ingest_cli,
    ingest_source,
    label_rows,
    run_cli,
    sample_rows,
    ultralytics_font,
)
from tests.ingest_fixtures import write_yolo
from tests.yolo_fixtures import run_ultralytics

PIXELS = 1e-6
"""How far a re-ingested coordinate may be from the exported one (normalised round trip)."""

ULTRALYTICS_CHECK = """
import json, sys
from ultralytics.data.dataset import YOLODataset
from ultralytics.data.utils import check_det_dataset

args = json.loads(sys.stdin.read())
data = check_det_dataset(args["yaml"])
out = {"names": list(data["names"].values()), "kpt_shape": data.get("kpt_shape")}
for split in ("train", "val"):
    ds = YOLODataset(img_path=data[split], data=data, task=args["task"], augment=False)
    out[split] = {
        "images": len(ds.labels),
        "instances": sum(len(lb["cls"]) for lb in ds.labels),
        "segments": sum(len(lb["segments"]) for lb in ds.labels),
        "keypoints": sum(0 if lb.get("keypoints") is None else len(lb["keypoints"]) for lb in ds.labels),
    }
print(json.dumps(out))
"""

ULTRALYTICS_TRAIN = """
import json, sys
from ultralytics import YOLO

args = json.loads(sys.stdin.read())
YOLO("yolov8n.yaml").train(
    data=args["yaml"], epochs=1, imgsz=64, batch=2, device="cpu", workers=0, amp=False,
    plots=False, project=args["project"], name="run", exist_ok=True, verbose=False,
)
print(json.dumps({"done": True}))
"""


def _ultralytics(tmp_path: Path, out: Path, task: str) -> Any:
    ultralytics_font(tmp_path)
    return run_ultralytics(
        tmp_path, ULTRALYTICS_CHECK, {"yaml": str(out / "data.yaml"), "task": task}
    )


def _close(
    got: list[dict[str, Any]], expected: list[dict[str, Any]], keys: tuple[str, ...]
) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert (g["file_name"], g["label"]) == (e["file_name"], e["label"])
        for key in keys:
            assert g[key] == pytest.approx(e[key], abs=PIXELS), key


@pytest.fixture
def detection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A data dir holding ``src``: an Ultralytics tree of 6 images, 20 classes, train/val."""
    write_yolo(tmp_path / "src", 6, 4)
    data_dir = tmp_path / "vl"
    ingest_cli(capsys, data_dir, tmp_path / "src", "src")
    return data_dir


def test_yolo_detection_passes_ultralytics_and_reingests(
    detection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, result = run_cli(
        capsys, detection, "export", "src", "--format", "yolo", "--out", str(out)
    )
    assert code == 0, result
    assert (result["samples"], result["annotations"], result["files"]) == (6, 24, 13)
    checked = _ultralytics(tmp_path, out, "detect")
    assert checked["names"] == [f"c{k}" for k in range(20)]  # the dataset's order, same ids
    assert checked["train"]["instances"] + checked["val"]["instances"] == 24
    assert checked["train"]["images"] + checked["val"]["images"] == 6
    ingest_cli(capsys, detection, out, "again")
    assert sample_rows(detection, "again") == sample_rows(detection, "src")
    _close(label_rows(detection, "again"), label_rows(detection, "src"), ("x", "y", "w", "h"))


def test_yolo_one_epoch_trains_on_the_export(
    detection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ultralytics trains one epoch from a model yaml (random weights, CPU) on the export."""
    out = tmp_path / "out"
    assert (
        run_cli(capsys, detection, "export", "src", "--format", "yolo", "--out", str(out))[0] == 0
    )
    ultralytics_font(tmp_path)
    payload = {"yaml": str(out / "data.yaml"), "project": str(tmp_path / "train")}
    assert run_ultralytics(tmp_path, ULTRALYTICS_TRAIN, payload) == {"done": True}
    assert (tmp_path / "train" / "run" / "weights" / "last.pt").is_file()


@pytest.mark.parametrize("kind", ["segm", "keypoints"])
def test_yolo_segmentation_and_pose(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gt, _dets = coco_source(tmp_path / "src", kind)
    data_dir = tmp_path / "vl"
    ingest_source(capsys, tmp_path / "src", data_dir)
    out = tmp_path / "out"
    code, result = run_cli(capsys, data_dir, "export", "src", "--format", "yolo", "--out", str(out))
    assert code == 0, result
    task = "segment" if kind == "segm" else "pose"
    checked = _ultralytics(tmp_path, out, task)
    n = len(gt["annotations"])
    assert checked["train"]["instances"] + checked["val"]["instances"] == n
    config = yaml.safe_load((out / "data.yaml").read_text())
    if task == "pose":
        assert checked["kpt_shape"] == config["kpt_shape"] == [17, 3]
        assert checked["train"]["keypoints"] + checked["val"]["keypoints"] == n
    else:
        assert checked["train"]["segments"] + checked["val"]["segments"] == n
    ingest_cli(capsys, data_dir, out, "again")
    assert sample_rows(data_dir, "again") == sample_rows(data_dir, "src")
    again, src = label_rows(data_dir, "again"), label_rows(data_dir, "src")
    if task == "pose":
        _close(again, src, ("x", "y", "w", "h", "keypoints"))
    else:
        # YOLO rows hold one outline inside the image: compare the single-part polygons
        # the source kept inside it (the others are merged or clamped by the format)
        inside = [(g, e) for g, e in zip(again, src, strict=True) if _one_part_inside(e)]
        assert inside
        for g, e in inside:
            assert g["segmentation"][0] == pytest.approx(e["segmentation"][0], abs=PIXELS)


def _one_part_inside(row: dict[str, Any]) -> bool:
    """Whether a label's mask is one polygon with every point inside its image."""
    seg = row["segmentation"]
    if not (isinstance(seg, list) and len(seg) == 1):
        return False
    xs, ys = seg[0][0::2], seg[0][1::2]
    return all(0 <= x <= row["image_w"] for x in xs) and all(0 <= y <= row["image_h"] for y in ys)


def test_redrawn_splits_are_stratified_and_seeded(
    detection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def export(name: str, seed: int) -> dict[str, str]:
        out = tmp_path / name
        code, result = run_cli(
            capsys, detection, "export", "src", "--format", "yolo", "--out", str(out),
            "--splits", "train=0.5,val=0.5", "--seed", str(seed), "--images", "none",
        )  # fmt: skip
        assert code == 0, result
        return {p.stem: p.parent.name for p in (out / "labels").rglob("*.txt")}

    first, again, other = export("a", 7), export("b", 7), export("c", 8)
    assert first == again
    assert Counter(first.values()) == {"train": 3, "val": 3}
    assert first != other or Counter(other.values()) == {"train": 3, "val": 3}


def test_one_split_is_read_once(
    detection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A view of one split names its folder as both ``train`` and ``val`` (Ultralytics
    needs both keys); ingesting it again reads the folder once."""
    out = tmp_path / "out"
    code, result = run_cli(
        capsys, detection, "export", "src", "--format", "yolo", "--out", str(out), "--filter",
        '{"sample": {"split": {"in": ["train"]}}}',
    )  # fmt: skip
    assert code == 0, result
    config = yaml.safe_load((out / "data.yaml").read_text())
    assert config["train"] == config["val"] == "images/train"
    assert ingest_cli(capsys, detection, out, "again")["samples"] == result["samples"] == 3
