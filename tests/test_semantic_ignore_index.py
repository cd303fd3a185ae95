"""``--ignore-index`` naming one of the classes (``classes.txt`` line 0 "unlabelled",
``--ignore-index 0``): its ground-truth pixels are left out of every metric and the class
itself has no score, as torchmetrics' ``ignore_index`` does, through the CLI on real PNGs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from torchmetrics.classification import MulticlassAccuracy, MulticlassJaccardIndex

from visionlens_jlab.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    out = captured.out.strip()
    return code, {**(json.loads(out) if out else {}), "stderr": captured.err}


def _grey(array: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array.astype(np.uint8), mode="L").save(path)


def test_an_ignore_index_inside_the_classes_is_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, data = tmp_path / "set", str(tmp_path / "data")
    root.mkdir()
    (root / "classes.txt").write_text("unlabelled\nroad\ncar\n")
    rng = np.random.default_rng(3)
    gts, preds = [], []
    for stem in ("a", "b"):
        gt = rng.integers(0, 3, (12, 16))
        pred = np.where(rng.random(gt.shape) < 0.3, rng.integers(0, 3, gt.shape), gt)
        Image.new("RGB", (16, 12)).save(_touch(root / "images" / f"{stem}.jpg"))
        _grey(gt, root / "masks" / f"{stem}.png")
        _grey(pred, tmp_path / "preds" / f"{stem}.png")
        gts.append(gt)
        preds.append(pred)
    args = ("--data-dir", data)
    assert (
        _run(capsys, "semantic-ingest", str(root), "--name", "s", "--ignore-index", "0", *args)[0]
        == 0
    )
    assert (
        _run(capsys, "semantic-predictions", "s", str(tmp_path / "preds"), "--model", "m", *args)[0]
        == 0
    )
    code, out = _run(capsys, "evaluate", "s", "--model", "m", *args)
    assert code == 0, out
    sem = out["semantic"]
    every_gt = np.concatenate([g.ravel() for g in gts])
    assert sem["per_class"]["unlabelled"]["pixels"] == 0  # value 0 is ignored, not counted
    assert sem["per_class"]["unlabelled"]["iou"] is None
    assert sem["per_class"]["road"]["pixels"] == int((every_gt == 1).sum())
    target = torch.from_numpy(np.stack(gts).astype(np.int64))
    predicted = torch.from_numpy(np.stack(preds).astype(np.int64))
    kw: dict[str, Any] = {"num_classes": 3, "ignore_index": 0}
    iou = MulticlassJaccardIndex(**kw, average="macro")(predicted, target).item()
    accuracy = MulticlassAccuracy(**kw, average="micro")(predicted, target).item()
    assert sem["mIoU"] == pytest.approx(iou, abs=1e-6)
    assert sem["pixel_accuracy"] == pytest.approx(accuracy, abs=1e-6)


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
