"""The label-quality REST job on a real Jupyter server: bad input, progress to done, the stored
result read back, and the CLI going through the server while it owns the data dir."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.label_quality import ISSUES

from .evaluate_fixtures import ingest, ingest_predictions
from .label_quality_fixtures import ISSUE_OF, make_scene, write_coco
from .notebook_fixtures import running_kernel
from .test_label_quality_semantic import ingest_scene, scene

MODEL = "det"


@pytest.fixture
def planted(vl_app: Any, http_server_client: Any, tmp_path: Path) -> Any:
    """A planted scene in the server's catalog."""
    scene = make_scene(60, 0.25, 3, ["car", "<b>bus</b>", "dog"])
    gt, dt = write_coco(scene, tmp_path / "src")
    ingest(vl_app.catalog, "planted", gt, "coco")
    ingest_predictions(vl_app.catalog, "planted", MODEL, dt, "coco")
    return scene


async def test_label_quality_job_and_stored_result(api: Any, wait_job: Any, planted: Any) -> None:
    for body, message in (
        ({}, "'model' is a required property"),
        (
            {"model": MODEL, "thresholds": {"swapped": 3}},
            "'thresholds.swapped': 3 is greater than the maximum of 1",
        ),
        ({"model": MODEL, "thresholds": {"nope": 0.1}}, "('nope' was unexpected)"),
        ({"model": MODEL, "thresholds": [0.1]}, "'thresholds': [0.1] is not of type 'object'"),
        ({"model": MODEL, "iou": "segm"}, "'iou': 'segm' is not one of ['auto', 'mask', 'box']"),
        # the scene has boxes only: refused before a job starts
        ({"model": MODEL, "iou": "mask"}, "--iou mask needs masks on both sides"),
    ):
        status, answer = await api("POST", "datasets/planted/label-quality", body)
        assert status == 400 and message in answer["message"], answer
    status, _ = await api("POST", "datasets/nope/label-quality", {"model": MODEL})
    assert status == 404
    status, answer = await api("GET", "datasets/planted/label-quality", params={"model": MODEL})
    assert status == 404 and "no label quality" in answer["message"]

    status, answer = await api("POST", "datasets/planted/label-quality", {"model": MODEL})
    assert status == 202
    job = await wait_job(answer["job"])
    assert job["status"] == "done" and job["progress"] == 1.0, job
    assert job["result"]["summary"]["iou"] == "box"  # auto: no masks here
    want = Counter(ISSUE_OF[kind] for kind in planted.planted.values())
    assert job["result"]["summary"]["flagged"] == {i: want.get(i, 0) for i in ISSUES}

    status, result = await api("GET", "datasets/planted/label-quality", params={"model": MODEL})
    assert status == 200
    assert len(result["boxes"]) == len(planted.labels) + len(planted.predictions)
    assert len(result["images"]) == planted.n_images
    k = len(planted.planted)
    assert Counter(b["issue"] for b in result["boxes"][:k]) == want

    status, answer = await api("POST", "datasets/planted/label-quality", {"model": "other"})
    job = await wait_job(answer["job"])
    assert job["status"] == "failed" and "no model 'other'" in job["error"]


async def test_label_quality_frames_in_a_kernel(planted: Any) -> None:
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "boxes, images = vl.dataset('planted').label_quality('det', thresholds={'swapped': 0.5})\n"
            "print(json.dumps({'cols': boxes.columns.tolist(), 'n': len(boxes), 'images': len(images),\n"
            "  'worst': boxes.issue[:5].tolist(), 'flagged': boxes.attrs['summary']['flagged'],\n"
            "  'thresholds': images.attrs['summary']['thresholds']}))"
        )
    got = json.loads(out)
    assert got["cols"] == ["annotation_id", "sample_id", "source", "issue", "score"]
    assert got["n"] == len(planted.labels) + len(planted.predictions)
    assert got["images"] == planted.n_images and got["thresholds"]["swapped"] == 0.5
    want = Counter(ISSUE_OF[kind] for kind in planted.planted.values())
    assert got["flagged"] == {i: want.get(i, 0) for i in ISSUES}
    assert set(got["worst"]) <= set(want)


async def test_semantic_label_quality_job(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    gts, preds, plants = scene(2, 8, 0.5)
    order = ingest_scene(vl_app.catalog, tmp_path, gts, preds)
    for body in ({"model": "net", "iou": "mask"}, {"model": "net", "thresholds": {"swapped": 0.2}}):
        status, answer = await api("POST", "datasets/seg/label-quality", body)
        assert status == 400 and "semantic masks: it takes no" in answer["message"], answer
    status, answer = await api("POST", "datasets/seg/label-quality", {"model": "net"})
    assert status == 202
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert {r["sample_id"] for r in job["result"]["regions"]} == {order[i] for i in plants}
    status, result = await api("GET", "datasets/seg/label-quality", params={"model": "net"})
    assert status == 200 and result["boxes"] == [] and len(result["images"]) == len(gts)
    assert result["summary"]["kind"] == "semantic"
