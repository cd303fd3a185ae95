"""``--ignore-index`` naming one of the classes (``classes.txt`` line 0 "unlabelled",
``--ignore-index 0``): its ground-truth pixels are left out of every metric and the class
itself has no score, as torchmetrics' ``ignore_index`` does (each image's mean IoU as well),
through the CLI on real PNGs;
and the layouts' value maps send their ignored values (ADE20K's 0, Cityscapes' unevaluated
ids) to the given ignore index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from torchmetrics.classification import MulticlassAccuracy, MulticlassJaccardIndex

from tests.semantic_fixtures import run_cli, save_grey
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.label_quality.job import run_label_quality
from visionlens_jlab.label_quality.semantic_masks import image_score
from visionlens_jlab.semantic.evaluate import evaluate_semantic
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic


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
        save_grey(gt, root / "masks" / f"{stem}.png")
        save_grey(pred, tmp_path / "preds" / f"{stem}.png")
        gts.append(gt)
        preds.append(pred)
    args = ("--data-dir", data)
    assert (
        run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--ignore-index", "0", *args)[
            0
        ]
        == 0
    )
    assert (
        run_cli(
            capsys, "semantic-predictions", "s", str(tmp_path / "preds"), "--model", "m", *args
        )[0]
        == 0
    )
    code, out = run_cli(capsys, "evaluate", "s", "--model", "m", *args)
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
    # each image's mean IoU (the grid's semantic_miou) leaves the class out too
    with Catalog(Path(data)) as catalog, catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT s.file_name, c.num FROM computed_values c JOIN samples s USING (sample_id) "
            "WHERE c.field = 'semantic_miou'"
        ).fetchall()
    per_image = {Path(name).stem: value for name, value in rows}
    metric = MulticlassJaccardIndex(**kw, average="macro")
    for stem, t, p in zip(("a", "b"), target, predicted, strict=True):
        assert per_image[stem] == pytest.approx(metric(p[None], t[None]).item(), abs=1e-6)


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_ignore_index_is_where_a_value_map_sends_its_ignored_values(tmp_path: Path) -> None:
    """``--ignore-index 9`` on ADE20K: "other" (0) maps to 9, as the option says, so label
        quality leaves those pixels out (it used to count them as a class 255, labelled) and
        the evaluation equals torchmetrics' with ``ignore_index=9`` on the mapped masks (and on
    predictions written as class indices, which are not mapped);
        Cityscapes' unevaluated label ids map to it too."""
    root = tmp_path / "ADEChallengeData2016"
    root.mkdir()
    (root / "objectInfo150.csv").write_text(
        "Idx,Ratio,Train,Val,Name\n1,0.1,1,1,wall\n2,0.1,1,1,building\n3,0.1,1,1,sky\n"
    )
    rng = np.random.default_rng(5)
    gts, preds = [], []
    for stem in ("ADE_val_00000001", "ADE_val_00000002"):
        gt = rng.integers(0, 4, (12, 16))  # 0: "other"
        pred = np.where(rng.random(gt.shape) < 0.3, rng.integers(1, 4, gt.shape), gt)
        pred = np.where(pred == 0, 1, pred)  # the model always names a class
        Image.new("RGB", (16, 12)).save(_touch(root / "images" / "validation" / f"{stem}.jpg"))
        save_grey(gt, root / "annotations" / "validation" / f"{stem}.png")
        save_grey(pred, tmp_path / "preds" / f"{stem}.png")
        gts.append(gt)
        preds.append(pred)
    found = open_semantic(str(root), ignore_index=9)
    assert found.classes.value_map == (9, *range(255))  # the definition: 0 -> 9, k -> k-1
    catalog = Catalog(tmp_path / "data")
    ingest_semantic(catalog, "ade", found)
    ingest_semantic_predictions(catalog, "ade", "m", str(tmp_path / "preds"))
    sem = evaluate_semantic(catalog, "ade", "m", boundary=False)["semantic"]
    target = torch.from_numpy(np.stack([np.where(g == 0, 9, g - 1) for g in gts]))
    predicted = torch.from_numpy(np.stack([p - 1 for p in preds]))
    kw: dict[str, Any] = {"num_classes": 3, "ignore_index": 9}
    iou = MulticlassJaccardIndex(**kw, average="macro")(predicted, target).item()
    accuracy = MulticlassAccuracy(**kw, average="micro")(predicted, target).item()
    assert sem["mIoU"] == pytest.approx(iou, abs=1e-6)
    assert sem["pixel_accuracy"] == pytest.approx(accuracy, abs=1e-6)
    # the same predictions written as class indices (``--indices``): not mapped again
    for stem, p in zip(("ADE_val_00000001", "ADE_val_00000002"), predicted, strict=True):
        save_grey(p.numpy(), tmp_path / "indices" / f"{stem}.png")
    ingest_semantic_predictions(catalog, "ade", "idx", str(tmp_path / "indices"), indices=True)
    again = evaluate_semantic(catalog, "ade", "idx", boundary=False)["semantic"]
    assert again["mIoU"] == pytest.approx(iou, abs=1e-6)
    assert again["confusion_matrix"] == sem["confusion_matrix"]
    result = run_label_quality(catalog, "ade", "m")
    with catalog.cursor() as cur:
        by_file = dict(cur.execute("SELECT sample_id, file_name FROM samples").fetchall())
    assert len(result["images"]) == 2
    for row in result["images"]:
        i = 0 if by_file[row["sample_id"]].endswith("1.jpg") else 1
        labelled = gts[i] != 0  # "other" is no label
        agree = int((labelled & (preds[i] == gts[i])).sum())
        expected = image_score(np.array([agree]), np.array([int(labelled.sum()) - agree]))
        assert row["score"] == pytest.approx(float(expected[0]))
    cs = tmp_path / "cityscapes"
    stem = "aachen_000000_000019"
    Image.new("RGB", (2, 1)).save(
        _touch(cs / "leftImg8bit" / "val" / "aachen" / f"{stem}_leftImg8bit.png")
    )
    save_grey(np.array([[7, 0]]), cs / "gtFine" / "val" / "aachen" / f"{stem}_gtFine_labelIds.png")
    value_map = open_semantic(str(cs), ignore_index=100).classes.value_map
    assert value_map is not None
    assert [value_map[i] for i in (0, 1, 7, 33, 34, 255)] == [100, 100, 0, 18, 100, 100]
