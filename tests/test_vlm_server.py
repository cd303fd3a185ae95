"""VLM attributes through a real Jupyter server: the model job, the user's labels, the
calibration (with the server's threshold setting), and the CLI through the server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from .predict_fixtures import cartucho_subset, ingest_subset, save_tiny_blip2

N_IMAGES = 12
QUESTION = {"key": "mood", "question": "What mood?", "answers": ["calm", "busy"]}


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    return {"vlm_kappa_threshold": 0.5, "vlm_attributes": True}


async def test_vlm_job_labels_and_calibration(
    api: Any, wait_job: Any, vl_app: Any, vl_data_dir: Path, http_server_client: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    ingest_subset(vl_app.catalog, "photos", cartucho_subset(tmp_path / "photos", N_IMAGES))
    model = str(save_tiny_blip2(tmp_path / "blip2"))
    for bad, message in (
        (
            {"model": model, "task": "vlm", "questions": "lighting"},
            "'questions': 'lighting' is not",
        ),
        (
            {"model": model, "task": "vlm", "questions": [{"key": "x"}]},
            "'questions[0]': 'question' is a required",
        ),
        ({"model": model, "task": "caption", "questions": [QUESTION]}, "--task vlm only"),
    ):
        status, body = await api("POST", "datasets/photos/predict", bad)
        assert status == 400 and message in body["message"], body
    request = {"model": model, "task": "vlm", "batch_size": 4}
    job = await wait_job((await api("POST", "datasets/photos/predict", request))[1]["job"], 300)
    assert job["status"] == "done", job
    assert (job["result"]["processed"], job["result"]["predictions"]) == (N_IMAGES, 5 * N_IMAGES)
    with vl_app.catalog.cursor() as cur:
        answers = dict(
            cur.execute(
                "SELECT sample_id, text FROM computed_values WHERE field = 'vlm_occlusion'"
            ).fetchall()
        )
    status, sample = await api("GET", f"datasets/photos/samples/{min(answers)}")
    assert status == 200 and sample["computed"]["vlm_occlusion"] == answers[min(answers)]

    ids = sorted(answers)
    for body, message, code in (
        ({}, "'labels' is a required property", 400),
        ({"labels": [{"sample_id": ids[0], "question": "mood", "answer": "x"}]}, "unknown question", 400),
        ({"labels": [{"sample_id": ids[0], "question": "occlusion", "answer": "some"}]}, "not an answer of occlusion", 400),
        ({"labels": [{"sample_id": "1", "question": "occlusion", "answer": "none"}]}, "is not of type 'integer'", 400),
        ({"labels": [{"sample_id": 10**9, "question": "occlusion", "answer": "none"}]}, "not samples of dataset", 400),
    ):  # fmt: skip
        status, answer = await api("POST", "datasets/photos/vlm/labels", body)
        assert status == code and message in answer["message"], answer
    status, _ = await api("POST", "datasets/nothing/vlm/labels", {"labels": [
        {"sample_id": 1, "question": "occlusion", "answer": "none"}]})  # fmt: skip
    assert status == 404
    with vl_app.catalog.cursor() as cur:
        assert cur.execute("SELECT COUNT(*) FROM vlm_labels").fetchall() == [
            (0,)
        ]  # nothing half-written
    # the user agrees with the model on every sample it answered with a closed answer
    labels = [{"sample_id": s, "question": "occlusion", "answer": a} for s, a in answers.items()
              if a != "unknown"]  # fmt: skip
    status, stored = await api("POST", "datasets/photos/vlm/labels", {"labels": labels})
    assert status == 200 and stored["stored"] == len(labels)
    status, result = await api("GET", "datasets/photos/vlm/calibration")
    assert status == 200 and result["threshold"] == 0.5
    rows = {r["question"]: r for r in result["questions"]}
    assert set(rows) == {"lighting", "weather", "occlusion", "scene", "crowding"}
    assert rows["occlusion"]["n_labels"] == len(labels)
    assert rows["lighting"]["measured"] == "measured.brightness"
    status, _ = await api("GET", "datasets/nothing/vlm/calibration")
    assert status == 404

    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "visionlens_jlab.cli", "vlm-calibration", "photos", "--json"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "VISIONLENS_DATA_DIR": str(vl_data_dir)},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert json.loads(out) == result
