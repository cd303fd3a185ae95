"""Generated semantic datasets: VOC-style palette PNG masks of random blobs (255 borders)
and predictions with random noise, written to a folder (shared by the semantic tests and
the benchmark)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from visionlens_jlab.cli import main
from visionlens_jlab.semantic.classes import VOC_CLASSES, voc_colors

from .panoptic_fixtures import write_panoptic


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    """Run ``visionlens *argv --json``: its exit code and printed JSON, with ``stderr``."""
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    out = captured.out.strip()
    return code, {**(json.loads(out) if out else {}), "stderr": captured.err}


def cli_semantic_evaluation(
    capsys: pytest.CaptureFixture[str], ground_truth: Path, predictions: Path, data: str
) -> dict[str, Any]:
    """``semantic-ingest`` of ``ground_truth`` (dataset ``s``), ``semantic-predictions`` of
    ``predictions`` (model ``m``) and ``evaluate`` through the CLI into data folder ``data``:
    the evaluation's ``semantic`` figures."""
    code, out = run_cli(
        capsys, "semantic-ingest", str(ground_truth), "--name", "s", "--data-dir", data
    )
    assert code == 0, out
    model = ("--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "semantic-predictions", "s", str(predictions), *model)
    assert code == 0, out
    code, out = run_cli(capsys, "evaluate", "s", *model)
    assert code == 0, out
    return dict(out["semantic"])


def save_grey(array: np.ndarray, path: Path) -> None:
    """Write ``array`` as an 8-bit grey PNG (a label map of class indices) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array.astype(np.uint8), mode="L").save(path)


def blob_mask(rng: np.random.Generator, height: int, width: int, classes: int) -> np.ndarray:
    """A label map of a few rectangles of random classes on background, with 255 borders
    around some of them (VOC's void band)."""
    mask = np.zeros((height, width), np.uint8)
    for _ in range(int(rng.integers(1, 5))):
        c = int(rng.integers(1, classes))
        y0, x0 = int(rng.integers(0, height - 8)), int(rng.integers(0, width - 8))
        y1 = min(height, y0 + int(rng.integers(4, height // 2 + 5)))
        x1 = min(width, x0 + int(rng.integers(4, width // 2 + 5)))
        if rng.random() < 0.5:
            mask[max(0, y0 - 2) : y1 + 2, max(0, x0 - 2) : x1 + 2] = 255
        mask[y0:y1, x0:x1] = c
    return mask


def noisy(rng: np.random.Generator, mask: np.ndarray, classes: int, rate: float) -> np.ndarray:
    """A prediction: the mask with void as background, shifted, and ``rate`` of its
    pixels set to random classes."""
    pred = np.where(mask == 255, 0, mask)
    pred = np.roll(pred, int(rng.integers(-3, 4)), axis=int(rng.integers(0, 2)))
    flip = rng.random(mask.shape) < rate
    pred[flip] = rng.integers(0, classes, int(flip.sum()))
    return pred.astype(np.uint8)


def save_palette(array: np.ndarray, path: Path) -> None:
    """Save a label map as a VOC palette PNG."""
    image = Image.fromarray(array, mode="P")
    palette = [v for rgb in voc_colors(256) for v in rgb]
    image.putpalette(palette)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def write_voc(
    root: Path, images: int, size: tuple[int, int] = (48, 64), seed: int = 0, rate: float = 0.1
) -> tuple[Path, Path, list[np.ndarray], list[np.ndarray]]:
    """A VOC ``SegmentationClass`` dataset at ``root / "VOC"`` and predictions at
    ``root / "preds"``; returns both folders and the ground truth and predicted arrays."""
    rng = np.random.default_rng(seed)
    voc, preds = root / "VOC", root / "preds"
    (voc / "JPEGImages").mkdir(parents=True, exist_ok=True)
    gts, outs = [], []
    height, width = size
    for i in range(images):
        stem = f"2007_{i:06d}"
        Image.new("RGB", (width, height), (i % 255, 90, 160)).save(
            voc / "JPEGImages" / f"{stem}.jpg"
        )
        mask = blob_mask(rng, height, width, len(VOC_CLASSES))
        pred = noisy(rng, mask, len(VOC_CLASSES), rate)
        save_palette(mask, voc / "SegmentationClass" / f"{stem}.png")
        save_palette(pred, preds / f"{stem}.png")
        gts.append(mask)
        outs.append(pred)
    return voc, preds, gts, outs


def ingested_panoptic(
    capsys: pytest.CaptureFixture[str], root: Path, images: int, seed: int, name: str = "p"
) -> tuple[dict[str, Path], tuple[str, ...]]:
    """``write_panoptic``'s files under ``root/set`` ingested as dataset ``name`` into
    ``root/data``, model ``m``'s results imported: the files, and the ``--model m
    --data-dir DATA`` arguments the tests go on with."""
    files = write_panoptic(root / "set", images, seed=seed)
    data = str(root / "data")
    argv = ("--images", str(files["images"]), "--data-dir", data)
    assert run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", name, *argv)[0] == 0
    model = ("--model", "m", "--data-dir", data)
    assert run_cli(capsys, "panoptic-predictions", name, str(files["pred_json"]), *model)[0] == 0
    return files, model
