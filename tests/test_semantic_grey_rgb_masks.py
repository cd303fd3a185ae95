"""Grey label maps saved with three channels, as ``cv2.imwrite`` writes what
``cv2.imread`` read (BGR, each channel the class id): in a layout without class colours
they were refused as colour images; their values are unambiguous, so they are read as the
same masks saved single-channel, ground truth and predictions alike. A mask in colours
stays refused there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.semantic_fixtures import cli_semantic_evaluation, run_cli, save_grey, write_voc

cv2 = pytest.importorskip("cv2")


def _dataset(root: Path, masks: list[np.ndarray], three: bool) -> None:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "classes.txt").write_text("road\ncar\nperson\n", encoding="utf-8")
    for i, mask in enumerate(masks):
        Image.new("RGB", mask.shape[::-1]).save(root / "images" / f"f{i}.jpg")
        if three:
            assert cv2.imwrite(str(root / "masks" / f"f{i}.png"), np.dstack([mask] * 3))
        else:
            save_grey(mask, root / "masks" / f"f{i}.png")


def _evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str], three: bool) -> dict:
    rng = np.random.default_rng(9)
    masks = [rng.integers(0, 3, (12, 16)).astype(np.uint8) for _ in range(3)]
    masks[0][:2] = 255  # void, left out
    preds = [np.where(m == 255, 0, m) for m in masks]
    preds[1][3:6] = 2
    root, data = tmp_path / ("bgr" if three else "grey"), str(tmp_path / f"data{three}")
    _dataset(root, masks, three)
    folder = tmp_path / f"preds{three}"
    folder.mkdir()
    for i, pred in enumerate(preds):
        assert cv2.imwrite(str(folder / f"f{i}.png"), np.dstack([pred] * 3) if three else pred)
    return cli_semantic_evaluation(capsys, root, folder, data)


def test_three_channel_grey_masks_evaluate_as_their_grey_pngs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bgr = _evaluate(tmp_path, capsys, three=True)
    assert bgr == _evaluate(tmp_path, capsys, three=False)
    assert 0 < bgr["mIoU"] < 1
    colour = tmp_path / "colour"
    _dataset(colour, [np.zeros((4, 6), np.uint8)], three=False)
    pixels = np.zeros((4, 6, 3), np.uint8)
    pixels[1, 1] = (1, 0, 0)  # one pixel whose channels differ: a colour, not a class id
    Image.fromarray(pixels).save(colour / "masks" / "f0.png")
    argv = ("--name", "c", "--data-dir", str(tmp_path / "c"))
    code, out = run_cli(capsys, "semantic-ingest", str(colour), *argv)
    assert code != 0 and "f0.png: a RGB image, not a label map" in out["stderr"]


def test_a_models_three_channel_grey_masks_on_a_painted_voc_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """VOC's masks are painted in its palette, so a model's RGB mask is read by colour:
    one of class ids saved by cv2 with three channels, (15, 15, 15) for a person, was
    refused as colours of no class. Where every pixel's channels are equal and a colour is
    no class's, its grey values are the classes."""
    voc, preds, _, _ = write_voc(tmp_path, 4)
    data = str(tmp_path / "data")
    assert run_cli(capsys, "semantic-ingest", str(voc), "--name", "v", "--data-dir", data)[0] == 0
    bgr = tmp_path / "bgr"
    bgr.mkdir()
    for png in preds.glob("*.png"):
        ids = np.asarray(Image.open(png))  # the palette PNG's indices: the class ids
        assert cv2.imwrite(str(bgr / png.name), np.dstack([ids] * 3))
    reports = {}
    for model, folder in (("palette", preds), ("bgr", bgr)):
        argv = ("--model", model, "--data-dir", data)
        code, out = run_cli(capsys, "semantic-predictions", "v", str(folder), *argv)
        assert code == 0, out
        code, out = run_cli(capsys, "evaluate", "v", *argv)
        assert code == 0, out
        reports[model] = {k: v for k, v in out["semantic"].items() if k != "model"}
    assert reports["bgr"] == reports["palette"] and 0 < reports["bgr"]["mIoU"] < 1
