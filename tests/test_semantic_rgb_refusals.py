"""RGB class masks that cannot be read as classes: a colour no class has (a CVAT mask
painted after a label was deleted, a VOC mask with a colour off its palette, a model's mask
with a stray colour), a labelmap giving one colour to two labels, an RGB mask where the
dataset has no colour table. Each is refused naming the file (or line), the colours and
the fix, the catalog as it was; and a VOC dataset saved again as RGB evaluates as its
palette PNGs do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .semantic_fixtures import run_cli, save_grey, write_voc

LABELMAP = "# label:color_rgb:parts:actions\nbackground:0,0,0::\ncar:250,50,83::\nsky:0,0,255::\n"
COLORS = np.asarray([(0, 0, 0), (250, 50, 83), (0, 0, 255)], np.uint8)


def _datasets(capsys: pytest.CaptureFixture[str], data: str) -> list[str]:
    return [d["name"] for d in run_cli(capsys, "datasets", "--data-dir", data)[1]["datasets"]]


def _cvat(root: Path, masks: dict[str, np.ndarray], labelmap: str = LABELMAP) -> Path:
    """A CVAT "Segmentation mask 1.1" export of RGB ``masks`` (name → pixels)."""
    (root / "ImageSets" / "Segmentation").mkdir(parents=True)
    (root / "labelmap.txt").write_text(labelmap, encoding="utf-8")
    (root / "ImageSets" / "Segmentation" / "default.txt").write_text("\n".join(masks) + "\n")
    for folder in ("SegmentationClass", "JPEGImages"):
        (root / folder).mkdir()
    for name, pixels in masks.items():
        Image.fromarray(pixels, mode="RGB").save(root / "SegmentationClass" / f"{name}.png")
        Image.new("RGB", pixels.shape[1::-1]).save(root / "JPEGImages" / f"{name}.jpg")
    return root


def _indices() -> np.ndarray:
    return np.array([[0, 1, 1, 2], [2, 2, 1, 0], [0, 0, 1, 2]], np.uint8)


def test_a_colour_of_no_label_is_refused_naming_the_file_colours_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = COLORS[_indices()], COLORS[_indices()]
    bad[0, :3] = (10, 20, 30)
    bad[2, 0] = (1, 2, 3)
    cvat, data = _cvat(tmp_path / "export", {"a": good, "b": bad}), str(tmp_path / "data")
    code, out = run_cli(capsys, "semantic-ingest", str(cvat), "--name", "c", "--data-dir", data)
    assert code != 0 and "Traceback" not in out["stderr"]
    assert (
        "b.png: colour(s) (10,20,30) 3 px, (1,2,3) 1 px are the colour of none of"
        in (out["stderr"])
    )
    assert "add each colour to labelmap.txt" in out["stderr"]
    assert _datasets(capsys, data) == []
    with (cvat / "labelmap.txt").open("a") as labelmap:  # the fix the message gives
        labelmap.write("truck:10,20,30::\nbus:1,2,3::\n")
    code, out = run_cli(capsys, "semantic-ingest", str(cvat), "--name", "c", "--data-dir", data)
    assert code == 0 and out["semantic"]["classes"] == 5, out


def test_a_models_rgb_mask_with_a_stray_colour_is_refused_keeping_the_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cvat, data = _cvat(tmp_path / "export", {"a": COLORS[_indices()]}), str(tmp_path / "data")
    assert run_cli(capsys, "semantic-ingest", str(cvat), "--name", "c", "--data-dir", data)[0] == 0
    args = ("--model", "m", "--data-dir", data)
    good, stray = tmp_path / "good", tmp_path / "stray"
    good.mkdir()
    stray.mkdir()
    Image.fromarray(COLORS[_indices()], mode="RGB").save(good / "a.png")
    painted = COLORS[_indices()]
    painted[1, 1] = (9, 9, 9)
    Image.fromarray(painted, mode="RGB").save(stray / "a.png")
    assert run_cli(capsys, "semantic-predictions", "c", str(good), *args)[0] == 0
    code, out = run_cli(capsys, "semantic-predictions", "c", str(stray), *args)
    assert code == 1 and "a.png: colour(s) (9,9,9) 1 px are the colour of none" in out["stderr"]
    code, out = run_cli(capsys, "evaluate", "c", "--model", "m", "--data-dir", data)
    assert code == 0 and out["semantic"]["pixel_accuracy"] == 1.0  # the first import's


def test_a_labelmap_giving_two_labels_one_colour_is_refused_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labelmap = LABELMAP + "truck:250,50,83::\n"
    cvat = _cvat(tmp_path / "export", {"a": COLORS[_indices()]}, labelmap)
    data = str(tmp_path / "data")
    code, out = run_cli(capsys, "semantic-ingest", str(cvat), "--name", "c", "--data-dir", data)
    assert (
        code != 0
        and "labelmap.txt:5: 'truck:250,50,83::': colour 250,50,83 is 'car'" in (out["stderr"])
    )
    assert _datasets(capsys, data) == []


def test_a_cvat_export_without_its_images_says_how_to_export_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cvat = _cvat(tmp_path / "export", {"a": COLORS[_indices()]})
    for image in (cvat / "JPEGImages").iterdir():
        image.unlink()
    (cvat / "JPEGImages").rmdir()
    data = str(tmp_path / "data")
    code, out = run_cli(capsys, "semantic-ingest", str(cvat), "--name", "c", "--data-dir", data)
    assert (
        code != 0
        and 'no JPEGImages/ folder: CVAT exports the images only with "Save' in (out["stderr"])
    )


def test_rgb_masks_of_a_dataset_without_a_colour_table_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An images/ + masks/ dataset's colours are VisionLens' own (no tool painted with
    them): an RGB mask there, ground truth or a model's, is no label map."""
    root, data = tmp_path / "set", str(tmp_path / "data")
    (root / "images").mkdir(parents=True)
    (root / "classes.txt").write_text("bg\ncar\nsky\n")
    Image.new("RGB", (4, 3)).save(root / "images" / "a.jpg")
    (root / "masks").mkdir()
    Image.fromarray(COLORS[_indices()], mode="RGB").save(root / "masks" / "a.png")
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)
    assert code != 0 and "a.png: a RGB image, not a label map" in out["stderr"]
    save_grey(_indices(), root / "masks" / "a.png")
    assert run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)[0] == 0
    preds = tmp_path / "preds"
    preds.mkdir()
    Image.fromarray(COLORS[_indices()], mode="RGB").save(preds / "a.png")
    code, out = run_cli(capsys, "semantic-predictions", "s", str(preds), "--model", "m",
                        "--data-dir", data)  # fmt: skip
    assert code == 1 and "a.png: a RGB image, not a label map" in out["stderr"]


