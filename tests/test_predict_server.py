"""Model jobs through a real Jupyter server: the REST route, the worker process, progress
with rate and ETA, cancel (what was computed stays), resume, and the caption search."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from .predict_fixtures import cartucho_subset, ingest_subset, save_tiny_blip, save_tiny_detr

N_IMAGES = 60  # at batch 1 and 800 px, long enough to be cancelled mid-way


def run_count(vl_app: Any, source: str) -> int:
    """Samples with a processed mark: a prediction, or listed as done without one."""
    from visionlens_jlab.predict.model_runs import model_run_state

    return len(model_run_state(vl_app.catalog, "photos", source).done)


async def test_detect_job_progress_cancel_resume_and_caption_search(
    api: Any, wait_job: Any, wait_midway: Any, vl_app: Any, tmp_path: Path
) -> None:
    ingest_subset(vl_app.catalog, "photos", cartucho_subset(tmp_path / "photos", N_IMAGES))
    detr = save_tiny_detr(tmp_path / "detr", shortest=800, longest=1333)
    status, body = await api("POST", "datasets/photos/predict", {"task": "detect"})
    assert status == 400 and "'model' is a required property" in body["message"]
    status, _ = await api("POST", "datasets/nothing/predict", {"model": str(detr)})
    assert status == 404
    status, body = await api("POST", "datasets/photos/predict", {"model": str(detr), "x": 1})
    assert status == 400 and "('x' was unexpected)" in body["message"]
    for workers, message in (("two", "'workers': 'two' is not"), (0, "less than the minimum")):
        bad = {"model": str(detr), "workers": workers}
        status, body = await api("POST", "datasets/photos/predict", bad)
        assert status == 400 and message in body["message"]

    request = {"model": str(detr), "batch_size": 1, "min_score": 0.05}
    status, answer = await api("POST", "datasets/photos/predict", request)
    assert status == 202 and answer["job"]["lane"] == "gpu"
    state = await wait_midway(answer["job"], "predicting", 0.05, timeout=300.0)
    assert state["items_per_second"] is not None and state["eta_seconds"] is not None
    status, _ = await api("DELETE", f"jobs/{answer['job']['id']}")
    assert status == 200
    assert (await wait_job(answer["job"], 300))["status"] == "cancelled"
    kept = run_count(vl_app, "detr")
    assert 0 < kept < N_IMAGES  # what the worker computed before the cancel was written

    job = await wait_job((await api("POST", "datasets/photos/predict", request))[1]["job"], 300)
    assert job["status"] == "done", job
    result = job["result"]
    assert (result["skipped"], result["processed"]) == (kept, N_IMAGES - kept)
    assert (result["device"], result["runner"]) == ("cpu", "process")
    assert run_count(vl_app, "detr") == N_IMAGES

    blip = save_tiny_blip(tmp_path / "blip")
    body = {"model": str(blip), "task": "caption", "batch_size": 8}
    job = await wait_job((await api("POST", "datasets/photos/predict", body))[1]["job"], 300)
    assert job["status"] == "done" and job["result"]["predictions"] == N_IMAGES, job
    with vl_app.catalog.cursor() as cur:
        (sample_id, caption) = cur.execute(
            "SELECT sample_id, text FROM computed_values WHERE field = 'caption' LIMIT 1"
        ).fetchall()[0]
    status, sample = await api("GET", f"datasets/photos/samples/{sample_id}")
    assert status == 200 and sample["computed"]["caption"] == caption
    word = caption.split()[0]
    status, found = await api("GET", "datasets/photos/captions/search", params={"q": word})
    assert status == 200 and found["query"] == word
    assert len(found["results"]) > 0 and all(word in r["caption"].split() for r in found["results"])


async def test_cli_predict_goes_through_the_running_server(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any, tmp_path: Path
) -> None:
    # http_server_client makes pytest-jupyter serve on the port in server.json
    ingest_subset(vl_app.catalog, "photos", cartucho_subset(tmp_path / "photos", 4))
    detr = save_tiny_detr(tmp_path / "detr")
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "visionlens_jlab.cli", "predict", "photos"),
        *("--model", str(detr), "--min-score", "0.05", "--json"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "VISIONLENS_DATA_DIR": str(vl_data_dir)},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode == 0, err.decode()[-2000:]
    result = json.loads(out)
    assert (result["processed"], result["skipped"], result["device"]) == (4, 0, "cpu")
    assert [j.kind for j in vl_app.jobs.list()] == ["predict"]  # the server ran it
    with vl_app.catalog.cursor() as cur:
        (n,) = cur.execute("SELECT count(*) FROM annotations WHERE source = 'detr'").fetchall()[0]
    assert n > 0


def stored_rows(vl_app: Any, source: str) -> list[tuple]:
    with vl_app.catalog.cursor() as cur:
        return sorted(
            cur.execute(
                "SELECT sample_id, label, x, y, w, h, score FROM annotations WHERE source = ?",
                [source],
            ).fetchall()
        )


async def test_kernel_runner_predicts_in_a_kernel_equal_to_the_process_runner(
    api: Any, wait_job: Any, vl_app: Any, jp_serverapp: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    import numpy as np

    monkeypatch.delenv("RAY_ADDRESS", raising=False)  # the ray runner then has no cluster

    from .predict_fixtures import save_tiny_torchvision

    ingest_subset(vl_app.catalog, "photos", cartucho_subset(tmp_path / "photos", 5))
    weights = save_tiny_torchvision(tmp_path / "w.pth", "fasterrcnn_mobilenet_v3_large_320_fpn", 4)
    base = {
        "model": f"torchvision:fasterrcnn_mobilenet_v3_large_320_fpn={weights}",
        "classes": ["pottedplant", "sofa", "chair"],
        "batch_size": 2,
        "min_score": 0.2,
    }
    bad_runners = (("ray", "no Ray cluster address"), ("kernel:nope", "no kernelspec"))
    for bad, message in bad_runners:
        status, body = await api("POST", "datasets/photos/predict", {**base, "runner": bad})
        assert status == 400 and message in body["message"]
    by_process = {**base, "name": "by-process"}
    job = await wait_job((await api("POST", "datasets/photos/predict", by_process))[1]["job"], 300)
    assert job["status"] == "done", job
    by_kernel = {**base, "name": "by-kernel", "runner": "kernel"}
    job = await wait_job((await api("POST", "datasets/photos/predict", by_kernel))[1]["job"], 300)
    assert job["status"] == "done", job
    result = job["result"]
    assert (result["runner"], result["processed"], result["device"]) == ("kernel", 5, "cpu")
    assert jp_serverapp.kernel_manager.list_kernel_ids() == []  # shut down after the job
    process_rows, kernel_rows = stored_rows(vl_app, "by-process"), stored_rows(vl_app, "by-kernel")
    assert len(kernel_rows) == len(process_rows) > 0
    assert [r[:2] for r in kernel_rows] == [r[:2] for r in process_rows]
    np.testing.assert_allclose(
        [r[2:] for r in kernel_rows], [r[2:] for r in process_rows], atol=1e-5
    )
    again = await wait_job((await api("POST", "datasets/photos/predict", by_kernel))[1]["job"], 300)
    assert again["result"]["skipped"] == 5  # resume works the same through a kernel

    # a failure inside the kernel fails the job with the kernel's message; the kernel goes
    missing = {**by_kernel, "model": f"torchvision:ssdlite320_mobilenet_v3_large={weights}"}
    failed = await wait_job((await api("POST", "datasets/photos/predict", missing))[1]["job"], 300)
    assert failed["status"] == "failed" and "does not fit" in failed["error"]
    assert failed["error"].startswith("the kernel failed")  # it ran there, not in a worker
    assert jp_serverapp.kernel_manager.list_kernel_ids() == []
    status, body = await api("GET", "jobs/123-4/predictions")
    assert status == 404 and "no kernel model job" in body["message"]
    done = {"type": "done", "info": {}}
    status, body = await api("POST", "jobs/123-4/predictions", done)
    assert status == 404 and "no kernel model job" in body["message"]
    rows = {"type": "boxes", "ids": [1], "results": [[1, "sofa", 0.5]], "failed": []}
    status, body = await api("POST", "jobs/123-4/predictions", rows)
    assert status == 400 and "malformed boxes message" in body["message"]


async def test_a_second_job_of_the_same_model_runs_on_warm_workers_with_equal_boxes(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    ingest_subset(vl_app.catalog, "photos", cartucho_subset(tmp_path / "photos", 6))
    detr = save_tiny_detr(tmp_path / "detr")
    results, boxes = [], []
    for name in ("cold", "warm"):
        request = {"model": str(detr), "name": name, "batch_size": 2, "min_score": 0.01}
        job = await wait_job((await api("POST", "datasets/photos/predict", request))[1]["job"], 300)
        assert job["status"] == "done", job
        results.append(job["result"])
        with vl_app.catalog.cursor() as cur:
            boxes.append(
                cur.execute(
                    "SELECT sample_id, label, x, y, w, h, score FROM annotations "
                    "WHERE source = ? ORDER BY ALL",
                    [name],
                ).fetchall()
            )
    cold, warm = results
    assert cold["warm_workers"] == 0
    assert warm["warm_workers"] == warm["workers"] == cold["workers"] >= 1
    assert boxes[0] and boxes[0] == boxes[1]
