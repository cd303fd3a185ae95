"""The demo's labels beyond the box: masks, keypoints and image labels, in the files and
evaluated through the real CLI against pycocotools and scikit-learn on the same files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab import cli
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.demo.generator import generate_demo
from visionlens_jlab.demo.ingest import CLASSIFIER_NAME, ingest_demo
from visionlens_jlab.demo.shapes import CLASSES, KEYPOINT_NAMES, SKELETON
from visionlens_jlab.demo.signatures import MODEL_NAME
from visionlens_jlab.evaluate.coco import STAT_NAMES

from .evaluate_label_fixtures import pycocotools_run

mask_utils = pytest.importorskip("pycocotools.mask")
N = 80


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("demo")
    files = generate_demo(root / "files", images=N, seed=3, workers=1)
    data = root / "data"
    with Catalog(data) as catalog:
        summary = ingest_demo(catalog, files, "demo")
    return {
        "files": files,
        "data": data,
        "summary": summary,
        "coco": json.loads(files.annotations.read_text()),
        "preds": json.loads(files.predictions.read_text()),
    }


def _evaluate(monkeypatch: pytest.MonkeyPatch, capsys: Any, data: Path, *args: str) -> Any:
    if "visionlens_jlab.cli.evaluate" not in cli.EXTENSION_COMMAND_MODULES:
        monkeypatch.setattr(
            cli,
            "EXTENSION_COMMAND_MODULES",
            [*cli.EXTENSION_COMMAND_MODULES, "visionlens_jlab.cli.evaluate"],
        )
    code = cli.main(["evaluate", "demo", *args, "--data-dir", str(data), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_ground_truth_masks_and_keypoints(demo: dict[str, Any]) -> None:
    coco = demo["coco"]
    names = {c["id"]: c for c in coco["categories"]}
    star = next(c for c in coco["categories"] if c["name"] == "star")
    # a planted copy may be resized or cropped: masks are the size of their own image
    sizes = {img["id"]: [img["height"], img["width"]] for img in coco["images"]}
    assert star["keypoints"] == list(KEYPOINT_NAMES) and star["skeleton"] == SKELETON
    visibility: list[float] = []
    for a in coco["annotations"]:
        seg = a["segmentation"]
        assert seg, "every object has a mask"
        if names[a["category_id"]]["name"] == "ring":  # a hole: compressed RLE
            assert isinstance(seg, dict) and seg["size"] == sizes[a["image_id"]]
            assert mask_utils.area(seg) == pytest.approx(a["area"], rel=0.2)
        else:
            assert isinstance(seg, list)
        if names[a["category_id"]]["name"] == "star":
            assert len(a["keypoints"]) == 15 and a["num_keypoints"] == 5
            visibility += a["keypoints"][2::3]
        else:
            assert "keypoints" not in a
    assert set(visibility) == {1, 2}  # some tips are hidden behind later shapes


def test_predictions_carry_masks_and_star_keypoints(demo: dict[str, Any]) -> None:
    star_id = 1 + CLASSES.index("star")
    sizes = {img["id"]: [img["height"], img["width"]] for img in demo["coco"]["images"]}
    for p in demo["preds"]:
        assert p["segmentation"]["size"] == sizes[p["image_id"]]
        assert mask_utils.area(p["segmentation"]) > 0
        assert ("keypoints" in p) == (p["category_id"] == star_id)
        if "keypoints" in p:
            assert len(p["keypoints"]) == 15


def test_segm_evaluation_equals_pycocotools(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    got = _evaluate(monkeypatch, capsys, demo["data"], "--model", MODEL_NAME, "--iou-type",
                    "segm")["stats"]  # fmt: skip
    # a segm results file as COCO.loadRes reads it: masks and scores only
    dets = [
        {"image_id": p["image_id"], "category_id": p["category_id"], "score": p["score"],
         "segmentation": p["segmentation"]}
        for p in demo["preds"]
    ]  # fmt: skip
    ref = pycocotools_run(demo["coco"], dets, "segm")
    assert [got[n] for n in STAT_NAMES] == pytest.approx(list(ref.stats), abs=1e-9)
    bbox = _evaluate(monkeypatch, capsys, demo["data"], "--model", MODEL_NAME)["stats"]
    assert 0.1 < got["AP"] < 0.9 and 0.1 < bbox["AP"] < 0.9  # not trivial either way


def test_keypoints_evaluation_is_not_trivial(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    answer = _evaluate(monkeypatch, capsys, demo["data"], "--model", MODEL_NAME,
                       "--iou-type", "keypoints")  # fmt: skip
    assert answer["counts"]["tp"] > 0 and answer["counts"]["fn"] > 0
    assert 0.1 < answer["stats"]["AP"] < 0.95


def test_classification_equals_scikit_learn(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    got = _evaluate(monkeypatch, capsys, demo["data"], "--model", CLASSIFIER_NAME)
    files = demo["files"]
    with files.image_labels.open() as f:
        truth = {r["file_name"]: r["label"] for r in csv.DictReader(f)}
    with files.classifier.open() as f:
        rows = list(csv.DictReader(f))
    y_true = [truth[r["file_name"]] for r in rows]
    scores = np.array([[float(r[c]) for c in CLASSES] for r in rows])
    y_pred = [CLASSES[i] for i in scores.argmax(axis=1)]
    assert got["images"] == N
    assert got["accuracy"] == pytest.approx(metrics.accuracy_score(y_true, y_pred), abs=1e-12)
    # wrong sometimes, right mostly: something for the confusion matrix to show
    assert 0.5 < got["accuracy"] < 0.98