def test_a_voc_dataset_saved_as_rgb_evaluates_as_its_palette_pngs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """VOC's SegmentationClass and a model's masks converted to RGB by a script (the
    palette's colours, the void border (224,224,192)): the same report as the palette
    PNGs'; a colour off the palette is refused with VOC's fix."""
    reports = {}
    for name in ("palette", "rgb"):
        voc, preds, _, _ = write_voc(tmp_path / name, 8, seed=5)
        if name == "rgb":
            for png in [*(voc / "SegmentationClass").glob("*.png"), *preds.glob("*.png")]:
                with Image.open(png) as image:
                    image.convert("RGB").save(png)
        data = str(tmp_path / name / "data")
        code, out = run_cli(capsys, "semantic-ingest", str(voc), "--name", "v", "--data-dir", data)
        assert code == 0 and out["semantic"]["layout"] == "voc", out
        args = ("--model", "net", "--data-dir", data)
        assert run_cli(capsys, "semantic-predictions", "v", str(preds), *args)[0] == 0
        code, out = run_cli(capsys, "evaluate", "v", "--model", "net", "--data-dir", data)
        assert code == 0, out
        reports[name] = out["semantic"]
    assert reports["rgb"] == reports["palette"]
    void = [
        png
        for png in sorted((voc / "SegmentationClass").glob("*.png"))
        if (np.asarray(Image.open(png)) == (224, 224, 192)).all(axis=-1).any()
    ]
    assert void, "the fixture has void borders, read as VOC's 255"
    off = np.asarray(Image.open(void[0])).copy()
    off[0, 0] = (7, 7, 7)
    Image.fromarray(off, mode="RGB").save(void[0])
    data = str(tmp_path / "rgb" / "data2")
    code, out = run_cli(capsys, "semantic-ingest", str(voc), "--name", "v", "--data-dir", data)
    assert code != 0 and f"{void[0].name}: colour(s) (7,7,7) 1 px are" in out["stderr"]
    assert "VOC's palette colours only" in out["stderr"]


def test_cvat_subsets_are_splits_and_its_default_subset_is_none(tmp_path: Path) -> None:
    from visionlens_jlab.semantic.layouts import open_semantic

    names = {"a": COLORS[_indices()], "b": COLORS[_indices()], "c": COLORS[_indices()]}
    cvat = _cvat(tmp_path / "export", names)
    lists = cvat / "ImageSets" / "Segmentation"
    (lists / "default.txt").write_text("c\n")
    (lists / "train.txt").write_text("a\n")
    (lists / "val.txt").write_text("b\n")
    found = open_semantic(str(cvat))
    assert found.layout == "cvat"
    assert {Path(p.file_name).stem: p.split for p in found.pairs} == {
        "a": "train",
        "b": "val",
        "c": None,
    }
    assert found.classes.names == ("background", "car", "sky")
    assert found.classes.colors == tuple(tuple(int(v) for v in c) for c in COLORS)
