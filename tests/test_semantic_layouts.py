"""Semantic dataset layouts on generated files: Cityscapes label ids (evaluated as the 19
train-id classes), ADE20K (0 = other, ignored), ``images/`` + ``masks/`` with a classes
file and an ignore index, and the errors a user meets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.semantic_fixtures import run_cli, save_grey, save_palette
from visionlens_jlab.semantic.classes import CITYSCAPES_CLASSES


def _image(path: Path, shape: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (shape[1], shape[0])).save(path)


def test_cityscapes_label_ids_become_train_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, preds, rng = tmp_path / "cityscapes", tmp_path / "preds", np.random.default_rng(1)
    ids = np.array([0, 1, 7, 8, 26, 33])  # unlabeled, ego vehicle, road, sidewalk, car, bicycle
    masks = []
    for split, city, n in (("train", "aachen", 2), ("val", "lindau", 1)):
        for i in range(n):
            stem = f"{city}_{i:06d}_000019"
            mask = ids[rng.integers(0, len(ids), (16, 24))]
            _image(root / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png", mask.shape)
            save_grey(mask, root / "gtFine" / split / city / f"{stem}_gtFine_labelIds.png")
            save_grey(mask, preds / f"{stem}_leftImg8bit.png")  # a perfect model, in label ids
            masks.append(mask)
    data = str(tmp_path / "data")
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "cs", "--data-dir", data)
    assert code == 0 and out["semantic"] == {
        "layout": "cityscapes",
        "masks": 3,
        "classes": 19,
        "masks_without_image": 0,
        "images_without_mask": 0,
    }
    assert out["samples"] == 3
    code, _ = run_cli(
        capsys, "semantic-predictions", "cs", str(preds), "--model", "m", "--data-dir", data
    )
    assert code == 0
    code, report = run_cli(capsys, "evaluate", "cs", "--model", "m", "--data-dir", data)
    sem = report["semantic"]
    assert sem["mIoU"] == 1.0 and sem["pixel_accuracy"] == 1.0
    every = np.concatenate([m.ravel() for m in masks])
    for label_id, name in ((7, "road"), (8, "sidewalk"), (26, "car"), (33, "bicycle")):
        assert sem["per_class"][name]["pixels"] == int((every == label_id).sum())
    assert sum(row["pixels"] for row in sem["per_class"].values()) == int(
        np.isin(every, [7, 8, 26, 33]).sum()
    )  # ids 0 and 1 are ignored
    assert list(sem["per_class"]) == list(CITYSCAPES_CLASSES)


def test_ade20k_zero_is_other(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ADEChallengeData2016"
    root.mkdir()
    (root / "objectInfo150.csv").write_text(
        "Idx,Ratio,Train,Val,Name\n1,0.1,1,1,wall\n2,0.1,1,1,building;edifice\n3,0.1,1,1,sky\n"
    )
    gt = np.array([[0, 1, 2, 3], [1, 1, 2, 3]])
    pred = np.array([[3, 1, 1, 3], [1, 1, 2, 3]])  # value k is class k-1, like the ground truth
    _image(root / "images" / "validation" / "ADE_val_00000001.jpg", gt.shape)
    save_grey(gt, root / "annotations" / "validation" / "ADE_val_00000001.png")
    save_grey(pred, tmp_path / "preds" / "ADE_val_00000001.png")
    data = str(tmp_path / "data")
    assert (
        run_cli(capsys, "semantic-ingest", str(root), "--name", "ade", "--data-dir", data)[0] == 0
    )
    run_cli(
        capsys,
        "semantic-predictions",
        "ade",
        str(tmp_path / "preds"),
        "--model",
        "m",
        "--data-dir",
        data,
    )
    code, report = run_cli(capsys, "evaluate", "ade", "--model", "m", "--data-dir", data)
    per = report["semantic"]["per_class"]
    assert code == 0 and list(per) == ["wall", "building", "sky"]
    # the "other" pixel (gt 0) is left out whatever was predicted there
    assert [per[n]["pixels"] for n in per] == [3, 2, 2]
    assert per["wall"]["iou"] == pytest.approx(3 / 4)  # 3 hits, 1 building pixel called wall
    assert per["building"]["iou"] == pytest.approx(1 / 2)  # 1 hit, 1 missed
    assert report["semantic"]["pixel_accuracy"] == pytest.approx(6 / 7)


def test_masks_layout_classes_file_ignore_index_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, data = tmp_path / "set", str(tmp_path / "data")
    (root).mkdir()
    (root / "classes.txt").write_text("bg\nlane\n")
    gt = np.array([[0, 1, 9], [1, 1, 9]])  # 9: ignored by --ignore-index 9
    _image(root / "images" / "a.jpg", gt.shape)
    save_grey(gt, root / "masks" / "a.png")
    args = ("semantic-ingest", str(root), "--name", "lanes", "--data-dir", data)
    assert run_cli(capsys, *args, "--ignore-index", "9")[0] == 0
    rgb = tmp_path / "rgb"
    rgb.mkdir()
    Image.new("RGB", (3, 2), (200, 30, 40)).save(rgb / "a.png")  # colours: grey is read as ids
    pred = ("--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "semantic-predictions", "lanes", str(rgb), *pred)
    assert code == 1 and "not a label map" in out["stderr"]  # refused at import
    bad = tmp_path / "bad"
    save_grey(np.array([[0, 5, 0], [1, 1, 0]]), bad / "a.png")  # 5 is no class
    code, out = run_cli(capsys, "semantic-predictions", "lanes", str(bad), *pred)
    assert code == 1 and "a.png: pixel value(s) 5 name none of the 2 classes" in out["stderr"]
    good = tmp_path / "good"
    save_grey(np.array([[0, 1, 0], [1, 0, 0]]), good / "a.png")
    run_cli(capsys, "semantic-predictions", "lanes", str(good), "--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "evaluate", "lanes", "--model", "m", "--data-dir", data)
    assert out["semantic"]["per_class"]["lane"]["pixels"] == 3
    assert out["semantic"]["pixel_accuracy"] == pytest.approx(3 / 4)
    code, out = run_cli(
        capsys,
        "semantic-predictions",
        "lanes",
        str(tmp_path / "rgb2"),
        "--model",
        "x",
        "--data-dir",
        data,
    )
    assert code == 1 and "not a folder" in out["stderr"]
    code, out = run_cli(
        capsys, "semantic-ingest", str(tmp_path / "rgb"), "--name", "no", "--data-dir", data
    )
    assert code == 2 and "no semantic layout found" in out["stderr"]


def test_uppercase_png_masks_are_masks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    voc, data = tmp_path / "VOC2012", str(tmp_path / "data")
    gt = np.array([[0, 15, 255], [15, 15, 0]])
    for stem, mask_name in (("2007_000001", "2007_000001.png"), ("DSC_0002", "DSC_0002.PNG")):
        _image(voc / "JPEGImages" / f"{stem}.JPG", gt.shape)
        save_grey(gt, voc / "SegmentationClass" / mask_name)
        save_grey(gt, tmp_path / "preds" / mask_name.replace(".png", ".PNG"))
    code, out = run_cli(capsys, "semantic-ingest", str(tmp_path), "--name", "v", "--data-dir", data)
    assert code == 0 and out["semantic"]["masks"] == 2 and out["samples"] == 2
    code, out = run_cli(
        capsys, "semantic-predictions", "v", str(tmp_path / "preds"), "--model", "m",
        "--data-dir", data,
    )  # fmt: skip
    assert code == 0 and out["masks"] == 2 and out["unmatched"] == 0


def test_a_colour_coded_mask_is_refused_at_ingest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, data = tmp_path / "set", str(tmp_path / "data")
    root.mkdir()
    (root / "classes.txt").write_text("bg\nroad\n")
    _image(root / "images" / "a.jpg", (2, 3))
    save_grey(np.array([[0, 1, 1], [0, 0, 1]]), root / "masks" / "a.png")
    _image(root / "images" / "b.jpg", (2, 3))
    Image.new("RGB", (3, 2), (128, 64, 128)).save(root / "masks" / "b.png")  # a colour mask
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)
    assert code == 1 and "b.png: a RGB image, not a label map" in out["stderr"]
    assert "Traceback" not in out["stderr"]
    code, out = run_cli(capsys, "datasets", "--data-dir", data)
    assert out["datasets"] == []  # nothing half-written


def test_sixteen_bit_label_ids_map_like_eight_bit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, data = tmp_path / "cityscapes", str(tmp_path / "data")
    ids = np.array([[7, 8, 26, 0], [7, 7, 33, 1]])  # road, sidewalk, car, void; bicycle
    stem = "aachen_000000_000019"
    _image(root / "leftImg8bit" / "val" / "aachen" / f"{stem}_leftImg8bit.png", ids.shape)
    save_grey(ids, root / "gtFine" / "val" / "aachen" / f"{stem}_gtFine_labelIds.png")
    (tmp_path / "preds").mkdir()
    Image.fromarray(ids.astype(np.uint16)).save(tmp_path / "preds" / f"{stem}.png")  # 16-bit
    assert run_cli(capsys, "semantic-ingest", str(root), "--name", "cs", "--data-dir", data)[0] == 0
    args = ("--model", "m", "--data-dir", data)
    assert run_cli(capsys, "semantic-predictions", "cs", str(tmp_path / "preds"), *args)[0] == 0
    code, out = run_cli(capsys, "evaluate", "cs", "--model", "m", "--data-dir", data)
    assert code == 0 and out["semantic"]["mIoU"] == 1.0, out
    Image.fromarray((ids * 100).astype(np.uint16)).save(tmp_path / "preds" / f"{stem}.png")
    code, out = run_cli(capsys, "evaluate", "cs", "--model", "m", "--data-dir", data)
    assert code == 1 and "value 3300, outside the 0..255" in out["stderr"]


def test_cityscapes_train_id_masks_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only ``*_gtFine_labelTrainIds.png`` (mmsegmentation's converter): values 0..18 are
    the 19 classes, 255 ignored (cityscapesScripts' labels.py); a model's train-id masks
    evaluate against them. A gtFine without either encoding is refused naming what it has."""
    root, preds, data = tmp_path / "cityscapes", tmp_path / "preds", str(tmp_path / "data")
    rng = np.random.default_rng(2)
    masks = []
    for i in range(2):
        stem = f"frankfurt_{i:06d}_000019"
        mask = np.array([0, 1, 13, 18, 255])[rng.integers(0, 5, (8, 12))]
        _image(root / "leftImg8bit" / "val" / "frankfurt" / f"{stem}_leftImg8bit.png", mask.shape)
        save_grey(mask, root / "gtFine" / "val" / "frankfurt" / f"{stem}_gtFine_labelTrainIds.png")
        save_grey(np.where(mask == 255, 0, mask), preds / f"{stem}_leftImg8bit.png")
        masks.append(mask)
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "cs", "--data-dir", data)
    assert code == 0, out
    assert out["semantic"] == {
        "layout": "cityscapes",
        "masks": 2,
        "classes": 19,
        "masks_without_image": 0,
        "images_without_mask": 0,
    }
    args = ("--model", "m", "--data-dir", data)
    assert run_cli(capsys, "semantic-predictions", "cs", str(preds), *args)[0] == 0
    code, out = run_cli(capsys, "evaluate", "cs", *args)
    sem = out["semantic"]
    assert code == 0 and sem["mIoU"] == 1.0
    every = np.concatenate([m.ravel() for m in masks])
    for train_id in (0, 1, 13, 18):
        name = CITYSCAPES_CLASSES[train_id]
        assert sem["per_class"][name]["pixels"] == int((every == train_id).sum())
    assert sum(r["pixels"] for r in sem["per_class"].values()) == int((every != 255).sum())
    other = tmp_path / "colours"
    _image(other / "gtFine" / "val" / "bonn" / "bonn_000000_000019_gtFine_color.png", (2, 2))
    code, out = run_cli(capsys, "semantic-ingest", str(other), "--name", "c", "--data-dir", data)
    assert code == 2
    assert "_gtFine_labelIds.png nor <id>_gtFine_labelTrainIds.png" in out["stderr"]
    assert "found: gtFine/val/bonn/bonn_000000_000019_gtFine_color.png" in out["stderr"]


