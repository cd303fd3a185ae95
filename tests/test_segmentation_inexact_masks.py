"""Masks whose file does not hold the values it was saved with, as other tools write them:
a PNG of 16 bits a channel (``cv2.imwrite`` of a ``uint16`` colour array), which Pillow
opens as RGB with each channel's high byte only, so a colour (1, 2, 3) is read as black
and a panoptic id as another; a JPEG renamed ``.png``, whose edges hold other classes.
Each is refused, naming the file and the fix, at ingest (nothing written) and at
evaluation (a file changed since); a 16-bit grey PNG of class ids past 255 stays a label
map read exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.semantic_fixtures import ingested_panoptic, run_cli

from .panoptic_fixtures import write_panoptic

cv2 = pytest.importorskip("cv2")


def _ids(png: Path) -> np.ndarray:
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]


def _as_48_bit(png: Path) -> None:
    """``png``'s 8-bit RGB values saved as a ``uint16`` array by OpenCV (BGR order)."""
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(np.uint16)
    assert cv2.imwrite(str(png), rgb[..., ::-1].copy())


def test_a_48_bit_panoptic_png_is_refused_at_ingest_and_evaluation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, model = ingested_panoptic(capsys, tmp_path, 3, seed=2)
    pred = sorted(files["pred_folder"].glob("*.png"))[1]
    _as_48_bit(pred)
    with Image.open(pred) as image:  # what made this silent: Pillow's RGB of zero ids
        assert image.mode == "RGB" and not np.asarray(image).any()
    code, out = run_cli(capsys, "evaluate", "p", *model)
    assert code == 1 and "Traceback" not in out["stderr"]
    assert f"{pred.name}: a 48-bit RGB PNG (16 bits a channel)" in out["stderr"]
    assert "save the ids as an 8-bit RGB PNG" in out["stderr"]
    code, out = run_cli(capsys, "panoptic-predictions", "p", str(files["pred_json"]), *model)
    assert code == 1 and f"{pred.name}: a 48-bit RGB PNG" in out["stderr"]
    gt = sorted(files["gt_folder"].glob("*.png"))[0]
    _as_48_bit(gt)
    fresh = ("--images", str(files["images"]), "--data-dir", str(tmp_path / "fresh"))
    code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "p", *fresh)
    assert code == 1 and f"{gt.name}: a 48-bit RGB PNG" in out["stderr"]
    assert run_cli(capsys, "datasets", "--data-dir", str(tmp_path / "fresh"))[1]["datasets"] == []


def _cvat(root: Path, mask: np.ndarray) -> Path:
    """A CVAT export of one image: labelmap.txt, an RGB mask painted in its colours."""
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    (root / "labelmap.txt").write_text(
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\ncar:1,2,3::\n", encoding="utf-8"
    )
    Image.new("RGB", mask.shape[1::-1]).save(root / "JPEGImages" / "frame_0.jpg")
    Image.fromarray(mask, mode="RGB").save(root / "SegmentationClass" / "frame_0.png")
    return root / "SegmentationClass" / "frame_0.png"


