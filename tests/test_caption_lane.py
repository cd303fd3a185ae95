"""Embedding jobs never wait for caption jobs: through a real Jupyter server, a tiny random
BLIP captioning in its worker process, the built-in embedder in its own, on real photos."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from .predict_fixtures import cartucho_subset, ingest_subset, save_tiny_blip

N_IMAGES = 12


async def test_an_embedding_goes_ahead_of_running_and_queued_caption_jobs(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    ingest_subset(vl_app.catalog, "photos", cartucho_subset(tmp_path / "photos", N_IMAGES))
    ingest_subset(vl_app.catalog, "few", cartucho_subset(tmp_path / "few", 2))
    blip = save_tiny_blip(tmp_path / "blip")
    caption = {"model": str(blip), "task": "caption", "batch_size": 1}
    _, running = await api("POST", "datasets/photos/predict", caption)
    assert running["job"]["yields"] is True
    deadline = time.monotonic() + 60
    while (await api("GET", f"jobs/{running['job']['id']}"))[1]["status"] != "running":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    # the worker is still starting (a spawn, torch, the model): no batch is done yet
    _, queued = await api("POST", "datasets/few/predict", caption)
    assert queued["job"]["queue_position"] == 1
    status, embed = await api("POST", "datasets/photos/embed", {"model": "builtin-color-gradient"})
    assert status == 202 and embed["job"]["yields"] is False
    assert embed["job"]["queue_position"] == 1  # ahead of the queued caption job
    assert (await api("GET", f"jobs/{queued['job']['id']}"))[1]["queue_position"] == 2

    embedded = await wait_job(embed["job"], 300)
    assert embedded["status"] == "done" and embedded["result"]["embedded"] == N_IMAGES
    first = await wait_job(running["job"], 300)
    second = await wait_job(queued["job"], 300)
    assert first["status"] == "done" and second["status"] == "done", (first, second)
    jobs = [vl_app.jobs.get(j["job"]["id"]) for j in (embed, running, queued)]
    assert jobs[0].updated < jobs[1].updated < jobs[2].updated  # the order they finished in
    # the running caption job paused after a batch, and its resumed run skipped what it did
    result = first["result"]
    assert result["paused"] == 1 and second["result"]["paused"] == 0
    assert (result["processed"], result["skipped"], result["predictions"]) == (N_IMAGES, 0, 12)
    with vl_app.catalog.cursor() as cur:
        (captioned,) = cur.execute(
            "SELECT count(*) FROM computed_values WHERE field = 'caption'"
        ).fetchall()[0]
    assert captioned == N_IMAGES + 2
