"""Masks saved in a lossless format that is not PNG, as medical and remote-sensing sets
ship them (TIFF, BMP, GIF): only PNGs are read as masks, so such a mask left its image
"without a mask" (left out with a warning, or no dataset at all with an error that did
not say why). Each is refused naming the file, the formats and the fix; converted to PNG,
the dataset imports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.semantic_fixtures import run_cli, save_grey


def _dataset(root: Path, masks: dict[str, str]) -> np.ndarray:
    """A masks-layout dataset: an image and a mask of each ``stem: suffix`` of ``masks``."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "classes.txt").write_text("background\nlesion\n", encoding="utf-8")
    mask = np.zeros((6, 8), np.uint8)
    mask[2:5, 3:7] = 1
    for stem, suffix in masks.items():
        Image.new("RGB", (8, 6)).save(root / "images" / f"{stem}.jpg")
        Image.fromarray(mask).save(root / "masks" / f"{stem}{suffix}")
    return mask


def test_tiff_and_bmp_masks_are_refused_naming_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, data = tmp_path / "set", str(tmp_path / "data")
    mask = _dataset(root, {"case_1": ".png", "case_2": ".tif", "case_3": ".BMP"})
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)
    assert code != 0 and "Traceback" not in out["stderr"]
    assert "2 mask(s) saved as BMP, TIFF (first: case_2.tif)" in out["stderr"]
    assert "masks are read from PNGs only: convert them to PNG" in out["stderr"]
    assert run_cli(capsys, "datasets", "--data-dir", data)[1]["datasets"] == []
    for stem, suffix in (("case_2", ".tif"), ("case_3", ".BMP")):
        source = root / "masks" / f"{stem}{suffix}"
        Image.open(source).save(source.with_suffix(".png"))
        source.unlink()
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)
    assert code == 0 and out["semantic"]["masks"] == 3
    preds = tmp_path / "preds"
    save_grey(mask, preds / "case_1.png")
    Image.fromarray(mask).save(preds / "case_2.gif")  # named after an image: meant as its mask
    args = ("--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "semantic-predictions", "s", str(preds), *args)
    assert code == 1 and "1 mask(s) saved as GIF (first: case_2.gif)" in out["stderr"]
