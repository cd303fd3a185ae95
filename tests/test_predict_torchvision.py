"""torchvision detectors as model jobs: tiny random Faster R-CNN / SSDlite state_dicts loaded
by path (and from torchvision's cache), their predictions checked against the same model
run by hand, and the errors for missing or mismatched weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.predict.base import PredictError, PredictOptions
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import predict_stream

from .predict_fixtures import photo_fixtures, save_tiny_torchvision

N_IMAGES = 5
FASTER = "fasterrcnn_mobilenet_v3_large_320_fpn"
SSD = "ssdlite320_mobilenet_v3_large"
CLASSES = ("potted plant", "sofa", "zebra")
"""``potted plant`` maps onto the dataset's ``pottedplant``; ``zebra`` is not in it."""
RENAME = {"potted plant": "pottedplant", "sofa": "sofa", "zebra": "zebra"}


photos, catalog = photo_fixtures(N_IMAGES)


def by_hand(
    builder: str, weights: Path, names: list[str], files: list[Path], batch: int, min_score: float
) -> list[tuple]:
    """The same model through torchvision alone: built, loaded, run on batches of the
    weights' own image transform, boxes clipped to the image."""
    import torch
    from PIL import Image
    from torchvision.models import get_model
    from torchvision.transforms.functional import pil_to_tensor

    model = get_model(builder, weights=None, weights_backbone=None, num_classes=len(names))
    model.load_state_dict(torch.load(weights, weights_only=True))
    model.eval()
    rows = []
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        images = [Image.open(f).convert("RGB") for f in chunk]
        with torch.no_grad():
            out = model([pil_to_tensor(im).float() / 255 for im in images])
        for f, im, r in zip(chunk, images, out, strict=True):
            for box, score, label in zip(r["boxes"], r["scores"], r["labels"], strict=True):
                if float(score) < min_score:
                    continue
                x1, y1, x2, y2 = (float(v) for v in box)
                x1, x2 = min(max(x1, 0), im.width), min(max(x2, 0), im.width)
                y1, y2 = min(max(y1, 0), im.height), min(max(y2, 0), im.height)
                if x2 > x1 and y2 > y1:
                    name = names[int(label)]
                    rows.append((f.name, name, x1, y1, x2 - x1, y2 - y1, float(score)))
    return sorted(rows)


def stored(catalog: Catalog, source: str) -> list[tuple]:
    with catalog.cursor() as cur:
        return sorted(
            cur.execute(
                "SELECT regexp_replace(s.file_name, '^.*/', ''), a.label, a.x, a.y, a.w, a.h, "
                "a.score FROM annotations a JOIN samples s USING (sample_id) WHERE a.source = ?",
                [source],
            ).fetchall()
        )


def assert_same(rows: list[tuple], expected: list[tuple]) -> None:
    expected = sorted((f, RENAME.get(n, n), *v) for f, n, *v in expected)
    assert len(rows) == len(expected) > 0
    assert [r[:2] for r in rows] == [e[:2] for e in expected]
    np.testing.assert_allclose([r[2:] for r in rows], [e[2:] for e in expected], atol=1e-4)


def test_cli_runs_a_torchvision_checkpoint_by_path_equal_to_the_model_by_hand(
    catalog: Catalog, photos: Path, tmp_path: Path
) -> None:
    weights = save_tiny_torchvision(tmp_path / "w" / "faster.pth", FASTER, len(CLASSES) + 1)
    data_dir = catalog.data_dir
    catalog.close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "visionlens_jlab.cli", "predict", "photos",
               "--model", f"torchvision:{FASTER}={weights}", "--classes", ",".join(CLASSES),
               "--min-score", "0.2", "--batch-size", "2", "--data-dir", str(data_dir),
               "--json"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert (result["task"], result["processed"], result["skipped"]) == ("detect", N_IMAGES, 0)
    assert (result["device"], result["dtype"]) == ("cpu", "float32")
    assert result["model"] == f"torchvision:{FASTER}={weights.resolve()}"
    reopened = Catalog(data_dir)
    try:
        rows = stored(reopened, FASTER)  # named after the builder
        with reopened.cursor() as cur:
            (fmt, count) = cur.execute(
                "SELECT format, num_predictions FROM models WHERE name = ?", [FASTER]
            ).fetchall()[0]
    finally:
        reopened.close()
    files = sorted((photos / "images").glob("*.jpg"))
    names = ["__background__", *CLASSES]
    assert_same(rows, by_hand(FASTER, weights, names, files, 2, 0.2))
    assert (fmt, count) == ("model-run", len(rows))
    assert {r[1] for r in rows} <= {"pottedplant", "sofa", "zebra"}
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert json.loads(again.stdout)["skipped"] == N_IMAGES  # resume: nothing left to do


