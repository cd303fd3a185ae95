"""``visionlens evaluate --iou-type`` and classification models, locally and over REST."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab import cli
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.evaluate.coco import STAT_NAMES
from visionlens_jlab.evaluate.keypoints import KEYPOINT_STATS

from .evaluate_label_fixtures import (
    CocoLabelSource,
    pycocotools_run,
    synthetic_keypoints,
    synthetic_segm,
)
from .test_evaluate_classification import LabelsSource, classification_data


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: Any, argv: list[str]) -> tuple[int, str, str]:
    """``visionlens ARGV`` in this process: its exit code, stdout and stderr."""
    if "visionlens_jlab.cli.evaluate" not in cli.EXTENSION_COMMAND_MODULES:
        monkeypatch.setattr(
            cli,
            "EXTENSION_COMMAND_MODULES",
            [*cli.EXTENSION_COMMAND_MODULES, "visionlens_jlab.cli.evaluate"],
        )
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _write(catalog: Catalog) -> tuple[Any, Any]:
    seg_gt, seg_dt = synthetic_segm(11)
    write_dataset(catalog, "shapes", CocoLabelSource(seg_gt))
    write_predictions(catalog, "shapes", "m", CocoLabelSource(seg_gt, seg_dt))
    kp_gt, kp_dt = synthetic_keypoints(12)
    write_dataset(catalog, "poses", CocoLabelSource(kp_gt))
    write_predictions(catalog, "poses", "m", CocoLabelSource(kp_gt, kp_dt))
    gt, pred, _ = classification_data(3)
    write_dataset(catalog, "pics", LabelsSource(402, gt))
    write_predictions(catalog, "pics", "clf", LabelsSource(0, pred, predictions=True))
    return pycocotools_run(seg_gt, seg_dt, "segm"), pycocotools_run(kp_gt, kp_dt, "keypoints")


def test_cli_iou_types_and_classification(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        segm, keypoints = _write(catalog)
    base = ["--data-dir", str(data), "--json"]
    code, out, err = run_cli(
        monkeypatch, capsys, ["evaluate", "shapes", "--model", "m", "--iou-type", "segm", *base]
    )
    assert code == 0, err
    stats = json.loads(out)["stats"]
    assert list(stats) == list(STAT_NAMES)
    assert [stats[n] for n in STAT_NAMES] == pytest.approx(list(segm.stats), abs=1e-9)

    argv = ["evaluate", "poses", "--model", "m", "--iou-type", "keypoints", *base]
    code, out, err = run_cli(monkeypatch, capsys, argv)
    assert code == 0, err
    stats = json.loads(out)["stats"]
    names = [spec[0] for spec in KEYPOINT_STATS]
    assert list(stats) == names
    assert [stats[n] for n in names] == pytest.approx(list(keypoints.stats), abs=1e-9)

    code, out, err = run_cli(
        monkeypatch, capsys, ["evaluate", "poses", "--model", "m", "--iou-type", "segm", *base]
    )
    assert code == 1 and "model 'm' has no masks" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exited:  # argparse's own usage error
        run_cli(monkeypatch, capsys, ["evaluate", "poses", "--model", "m", "--sigmas", "0.1,x"])
    assert exited.value.code == 2 and "sigmas" in capsys.readouterr().err
    argv = ["evaluate", "poses", "--model", "m", "--sigmas", "0.1", *base]  # bbox: no sigmas
    code, _, err = run_cli(monkeypatch, capsys, argv)
    assert code == 2 and "sigmas" in err

    code, out, err = run_cli(monkeypatch, capsys, ["evaluate", "pics", "--model", "clf", *base])
    assert code == 0, err
    report = json.loads(out)
    assert {"accuracy", "top5", "per_class", "confusion"} <= set(report)
    assert 0 < report["accuracy"] < 1 and report["top5"] >= report["accuracy"]
    code, out, _ = run_cli(
        monkeypatch, capsys, ["evaluate", "pics", "--model", "clf", "--data-dir", str(data)]
    )
    assert code == 0 and "Classification evaluation of 'clf'" in out and "accuracy" in out


async def test_rest_iou_type_and_classification(vl_app: Any, api: Any, wait_job: Any) -> None:
    segm, _ = _write(vl_app.catalog)
    body = {"model": "m", "iou_type": "segm"}
    status, started = await api("POST", "datasets/shapes/evaluations", body)
    assert status == 202, started
    job = await wait_job(started["job"])
    assert job["status"] == "done", job
    assert job["result"]["key"] == "m--coco-segm-iou0.5" and job["result"]["iou_type"] == "segm"
    assert job["result"]["stats"]["AP"] == pytest.approx(segm.stats[0], abs=1e-9)
    status, listed = await api("GET", "datasets/shapes/evaluations")
    assert [e["iou_type"] for e in listed["evaluations"]] == ["segm"]
    status, report = await api("GET", "datasets/shapes/evaluations/m--coco-segm-iou0.5")
    assert status == 200 and report["iou_type"] == "segm"

    status, started = await api("POST", "datasets/pics/evaluations", {"model": "clf"})
    job = await wait_job(started["job"])
    assert job["result"]["kind"] == "classification" and "top5" in job["result"]
    for bad in ({"model": "m", "iou_type": "mask"}, {"model": "m", "sigmas": "0.1"}):
        status, _ = await api("POST", "datasets/shapes/evaluations", bad)
        assert status == 400
