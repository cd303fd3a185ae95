"""Job manager and worker processes, with real spawned processes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.main_script import run_as_main_script
from visionlens_jlab.jobs import (
    JobCancelled,
    JobContext,
    JobEffects,
    JobKind,
    JobManager,
    WorkerError,
    stream_from_worker,
)
from visionlens_jlab.jobs.journal import JobJournal
from visionlens_jlab.maps.jobs import MAP_JOB


def count_to(n: int) -> Iterator[int]:
    yield from range(n)


def fail_after(n: int) -> Iterator[int]:
    yield from range(n)
    raise ValueError("bad record 7: missing 'bbox'")


def die_after(n: int) -> Iterator[int]:
    yield from range(n)
    time.sleep(0.3)  # let the queue feeder flush before the hard exit
    os._exit(9)


def forever() -> Iterator[int]:
    i = 0
    while True:
        yield i
        i += 1
        time.sleep(0.01)


def test_worker_streams_items_in_order() -> None:
    assert list(stream_from_worker(None, count_to, 500)) == list(range(500))


def test_worker_error_keeps_its_message() -> None:
    seen: list[int] = []
    with pytest.raises(WorkerError, match="bad record 7"):
        for item in stream_from_worker(None, fail_after, 3):
            seen.append(item)
    assert seen == [0, 1, 2]


def test_worker_crash_becomes_an_error() -> None:
    with pytest.raises(WorkerError, match="died"):
        list(stream_from_worker(None, die_after, 2))


def test_jobs_progress_result_failure_and_cancel() -> None:
    jobs = JobManager(max_workers=2)
    try:

        def ok(ctx: JobContext) -> dict[str, int]:
            ctx.progress(0.5, "half way")
            return {"n": 3}

        def broken(ctx: JobContext) -> None:
            raise FileNotFoundError("no such file: /x/annotations.json")

        def endless(ctx: JobContext) -> None:
            for _ in stream_from_worker(ctx, forever):
                pass

        followed: list[object] = []
        done = jobs.wait(jobs.submit(JobKind("t", JobEffects()), ok, then=followed.append).id)
        assert (done.status, done.result, done.progress) == ("done", {"n": 3}, 1.0)
        assert followed == [{"n": 3}]
        failed = jobs.wait(jobs.submit(JobKind("t", JobEffects()), broken).id)
        assert failed.status == "failed" and "annotations.json" in (failed.error or "")
        running = jobs.submit(JobKind("t", JobEffects()), endless)
        deadline = time.monotonic() + 30
        while running.status != "running" and time.monotonic() < deadline:
            time.sleep(0.01)
        jobs.cancel(running.id)
        assert jobs.wait(running.id, timeout=30).status == "cancelled"
        assert [j.id for j in jobs.list()][0] == running.id
    finally:
        jobs.shutdown()


def test_check_cancelled_raises() -> None:
    jobs = JobManager(max_workers=1)
    try:

        def waits(ctx: JobContext) -> None:
            while True:
                ctx.check_cancelled()
                time.sleep(0.01)

        job = jobs.submit(JobKind("t", JobEffects()), waits)
        time.sleep(0.05)
        jobs.cancel(job.id)
        assert jobs.wait(job.id, timeout=10).status == "cancelled"
        with pytest.raises(JobCancelled):
            JobContext(job).check_cancelled()
    finally:
        jobs.shutdown()


def test_worker_does_not_rerun_the_main_script(tmp_path: Path) -> None:
    # In JupyterLab the main script is jupyter-server: re-running it cost every ingest job's
    # parse worker ~1.9 s of CPU before it read a byte.
    out, runs = run_as_main_script(
        tmp_path,
        """    from tests.test_jobs import count_to
    from visionlens_jlab.jobs import stream_from_worker

    print(sum(stream_from_worker(None, count_to, 10)))
""",
    )
    assert out.strip() == "45"
    assert runs == 1  # the parent only


def test_stages_of_a_multi_stage_job_carry_their_own_rate_and_eta() -> None:
    # A map job: counted stages (vectors read) within an overall fraction, then an
    # uncounted one (layout) that must not keep the previous stage's rate and ETA.
    jobs = JobManager(max_workers=1)
    try:
        states: list[dict] = []

        def snapshot(ctx: JobContext) -> None:
            job = jobs.get(ctx.job_id)
            assert job is not None
            states.append(job.to_dict())

        def stages(ctx: JobContext) -> None:
            ctx.items("reading vectors", 0, 1000, fraction=0.0)
            time.sleep(0.05)
            ctx.items("reading vectors", 500, 1000, fraction=0.1)
            snapshot(ctx)
            ctx.stage("layout", fraction=0.4)
            snapshot(ctx)

        job = jobs.submit(MAP_JOB, stages)
        assert jobs.wait(job.id, timeout=10).status == "done"
        reading, layout = states
        assert reading["stage"] == "reading vectors" and reading["progress"] == 0.1
        assert 0 < reading["items_per_second"] <= 500 / 0.05
        assert reading["eta_seconds"] == pytest.approx(500 / reading["items_per_second"], abs=0.051)
        assert reading["message"] == "reading vectors: 500/1000"
        assert layout["stage"] == "layout" and layout["progress"] == 0.4
        assert layout["items_per_second"] is None and layout["eta_seconds"] is None
    finally:
        jobs.shutdown()


COLOURED = "\x1b[31mCUDA out of memory\x1b[0m\x07 at \x1b]0;title\x07step\r 3\x00\x9b"


def shout_coloured(n: int) -> Iterator[int]:
    yield from range(n)
    raise RuntimeError(COLOURED)


def test_job_errors_lose_ansi_codes_and_control_characters(tmp_path: Path) -> None:
    jobs = JobManager(max_workers=1, journal=JobJournal(tmp_path))
    try:

        def in_thread(ctx: JobContext) -> None:
            raise RuntimeError(COLOURED + "\nsecond line\tkept")

        def in_worker(ctx: JobContext) -> None:
            list(stream_from_worker(ctx, shout_coloured, 2))

        failed = jobs.wait(jobs.submit(JobKind("t", JobEffects()), in_thread).id)
        assert failed.error == "CUDA out of memory at step 3\nsecond line\tkept"
        failed = jobs.wait(jobs.submit(JobKind("t", JobEffects()), in_worker).id, timeout=60)
        assert failed.error is not None and "CUDA out of memory at step 3" in failed.error
        assert not any(c in failed.error for c in "\x1b\x07\x00\r\x9b"), repr(failed.error)
    finally:
        jobs.shutdown()
    # a journal of an older server, whose errors were stored as raised, shows them clean
    records = json.loads((tmp_path / "jobs.json").read_text())
    records["jobs"][0]["error"] = COLOURED
    (tmp_path / "jobs.json").write_text(json.dumps(records))
    again = JobManager(max_workers=1, journal=JobJournal(tmp_path))
    try:
        assert {j.error for j in again.list()} >= {"CUDA out of memory at step 3"}
    finally:
        again.shutdown()
