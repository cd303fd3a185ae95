"""The gpu lane's order: jobs that yield (captions) queue behind the others, and one that
runs stops between batches when another gpu job waits, then resumes. Plain job functions
on a real JobManager (the model jobs themselves: tests/test_predict_server.py)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from visionlens_jlab.embed.service import EMBED_JOB
from visionlens_jlab.jobs import Job, JobContext, JobEffects, JobKind, JobManager, JobPaused
from visionlens_jlab.predict.service import PREDICT_JOB


def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.fixture
def seen() -> list[tuple[str, str, str]]:
    """Every status change the manager reported: (job id, status, message)."""
    return []


@pytest.fixture
def jobs(seen: list[tuple[str, str, str]]) -> Any:
    manager = JobManager(
        max_workers=1, on_status=lambda j: seen.append((j.id, j.status, j.message))
    )
    yield manager
    manager.shutdown(timeout=5)


def test_yielding_jobs_queue_behind_the_others(jobs: JobManager) -> None:
    gate, order = threading.Event(), []

    def blocker(ctx: JobContext) -> None:
        gate.wait(30)

    def record(name: str) -> Any:
        return lambda ctx: order.append(name)

    first = jobs.submit(EMBED_JOB, blocker, lane="gpu")
    wait_for(lambda: first.status == "running")
    caption_a = jobs.submit(PREDICT_JOB, record("caption a"), lane="gpu", yields=True)
    caption_b = jobs.submit(PREDICT_JOB, record("caption b"), lane="gpu", yields=True)
    embed_a = jobs.submit(EMBED_JOB, record("embed a"), lane="gpu")
    embed_b = jobs.submit(EMBED_JOB, record("embed b"), lane="gpu")
    positions = [j.queue_position for j in (embed_a, embed_b, caption_a, caption_b)]
    assert positions == [1, 2, 3, 4]
    assert embed_a.to_dict()["yields"] is False and caption_a.to_dict()["yields"] is True
    jobs.cancel(embed_b.id)  # a cancelled job leaves the queue and the rest move up
    assert (embed_b.status, caption_a.queue_position, caption_b.queue_position) == (
        "cancelled",
        2,
        3,
    )
    gate.set()
    for job in (caption_a, caption_b):
        assert jobs.wait(job.id).status == "done"
    assert order == ["embed a", "caption a", "caption b"]


def test_a_running_yielding_job_makes_way_and_resumes(
    jobs: JobManager, seen: list[tuple[str, str, str]]
) -> None:
    done: list[int] = []  # the "images" captioned, kept across runs as a catalog would
    runs: list[str] = []
    first_batch = threading.Event()

    def caption(ctx: JobContext) -> dict[str, int]:
        runs.append(ctx.job_id)
        processed = 0
        for image in range(len(done), 200):
            time.sleep(0.005)
            done.append(image)
            processed += 1
            first_batch.set()
            if ctx.should_make_way():
                raise JobPaused({"processed": processed})
        return {"processed": processed}

    def embed(ctx: JobContext) -> int:
        assert not ctx.should_make_way()  # only yielding jobs make way
        return len(done)

    running = jobs.submit(PREDICT_JOB, caption, lane="gpu", yields=True)
    queued = jobs.submit(PREDICT_JOB, caption, lane="gpu", yields=True)
    assert first_batch.wait(30)
    urgent = jobs.submit(EMBED_JOB, embed, lane="gpu")
    assert jobs.wait(urgent.id).status == "done"
    assert 0 < urgent.result < 200  # it ran while the caption job had work left
    assert jobs.wait(running.id).status == "done" and jobs.wait(queued.id).status == "done"
    changes = [(status, message) for i, status, message in seen if i == running.id]
    assert [status for status, _ in changes] == ["queued", "running", "queued", "running", "done"]
    assert changes[2][1] == "paused: another model job goes first"
    assert urgent.updated < running.updated < queued.updated
    assert runs == [running.id, running.id, queued.id]  # the paused job resumes first
    assert done == list(range(200))  # nothing computed twice, nothing lost
    assert running.result["processed"] == 200 - urgent.result


def test_cancelling_a_paused_job(jobs: JobManager) -> None:
    gate = threading.Event()

    def caption(ctx: JobContext) -> None:
        while not ctx.should_make_way():
            time.sleep(0.005)
        raise JobPaused()

    def embed(ctx: JobContext) -> None:
        gate.wait(30)

    paused = jobs.submit(PREDICT_JOB, caption, lane="gpu", yields=True)
    wait_for(lambda: paused.status == "running")
    urgent = jobs.submit(EMBED_JOB, embed, lane="gpu")
    wait_for(lambda: urgent.status == "running")
    assert (paused.status, paused.queue_position) == ("queued", 1)
    jobs.cancel(paused.id)
    gate.set()
    assert jobs.wait(urgent.id).status == "done"
    assert jobs.wait(paused.id).status == "cancelled" and paused.queue_position is None


def test_only_gpu_jobs_yield(jobs: JobManager) -> None:
    with pytest.raises(ValueError, match="only gpu jobs yield"):
        jobs.submit(PREDICT_JOB, lambda ctx: None, yields=True)
    job: Job = jobs.submit(JobKind("t", JobEffects()), lambda ctx: None)
    assert jobs.wait(job.id).to_dict()["yields"] is False
