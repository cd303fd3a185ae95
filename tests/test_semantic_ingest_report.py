"""What a semantic ingest leaves out is in its report: masks without an image and images
without a mask (counted, the first few named), and masks whose size is not their image's
(reported and left out); a model's masks matched by path, a duplicate refused, on real
PNGs through the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.semantic_fixtures import run_cli, save_grey
from visionlens_jlab.catalog import Catalog


def _image(path: Path, width: int, height: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height)).save(path)


def _warning(out: dict[str, Any], code: str) -> dict[str, Any]:
    found = [w for w in out["warnings"] if w["code"] == code]
    assert found, out["warnings"]
    return found[0]


def test_unpaired_masks_and_images_are_counted_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, data = tmp_path / "set", str(tmp_path / "data")
    root.mkdir()
    (root / "classes.txt").write_text("bg\nroad\n")
    mask = np.array([[0, 1, 1], [0, 0, 1]])
    for stem in ("train/a", "train/b", "val/c"):
        _image(root / "images" / f"{stem}.jpg", 3, 2)
    for stem in ("train/a", "val/c", "val/c_typo", "val/d"):
        save_grey(mask, root / "masks" / f"{stem}.png")
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)
    assert code == 0, out
    assert out["samples"] == 2
    sem = out["semantic"]
    assert (sem["masks"], sem["masks_without_image"], sem["images_without_mask"]) == (2, 2, 1)
    lone = _warning(out, "semantic_mask_without_image")
    assert lone["count"] == 2 and lone["examples"] == ["masks/val/c_typo.png", "masks/val/d.png"]
    missing = _warning(out, "semantic_image_without_mask")
    assert missing["count"] == 1 and missing["examples"] == ["images/train/b.jpg"]
    # nothing pairs: the refusal says what is on each side
    bare = tmp_path / "bare"
    (bare / "images").mkdir(parents=True)
    (bare / "classes.txt").write_text("bg\nroad\n")
    _image(bare / "images" / "x.jpg", 3, 2)
    save_grey(mask, bare / "masks" / "y.png")
    code, out = run_cli(capsys, "semantic-ingest", str(bare), "--name", "b", "--data-dir", data)
    assert code == 2
    assert "(1 masks, 1 images; e.g. masks/y.png, images/x.jpg)" in out["stderr"]


def test_a_mask_of_another_size_than_its_image_is_reported_and_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, data = tmp_path / "set", str(tmp_path / "data")
    root.mkdir()
    (root / "classes.txt").write_text("bg\nroad\n")
    _image(root / "images" / "a.jpg", 60, 40)
    save_grey(np.zeros((20, 30)), root / "masks" / "a.png")  # half the image's size
    _image(root / "images" / "b.jpg", 30, 20)
    save_grey(np.ones((20, 30)), root / "masks" / "b.png")
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)
    assert code == 0, out
    assert out["samples"] == 1 and out["semantic"]["masks"] == 1
    row = _warning(out, "semantic_size_mismatch")
    assert row["count"] == 1
    assert row["examples"] == ["images/a.jpg: image 60x40, mask masks/a.png 30x20"]
    with Catalog(Path(data)) as catalog, catalog.cursor() as cur:
        stored = cur.execute("SELECT file_name, width, height FROM samples").fetchall()
    assert stored == [("images/b.jpg", 30, 20)]
    # every pair differs: refused, nothing written
    (root / "masks" / "b.png").unlink()
    save_grey(np.ones((10, 10)), root / "masks" / "b.png")
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "t", "--data-dir", data)
    assert code == 1
    assert "every mask's size differs from its image's" in out["stderr"]
    assert "images/a.jpg: image 60x40, mask masks/a.png 30x20" in out["stderr"]
    assert [d["name"] for d in run_cli(capsys, "datasets", "--data-dir", data)[1]["datasets"]] == [
        "s"
    ]


def test_predictions_are_matched_by_path_and_a_duplicate_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``images/train/a.jpg`` and ``images/val/a.jpg`` each get their own mask
    (``train/a.png``, ``val/a.png``); a flat ``b.png`` is the only ``b``; a flat ``a.png``
    fits both ``a`` images and is reported, not given to either; two masks of one image
    are refused."""
    root, data = tmp_path / "set", str(tmp_path / "data")
    root.mkdir()
    (root / "classes.txt").write_text("bg\nroad\n")
    for stem in ("train/a", "val/a", "val/b"):
        _image(root / "images" / f"{stem}.jpg", 3, 2)
        save_grey(np.zeros((2, 3)), root / "masks" / f"{stem}.png")
    assert run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)[0] == 0
    preds = tmp_path / "preds"
    for name in ("train/a", "val/a", "b"):
        save_grey(np.ones((2, 3)), preds / f"{name}.png")
    args = ("--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "semantic-predictions", "s", str(preds), *args)
    assert code == 0 and out["masks"] == 3 and out["unmatched"] == 0, out
    with Catalog(Path(data)) as catalog, catalog.cursor() as cur:
        stored = cur.execute(
            "SELECT s.file_name, m.location FROM semantic_masks m JOIN samples s "
            "USING (dataset_id, sample_id) WHERE m.source = 'm' ORDER BY 1"
        ).fetchall()
    assert [(f, Path(loc).relative_to(preds).as_posix()) for f, loc in stored] == [
        ("images/train/a.jpg", "train/a.png"),
        ("images/val/a.jpg", "val/a.png"),
        ("images/val/b.jpg", "b.png"),
    ]
    flat = tmp_path / "flat"
    for name in ("a", "b"):
        save_grey(np.ones((2, 3)), flat / f"{name}.png")
    code, out = run_cli(capsys, "semantic-predictions", "s", str(flat), *args)
    assert code == 0 and out["masks"] == 1 and out["unmatched"] == 1
    row = _warning(out, "semantic_prediction_ambiguous")
    assert row["examples"] == ["a.png: images/train/a.jpg, images/val/a.jpg"]
    save_grey(np.ones((2, 3)), flat / "val" / "b.png")
    code, out = run_cli(capsys, "semantic-predictions", "s", str(flat), *args)
    assert code == 1 and "b.png and val/b.png are both masks of images/val/b.jpg" in out["stderr"]


def test_two_images_of_one_name_are_reported_not_chosen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``a.jpg`` and ``a.png`` beside one mask ``a.png`` (VOC, the ``masks`` layout): which
    one it labels would be a guess, so the pair is left out and named in a report row; the
    ingest is refused when it was the only pair."""
    data = str(tmp_path / "data")
    voc = tmp_path / "VOC"
    for name in ("a.jpg", "a.png", "b.jpg"):
        _image(voc / "JPEGImages" / name, 3, 2)
    for stem in ("a", "b"):
        save_grey(np.zeros((2, 3)), voc / "SegmentationClass" / f"{stem}.png")
    code, out = run_cli(capsys, "semantic-ingest", str(voc), "--name", "v", "--data-dir", data)
    assert code == 0, out
    assert out["samples"] == 1 and out["semantic"]["masks"] == 1
    row = _warning(out, "semantic_name_clash")
    assert row["count"] == 1
    assert row["examples"] == ["JPEGImages/a.jpg and JPEGImages/a.png with SegmentationClass/a.png"]
    with Catalog(Path(data)) as catalog, catalog.cursor() as cur:
        assert cur.execute("SELECT file_name FROM samples").fetchall() == [("JPEGImages/b.jpg",)]
    root = tmp_path / "set"
    root.mkdir()
    (root / "classes.txt").write_text("bg\nroad\n")
    for name in ("train/a.jpg", "train/a.png"):
        _image(root / "images" / name, 3, 2)
    save_grey(np.zeros((2, 3)), root / "masks" / "train" / "a.png")
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "m", "--data-dir", data)
    assert code == 2
    assert "images/train/a.jpg and images/train/a.png with masks/train/a.png" in out["stderr"]
    assert "rename or remove one" in out["stderr"]
    assert [d["name"] for d in run_cli(capsys, "datasets", "--data-dir", data)[1]["datasets"]] == [
        "v"
    ]
