"""COCO panoptic PNGs as other tools save them: RGBA (GIMP, Pillow's saving of a 4-channel
array), 16-bit grey PNGs of the ids (``cv2.imwrite`` of a ``uint16`` array), LA. An opaque
RGBA PNG is its RGB; a single-channel one's values are the ids (panopticapi's ``rgb2id``
of a 2-D array); each evaluates as the same ids saved as RGB. A translucent pixel, or a
32-bit value past the 2^24 ids, is refused at ingest naming the file, nothing written;
the evaluation refuses such a PNG the same way if it changed after the ingest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.semantic_fixtures import run_cli

from .panoptic_fixtures import write_panoptic


def _ids(png: Path) -> np.ndarray:
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]


def _as_rgba(png: Path, alpha: np.ndarray | None = None) -> None:
    rgb = np.asarray(Image.open(png).convert("RGB"))
    opaque = np.full(rgb.shape[:2], 255, np.uint8) if alpha is None else alpha
    Image.fromarray(np.dstack([rgb, opaque]), mode="RGBA").save(png)


def _as_grey16(png: Path) -> None:
    ids = _ids(png)
    assert ids.max() < 65536
    Image.fromarray(ids.astype(np.uint16)).save(png)  # Pillow's I;16, as cv2 writes it


def _evaluate(root: Path, capsys: pytest.CaptureFixture[str], resave: Any = None) -> Any:
    files = write_panoptic(root, 8, seed=3)
    if resave is not None:
        for png in [*files["gt_folder"].glob("*.png"), *files["pred_folder"].glob("*.png")]:
            resave(png)
    data = str(root / "data")
    argv = ("--images", str(files["images"]), "--data-dir", data)
    code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "p", *argv)
    assert code == 0, out
    argv = ("--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "panoptic-predictions", "p", str(files["pred_json"]), *argv)
    assert code == 0, out
    code, out = run_cli(capsys, "evaluate", "p", *argv)
    assert code == 0, out
    return out["panoptic"], files, data


def test_opaque_rgba_and_16_bit_pngs_evaluate_as_their_rgb_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rgb, files, _ = _evaluate(tmp_path / "rgb", capsys)
    assert 0 < rgb["All"]["pq"] < 1
    assert _ids(next(files["gt_folder"].glob("*.png"))).max() > 255  # ids past one byte
    for name, resave, mode in (("rgba", _as_rgba, "RGBA"), ("grey16", _as_grey16, "I;16")):
        report, files, _ = _evaluate(tmp_path / name, capsys, resave)
        with Image.open(next(files["pred_folder"].glob("*.png"))) as image:
            assert image.mode == mode
        assert report == rgb, name


def test_a_translucent_png_is_refused_at_ingest_naming_file_count_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report, files, data = _evaluate(tmp_path, capsys, _as_rgba)
    gt = sorted(files["gt_folder"].glob("*.png"))[3]
    alpha = np.full(_ids(gt).shape, 255, np.uint8)
    alpha[0, :2], alpha[4, 4] = 0, 128  # erased with a soft brush
    _as_rgba(gt, alpha)
    fresh = str(tmp_path / "fresh")
    argv = ("--images", str(files["images"]), "--data-dir", fresh)
    code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "p", *argv)
    assert code == 1 and "Traceback" not in out["stderr"]
    assert f"{gt.name}: 3 of {alpha.size} pixels are translucent" in out["stderr"]
    assert "flatten the image (remove its alpha channel) or save the mask as RGB" in out["stderr"]
    code, out = run_cli(capsys, "datasets", "--data-dir", fresh)
    assert out["datasets"] == []
    # the ingested dataset's PNG changed since: its evaluation refuses it the same way
    code, out = run_cli(capsys, "evaluate", "p", "--model", "m", "--data-dir", data)
    assert code == 1 and "3 of" in out["stderr"] and "translucent" in out["stderr"]
    _as_rgba(gt)
    # a model's translucent PNG: refused, its results as they were
    soft = tmp_path / "soft"
    for png in files["pred_folder"].glob("*.png"):
        alpha = np.full(_ids(png).shape, 255, np.uint8)
        alpha[1, 1] = 254
        soft.mkdir(exist_ok=True)
        (soft / png.name).write_bytes(png.read_bytes())
        _as_rgba(soft / png.name, alpha)
    argv = ("--model", "m", "--data-dir", data)
    code, out = run_cli(
        capsys, "panoptic-predictions", "p", str(files["pred_json"]), "--masks", str(soft), *argv
    )
    assert code == 1 and "1 of" in out["stderr"] and "translucent" in out["stderr"]
    code, out = run_cli(capsys, "evaluate", "p", *argv)
    assert code == 0 and out["panoptic"] == report


def test_single_channel_values_are_ids_and_32_bit_ids_past_2_24_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from visionlens_jlab.semantic.panoptic_quality import PanopticError, segment_ids

    grey = np.array([[0, 7, 7], [200, 200, 7]], np.uint8)
    la = tmp_path / "la.png"
    Image.fromarray(np.dstack([grey, np.full_like(grey, 255)]), mode="LA").save(la)
    assert segment_ids(str(la)).tolist() == grey.tolist()
    wide = tmp_path / "wide.png"  # a 32-bit TIFF of ids, named .png (PNG stops at 16 bits)
    Image.fromarray(np.array([[1, 1 << 24]], np.int32), mode="I").save(wide, format="TIFF")
    with pytest.raises(PanopticError, match="wide.png: value 16777216 is no segment id"):
        segment_ids(str(wide))
    root = tmp_path / "set"
    files = write_panoptic(root, 2, seed=1)
    first = sorted(files["gt_folder"].glob("*.png"))[0]
    Image.fromarray(_ids(first).astype(np.int32) + (1 << 24), mode="I").save(first, "TIFF")
    data = str(tmp_path / "data")
    argv = ("--images", str(files["images"]), "--data-dir", data)
    code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "p", *argv)
    assert code == 1 and f"{first.name}: value" in out["stderr"], out
    assert "save the ids as an RGB PNG" in out["stderr"]