def test_an_ssd_without_a_background_slot_reads_labels_from_zero(
    catalog: Catalog, photos: Path, tmp_path: Path
) -> None:
    """A checkpoint with exactly ``len(classes)`` classes: label 0 is the first name."""
    weights = save_tiny_torchvision(tmp_path / "ssd.pth", SSD, len(CLASSES))
    options = PredictOptions(
        "photos", f"torchvision:{SSD}={weights}", classes=CLASSES, batch_size=3, min_score=0.3
    )
    result = run_prediction(None, catalog, options, predict_stream)
    assert result["processed"] == N_IMAGES and result["unknown_classes"] == ["zebra"]
    files = sorted((photos / "images").glob("*.jpg"))
    assert_same(stored(catalog, SSD), by_hand(SSD, weights, list(CLASSES), files, 3, 0.3))


def test_cached_coco_weights_load_with_the_coco_names(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch
    from torchvision.models import get_model, get_model_weights

    default = get_model_weights(FASTER).DEFAULT
    categories = default.meta["categories"]
    torch.manual_seed(0)
    model = get_model(FASTER, weights=None, weights_backbone=None, num_classes=len(categories))
    with torch.no_grad():  # random heads score every one of 91 classes below 0.05
        bias = model.roi_heads.box_predictor.cls_score.bias
        bias[categories.index("potted plant")] = 5.0
    # a random model in the place (and under the name) torchvision's download would take
    cache = tmp_path / "torch" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save(model.state_dict(), cache / os.path.basename(default.url))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    options = PredictOptions("photos", f"torchvision:{FASTER}", batch_size=4, min_score=0.1)
    result = run_prediction(None, catalog, options, predict_stream)
    assert result["processed"] == N_IMAGES and result["name"] == FASTER
    # label 64 is COCO's "potted plant", mapped onto the dataset's name
    assert {r[1] for r in stored(catalog, FASTER)} == {"pottedplant"}
    assert result["unknown_classes"] == []


def test_missing_or_mismatched_weights_are_clear_errors_and_write_nothing(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch"))

    def run(model: str, classes: tuple[str, ...] | None = None) -> str:
        with pytest.raises(PredictError) as err:
            run_prediction(
                None, catalog, PredictOptions("photos", model, classes=classes), predict_stream
            )
        return str(err.value)

    message = run("torchvision:retinanet_resnet50_fpn")
    assert "'torchvision:retinanet_resnet50_fpn'" in message
    assert str(tmp_path / "empty-torch" / "hub" / "checkpoints") in message
    assert "retinanet_resnet50_fpn_coco-" in message  # the file it looked for
    assert "--model torchvision:retinanet_resnet50_fpn=/path/weights.pth" in message
    assert "no weights file at" in run(f"torchvision:{FASTER}={tmp_path / 'none.pth'}")
    assert "not a torchvision detection model" in run("torchvision:resnet50")
    with pytest.raises(PredictError, match="no torchvision builder"):
        PredictOptions("photos", "torchvision:")

    weights = save_tiny_torchvision(tmp_path / "faster.pth", FASTER, 4)
    wrong_arch = run(f"torchvision:{SSD}={weights}", CLASSES)
    assert "does not fit torchvision's ssdlite320_mobilenet_v3_large" in wrong_arch
    assert "another architecture" in wrong_arch and "unexpected" in wrong_arch
    wrong_count = run(f"torchvision:{FASTER}={weights}", ("a", "b"))
    assert "size mismatch" in wrong_count and "--classes gives 2 names" in wrong_count
    no_names = run(f"torchvision:{FASTER}={weights}")
    assert "91 classes" in no_names and "--classes a,b,c" in no_names
    (tmp_path / "junk.pth").write_bytes(b"not torch")
    assert "not a state_dict torch can load" in run(f"torchvision:{FASTER}={tmp_path / 'junk.pth'}")
    with catalog.cursor() as cur:  # nothing was written
        assert cur.execute("SELECT count(*) FROM models").fetchall()[0][0] == 0


def test_the_cli_without_a_server_refuses_the_kernel_runner(
    catalog: Catalog,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from visionlens_jlab.cli import main

    monkeypatch.delenv("RAY_ADDRESS", raising=False)

    data_dir = catalog.data_dir
    catalog.close()
    weights = tmp_path / "w.pth"
    argv = ["predict", "photos", "--model", f"torchvision:{FASTER}={weights}"]
    code = main([*argv, "--runner", "kernel", "--data-dir", str(data_dir)])
    assert (
        code == 2 and "kernel runner needs a running JupyterLab server" in capsys.readouterr().err
    )
    code = main([*argv, "--runner", "ray", "--data-dir", str(data_dir)])
    # the ray runner needs a cluster address (the CLI is then the driver itself)
    assert code == 2 and "no Ray cluster address" in capsys.readouterr().err
