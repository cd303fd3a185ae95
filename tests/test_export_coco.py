"""COCO export, proven by pycocotools and by ingesting it again: masks (polygons, multi-part
polygons, RLE crowds) and keypoints evaluate to the same COCOeval statistics as the source
files, and ``visionlens ingest OUT`` gives back the same samples and labels, float-exact."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from tests.export_fixtures import (
    coco_source,
    ingest_cli,
    ingest_source,
    label_rows,
    run_cli,
    sample_rows,
)

KINDS = ("segm", "keypoints")


def _stats(gt: Any, dets: list[dict[str, Any]], iou_type: str) -> np.ndarray:
    """pycocotools' 12 (or 10) summary statistics, quietly."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = gt if isinstance(gt, COCO) else COCO(str(gt))
        # loadRes writes into the records it is given: a copy keeps ``dets`` reusable
        ev = COCOeval(coco_gt, coco_gt.loadRes(copy.deepcopy(dets)), iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.asarray(ev.stats)


@pytest.fixture(params=KINDS)
def source(
    request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Any:
    """A data dir with the synthetic ``kind`` dataset ``src`` and its model ``m1``."""
    kind = request.param
    gt, dets = coco_source(tmp_path / "src", kind)
    data_dir = tmp_path / "vl"
    ingest_source(capsys, tmp_path / "src", data_dir, model=True)
    return kind, gt, dets, data_dir


def test_coco_export_evaluates_like_the_source(
    source: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kind, _gt, dets, data_dir = source
    code, result = run_cli(
        capsys, data_dir, "export", "src", "--format", "coco", "--out", str(tmp_path / "gt")
    )
    assert code == 0, result
    assert set(result) == {
        "out", "format", "samples", "annotations", "files", "refused", "bad_names", "skipped",
    }  # fmt: skip
    assert (result["samples"], result["files"]) == (8, 9)  # labels.json + 8 images
    code, result = run_cli(
        capsys, data_dir, "export", "src", "--format", "coco", "--out", str(tmp_path / "dt"),
        "--source", "m1", "--images", "none",
    )  # fmt: skip
    assert code == 0, result
    assert result["annotations"] == len(dets)
    exported = json.loads((tmp_path / "dt" / "labels.json").read_text())["annotations"]
    assert all("score" in a for a in exported)
    expected = _stats(tmp_path / "src" / "gt.json", dets, kind)
    got = _stats(tmp_path / "gt" / "labels.json", exported, kind)
    np.testing.assert_array_equal(got, expected)
    if kind == "segm":  # the boxes the catalog derived from the RLE results, as pycocotools does
        np.testing.assert_array_equal(
            _stats(tmp_path / "gt" / "labels.json", exported, "bbox"),
            _stats(tmp_path / "src" / "gt.json", dets, "bbox"),
        )


def test_coco_export_ingests_to_the_same_labels(
    source: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kind, gt, _dets, data_dir = source
    out = tmp_path / "out"
    assert run_cli(capsys, data_dir, "export", "src", "--format", "coco", "--out", str(out))[0] == 0
    doc = json.loads((out / "labels.json").read_text())
    assert [c["name"] for c in doc["categories"]] == [c["name"] for c in gt["categories"]]
    assert [c["id"] for c in doc["categories"]] == [c["id"] for c in gt["categories"]]
    assert sorted(im["id"] for im in doc["images"]) == sorted(im["id"] for im in gt["images"])
    if kind == "keypoints":
        assert all(len(c["keypoints"]) == 17 for c in doc["categories"])
    ingest_cli(capsys, data_dir, out, "again")  # auto-detected: labels.json beside data/
    assert sample_rows(data_dir, "again") == sample_rows(data_dir, "src")
    assert label_rows(data_dir, "again") == label_rows(data_dir, "src")  # float-exact


def test_coco_predictions_reimport_as_a_model(
    source: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The predictions file (a dataset whose objects carry ``score``) imports back as a
    model, classes matched by name, with a score threshold applied."""
    _kind, _gt, _dets, data_dir = source
    out = tmp_path / "dt"
    code, result = run_cli(
        capsys, data_dir, "export", "src", "--format", "coco", "--out", str(out), "--source",
        "m1", "--min-score", "0.5", "--images", "none",
    )  # fmt: skip
    assert code == 0, result
    code, _ = run_cli(
        capsys, data_dir, "predictions", "src", str(out / "labels.json"), "--model", "m2"
    )
    assert code == 0
    kept = [r for r in label_rows(data_dir, "src", "m1") if r["score"] >= 0.5]
    assert result["annotations"] == len(kept) > 0
    assert label_rows(data_dir, "src", "m2") == kept


def test_filter_and_class_subset_keep_the_class_ids(
    source: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A filtered view with a class subset: only its images and those classes' objects, the
    category list and ids unchanged (a class map stable across exports)."""
    _kind, gt, _dets, data_dir = source
    out = tmp_path / "val"
    keep = sorted({c["name"] for c in gt["categories"]})[:2]
    code, result = run_cli(
        capsys, data_dir, "export", "src", "--format", "coco", "--out", str(out), "--images",
        "none", "--filter", json.dumps({"sample": {"split": {"in": ["val"]}}}), "--classes",
        ",".join(keep),
    )  # fmt: skip
    assert code == 0, result
    doc = json.loads((out / "labels.json").read_text())
    val = {im["id"] for im in gt["images"] if im["split"] == "val"}
    assert {im["id"] for im in doc["images"]} == val
    assert [(c["id"], c["name"]) for c in doc["categories"]] == [
        (c["id"], c["name"]) for c in gt["categories"]
    ]
    names = {c["id"]: c["name"] for c in gt["categories"]}
    expected = [
        a["id"]
        for a in gt["annotations"]
        if a["image_id"] in val and names[a["category_id"]] in keep
    ]
    assert sorted(a["id"] for a in doc["annotations"]) == sorted(expected)
    assert result["annotations"] == len(expected) > 0
