"""Semantic masks as other tools write them, and the mistakes they plant: JPEG masks, a
class id past the class table, a model's mask at the network's resolution or of values no
class names. Each is refused at import naming the file and the fix, the catalog as it was
(a model's earlier masks kept); what is valid imports and evaluates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.semantic_fixtures import run_cli, save_grey, save_palette


def _image(path: Path, shape: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (shape[1], shape[0])).save(path)


def _datasets(capsys: pytest.CaptureFixture[str], data: str) -> list[str]:
    return [d["name"] for d in run_cli(capsys, "datasets", "--data-dir", data)[1]["datasets"]]


def test_jpeg_masks_are_refused_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mask re-saved as JPEG (its edges' class ids smeared) among PNG masks: refused,
    not read as an image "without a mask"; a model's JPEG masks likewise, while a JPEG
    rendering named after no image does not stop the import."""
    voc, data = tmp_path / "VOC2012", str(tmp_path / "data")
    gt = np.array([[0, 15, 255], [15, 15, 0]])
    for stem in ("2007_000001", "2007_000002"):
        _image(voc / "JPEGImages" / f"{stem}.jpg", gt.shape)
    save_palette(gt.astype(np.uint8), voc / "SegmentationClass" / "2007_000001.png")
    Image.fromarray(gt.astype(np.uint8)).save(voc / "SegmentationClass" / "2007_000002.jpg")
    code, out = run_cli(capsys, "semantic-ingest", str(tmp_path), "--name", "v", "--data-dir", data)
    assert code != 0 and "Traceback" not in out["stderr"]
    assert "1 mask(s) saved as JPEG (first: 2007_000002.jpg)" in out["stderr"]
    assert "save the masks as PNG" in out["stderr"]
    assert _datasets(capsys, data) == []
    (voc / "SegmentationClass" / "2007_000002.jpg").unlink()
    assert (
        run_cli(capsys, "semantic-ingest", str(tmp_path), "--name", "v", "--data-dir", data)[0] == 0
    )
    preds = tmp_path / "preds"
    save_grey(gt, preds / "2007_000001.png")
    Image.new("RGB", (3, 2)).save(preds / "overlay_of_everything.jpg")  # named after no image
    args = ("--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "semantic-predictions", "v", str(preds), *args)
    assert code == 0 and out["masks"] == 1
    lossy = tmp_path / "lossy"
    lossy.mkdir()
    Image.fromarray(gt.astype(np.uint8)).save(lossy / "2007_000001.jpg")
    code, out = run_cli(capsys, "semantic-predictions", "v", str(lossy), *args)
    assert code == 1 and "1 mask(s) saved as JPEG (first: 2007_000001.jpg)" in out["stderr"]


def test_a_class_id_past_the_class_table_is_refused_at_ingest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mask holding value 3 with three classes listed (a class missing from
    classes.txt): its pixels would be left out of every metric silently. 255 stays void."""
    root, data = tmp_path / "set", str(tmp_path / "data")
    root.mkdir()
    (root / "classes.txt").write_text("bg\nroad\ncar\n")
    _image(root / "images" / "train" / "a.jpg", (2, 3))
    save_grey(np.array([[0, 1, 255], [2, 2, 0]]), root / "masks" / "train" / "a.png")
    _image(root / "images" / "val" / "b.jpg", (2, 3))
    save_grey(np.array([[0, 3, 3], [2, 2, 0]]), root / "masks" / "val" / "b.png")
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)
    assert code == 1 and "Traceback" not in out["stderr"]
    assert (
        "masks/val/b.png: pixel value(s) 3 name none of the 3 classes (the values 0..2)"
        in (out["stderr"])
    )
    assert "classes.txt or --classes" in out["stderr"]
    assert _datasets(capsys, data) == []
    (root / "classes.txt").write_text("bg\nroad\ncar\nbus\n")
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)
    assert code == 0 and out["semantic"]["masks"] == 2 and out["semantic"]["classes"] == 4


def test_ade20k_values_past_its_150_classes_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ADE20K's value k is class k-1: a value 151 (a 151-class export) names no class."""
    root, data = tmp_path / "ADEChallengeData2016", str(tmp_path / "data")
    names = [f"class{k}" for k in range(150)]
    (root).mkdir()
    (root / "objectInfo150.csv").write_text(
        "Idx,Ratio,Train,Val,Name\n"
        + "".join(f"{k + 1},0.1,1,1,{name};other\n" for k, name in enumerate(names))
    )
    _image(root / "images" / "validation" / "ADE_val_00000001.jpg", (2, 2))
    save_grey(
        np.array([[0, 1], [150, 151]]), root / "annotations" / "validation" / "ADE_val_00000001.png"
    )
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "ade", "--data-dir", data)
    assert (
        code == 1
        and "ADE_val_00000001.png: pixel value(s) 151 name none of the 150" in (out["stderr"])
    )
    assert _datasets(capsys, data) == []


def test_a_models_unreadable_masks_are_refused_at_import_keeping_the_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mmsegmentation-style outputs with mistakes: a mask at another size than its image
    (not resized back), one with a value of no class, a folder of ``.npy`` arrays. Each is
    refused at import, naming the file, and the model's earlier masks still evaluate."""
    root, data = tmp_path / "set", str(tmp_path / "data")
    root.mkdir()
    (root / "classes.txt").write_text("bg\nroad\ncar\n")
    gts = {"a": np.array([[0, 1, 1], [2, 2, 0]]), "b": np.array([[1, 1, 0], [0, 2, 255]])}
    for stem, gt in gts.items():
        _image(root / "images" / f"{stem}.jpg", gt.shape)
        save_grey(gt, root / "masks" / f"{stem}.png")
    assert run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)[0] == 0
    good = tmp_path / "good"
    save_grey(np.array([[0, 1, 1], [2, 2, 0]]), good / "a.png")
    save_grey(np.array([[1, 0, 0], [0, 2, 2]]), good / "b.png")  # 1 of its 5 counted pixels wrong
    args = ("--model", "m", "--data-dir", data)
    assert run_cli(capsys, "semantic-predictions", "s", str(good), *args)[0] == 0
    cases = {
        "big": (np.zeros((4, 6)), "b.png: 6x4, its image 3x2: resize the prediction"),
        "values": (np.array([[0, 1, 7], [2, 2, 0]]), "b.png: pixel value(s) 7 name none"),
    }
    for folder, (pred, message) in cases.items():
        save_grey(np.array([[0, 1, 1], [2, 2, 0]]), tmp_path / folder / "a.png")
        save_grey(pred, tmp_path / folder / "b.png")
        code, out = run_cli(capsys, "semantic-predictions", "s", str(tmp_path / folder), *args)
        assert code == 1 and message in out["stderr"], out
    npy = tmp_path / "npy"
    npy.mkdir()
    np.save(npy / "a.npy", gts["a"])
    code, out = run_cli(capsys, "semantic-predictions", "s", str(npy), *args)
    assert code == 1 and "no PNG mask under it (found: .npy)" in out["stderr"]
    code, out = run_cli(capsys, "evaluate", "s", "--model", "m", "--data-dir", data)
    assert code == 0 and out["semantic"]["images"] == 2
    assert out["semantic"]["pixel_accuracy"] == pytest.approx(10 / 11)  # the first import's