def test_train_id_predictions_of_a_label_id_dataset_need_indices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model's raw train-id masks (mmsegmentation without ``format_results``) imported
    into a ``*_gtFine_labelIds`` dataset without ``--indices`` are read as label ids: train
    id 0 (road) is label id 0, unlabelled, void. The evaluation refuses them saying so;
    imported with ``--indices`` they evaluate."""
    root, preds, data = tmp_path / "cityscapes", tmp_path / "preds", str(tmp_path / "data")
    rng = np.random.default_rng(3)
    label_ids, train_ids = np.array([7, 8, 26, 33]), np.array([0, 1, 13, 18])
    for i in range(2):
        stem = f"lindau_{i:06d}_000019"
        k = rng.integers(0, 4, (8, 12))
        _image(root / "leftImg8bit" / "val" / "lindau" / f"{stem}_leftImg8bit.png", k.shape)
        save_grey(label_ids[k], root / "gtFine" / "val" / "lindau" / f"{stem}_gtFine_labelIds.png")
        save_grey(train_ids[k], preds / f"{stem}_leftImg8bit.png")
    assert run_cli(capsys, "semantic-ingest", str(root), "--name", "cs", "--data-dir", data)[0] == 0
    for model, extra in (("ids", ()), ("indices", ("--indices",))):
        args = ("--model", model, "--data-dir", data)
        assert run_cli(capsys, "semantic-predictions", "cs", str(preds), *args, *extra)[0] == 0
    code, out = run_cli(capsys, "evaluate", "cs", "--model", "ids", "--data-dir", data)
    assert code == 1 and "not a class (0..18)" in out["stderr"]
    assert "if they hold class indices" in out["stderr"] and "again with --indices" in out["stderr"]
    code, out = run_cli(capsys, "evaluate", "cs", "--model", "indices", "--data-dir", data)
    assert code == 0 and out["semantic"]["mIoU"] == 1.0


def test_more_than_255_classes_need_an_ignore_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """16-bit masks of 300 classes: the default ignore index, 255, is a class there, whose
    pixels would be left out silently; the import asks for ``--ignore-index``, and with
    one no class has, class 255 is scored like the others."""
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True)
    (root / "classes.txt").write_text("".join(f"c{k}\n" for k in range(300)))
    rng = np.random.default_rng(5)
    gt = np.array([0, 17, 255, 256, 299], np.uint16)[rng.integers(0, 5, (10, 12))]
    _image(root / "images" / "a.jpg", gt.shape)
    (root / "masks").mkdir()
    Image.fromarray(gt).save(root / "masks" / "a.png")  # Pillow's I;16
    data = str(tmp_path / "data")
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "w", "--data-dir", data)
    assert code == 2 and "class 255 ('c255') is the default ignore index" in out["stderr"]
    assert "give --ignore-index" in out["stderr"]
    args = ("--ignore-index", "65535", "--data-dir", data)
    assert run_cli(capsys, "semantic-ingest", str(root), "--name", "w", *args)[0] == 0
    preds = tmp_path / "preds"
    preds.mkdir()
    Image.fromarray(gt).save(preds / "a.png")
    args = ("--model", "m", "--data-dir", data)
    assert run_cli(capsys, "semantic-predictions", "w", str(preds), *args)[0] == 0
    code, out = run_cli(capsys, "evaluate", "w", *args)
    assert code == 0 and out["semantic"]["per_class"]["c255"]["pixels"] == int((gt == 255).sum())
    assert out["semantic"]["pixel_accuracy"] == 1.0


def test_voc_segmentation_class_aug_is_voc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mmsegmentation's VOC with SBD's masks: ``VOCdevkit/VOC2012/SegmentationClassAug``
    (grey PNGs of VOC's indices, 255 the border) and no ``SegmentationClass``: the VOC
    layout, its 21 classes, evaluated as the same masks saved as palette PNGs."""
    reports = {}
    rng = np.random.default_rng(6)
    gts = [np.array([0, 5, 15, 255], np.uint8)[rng.integers(0, 4, (10, 12))] for _ in range(3)]
    for folder in ("SegmentationClass", "SegmentationClassAug"):
        voc, preds = tmp_path / folder / "VOCdevkit" / "VOC2012", tmp_path / folder / "preds"
        for i, gt in enumerate(gts):
            _image(voc / "JPEGImages" / f"2008_00000{i}.jpg", gt.shape)
            mask = voc / folder / f"2008_00000{i}.png"
            (save_grey if folder.endswith("Aug") else save_palette)(gt, mask)
            save_grey(np.roll(np.where(gt == 255, 0, gt), i, 1), preds / f"2008_00000{i}.png")
        data = str(tmp_path / folder / "data")
        code, out = run_cli(
            capsys, "semantic-ingest", str(voc.parent), "--name", "v", "--data-dir", data
        )
        assert code == 0 and out["semantic"]["layout"] == "voc", out
        assert out["semantic"]["masks"] == 3 and out["semantic"]["classes"] == 21
        args = ("--model", "m", "--data-dir", data)
        assert run_cli(capsys, "semantic-predictions", "v", str(preds), *args)[0] == 0
        code, out = run_cli(capsys, "evaluate", "v", *args)
        assert code == 0, out
        reports[folder] = out["semantic"]
    assert reports["SegmentationClassAug"] == reports["SegmentationClass"]
    assert 0 < reports["SegmentationClass"]["mIoU"] < 1
