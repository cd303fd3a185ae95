"""The time bound per job (``c.VisionLensApp.max_job_seconds``): a job that runs past it is
stopped as a cancel stops it and fails saying why; time spent queued does not count."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.test_jobs import forever
from visionlens_jlab.jobs import JobContext, JobEffects, JobKind, JobManager, stream_from_worker


def test_a_job_past_the_bound_fails_and_its_worker_ends_while_a_queued_one_is_spared() -> None:
    jobs = JobManager(max_workers=1, max_seconds=1.0)
    try:

        def endless(ctx: JobContext) -> None:
            for _ in stream_from_worker(ctx, forever):
                pass

        def short(ctx: JobContext) -> str:
            time.sleep(0.5)
            return "finished"

        long_job = jobs.submit(JobKind("t", JobEffects()), endless)
        # queued behind it for more than the bound, then runs well inside it
        waiting = jobs.submit(JobKind("t", JobEffects()), short)
        stopped = jobs.wait(long_job.id, timeout=30)
        assert stopped.status == "failed", stopped
        assert "c.VisionLensApp.max_job_seconds" in (stopped.error or "")
        assert "longer than 1 s" in (stopped.error or "")
        assert 1.0 < stopped.running_seconds() < 10
        assert multiprocessing.active_children() == []  # its worker process was ended
        done = jobs.wait(waiting.id, timeout=30)
        assert (done.status, done.result) == ("done", "finished")
    finally:
        jobs.shutdown()


def test_a_cancel_by_the_user_still_reads_as_cancelled() -> None:
    jobs = JobManager(max_workers=1, max_seconds=30.0)
    try:

        def waits(ctx: JobContext) -> None:
            while True:
                ctx.check_cancelled()
                time.sleep(0.01)

        job = jobs.submit(JobKind("t", JobEffects()), waits)
        while job.status != "running":
            time.sleep(0.01)
        jobs.cancel(job.id)
        assert jobs.wait(job.id, timeout=10).status == "cancelled"
        assert job.error is None
    finally:
        jobs.shutdown()


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    return {"max_job_seconds": 2.0}


async def test_an_ingest_past_the_servers_bound_fails_and_keeps_nothing(
    api: Any, wait_job: Any, tmp_path: Path, vl_app: Any
) -> None:
    """A source that never ends (a FIFO nobody writes to) holds the parse worker in open();
    the bound stops the job and no dataset is left behind."""
    fifo = tmp_path / "never.json"
    os.mkfifo(fifo)
    status, answer = await api(
        "POST", "datasets", {"source": str(fifo), "name": "stuck", "format": "coco"}
    )
    assert status == 202, answer
    job = await wait_job(answer["job"], timeout=60)
    assert job["status"] == "failed", job
    assert "max_job_seconds" in job["error"], job
    assert vl_app.catalog.list_datasets() == []
