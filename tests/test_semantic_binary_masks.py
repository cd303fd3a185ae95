"""Binary masks as segmentation tools write them: 1-bit PNGs (Pillow's saving of a boolean
array), read as the classes 0 and 1 and evaluated as the same masks saved 8-bit; masks
saved 0 and 255 (ISIC, Kvasir-SEG), whose 255 is VOC's void: imported with a warning
saying every metric would be the background's alone and how to save them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from .semantic_fixtures import run_cli


def _binary_set(root: Path, save: Any) -> str:
    """Four images with a lesion each, masks and a model's masks written by ``save``."""
    (root / "images").mkdir(parents=True)
    (root / "classes.txt").write_text("background\nlesion\n")
    rng = np.random.default_rng(4)
    for i in range(4):
        gt = np.zeros((20, 24), bool)
        y, x = int(rng.integers(0, 8)), int(rng.integers(0, 10))
        gt[y : y + 10, x : x + 12] = True
        pred = np.roll(gt, i - 1, axis=1) | (rng.random(gt.shape) < 0.05)
        Image.new("RGB", (24, 20)).save(root / "images" / f"{i}.jpg")
        for array, folder in ((gt, "masks"), (pred, "preds")):
            (root / folder).mkdir(exist_ok=True)
            save(array).save(root / folder / f"{i}.png")
    return str(root / "data")


def _evaluated(root: Path, save: Any, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    data = _binary_set(root, save)
    code, ingest = run_cli(capsys, "semantic-ingest", str(root), "--name", "b", "--data-dir", data)
    assert code == 0, ingest
    args = ("--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "semantic-predictions", "b", str(root / "preds"), *args)
    assert code == 0, out
    code, out = run_cli(capsys, "evaluate", "b", *args)
    return {"ingest": ingest, "code": code, "report": out}


def test_one_bit_masks_are_the_classes_0_and_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grey = _evaluated(tmp_path / "grey", lambda a: Image.fromarray(a.astype(np.uint8)), capsys)
    bits = _evaluated(tmp_path / "bits", Image.fromarray, capsys)
    with Image.open(tmp_path / "bits" / "masks" / "0.png") as image:
        assert image.mode == "1"
    assert bits["code"] == grey["code"] == 0
    assert bits["report"]["semantic"] == grey["report"]["semantic"]
    lesion = grey["report"]["semantic"]["per_class"]["lesion"]
    assert 0.3 < lesion["iou"] < 1 and lesion["pixels"] == 4 * 120
    assert grey["ingest"]["warnings"] == [] and bits["ingest"]["warnings"] == []


def test_masks_saved_0_and_255_are_imported_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _evaluated(tmp_path, lambda a: Image.fromarray(a.astype(np.uint8) * 255), capsys)
    (warning,) = out["ingest"]["warnings"]
    assert warning["code"] == "semantic_background_only"
    assert "any class but 'background' (class 0)" in warning["message"]
    assert "saved as 0 and 255 need their 255 saved as 1 (mask // 255)" in warning["message"]
    # the model's 255 lies on scored background pixels: no class, refused by the evaluation
    assert out["code"] == 1 and "value 255, not a class (0..1)" in out["report"]["stderr"]
