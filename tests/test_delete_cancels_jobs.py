"""Deleting a dataset cancels its queued and running jobs (a real server): none of them
fails later on a dataset that is gone, and other datasets' jobs run as before."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.jobs import JobContext, JobEffects, JobKind

from .catalog_fixtures import RowsSource, toy_rows


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    return {"job_workers": 1}  # one busy worker keeps the jobs queued behind it queued


async def test_deleting_a_dataset_cancels_its_queued_and_running_jobs(
    api: Any, vl_app: Any, wait_job: Any
) -> None:
    for name in ("toy", "keep"):
        write_dataset(vl_app.catalog, name, RowsSource(*toy_rows()))
    release = threading.Event()
    blocker = vl_app.jobs.submit(JobKind("blocker", JobEffects()), lambda ctx: release.wait(30))
    stopped = threading.Event()

    def runs_until_cancelled(ctx: JobContext) -> None:
        while not ctx.cancelled:
            time.sleep(0.01)
        stopped.set()
        ctx.check_cancelled()

    running = vl_app.jobs.submit(
        JobKind("probe", JobEffects()), runs_until_cancelled, lane="gpu", dataset="toy"
    )
    other = vl_app.jobs.submit(JobKind("probe", JobEffects()), lambda ctx: "ran", dataset="keep")
    status, body = await api("POST", "datasets/toy/duplicates", {"hashes": True})
    assert status == 202, body
    queued = body["job"]
    assert (queued["status"], queued["dataset"]) == ("queued", "toy")
    while running.status != "running":
        await asyncio.sleep(0.01)

    status, _ = await api("DELETE", "datasets/toy")
    assert status == 204
    assert stopped.is_set()  # the delete waited for the running job to stop
    for job_id in (queued["id"], running.id):
        status, state = await api("GET", f"jobs/{job_id}")
        assert status == 200 and state["status"] == "cancelled", state
        assert state["error"] is None and state["dataset"] == "toy"

    release.set()
    assert (await wait_job(blocker.to_dict()))["status"] == "done"
    kept = await wait_job(other.to_dict())
    assert (kept["status"], kept["result"], kept["dataset"]) == ("done", "ran", "keep")
    status, state = await api("GET", f"jobs/{queued['id']}")
    assert state["status"] == "cancelled"  # never ran once the worker was free
    status, listing = await api("GET", "datasets")
    assert [d["name"] for d in listing["datasets"]] == ["keep"]


async def test_an_ingest_reported_done_already_lists_its_thumbnail_job(
    api: Any, vl_app: Any, wait_job: Any, tmp_path: Any
) -> None:
    """The follow-up thumbnail job is queued before the ingest shows as done, so a client
    that deletes the dataset as soon as it sees "done" cancels it too (the load benchmark's
    churn loop used to leave it to fail on the deleted dataset)."""
    from .ingest_fixtures import write_coco

    source = tmp_path / "annotations.json"
    write_coco(source, 4)
    status, body = await api("POST", "datasets", {"source": str(source), "name": "a"})
    assert status == 202, body
    done = await wait_job(body["job"])
    assert done["status"] == "done", done
    status, listing = await api("GET", "jobs")
    (thumbs,) = [j for j in listing["jobs"] if j["kind"] == "thumbnails"]
    assert thumbs["dataset"] == "a"
    status, _ = await api("DELETE", "datasets/a")
    assert status == 204
    final = await wait_job(thumbs)
    assert final["status"] in ("cancelled", "done"), final  # never failed on a missing dataset
