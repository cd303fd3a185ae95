"""Panoptic and semantic evaluation while a real Jupyter server owns the catalog: the
evaluation route runs them as a job whose result is the whole report, and ``visionlens
evaluate`` goes through that route; both equal hotcoco's (``pq_compute``, ``SemanticEval``)
and store the per-image fields."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.semantic.classes import VOC_CLASSES
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic
from visionlens_jlab.semantic.panoptic import ingest_panoptic, ingest_panoptic_predictions

from .panoptic_fixtures import write_panoptic
from .semantic_fixtures import write_voc


@pytest.fixture
def panoptic_files(vl_app: Any, tmp_path: Path) -> dict[str, Path]:
    """Ground truth and a model's results of 12 generated images, recorded in the
    server's catalog."""
    files = write_panoptic(tmp_path / "files", 12, seed=3)
    ingest_panoptic(vl_app.catalog, "pan", str(files["gt_json"]), None, str(files["images"]))
    ingest_panoptic_predictions(vl_app.catalog, "pan", "m", str(files["pred_json"]), None)
    return files


def _expected(files: dict[str, Path]) -> dict[str, Any]:
    from hotcoco import panoptic

    return dict(
        panoptic.pq_compute(
            str(files["gt_json"]),
            str(files["pred_json"]),
            str(files["gt_folder"]),
            str(files["pred_folder"]),
        )
    )


def _assert_equal(ours: dict[str, Any], expected: dict[str, Any]) -> None:
    for key in ("All", "Things", "Stuff"):
        assert ours[key]["n"] == expected[key]["n"]
        for metric in ("pq", "sq", "rq"):
            assert ours[key][metric] == pytest.approx(expected[key][metric], abs=1e-12)
    assert ours["images"] == 12 and ours["model"] == "m"


async def test_the_evaluation_route_runs_a_panoptic_model(
    api: Any, wait_job: Any, vl_app: Any, panoptic_files: dict[str, Path]
) -> None:
    status, body = await api("POST", "datasets/pan/evaluations", {"model": "m"})
    assert status == 202, body
    job = await wait_job(body["job"])
    assert job["status"] == "done", job
    _assert_equal(job["result"]["panoptic"], _expected(panoptic_files))
    flt = {"filter": {"sample": {"computed.panoptic_pq": {"min": 0}}}, "limit": 50}
    status, page = await api("POST", "datasets/pan/samples/query", flt)
    assert status == 200 and page["total"] == 12, page
    status, answer = await api("POST", "datasets/pan/evaluations", {"model": "nope"})
    assert status == 404 and "nope" in json.dumps(answer)


async def test_cli_evaluate_of_a_panoptic_model_goes_through_the_server(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any, panoptic_files: dict[str, Path]
) -> None:
    env = {**os.environ, "VISIONLENS_DATA_DIR": str(vl_data_dir)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "visionlens_jlab.cli", "evaluate", "pan", "--model", "m", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    _assert_equal(json.loads(out)["panoptic"], _expected(panoptic_files))


async def test_the_evaluation_route_runs_a_semantic_model(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    from hotcoco import semantic

    voc, preds, gts, outs = write_voc(tmp_path, 8, seed=4)
    ingest_semantic(vl_app.catalog, "seg", open_semantic(str(voc), "auto", None, None))
    ingest_semantic_predictions(vl_app.catalog, "seg", "net", str(preds), indices=False)
    status, body = await api("POST", "datasets/seg/evaluations", {"model": "net"})
    assert status == 202, body
    job = await wait_job(body["job"])
    assert job["status"] == "done", job
    ours = job["result"]["semantic"]
    ev = semantic.SemanticEval(list(VOC_CLASSES), ignore_index=255)
    ev.update(np.stack(gts), np.stack(outs))
    metrics = ev.report()["metrics"]
    assert ours["mIoU"] == pytest.approx(metrics["mIoU"], abs=1e-9)
    assert ours["pixel_accuracy"] == pytest.approx(metrics["aAcc"], abs=1e-9)
    assert ours["images"] == 8 and ours["model"] == "net"
    flt = {"filter": {"sample": {"computed.semantic_miou": {"min": 0}}}, "limit": 50}
    status, page = await api("POST", "datasets/seg/samples/query", flt)
    assert status == 200 and page["total"] == 8, page