def test_a_48_bit_rgb_mask_is_refused_where_it_would_read_as_background(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mask = np.zeros((6, 8, 3), np.uint8)
    mask[2:5, 3:7] = (1, 2, 3)  # the car, a colour whose high bytes are 0
    png = _cvat(tmp_path / "cvat", mask)
    data = str(tmp_path / "data")
    argv = ("--layout", "cvat", "--data-dir", data)
    assert run_cli(capsys, "semantic-ingest", str(tmp_path / "cvat"), "--name", "c", *argv)[0] == 0
    preds = tmp_path / "preds"
    preds.mkdir()
    assert cv2.imwrite(str(preds / "frame_0.png"), mask[..., ::-1].astype(np.uint16))
    model = ("--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "semantic-predictions", "c", str(preds), *model)
    assert code == 1 and "Traceback" not in out["stderr"]
    assert "frame_0.png: a 48-bit RGB PNG (16 bits a channel)" in out["stderr"]
    assert "save it with 8 bits a channel" in out["stderr"]
    _as_48_bit(png)
    fresh = ("--layout", "cvat", "--data-dir", str(tmp_path / "fresh"))
    code, out = run_cli(capsys, "semantic-ingest", str(tmp_path / "cvat"), "--name", "c", *fresh)
    assert code == 1 and "frame_0.png: a 48-bit RGB PNG" in out["stderr"]


def test_a_16_bit_grey_mask_of_ids_past_255_is_read_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "wide"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "classes.txt").write_text("\n".join(f"c{i}" for i in range(300)), encoding="utf-8")
    gt = np.zeros((8, 10), np.uint16)
    gt[:4], gt[4:, :5] = 299, 256
    Image.new("RGB", (10, 8)).save(root / "images" / "a.jpg")
    assert cv2.imwrite(str(root / "masks" / "a.png"), gt)
    data = str(tmp_path / "data")
    argv = ("--ignore-index", "65535", "--data-dir", data)
    assert run_cli(capsys, "semantic-ingest", str(root), "--name", "w", *argv)[0] == 0
    preds = tmp_path / "preds"
    preds.mkdir()
    pred = gt.copy()
    pred[4:, :5] = 257
    assert cv2.imwrite(str(preds / "a.png"), pred)
    model = ("--model", "m", "--data-dir", data)
    assert run_cli(capsys, "semantic-predictions", "w", str(preds), *model)[0] == 0
    code, out = run_cli(capsys, "evaluate", "w", *model)
    per_class = out["semantic"]["per_class"]
    assert code == 0 and out["semantic"]["pixel_accuracy"] == 0.75
    assert per_class["c299"]["iou"] == 1.0 and per_class["c256"]["pixels"] == 20
    assert per_class["c256"]["iou"] == 0.0 and per_class["c257"]["iou"] == 0.0


def test_a_jpeg_named_png_is_refused_where_its_values_are_other_classes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JPEG renamed ``.png`` (as some downloaded sets ship their masks): its smeared
    edges hold values between 0 and 15, each another VOC class, so the name is not
    trusted: the content is refused as JPEG masks are, for a dataset and for a model."""
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "classes.txt").write_text("".join(f"c{k}\n" for k in range(21)), encoding="utf-8")
    mask = np.zeros((16, 16), np.uint8)
    mask[4:12, 4:12] = 15
    Image.new("RGB", (16, 16)).save(root / "images" / "a.jpg")
    Image.fromarray(mask).save(root / "masks" / "a.png", format="JPEG")
    with Image.open(root / "masks" / "a.png") as image:  # what made this silent
        assert set(np.unique(np.asarray(image)).tolist()) - {0, 15}
    data = str(tmp_path / "data")
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "j", "--data-dir", data)
    assert code == 1 and "Traceback" not in out["stderr"]
    assert "a.png: a JPEG image (whatever its name)" in out["stderr"]
    assert "save it as PNG (lossless) from its source" in out["stderr"]
    Image.fromarray(mask).save(root / "masks" / "a.png")
    assert run_cli(capsys, "semantic-ingest", str(root), "--name", "j", "--data-dir", data)[0] == 0
    preds = tmp_path / "preds"
    preds.mkdir()
    Image.fromarray(mask).save(preds / "a.png", format="JPEG")
    model = ("--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "semantic-predictions", "j", str(preds), *model)
    assert code == 1 and "a.png: a JPEG image (whatever its name)" in out["stderr"]
    files = write_panoptic(tmp_path / "pan", 2, seed=2)
    gt = sorted(files["gt_folder"].glob("*.png"))[0]
    Image.open(gt).convert("RGB").save(gt, format="JPEG")
    argv = ("--images", str(files["images"]), "--data-dir", data)
    code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "p", *argv)
    assert code == 1 and f"{gt.name}: a JPEG image (whatever its name)" in out["stderr"]
