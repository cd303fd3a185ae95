"""A dataset's own OKS sigmas: read at ingest (a COCO category's ``sigmas``, an Ultralytics
data.yaml's ``kpt_oks_sigmas``), stored per class, and used by keypoint evaluation when no
sigmas are passed, as pycocotools' ``COCOeval.params.kpt_oks_sigmas``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.evaluate_label_fixtures import pycocotools_run, synthetic_keypoints
from tests.ingest_fixtures import ingest, ingest_predictions
from tests.yolo_fixtures import yolo_dataset, yolo_row
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.evaluate import evaluate_model
from visionlens_jlab.evaluate.keypoints import KEYPOINT_STATS

NAMES = [spec[0] for spec in KEYPOINT_STATS]
SIGMAS = [0.05, 0.08, 0.12, 0.03, 0.1]
OTHER = [0.2, 0.02, 0.06, 0.09, 0.04]


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "data") as cat:
        yield cat


def _sigmas(catalog: Catalog, dataset: str) -> list[tuple[str, list[float] | None]]:
    with catalog.cursor() as cur:
        return cur.execute(
            "SELECT c.name, c.keypoint_sigmas FROM categories c JOIN datasets d "
            "USING (dataset_id) WHERE d.name = ? ORDER BY c.category_id",
            [dataset],
        ).fetchall()


def _coco_files(tmp_path: Path, gt: dict, dets: list[dict]) -> tuple[Path, Path]:
    gt_path, dt_path = tmp_path / "gt.json", tmp_path / "dt.json"
    gt_path.write_text(json.dumps(gt))
    dt_path.write_text(json.dumps(dets))
    return gt_path, dt_path


def test_coco_category_sigmas_are_used_as_pycocotools_uses_them(
    catalog: Catalog, tmp_path: Path
) -> None:
    gt, dets = synthetic_keypoints(7, points=5)
    for cat in gt["categories"]:
        cat["sigmas"] = SIGMAS
    gt_path, dt_path = _coco_files(tmp_path, gt, dets)
    ingest(catalog, "poses", gt_path)
    assert [s for _, s in _sigmas(catalog, "poses")] == [SIGMAS] * 3
    shown = catalog.get_dataset("poses")["category_keypoints"]
    assert [c["sigmas"] for c in shown.values()] == [SIGMAS] * 3
    categories = {c["id"]: c["name"] for c in gt["categories"]}
    ingest_predictions(catalog, "poses", "m", dt_path, categories=categories)

    expected = pycocotools_run(gt, dets, "keypoints", SIGMAS)
    report = evaluate_model(catalog, "poses", "m", iou_type="keypoints")
    got = [report.stats[n] for n in NAMES]
    np.testing.assert_allclose(got, expected.stats, rtol=0, atol=1e-9)
    assert report.params["sigmas"] == SIGMAS and report.params["sigmas_from"] == "dataset"
    assert not report.warnings
    # the default (1/5 per point) gives other numbers: the stored sigmas were used
    assert expected.stats[0] != pycocotools_run(gt, dets, "keypoints", [0.2] * 5).stats[0]
    # sigmas given win over the stored ones
    given = evaluate_model(catalog, "poses", "m", iou_type="keypoints", sigmas=OTHER)
    np.testing.assert_allclose(
        [given.stats[n] for n in NAMES],
        pycocotools_run(gt, dets, "keypoints", OTHER).stats,
        rtol=0,
        atol=1e-9,
    )
    assert given.params["sigmas_from"] == "caller"


def test_bad_or_differing_coco_sigmas(catalog: Catalog, tmp_path: Path) -> None:
    gt, dets = synthetic_keypoints(3, points=5)
    gt["categories"][0]["sigmas"] = [0.1, 0.1]  # two for five points: ignored
    gt["categories"][1]["sigmas"] = SIGMAS
    gt["categories"][2]["sigmas"] = OTHER
    gt_path, dt_path = _coco_files(tmp_path, gt, dets)
    s = ingest(catalog, "poses", gt_path)
    (warning,) = [w for w in s.warnings if w["code"] == "coco_bad_category_sigmas"]
    assert warning["examples"] == ["pose1"]
    assert _sigmas(catalog, "poses") == [("pose1", None), ("pose2", SIGMAS), ("pose3", OTHER)]
    ingest_predictions(
        catalog, "poses", "m", dt_path, categories={c["id"]: c["name"] for c in gt["categories"]}
    )
    report = evaluate_model(catalog, "poses", "m", iou_type="keypoints")
    assert "2 different sigma lists" in report.warnings[-1]
    assert "sigmas" not in report.params
    np.testing.assert_allclose(  # none used: the 1/K default, as pycocotools with it
        [report.stats[n] for n in NAMES],
        pycocotools_run(gt, dets, "keypoints", [0.2] * 5).stats,
        rtol=0,
        atol=1e-9,
    )


def test_ultralytics_kpt_oks_sigmas(catalog: Catalog, tmp_path: Path) -> None:
    row = yolo_row([0.5, 0.5, 0.4, 0.4, *[0.4, 0.6, 2] * 5])
    head = "path: .\ntrain: images/train\nnames: [person, dog]\nkpt_shape: [5, 3]\n"
    root = yolo_dataset(tmp_path / "y", head + f"kpt_oks_sigmas: {SIGMAS}\n", {"a": row})
    ingest(catalog, "y", root)
    assert _sigmas(catalog, "y") == [("person", SIGMAS), ("dog", SIGMAS)]
    bad = yolo_dataset(tmp_path / "b", head + "kpt_oks_sigmas: [0.1, -1]\n", {"a": row})
    s = ingest(catalog, "b", bad)
    assert [w["code"] for w in s.warnings] == ["yolo_bad_kpt_oks_sigmas"]
    assert _sigmas(catalog, "b") == [("person", None), ("dog", None)]
